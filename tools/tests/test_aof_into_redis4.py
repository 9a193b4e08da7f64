"""What Cairn propagates, read by Redis 4.0 (issue #16 item 1).

Job: run tools/propagation_workload.py (every write command Cairn's COMMAND
table flags "write", MULTI/EXEC, SELECT across databases, far TTLs, blocking
pops served by pushes, SORT ... STORE, RESTORE of Cairn's and Redis 7.0's
DUMP payloads) against Cairn, then make Redis 4.0.14 read what Cairn wrote:
  - the AOF (appendfsync always), as commands only, after a BGREWRITEAOF
    without preamble, and after one with the RDB preamble (4.0 reads RDB
    version 8 at most), each first accepted by 4.0's redis-check-aof, then
    loaded by a Redis 4.0 started with appendonly yes in a copy of the files;
  - the live stream: a Redis 4.0 replica of a Cairn master.
and compare the data key by key (type, value, expiry deadline within a
second) and DEBUG DIGEST.

Contract: the test fails when a write command of the table was never run with
success by the workload: a new command must join the workload.

Tricky bit: expiry is compared as deadlines (PTTL plus the time it was read),
since the two servers are read seconds apart.
"""

import os
import shutil
import subprocess
import time

import pytest

import propagation_workload as workload
from respclient import RespClient
from serverproc import ServerProcess

WAIT = 30.0
SEED = int(os.environ.get("CAIRN_PROPAGATION_SEED", "1604"))  # other seeds: explore
# Commands the table flags "write" that the workload need not run: none so far.
NOT_EXERCISED = set()


def call(server, *args):
    with RespClient(server.port, timeout=WAIT) as c:
        return c.call(*args)


def info(server, section):
    text = call(server, "INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line and not line.startswith("#"))


def wait_for(what, probe):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError("not within %s s: %s" % (WAIT, what))


@pytest.fixture(scope="module")
def foreign_dumps(_servers):
    """DUMP payloads written by Redis 7.0 (RDB version 10: listpack, quicklist 2 encodings)."""
    redis7 = _servers.get("redis")
    keys = ["aof4:h", "aof4:z", "aof4:l", "aof4:s", "aof4:t"]  # the shared server: only keys of our own
    with RespClient(redis7.port) as c:
        c.call("DEL", *keys)
        for argv in (["HSET", keys[0], "a", "1", "b", "two"], ["ZADD", keys[1], "1.5", "m", "2", "n"],
                     ["RPUSH", keys[2], "x", "y", "12"], ["SADD", keys[3], "1", "2", "300"], ["SET", keys[4], "text"]):
            c.call(*argv)
        dumps = [c.call("DUMP", k) for k in keys]
        c.call("DEL", *keys)
    assert all(isinstance(d, bytes) and d[-10] == 10 for d in dumps), "Redis 7.0 DUMP payloads: %r" % dumps
    return dumps


@pytest.fixture(scope="module")
def migrate_target():
    """A Redis 7.0 of this file's own that takes the workload's MIGRATEd keys."""
    target = ServerProcess("redis").start()
    yield target.port
    target.stop()


def spawn(request, kind, *args, workdir=None):
    binary = request.getfixturevalue("redis4_server_path") if kind == "redis4" else None
    server = ServerProcess(kind, extra_args=args, binary=binary, workdir=workdir)
    request.addfinalizer(server.stop)
    return server.start()


def run_workload(server, foreign, target, between=None):
    """Runs the workload and fails if a write command of the server's table was not exercised."""
    ran = workload.run(server.port, SEED, foreign_dumps=foreign, between=between, migrate_to=target)
    missing = workload.write_commands(server.port) - ran - NOT_EXERCISED
    assert not missing, "write commands the workload never ran with success: %s" % sorted(missing)


def snapshot(server):
    """(dump with expiry as deadlines, DEBUG DIGEST)."""
    now = time.time() * 1000
    data = {k: (t, v, ttl if ttl < 0 else now + ttl) for k, (t, v, ttl) in workload.dump(server.port).items()}
    return data, call(server, "DEBUG", "DIGEST")


def assert_same(want, got, what):
    diffs = workload.differences(want[0], got[0], ttl_tolerance_ms=1500)
    assert not diffs, "%s differs from Cairn:\n  %s" % (what, "\n  ".join(diffs))
    assert len(want[0]) > 50, "the workload left only %d keys" % len(want[0])
    assert got[1] == want[1], "%s DEBUG DIGEST %r, Cairn's %r" % (what, got[1], want[1])


def check_aof(redis4_server_path, path):
    tool = os.path.join(os.path.dirname(redis4_server_path), "redis-check-aof")
    p = subprocess.run([tool, path], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "is valid" in p.stdout, "redis-check-aof (4.0) on %s: %s%s" % (
        path, p.stdout[-1500:], p.stderr[-500:])


def bgrewriteaof(server):
    call(server, "BGREWRITEAOF")

    def done():
        p = info(server, "persistence")
        return p["aof_rewrite_in_progress"] == "0" and p["aof_rewrite_scheduled"] == "0"
    wait_for("BGREWRITEAOF finished", done)
    assert info(server, "persistence")["aof_last_bgrewrite_status"] == "ok"


@pytest.mark.parametrize("form", ["commands", "rewritten", "preamble"])
def test_cairn_aof_loads_into_redis4(request, tmpdirs, foreign_dumps, migrate_target, redis4_server_path, form):
    cairn = spawn(request, "cairn", "--appendonly", "yes", "--appendfsync", "always",
                  "--aof-use-rdb-preamble", "yes" if form == "preamble" else "no")
    between = None if form == "commands" else (lambda: bgrewriteaof(cairn))
    run_workload(cairn, foreign_dumps, migrate_target, between)
    want = snapshot(cairn)

    aof = os.path.join(cairn.workdir, "appendonly.aof")
    with open(aof, "rb") as f:
        head = f.read(9)
    assert head == b"REDIS0008" if form == "preamble" else head.startswith(b"*"), "AOF starts %r" % head
    d = tmpdirs()
    shutil.copy(aof, os.path.join(d, "appendonly.aof"))
    check_aof(redis4_server_path, os.path.join(d, "appendonly.aof"))
    redis4 = spawn(request, "redis4", "--appendonly", "yes", "--aof-use-rdb-preamble", "no", workdir=d)
    assert "DB loaded from append only file" in redis4.log_tail(20000), redis4.log_tail()
    assert_same(want, snapshot(redis4), "Redis 4.0 after loading Cairn's AOF (%s)" % form)


def test_redis4_replica_of_cairn_master(request, foreign_dumps, migrate_target):
    cairn = spawn(request, "cairn", "--repl-diskless-sync", "no")
    redis4 = spawn(request, "redis4")
    call(redis4, "SLAVEOF", "127.0.0.1", str(cairn.port))
    wait_for("the replica's link is up", lambda: info(redis4, "replication").get("master_link_status") == "up")
    run_workload(cairn, foreign_dumps, migrate_target)

    def caught_up():
        return info(cairn, "replication")["master_repl_offset"] == info(redis4, "replication")["slave_repl_offset"]
    wait_for("the replica's offset reaches the master's", caught_up)
    assert_same(snapshot(cairn), snapshot(redis4), "A Redis 4.0 replica of Cairn")
