"""The append-only file of cairn-server against the real thing and under crashes.

- Redis 7.0's multi-part AOF directories (the committed fixtures: with an RDB
  preamble, plain, annotated) load in Cairn with the digest redis-server has
  for them, and Cairn then appends to a single file of its own;
- the AOF Cairn writes (plain and with an RDB preamble, after a rewrite under
  writes) passes redis-check-aof and loads in redis-server 7.0 with Cairn's digest;
- `cairn aof replay` of a Redis 7.0 log into a fresh Cairn gives Redis's digest;
- durability: a client records which writes were acknowledged while the
  server is killed with SIGKILL at random moments; after each restart every
  acknowledged write is there (appendfsync always), or all but those of the
  last two seconds (everysec), and the server always restarts;
- a torn last command is cut off at start-up (aof-load-truncated yes) or
  stops the start naming `cairn aof check --fix` (no).
"""

import os
import random
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis as redispy

from serverproc import REPO_ROOT, ServerProcess, cairn_server_path, free_port
from test_aof_tool import cairn_tool

FIXTURES = os.path.join(REPO_ROOT, "fixtures", "aof")


def client(server):
    return redispy.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=60)


def digest(server):
    return client(server).execute_command("DEBUG", "DIGEST")


def start(kind, workdir, *args):
    return ServerProcess(kind, extra_args=["--appendonly", "yes"] + list(args), workdir=workdir).start()


@pytest.mark.parametrize("fixture", ["redis7-preamble", "redis7-plain", "redis7-annotated"])
def test_cairn_loads_redis7_multipart_aof(tmpdirs, fixture):
    rdir, cdir = tmpdirs(), tmpdirs()
    for d in (rdir, cdir):
        shutil.copytree(os.path.join(FIXTURES, fixture), os.path.join(d, "appendonlydir"))
    redis = start("redis", rdir)
    cairn = start("cairn", cdir)
    try:
        want = digest(redis)
        assert client(cairn).dbsize() == client(redis).dbsize() > 0
        assert digest(cairn) == want
        client(cairn).set("appended", "after the move")
    finally:
        redis.stop()
        cairn.stop()
    # From now on Cairn's own single file holds the dataset (and what came after);
    # Redis's directory is renamed aside, so a Redis 7.0 started here loads the newer file.
    assert not os.path.exists(os.path.join(cdir, "appendonlydir"))
    assert [n for n in os.listdir(cdir) if n.startswith("appendonlydir.imported-by-cairn-")]
    again = start("cairn", cdir)
    try:
        assert client(again).get("appended") == b"after the move"
        want = digest(again)
    finally:
        again.stop()
    back = start("redis", cdir)
    try:
        assert client(back).get("appended") == b"after the move"
        assert digest(back) == want
    finally:
        back.stop()


def fill(c, n=3000):
    c.set("s", "v")
    c.incrbyfloat("f", 1.5)
    c.set("ttl", "x", ex=5000)
    c.rpush("l", *range(200))
    c.hset("h", mapping={"f%d" % i: i for i in range(100)})
    c.sadd("ints", *range(50))
    c.zadd("z", {"m%d" % i: i / 3 for i in range(200)})
    c.pfadd("hll", "a", "b")
    p = c.pipeline(transaction=True)
    p.incr("counter")
    p.lpush("tx", "q")
    p.execute()
    c.mset({"k%d" % i: i for i in range(n)})
    c.spop("ints")


