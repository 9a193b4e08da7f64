"""maxmemory and eviction on a live cairn-server (Server/MemoryLimit.swift, Engine/Eviction.swift).

Job: for every policy, fill a server past `maxmemory 20mb` with pipelined SETs
and check that used_memory (jemalloc's stats.allocated) stays within the limit
plus one pipeline's worth, that evicted_keys grows, that volatile policies
evict only keys with a TTL, and that noeviction answers -OOM; that
allkeys-lru keeps a recently read set better than allkeys-random and
allkeys-lfu keeps a frequently read one; that evictions reach a replica and the
AOF as DELs while a replica with a lower limit evicts nothing of its own; and
that the OOM and OBJECT FREQ/IDLETIME errors are Redis 4.0.14's, byte for byte
(both servers side by side on free ports).

Tricky bits:
- The LRU clock counts seconds (Redis's LRU_CLOCK_RESOLUTION), so the LRU
  test writes its cold keys over several seconds: keys touched in the same
  second are equally idle.
- used_memory is read after the last write; INFO itself runs after the
  eviction the dispatcher does before each command.
"""

import os
import time

import pytest

from serverproc import ServerProcess

LIMIT = 20 * 1024 * 1024
# A 200-SET pipeline of 1 KB values, its replies, and the allocator's per-thread caches.
SLACK = 2 * 1024 * 1024
VALUE = b"v" * 1000
WAIT = 20.0


def info(client, section):
    return client.info(section)


def fill(client, prefix, count, ttl=None, batch=200):
    """SETs count keys `prefix:n` in pipelines; returns how many were refused with -OOM."""
    refused = 0
    for start in range(0, count, batch):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(start + batch, count)):
            if ttl:
                pipe.set(b"%s:%d" % (prefix, n), VALUE, ex=ttl)
            else:
                pipe.set(b"%s:%d" % (prefix, n), VALUE)
        for reply in pipe.execute(raise_on_error=False):
            if isinstance(reply, Exception):
                assert "command not allowed when used memory" in str(reply), reply  # redis-py drops "OOM "
                refused += 1
    return refused


def count_existing(client, prefix, count):
    pipe = client.pipeline(transaction=False)
    for n in range(count):
        pipe.exists(b"%s:%d" % (prefix, n))
    return sum(pipe.execute())


def read_all(client, prefix, count):
    pipe = client.pipeline(transaction=False)
    for n in range(count):
        pipe.get(b"%s:%d" % (prefix, n))
    pipe.execute()


@pytest.fixture
def start_cairn():
    """start_cairn(*args) -> a cairn-server on a free port with extra arguments; stopped after the test."""
    started = []

    def start(*args):
        server = ServerProcess("cairn", extra_args=list(args))
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()


def limited(start_cairn, policy, *extra):
    return start_cairn("--maxmemory", "20mb", "--maxmemory-policy", policy, *extra)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_stay_within_the_limit(start_cairn, make_client, policy):
    c = make_client(limited(start_cairn, policy))
    assert fill(c, b"k", 45000) == 0
    used = info(c, "memory")["used_memory"]
    assert used <= LIMIT + SLACK, used
    # In one transaction: a command outside it may evict first.
    pipe = c.pipeline(transaction=True)
    pipe.dbsize()
    pipe.info("stats")
    keys, stats = pipe.execute()
    assert stats["evicted_keys"] > 10000
    assert keys + stats["evicted_keys"] == 45000
    assert info(c, "memory")["maxmemory_policy"] == policy


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_evict_only_keys_with_a_ttl(start_cairn, make_client, policy):
    c = make_client(limited(start_cairn, policy))
    assert fill(c, b"keep", 5000) == 0
    assert fill(c, b"ttl", 40000, ttl=3600) == 0
    assert info(c, "memory")["used_memory"] <= LIMIT + SLACK
    assert info(c, "stats")["evicted_keys"] > 10000
    assert count_existing(c, b"keep", 5000) == 5000, "a key without a TTL was evicted"
    # With only TTL-less keys left to give, writes are refused.
    c.execute_command("PERSIST", "ttl:39999")
    refused = fill(c, b"more", 30000)
    assert refused > 0
    assert count_existing(c, b"keep", 5000) == 5000


def test_noeviction_refuses_writes_but_serves_reads(start_cairn, make_client):
    c = make_client(limited(start_cairn, "noeviction"))
    refused = fill(c, b"k", 40000)
    assert refused > 0
    assert info(c, "stats")["evicted_keys"] == 0
    assert info(c, "memory")["used_memory"] <= LIMIT + SLACK
    assert c.get(b"k:0") == VALUE
    with pytest.raises(Exception, match="command not allowed when used memory"):
        c.set(b"one-more", b"x")
    assert c.delete(b"k:0") == 1, "DEL is not denyoom"


