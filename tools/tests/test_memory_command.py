"""MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP on a live cairn-server
(Server/Commands/MemoryCommand.swift, Engine/MemoryUsage.swift), beside Redis 4.0.14.

Job: MEMORY USAGE summed over every key of a mixed dataset (strings of several
sizes, integers, long keys, keys with a TTL, and lists, hashes, sets and sorted
sets in compact and general encodings) agrees with what the allocator says the
dataset took (used_memory - used_memory_startup) within 20%; each type's usage
grows with its value; the reply shapes and errors of every subcommand are Redis
4.0's (same commands against both servers).

Tricky bits:
- used_memory also counts the key tables' spare capacity and the clients'
  buffers, which no key owns, so the sum is expected below the net figure.
- SAMPLES 0 measures every element; the default (5) extrapolates, so the
  agreement test asks for all.
"""

import pytest

from serverproc import ServerProcess


def fill_mixed(client):
    p = client.pipeline(transaction=False)
    for i in range(3000):
        p.set(b"s:small:%d" % i, b"x" * 10)
        p.set(b"s:mid:%d" % i, b"y" * 60)
        p.set(b"s:int:%d" % i, i * 7)
        p.set(b"s:a-key-longer-than-fourteen-bytes:%d" % i, b"z" * 300)
        if i % 10 == 0:
            p.expire(b"s:mid:%d" % i, 1000)
    for i in range(200):
        p.set(b"s:big:%d" % i, b"w" * 5000)
        p.rpush(b"l:small:%d" % i, *[b"e%d" % j for j in range(10)])
        p.hset(b"h:small:%d" % i, mapping={b"f%d" % j: b"v%d" % j for j in range(10)})
        p.sadd(b"set:int:%d" % i, *range(20))
        p.sadd(b"set:str:%d" % i, *[b"m%d" % j for j in range(10)])
        p.zadd(b"z:small:%d" % i, {b"m%d" % j: j for j in range(10)})
    for i in range(20):
        p.rpush(b"l:big:%d" % i, *[b"element-%d" % j for j in range(2000)])
        p.hset(b"h:big:%d" % i, mapping={b"field-%d" % j: b"value-%d" % j for j in range(1000)})
        p.sadd(b"set:big:%d" % i, *[b"member-%d" % j for j in range(1000)])
        p.zadd(b"z:big:%d" % i, {b"member-%d" % j: j * 1.5 for j in range(1000)})
    p.execute()


def test_usage_summed_over_keys_agrees_with_the_allocator(make_client):
    server = ServerProcess("cairn", extra_args=["--save", ""])
    server.start()
    try:
        c = make_client(server)
        fill_mixed(c)
        encodings = {c.object("encoding", k) for k in (b"l:big:1", b"h:small:1", b"h:big:1", b"set:int:1",
                                                        b"set:big:1", b"z:small:1", b"z:big:1")}
        assert encodings == {b"quicklist", b"ziplist", b"hashtable", b"intset", b"skiplist"}
        p = c.pipeline(transaction=False)
        keys = list(c.scan_iter(count=1000))
        for k in keys:
            p.execute_command("MEMORY", "USAGE", k, "SAMPLES", "0")
        total = sum(p.execute())
        mem = c.info("memory")
        net = mem["used_memory"] - mem["used_memory_startup"]
        print("MEMORY USAGE sum %d, used_memory - used_memory_startup %d (%.3f)" % (total, net, total / net))
        assert abs(total - net) <= 0.2 * net
    finally:
        server.stop()


@pytest.mark.parametrize("small, large", [
    (["SET", "k", "x" * 10], ["SET", "k", "x" * 2000]),
    (["RPUSH", "k"] + ["e"] * 5, ["RPUSH", "k"] + ["e%d" % i for i in range(3000)]),
    (["HSET", "k", "f", "v"], ["HMSET", "k"] + ["f%d v" % i for i in range(500)] + ["x", "y"]),
    (["SADD", "k", "1", "2"], ["SADD", "k"] + ["m%d" % i for i in range(500)]),
    (["ZADD", "k", "1", "a"], ["ZADD", "k"] + [w for i in range(500) for w in (str(i), "m%d" % i)]),
])
def test_usage_grows_with_the_value(cairn_and_redis4, make_client, small, large):
    for server in cairn_and_redis4:
        c = make_client(server)
        c.delete("k")
        c.execute_command(*small)
        before = c.execute_command("MEMORY", "USAGE", "k")
        c.delete("k")
        c.execute_command(*large)
        after = c.execute_command("MEMORY", "USAGE", "k", "SAMPLES", "0")
        assert isinstance(before, int) and isinstance(after, int)
        assert after > before, (server.kind, small[0], before, after)
        c.delete("k")


def replies(client, *command):
    try:
        return ("ok", client.execute_command(*command))
    except Exception as e:  # the error text is what is compared
        return ("error", str(e))


@pytest.mark.parametrize("command", [
    ["MEMORY", "USAGE", "missing"],
    ["MEMORY", "USAGE"],
    ["MEMORY", "USAGE", "k", "SAMPLES"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
    ["MEMORY", "USAGE", "k", "FOO", "1"],
    ["MEMORY", "NOPE"],
    ["MEMORY", "STATS", "extra"],
    ["MEMORY"],
    ["MEMORY", "PURGE"],
])
def test_errors_and_fixed_replies_match_redis4(cairn_and_redis4, make_client, command):
    got = []
    for server in cairn_and_redis4:
        c = make_client(server)
        c.set("k", "v")
        got.append(replies(c, *command))
    assert got[0] == got[1]


def test_reply_shapes_match_redis4(cairn_and_redis4, make_client):
    shapes = []
    for server in cairn_and_redis4:
        c = make_client(server)
        c.set("k", "v")
        c.set("t", "v", ex=100)
        stats = c.execute_command("MEMORY", "STATS")
        names = stats[0::2]
        shape = [(n, type(v).__name__) for n, v in zip(names, stats[1::2])]
        db0 = stats[names.index(b"db.0") * 2 + 1]
        shapes.append((shape, db0[0::2], [type(x) for x in db0[1::2]]))
        for name in (b"dataset.percentage", b"peak.percentage", b"fragmentation"):
            float(stats[names.index(name) * 2 + 1])
        assert isinstance(c.execute_command("MEMORY", "USAGE", "k"), int)
        assert isinstance(c.execute_command("MEMORY", "DOCTOR"), bytes)
        help_lines = c.execute_command("MEMORY", "HELP")
        assert len(help_lines) == 5 and all(l.startswith(b"MEMORY ") for l in help_lines)
        c.delete("k", "t")
    assert shapes[0] == shapes[1]


def test_doctor_is_cairns_own_and_malloc_stats_is_jemallocs(cairn, make_client):
    c = make_client(cairn)
    doctor = c.execute_command("MEMORY", "DOCTOR")
    assert b"Sam" not in doctor and doctor.endswith(b"\n")
    report = c.execute_command("MEMORY", "MALLOC-STATS")
    assert b"jemalloc statistics" in report.lower() or b"___ begin jemalloc statistics ___" in report
    assert c.execute_command("MEMORY", "PURGE") in (b"OK", True)
