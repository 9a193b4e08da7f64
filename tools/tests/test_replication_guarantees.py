"""Write guarantees and replica behaviour with real processes: WAIT and min-slaves
against replicas that are up, lagging (DEBUG SLEEP) and down; READONLY,
MASTERDOWN and reads of expired keys on a replica.

Job: each case runs on a Cairn master (and, where the replica's behaviour is
the point, a Cairn replica beside a Redis 7.0 one as the reference), checking
replies, error strings and timings a client sees.

Contract: servers from the `spawn` fixture of test_replication_interop (free
loopback ports, stopped by pid); every wait bounded.
"""

import threading
import time

import pytest

from respclient import Error, RespClient
from test_replication_interop import (WAIT, call, info, ok, slaveof,
                                      wait_link_up, wait_offsets)


def pair(spawn, replica_kind="cairn", *replica_args, master_args=()):
    master = spawn("cairn", *master_args)
    replica = spawn(replica_kind, *replica_args)
    slaveof(replica, master)
    wait_link_up(replica, master)
    return master, replica


def sleep_in_background(server, seconds):
    """DEBUG SLEEP blocks the server's loop: send it from a thread, return the thread."""
    def run():
        with RespClient(server.port, timeout=seconds + WAIT) as c:
            c.call("DEBUG", "SLEEP", str(seconds))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.1)  # the command has reached the server
    return thread


def timed(server, *args):
    with RespClient(server.port, timeout=WAIT) as c:
        t = time.monotonic()
        reply = c.call(*args)
        return reply, time.monotonic() - t


def test_wait_counts_replicas_that_are_up_lagging_and_down(spawn):
    master, replica = pair(spawn)
    with RespClient(master.port, timeout=WAIT) as c:
        # Up: the ACK comes back well before the timeout.
        c.call("SET", "k", "1")
        t = time.monotonic()
        assert c.call("WAIT", "1", "5000") == 1
        assert time.monotonic() - t < 2.0
        # More replicas than exist: the count reached when the timeout fires.
        t = time.monotonic()
        assert c.call("WAIT", "2", "300") == 1
        assert 0.25 <= time.monotonic() - t < 3.0
        # Lagging: a sleeping replica cannot ACK before the timeout...
        sleeper = sleep_in_background(replica, 1.5)
        c.call("SET", "k", "2")
        t = time.monotonic()
        assert c.call("WAIT", "1", "300") == 0
        assert 0.25 <= time.monotonic() - t < 1.4
        # ...and a WAIT without timeout returns once it wakes and ACKs.
        assert c.call("WAIT", "1", "0") == 1
        sleeper.join(timeout=WAIT)
    # Down: no replica, nothing acknowledged.
    replica.stop()
    reply, elapsed = timed(master, "WAIT", "1", "300")
    assert reply == 0 and elapsed >= 0.25


def test_min_slaves_refuses_writes_while_the_replica_lags_and_accepts_them_after(spawn):
    master, replica = pair(spawn, master_args=("--min-slaves-to-write", "1", "--min-slaves-max-lag", "1"))
    assert call(master, "SET", "a", "1") == b"OK"
    assert info(master, "replication")["min_slaves_good_slaves"] == "1"
    sleeper = sleep_in_background(replica, 4)
    deadline = time.monotonic() + 4
    refused = None
    while time.monotonic() < deadline:
        refused = call(master, "SET", "a", "2")
        if isinstance(refused, Error):
            break
        time.sleep(0.1)
    assert refused == Error(b"NOREPLICAS Not enough good slaves to write.")
    assert info(master, "replication")["min_slaves_good_slaves"] == "0"
    assert call(master, "GET", "a") in (b"1", b"2"), "reads go on"
    sleeper.join(timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while call(master, "SET", "a", "3") != b"OK":
        assert time.monotonic() < deadline, "writes never came back after the replica woke"
        time.sleep(0.1)


@pytest.mark.parametrize("replica_kind", ["cairn", "redis7"])
def test_a_replica_hides_expired_keys_until_the_masters_del(spawn, replica_kind):
    master, replica = pair(spawn, replica_kind)
    ok(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0")  # no DEL from the master while we look
    ok(master, "SET", "short", "v", "PX", "200")
    ok(master, "SET", "long", "v")
    wait_offsets(master, replica)
    time.sleep(0.4)
    assert call(replica, "GET", "short") is None
    assert call(replica, "EXISTS", "short") == 0
    assert call(replica, "DBSIZE") == 2, "the key itself waits for the master's DEL"
    assert call(replica, "GET", "long") == b"v"
    assert call(master, "GET", "short") is None  # the master expires it on access and sends DEL
    wait_offsets(master, replica)
    assert call(replica, "DBSIZE") == 1


def test_read_only_and_stale_data_errors(spawn):
    master, replica = pair(spawn, "cairn", "--slave-serve-stale-data", "no")
    assert call(replica, "SET", "x", "1") == Error(b"READONLY You can't write against a read only slave.")
    master.stop()
    deadline = time.monotonic() + WAIT
    while info(replica, "replication")["master_link_status"] != "down":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert call(replica, "GET", "x") == Error(
        b"MASTERDOWN Link with MASTER is down and slave-serve-stale-data is set to 'no'.")
    assert call(replica, "PING") == b"PONG"
    assert b"role:slave" in call(replica, "INFO", "replication")