def hot_survivors(c, phases, pause):
    """Writes a 3000-key hot set, then cold keys in `phases` batches, reading the hot set after
    each batch; returns the share of hot keys left."""
    assert fill(c, b"hot", 3000) == 0
    for phase in range(phases):
        for _ in range(5):  # several reads: the LFU counter grows past a new key's
            read_all(c, b"hot", 3000)
        fill(c, b"cold%d" % phase, 6000)
        time.sleep(pause)
    return count_existing(c, b"hot", 3000) / 3000.0


def test_lru_keeps_a_recently_read_set_better_than_random(start_cairn, make_client):
    lru = hot_survivors(make_client(limited(start_cairn, "allkeys-lru")), phases=6, pause=1.1)
    rnd = hot_survivors(make_client(limited(start_cairn, "allkeys-random")), phases=6, pause=0)
    assert lru >= 0.9, (lru, rnd)
    assert lru > rnd + 0.2, (lru, rnd)


def test_lfu_keeps_a_frequently_read_set(start_cairn, make_client):
    lfu = hot_survivors(make_client(limited(start_cairn, "allkeys-lfu")), phases=6, pause=0)
    assert lfu >= 0.9, lfu


def wait_for(what, probe, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_evictions_reach_the_replica_and_the_aof(start_cairn, make_client):
    master = limited(start_cairn, "allkeys-random", "--appendonly", "yes")
    # A lower limit on the replica: it must still evict nothing of its own.
    replica = start_cairn("--maxmemory", "5mb", "--maxmemory-policy", "allkeys-random",
                          "--slaveof", "127.0.0.1", str(master.port))
    m, r = make_client(master), make_client(replica)
    wait_for("the replica's link", lambda: info(r, "replication")["master_link_status"] == "up")
    assert fill(m, b"k", 40000) == 0
    m.config_set("maxmemory", "0")  # no eviction from here on: the figures below stay put
    pipe = m.pipeline(transaction=True)
    pipe.dbsize()
    pipe.info("stats")
    pipe.execute_command("DEBUG", "DIGEST")
    keys, stats, digest = pipe.execute()
    evicted = stats["evicted_keys"]
    assert evicted > 10000 and keys == 40000 - evicted
    wait_for("the replica to catch up",
             lambda: info(r, "replication")["slave_repl_offset"] == info(m, "replication")["master_repl_offset"])
    assert r.dbsize() == keys
    assert info(r, "stats")["evicted_keys"] == 0
    assert r.execute_command("DEBUG", "DIGEST") == digest
    with open(os.path.join(master.workdir, "appendonly.aof"), "rb") as f:
        aof = f.read()
    assert aof.count(b"*2\r\n$3\r\nDEL\r\n") == evicted


@pytest.fixture
def redis4(redis4_server_path):
    server = ServerProcess("redis4", binary=redis4_server_path)
    try:
        yield server.start()
    finally:
        server.stop()


def reply(client, *args):
    try:
        return client.execute_command(*args)
    except Exception as e:  # the error text is what is compared
        return "ERR: %s" % e


def test_oom_and_object_errors_match_redis_4(redis4, start_cairn, make_client):
    cairn = start_cairn()
    clients = [make_client(redis4), make_client(cairn)]
    replies = []
    for c in clients:
        seen = []
        c.set("k", "v")
        c.config_set("maxmemory-policy", "allkeys-lru")
        seen.append(reply(c, "OBJECT", "FREQ", "k"))
        seen.append(reply(c, "OBJECT", "IDLETIME", "k"))
        c.config_set("maxmemory-policy", "allkeys-lfu")
        c.set("fresh", "v")
        seen.append(reply(c, "OBJECT", "IDLETIME", "fresh"))
        seen.append(reply(c, "OBJECT", "FREQ", "fresh"))
        c.config_set("maxmemory-policy", "noeviction")
        c.config_set("maxmemory", "1")
        seen.append(reply(c, "SET", "x", "y"))
        seen.append(reply(c, "GET", "k"))
        c.config_set("maxmemory", "0")
        replies.append(seen)
    assert replies[1] == replies[0]
    assert replies[0][0].startswith("ERR: An LFU maxmemory policy is not selected")


def test_type_ttl_and_object_do_not_touch_but_touch_and_writes_do(start_cairn, make_client):
    c = make_client(start_cairn())
    c.set("k", "v")
    time.sleep(2.1)
    c.type("k")
    c.ttl("k")
    c.object("encoding", "k")
    assert c.object("idletime", "k") >= 2
    c.touch("k")
    assert c.object("idletime", "k") == 0
    time.sleep(2.1)
    c.append("k", "w")
    assert c.object("idletime", "k") == 0, "a write lookup touches (lookupKeyWrite)"
