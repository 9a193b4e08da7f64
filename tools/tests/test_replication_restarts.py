"""Restarts without a full sync: a replica or a master stopped cleanly
(SHUTDOWN SAVE) and restarted from its dump.rdb continues by partial resync.

Job: the RDB a Cairn server saves carries its replication position (aux
fields repl-id, repl-offset, repl-stream-db); restarted from it, a replica
PSYNCs its master with that position (Redis 4.0's promise) and a master keeps
its ID and offset, so its replicas, Cairn or Redis 7.0, continue (later
Redis's promise). Each case checks the master's sync_full / sync_partial_ok
and the data on both sides.

Contract: servers on free loopback ports (a restarted master keeps its port:
its replica reconnects to it), stopped by pid; every wait bounded.
"""

import os
import sys
import tempfile
import time
import shutil

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from serverproc import ServerProcess, free_port  # noqa: E402
from respclient import RespClient  # noqa: E402

WAIT = 20.0


def call(server, *args):
    with RespClient(server.port) as c:
        return c.call(*args)


def info(server, section):
    text = call(server, "INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def sync_counts(master):
    s = info(master, "stats")
    return int(s["sync_full"]), int(s["sync_partial_ok"])


def wait_caught_up(master, replica):
    deadline = time.monotonic() + WAIT
    last = None
    while time.monotonic() < deadline:
        r = info(replica, "replication")
        m = info(master, "replication")
        last = (m.get("master_repl_offset"), r.get("slave_repl_offset"), r.get("master_link_status"))
        if r.get("master_link_status") == "up" and r.get("slave_repl_offset") == m.get("master_repl_offset"):
            return
        time.sleep(0.05)
    raise AssertionError("replica did not catch up: (master offset, replica offset, link) = %r" % (last,))


def start(kind, workdir, port, *extra):
    return ServerProcess(kind, list(extra), workdir=workdir, port=port).start()


def stop_saving(server):
    try:
        call(server, "SHUTDOWN", "SAVE")
    except (ConnectionError, OSError):
        pass
    deadline = time.monotonic() + WAIT
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()


@pytest.fixture
def dirs():
    made = [tempfile.mkdtemp(prefix="cairn-restart-") for _ in range(2)]
    yield made
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


def write(server, n, prefix):
    with RespClient(server.port) as c:
        for i in range(n):
            c.call("SET", "%s:%d" % (prefix, i), str(i))
            c.call("RPUSH", "%s:list" % prefix, str(i))


def test_a_replica_restarted_from_its_rdb_continues_by_partial_resync(dirs):
    master = start("cairn", dirs[0], free_port())
    replica_port = free_port()
    replica = start("cairn", dirs[1], replica_port, "--slaveof", "127.0.0.1", str(master.port))
    try:
        write(master, 200, "before")
        wait_caught_up(master, replica)
        full, partial = sync_counts(master)
        stop_saving(replica)
        write(master, 50, "while-down")
        replica = start("cairn", dirs[1], replica_port, "--slaveof", "127.0.0.1", str(master.port))
        wait_caught_up(master, replica)
        assert sync_counts(master) == (full, partial + 1), "the restarted replica must continue by partial resync"
        assert call(replica, "DEBUG", "DIGEST") == call(master, "DEBUG", "DIGEST")
        assert "restored from the RDB file" in replica.log_tail(20000)
        # INFO says it too: the position restored, the resync it allowed, and the master's why.
        ri, mi = info(replica, "replication"), info(master, "replication")
        assert ri["cairn_restored_position"].split(":")[0] == mi["master_replid"]
        assert ri["cairn_last_resync"].startswith("partial"), ri
        assert " partial: " in mi["cairn_last_psync_decision"], mi
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("replica_kind", ["cairn", "redis"])
def test_a_master_restarted_from_its_rdb_keeps_its_replicas_partial(dirs, replica_kind):
    master_port = free_port()
    master = start("cairn", dirs[0], master_port)
    replica = ServerProcess(replica_kind, ["--slaveof", "127.0.0.1", str(master_port)]).start()
    try:
        write(master, 200, "before")
        wait_caught_up(master, replica)
        stop_saving(master)
        master = start("cairn", dirs[0], master_port)
        assert sync_counts(master) == (0, 0)
        wait_caught_up(master, replica)
        write(master, 50, "after")
        wait_caught_up(master, replica)
        assert sync_counts(master) == (0, 1), "the replica of a restarted master must continue by partial resync"
        assert call(replica, "DEBUG", "DIGEST") == call(master, "DEBUG", "DIGEST")
    finally:
        replica.stop()
        master.stop()


def debug_restart(server):
    """DEBUG RESTART: the same process id comes back with the same arguments (no reply is sent)."""
    pid_before = int(info(server, "server")["process_id"])
    try:
        call(server, "DEBUG", "RESTART")
    except (ConnectionError, OSError):
        pass
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            if int(info(server, "server")["process_id"]) == pid_before and int(info(server, "server")["uptime_in_seconds"]) < 5 \
                    and info(server, "persistence")["loading"] == "0":
                return
        except (ConnectionError, OSError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError("server did not come back after DEBUG RESTART: " + server.log_tail())


@pytest.mark.parametrize("side", ["replica", "master"])
def test_debug_restart_continues_by_partial_resync(dirs, side):
    # Save points: DEBUG RESTART saves as SHUTDOWN does, only when they are set (as Redis 4.0).
    master = start("cairn", dirs[0], free_port(), "--save", "900 1")
    replica = start("cairn", dirs[1], free_port(), "--save", "900 1", "--slaveof", "127.0.0.1", str(master.port))
    try:
        write(master, 200, "before")
        wait_caught_up(master, replica)
        full, partial = sync_counts(master)
        restarted = replica if side == "replica" else master
        debug_restart(restarted)
        write(master, 50, "after")
        wait_caught_up(master, replica)
        assert sync_counts(master) == (full if side == "replica" else 0, partial + 1 if side == "replica" else 1)
        assert call(replica, "DEBUG", "DIGEST") == call(master, "DEBUG", "DIGEST")
        assert call(master, "DBSIZE") == 252  # 250 strings and two lists
        log = restarted.log_tail(20000)
        assert "Restarting the server (DEBUG RESTART)" in log and "restored from the RDB file" in log
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("writes_after_restart", [False, True])
def test_an_old_master_restarted_behind_the_failover_point(dirs, writes_after_restart):
    """The old master's RDB is older than the failover point (SIGKILL after more writes). Made a
    replica of the promoted node, it continues by partial resync only while it has written
    nothing since its restart; once it has (a sentinel's PUBLISH is enough), its history is
    its own and it must take a full sync, ending with the new master's data, not its own."""
    master_port = free_port()
    master = start("cairn", dirs[0], master_port)
    replica = start("cairn", dirs[1], free_port(), "--slaveof", "127.0.0.1", str(master_port))
    try:
        write(master, 100, "saved")
        assert call(master, "SAVE") == b"OK"  # the RDB the old master restarts from
        write(master, 100, "after-save")
        wait_caught_up(master, replica)
        os.kill(master.pid, 9)
        master.proc.wait(timeout=10)
        master.proc = None
        assert call(replica, "SLAVEOF", "NO", "ONE") == b"OK"
        master = start("cairn", dirs[0], master_port)
        assert "restored from the RDB file" in master.log_tail(20000)
        if writes_after_restart:
            assert call(master, "SET", "only-on-the-old-master", "x") == b"OK"
        full, partial = sync_counts(replica)
        assert call(master, "SLAVEOF", "127.0.0.1", str(replica.port)) == b"OK"
        wait_caught_up(replica, master)
        assert sync_counts(replica) == ((full + 1, partial) if writes_after_restart else (full, partial + 1))
        assert call(master, "EXISTS", "only-on-the-old-master") == 0
        assert call(master, "DEBUG", "DIGEST") == call(replica, "DEBUG", "DIGEST")
        assert call(master, "DBSIZE") == 202
    finally:
        replica.stop()
        master.stop()
