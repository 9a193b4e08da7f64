"""Lazy free on a live cairn-server (Server/LazyFree.swift, Engine/LazyFree.swift).

Job: UNLINK of a 1,000,000-member set and FLUSHALL ASYNC answer within 10 ms
(the command's round trip) and used_memory falls soon after, freed on the
cairn-lazyfree thread; after one SADD of 100,000 members and its UNLINK,
used_memory comes back within 2x of where it was (the query buffer and argument
arrays of the big command are given back too); lazyfree_pending_objects counts
what is queued and returns to 0; each lazyfree-lazy-* directive makes its
deletions lazy (server-del: SET and RENAME over a big set; expire: a lookup
that finds a big set expired; eviction: a big set evicted under maxmemory).
Timings of the same commands on Redis 7.0 are printed beside Cairn's, for
information only.

Tricky bits:
- The big set is built with pipelined SADDs of 1,000 members each, and only
  the UNLINK's own round trip is timed.
- used_memory is jemalloc's stats.allocated: it falls when the free thread has
  run, so every memory check polls INFO with a bounded wait.
- INFO pipelined right behind a big UNLINK runs on the keyspace thread before
  the free thread can be done with a million members, so it sees the pending
  object.
"""

import os
import shutil
import time

import pytest

from serverproc import ServerProcess

BIG = 1_000_000
FAST = 0.010
WAIT = 30.0


@pytest.fixture(scope="module")
def servers():
    cairn = ServerProcess("cairn")
    redis7 = ServerProcess("redis")
    try:
        cairn.start()
        redis7.start()
        yield cairn, redis7
    finally:
        cairn.stop()
        redis7.stop()


@pytest.fixture
def cairn(servers, make_client):
    c = make_client(servers[0])
    c.flushall()
    for name in ("lazyfree-lazy-server-del", "lazyfree-lazy-expire", "lazyfree-lazy-eviction"):
        c.config_set(name, "no")
    c.config_set("maxmemory", "0")
    yield c
    c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    c.config_set("maxmemory", "0")
    c.flushall()


@pytest.fixture
def redis7(servers, make_client):
    c = make_client(servers[1])
    c.flushall()
    yield c
    c.flushall()


def build_set(client, key, count, per_command=1000, per_pipeline=20):
    """SADDs `count` members to `key` in pipelined commands of `per_command` members."""
    pipe = client.pipeline(transaction=False)
    queued = 0
    for start in range(0, count, per_command):
        pipe.execute_command("SADD", key, *(b"member:%d" % n for n in range(start, min(start + per_command, count))))
        queued += 1
        if queued == per_pipeline:
            pipe.execute()
            queued = 0
    if queued:
        pipe.execute()
    assert client.scard(key) == count


def used_memory(client):
    return client.info("memory")["used_memory"]


def timed(client, *command):
    started = time.perf_counter()
    reply = client.execute_command(*command)
    return time.perf_counter() - started, reply