@pytest.mark.parametrize("preamble", ["no", "yes"])
def test_redis_loads_what_cairn_wrote(tmpdirs, preamble):
    cdir, rdir = tmpdirs(), tmpdirs()
    cairn = start("cairn", cdir, "--aof-use-rdb-preamble", preamble)
    try:
        c = client(cairn)
        fill(c)
        c.bgrewriteaof()
        for i in range(2000):  # writes while the rewrite runs
            c.set("k%d" % (i * 7 % 3000), "during-%d" % i)
        deadline = time.monotonic() + 30
        while c.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        c.set("after", "rewrite")
        want = digest(cairn)
    finally:
        cairn.stop()
    path = os.path.join(cdir, "appendonly.aof")
    with open(path, "rb") as f:
        assert (f.read(5) == b"REDIS") == (preamble == "yes")
    check = subprocess.run(["redis-check-aof", path], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    # Redis 7.0 takes an old-style single appendonly.aof and migrates it into its directory.
    shutil.copy(path, os.path.join(rdir, "appendonly.aof"))
    redis = start("redis", rdir)
    try:
        assert digest(redis) == want
    finally:
        redis.stop()


def test_replay_of_a_redis7_log_into_cairn(tmpdirs, cairn):
    rdir = tmpdirs()
    shutil.copytree(os.path.join(FIXTURES, "redis7-plain"), os.path.join(rdir, "appendonlydir"))
    redis = start("redis", rdir)
    try:
        want = digest(redis)
    finally:
        redis.stop()
    client(cairn).flushall()
    p = subprocess.run([cairn_tool(), "aof", "replay", os.path.join(FIXTURES, "redis7-plain"),
                        "--host", "127.0.0.1", "--port", str(cairn.port)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert digest(cairn) == want
    client(cairn).flushall()


class AckedWriter(threading.Thread):
    """SETs key:i = i in order, recording when each reply (the acknowledgement) came."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.acked = []  # (i, monotonic time of the reply)
        self.start_at = 0

    def run(self):
        try:
            c = redispy.Redis(host="127.0.0.1", port=self.port, protocol=2, socket_timeout=5, retry=None)
            i = self.start_at
            while True:
                c.set("key:%d" % i, i)
                self.acked.append((i, time.monotonic()))
                i += 1
        except Exception:
            return  # the server was killed


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_acknowledged_writes_survive_sigkill(tmpdirs, policy):
    d = tmpdirs()
    rng = random.Random(42)
    next_key = 0
    for _round in range(4):
        server = start("cairn", d, "--appendfsync", policy)
        try:
            c = client(server)
            # Everything acknowledged in earlier rounds is here.
            if next_key:
                present = {int(k.split(b":")[1]) for k in c.keys("key:*")}
                assert len(present) >= next_key
            w = AckedWriter(server.port)
            w.start_at = next_key
            w.start()
            time.sleep(rng.uniform(0.3, 1.5))
            killed_at = time.monotonic()
            os.kill(server.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
            w.join(timeout=10)
        finally:
            server.stop()
        assert w.acked, "no write was acknowledged"
        server = start("cairn", d, "--appendfsync", policy)
        try:
            c = client(server)
            present = {int(k.split(b":")[1]) for k in c.keys("key:*")}
            missing = [(i, t) for i, t in w.acked if i not in present]
            if policy == "always":
                assert not missing, "acknowledged writes lost: %r" % missing[:5]
            else:
                assert all(killed_at - t <= 2.0 for _, t in missing), "lost writes older than 2 s: %r" % missing[:5]
            next_key = w.acked[-1][0] + 1 if not missing else min(i for i, _ in missing)
        finally:
            server.stop()


@pytest.mark.parametrize("allow", ["yes", "no"])
def test_torn_last_command_at_startup(tmpdirs, allow):
    d = tmpdirs()
    server = start("cairn", d, "--appendfsync", "always")
    try:
        c = client(server)
        c.set("a", "1")
        c.set("b", "2" * 100)
    finally:
        server.stop()
    path = os.path.join(d, "appendonly.aof")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 40)  # inside the last SET
    argv = [cairn_server_path(), "--port", str(free_port()), "--bind", "127.0.0.1", "--dir", d,
            "--appendonly", "yes", "--aof-load-truncated", allow, "--save", ""]
    if allow == "no":
        p = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=60)
        assert p.returncode == 1
        assert "cairn aof check --fix" in p.stdout
        return
    server = ServerProcess("cairn", extra_args=["--appendonly", "yes", "--aof-load-truncated", "yes"], workdir=d).start()
    try:
        c = client(server)
        assert c.get("a") == b"1" and c.get("b") is None
        assert "AOF loaded anyway because aof-load-truncated is enabled" in server.log_tail(5000)
        c.set("c", "3")
    finally:
        server.stop()
    check = subprocess.run(["redis-check-aof", path], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout


def test_to_rdb_compacts_a_redis7_log(tmpdirs):
    rdir, odir = tmpdirs(), tmpdirs()
    shutil.copytree(os.path.join(FIXTURES, "redis7-preamble"), os.path.join(rdir, "appendonlydir"))
    redis = start("redis", rdir)
    try:
        want = digest(redis)
    finally:
        redis.stop()
    out = os.path.join(odir, "dump.rdb")
    p = subprocess.run([cairn_tool(), "aof", "to-rdb", os.path.join(FIXTURES, "redis7-preamble"), out],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "keys written" in p.stdout
    check = subprocess.run(["redis-check-rdb", out], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout
    redis = ServerProcess("redis", workdir=odir).start()
    try:
        assert digest(redis) == want
    finally:
        redis.stop()


def test_debug_loadaof_of_a_damaged_log_exits_and_keeps_the_file(tmpdirs):
    # As Redis: the dataset was emptied for the reload, so the server stops
    # rather than serve (or rewrite the AOF from) an empty one.
    d = tmpdirs()
    server = start("cairn", d, "--appendfsync", "always")
    try:
        c = client(server)
        c.set("a", "1")
        path = os.path.join(d, "appendonly.aof")
        with open(path, "ab") as f:
            f.write(b"*1\r\n$4\r\nPING\r\n!garbage\r\n")
        before = open(path, "rb").read()
        with pytest.raises(redispy.exceptions.ConnectionError):
            c.execute_command("DEBUG", "LOADAOF")
        assert server.proc.wait(timeout=30) == 1
        assert "Fatal error loading the AOF for DEBUG LOADAOF" in server.log_tail(5000)
        assert open(path, "rb").read() == before
    finally:
        server.stop()


def test_stale_temporary_files_are_removed_at_startup(tmpdirs):
    d = tmpdirs()
    # A pid that cannot be running (above pid_max), and one that is (this test's own).
    dead, live = 4194304 + 17, os.getpid()
    names = ["temp-rewriteaof-bg-%d-1.aof" % dead, "temp-%d-3.rdb" % dead,
             "temp-rewriteaof-bg-%d-1.aof" % live, "temp-%d.rdb" % dead]
    for n in names:
        with open(os.path.join(d, n), "wb") as f:
            f.write(b"partial")
    server = start("cairn", d)
    try:
        client(server).ping()
        left = sorted(n for n in os.listdir(d) if n.startswith("temp-"))
        # Cairn's own names from a dead process go; a live process's, and Redis's one-number form, stay.
        assert left == sorted(names[2:]), left
    finally:
        server.stop()