def wait_for(predicate, timeout=WAIT, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def assert_memory_falls(client, before, floor, what):
    """used_memory drops at least halfway from `before` back to `floor` within the bounded wait."""
    target = floor + (before - floor) // 2
    assert wait_for(lambda: used_memory(client) <= target), \
        "%s: used_memory %d did not fall to %d (before %d, floor %d)" % (what, used_memory(client), target, before, floor)


def frees_in_background(client, key, command, what, floor, prepare=None):
    """Builds a BIG-member set at `key` (then runs `prepare`), times `command`: it must answer
    within FAST while used_memory falls afterwards. Returns (seconds, reply, used before)."""
    build_set(client, key, BIG)
    if prepare:
        prepare()
    before = used_memory(client)
    elapsed, reply = timed(client, *command)
    assert elapsed < FAST, "%s took %.1f ms" % (what, elapsed * 1000)
    assert_memory_falls(client, before, floor, what)
    return elapsed, reply, before


def test_unlink_of_a_million_member_set_returns_at_once(cairn, redis7):
    floor = used_memory(cairn)
    elapsed, removed, before = frees_in_background(cairn, b"big", ("UNLINK", b"big"), "UNLINK", floor)
    assert removed == 1
    assert wait_for(lambda: cairn.info("memory")["lazyfree_pending_objects"] == 0)
    build_set(redis7, b"big", BIG)
    redis_elapsed, _ = timed(redis7, "UNLINK", b"big")
    print("\nUNLINK 1M-member set: cairn %.2f ms, redis 7.0 %.2f ms; cairn used_memory %d -> %d (floor %d)"
          % (elapsed * 1000, redis_elapsed * 1000, before, used_memory(cairn), floor))


def test_flushall_async_returns_at_once(cairn, redis7):
    floor = used_memory(cairn)
    build_set(cairn, b"big", BIG)
    pipe = cairn.pipeline(transaction=False)
    for n in range(100_000):
        pipe.set(b"key:%d" % n, b"v" * 20)
    pipe.execute()
    before = used_memory(cairn)
    elapsed, reply = timed(cairn, "FLUSHALL", "ASYNC")
    assert reply in (True, b"OK")
    assert elapsed < FAST, "FLUSHALL ASYNC took %.1f ms" % (elapsed * 1000)
    assert cairn.dbsize() == 0
    assert_memory_falls(cairn, before, floor, "FLUSHALL ASYNC")
    build_set(redis7, b"big", BIG)
    redis_elapsed, _ = timed(redis7, "FLUSHALL", "ASYNC")
    print("\nFLUSHALL ASYNC (1M-member set + 100k keys): cairn %.2f ms, redis 7.0 %.2f ms; cairn used_memory %d -> %d"
          % (elapsed * 1000, redis_elapsed * 1000, before, used_memory(cairn)))


def test_flushdb_async_empties_only_its_database(cairn):
    def elsewhere():
        cairn.execute_command("SELECT", 1)
        cairn.set(b"other", b"kept")
        cairn.execute_command("SELECT", 0)
    frees_in_background(cairn, b"big", ("FLUSHDB", "ASYNC"), "FLUSHDB ASYNC", used_memory(cairn), elsewhere)
    assert cairn.dbsize() == 0
    cairn.execute_command("SELECT", 1)
    assert cairn.get(b"other") == b"kept"


def test_memory_returns_after_one_huge_sadd_and_its_unlink(cairn):
    cairn.set(b"warm", b"up")
    time.sleep(0.2)
    before = used_memory(cairn)
    members = [b"member:%d" % n for n in range(100_000)]
    assert cairn.execute_command("SADD", b"s", *members) == 100_000
    peak = used_memory(cairn)
    assert cairn.execute_command("UNLINK", b"s") == 1
    ok = wait_for(lambda: used_memory(cairn) <= 2 * before)
    print("\nSADD 100k + UNLINK: used_memory before %d, with the set %d, after %d" % (before, peak, used_memory(cairn)))
    assert ok, "used_memory %d not back within 2x of %d" % (used_memory(cairn), before)


def test_pending_objects_count_what_is_queued(cairn):
    build_set(cairn, b"big", BIG)
    pipe = cairn.pipeline(transaction=False)
    pipe.execute_command("UNLINK", b"big")
    pipe.info("memory")
    _, memory = pipe.execute()
    assert memory["lazyfree_pending_objects"] >= 1, "INFO right behind the UNLINK sees the set queued"
    assert wait_for(lambda: cairn.info("memory")["lazyfree_pending_objects"] == 0)
    # A small value is freed inline: nothing is ever queued for it.
    cairn.sadd(b"small", *range(10))
    pipe.execute_command("UNLINK", b"small")
    pipe.info("memory")
    assert pipe.execute()[1]["lazyfree_pending_objects"] == 0


def test_lazy_server_del_frees_an_overwritten_set_in_the_background(cairn):
    floor = used_memory(cairn)
    cairn.config_set("lazyfree-lazy-server-del", "yes")
    frees_in_background(cairn, b"big", ("SET", b"big", b"small now"), "SET over a big set", floor)
    assert cairn.get(b"big") == b"small now"
    frees_in_background(cairn, b"big2", ("RENAME", b"big", b"big2"), "RENAME over a big set", floor)
    assert cairn.get(b"big2") == b"small now"


def test_lazy_expire_frees_an_expired_set_in_the_background(cairn):
    floor = used_memory(cairn)
    cairn.config_set("lazyfree-lazy-expire", "yes")
    cairn.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")

    def expire_soon():
        cairn.pexpire(b"big", 1)
        time.sleep(0.05)
    _, exists, _ = frees_in_background(cairn, b"big", ("EXISTS", b"big"), "a lookup expiring a big set", floor,
                                       expire_soon)
    assert exists == 0
    # The active cycle too.
    cairn.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    build_set(cairn, b"big", BIG)
    before = used_memory(cairn)
    cairn.pexpire(b"big", 1)
    assert wait_for(lambda: cairn.execute_command("DBSIZE") == 0)
    assert_memory_falls(cairn, before, floor, "active expiry")


def test_lazy_eviction_frees_an_evicted_set_in_the_background(cairn):
    floor = used_memory(cairn)
    cairn.config_set("lazyfree-lazy-eviction", "yes")
    cairn.config_set("maxmemory-policy", "allkeys-random")
    build_set(cairn, b"big", BIG)
    before = used_memory(cairn)
    cairn.config_set("maxmemory", str(floor + (before - floor) // 4))
    elapsed, _ = timed(cairn, "SET", b"k", b"v")
    assert cairn.exists(b"big") == 0
    assert cairn.info("stats")["evicted_keys"] >= 1
    assert_memory_falls(cairn, before, floor, "lazy eviction")
    print("\nSET evicting a 1M-member set lazily: %.2f ms" % (elapsed * 1000))
    cairn.config_set("maxmemory-policy", "noeviction")


def test_query_buffer_grown_for_a_big_command_is_given_back(servers, cairn):
    """A SET of a 4 MB value followed by the start of the next command: the bytes left over
    are kept, the room the big value needed is not (CLIENT LIST's qbuf-free). The parser takes
    a multibulk's arguments as each arrives, so only one big bulk grows the buffer."""
    import socket
    value = b"x" * (4 * 1024 * 1024)
    partial = b"*1\r\n$4\r\nPI"
    with socket.create_connection(("127.0.0.1", servers[0].port), timeout=10) as s:
        s.sendall(b"CLIENT SETNAME bigsender\r\n")
        assert s.recv(64) == b"+OK\r\n"
        s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n%s" % (len(value), value, partial))
        assert s.recv(64) == b"+OK\r\n"
        line = next(l for l in cairn.client_list() if l.get("name") == "bigsender")
        print("\nafter a 4 MB bulk: qbuf=%s qbuf-free=%s" % (line["qbuf"], line["qbuf-free"]))
        assert 0 < int(line["qbuf"]) <= len(partial)  # the parser may hold the header lines already
        assert int(line["qbuf-free"]) < 64 * 1024, line
        s.sendall(b"NG\r\n")
        assert s.recv(64) == b"+PONG\r\n"
    assert cairn.strlen(b"big") == len(value)


def test_bgsave_keeps_a_set_unlinked_while_it_runs(servers, cairn, make_client, tmpdirs):
    """The snapshot captured the set before the UNLINK let it go: the file still has it."""
    build_set(cairn, b"big", BIG)
    for n in range(200_000):  # enough keys that the walk is still going when UNLINK arrives
        if n % 10_000 == 0:
            pipe = cairn.pipeline(transaction=False)
        pipe.set(b"key:%d" % n, b"v")
        if n % 10_000 == 9_999:
            pipe.execute()
    pipe = cairn.pipeline(transaction=False)
    pipe.bgsave()
    pipe.execute_command("UNLINK", b"big")
    pipe.info("persistence")
    _, removed, persistence = pipe.execute()
    assert removed == 1
    assert persistence["rdb_bgsave_in_progress"] == 1, "the UNLINK must land while the snapshot runs"
    assert wait_for(lambda: cairn.info("persistence")["rdb_bgsave_in_progress"] == 0)
    assert cairn.info("persistence")["rdb_last_bgsave_status"] == "ok"
    rdb = os.path.join(cairn.config_get("dir")["dir"], cairn.config_get("dbfilename")["dbfilename"])
    workdir = tmpdirs()
    shutil.copy(rdb, os.path.join(workdir, "dump.rdb"))
    loaded = ServerProcess("cairn", workdir=workdir)
    try:
        loaded.start()
        c = make_client(loaded)
        assert c.scard(b"big") == BIG
        assert c.dbsize() == 200_001
    finally:
        loaded.stop()


def test_the_free_thread_is_named(servers, cairn):
    build_set(cairn, b"big", 1000)
    cairn.execute_command("UNLINK", b"big")
    pid = servers[0].pid
    names = set()
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, task)) as f:
            names.add(f.read().strip())
    assert "cairn-lazyfree" in names, names
