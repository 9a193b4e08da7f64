"""MIGRATE between real servers: Cairn to Redis 7.0 and 4.0, Redis 4.0 to Cairn, Cairn to Cairn.

Job: move keys of every type and encoding (with and without TTLs) and check the
target holds the same data (DEBUG DIGEST of the TTL-less part, values and PTTL
of the rest) and the source lost them; COPY, REPLACE, BUSYKEY, NOKEY, AUTH,
a target that never answers, the connection cache (one connection over many
calls, closed after 10 s idle), the DEL that reaches a replica and the AOF,
and the error replies, compared with Redis 4.0.14's own.

Contract: every server is started on a free loopback port by ServerProcess and
stopped by pid after its test; every wait is bounded.

Tricky bit: DEBUG DIGEST mixes in absolute expire times, which a MIGRATE moves
as a relative TTL (the target's deadline differs by the transfer time), and
database numbers; so keys with a TTL are compared by value and PTTL, and the
digest compares database 0 on both sides.
"""

import socket
import time

import pytest

from respclient import Error, RespClient, Status

WAIT = 20.0


def call(server, *args, password=None):
    with RespClient(server.port, timeout=WAIT) as c:
        if password:
            assert c.call("AUTH", password) == b"OK"
        return c.call(*args)


def info(server, section, password=None):
    text = call(server, "INFO", section, password=password)
    assert isinstance(text, bytes), text
    return dict(line.split(":", 1) for line in text.decode().split("\r\n") if line and not line.startswith("#"))


def eventually(probe, timeout=WAIT):
    """True once probe() is, polling every 50 ms; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ------------------------------------------------------------- a dataset of every type

def fill(server):
    """Writes keys of every type and encoding without TTLs; returns their names."""
    big = 300  # past every *-max-ziplist-entries / set-max-intset-entries default
    cmds = [
        ("SET", "s:int", "12345"), ("SET", "s:raw", "x" * 100), ("SET", "s:bin", b"\x00\xff\r\n"),
        ("SET", "s:big", bytes(range(256)) * 1000),  # several 64 KB writes
        ("RPUSH", "l:small", "a", "b", "3"), ("RPUSH", "l:big", *["item%d" % i for i in range(big)]),
        ("HSET", "h:small", "f", "v"), ("HMSET", "h:big", *[x for i in range(big) for x in ("f%d" % i, "v%d" % i)]),
        ("SADD", "set:ints", 1, 2, 3), ("SADD", "set:big", *["m%d" % i for i in range(big)]),
        ("ZADD", "z:small", 1, "a", "2.5", "b"), ("ZADD", "z:big", *[x for i in range(big) for x in (i, "m%d" % i)]),
    ]
    for c in cmds:
        assert not isinstance(call(server, *c), Error), c
    return [c[1] for c in cmds]


def add_timed(server, plain):
    """Copies some keys under new names with a 600 s TTL; returns those names."""
    timed = []
    for k in plain[::2]:
        t = "ttl:" + k
        assert call(server, "RESTORE", t, 600000, call(server, "DUMP", k)) == b"OK"
        timed.append(t)
    return timed


def value(server, key):
    with RespClient(server.port, timeout=WAIT) as c:
        kind = c.call("TYPE", key)
        read = {b"string": ("GET", key), b"list": ("LRANGE", key, 0, -1), b"hash": ("HGETALL", key),
                b"set": ("SMEMBERS", key), b"zset": ("ZRANGE", key, 0, -1, "WITHSCORES")}[bytes(kind)]
        v = c.call(*read)
        if kind in (b"hash",):
            v = sorted(zip(v[::2], v[1::2]))
        elif kind == b"set":
            v = sorted(v)
        return kind, v, c.call("OBJECT", "ENCODING", key)


def digest(server):
    d = call(server, "DEBUG", "DIGEST")
    assert isinstance(d, bytes) and len(d) == 40, d
    return d


PAIRS = [("cairn", "redis7"), ("cairn", "redis4"), ("redis4", "cairn"), ("cairn", "cairn")]


@pytest.mark.parametrize("src_kind,dst_kind", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_keys_of_every_type_move_intact(spawn, src_kind, dst_kind):
    src, dst = spawn(src_kind), spawn(dst_kind)
    plain = fill(src)
    want_digest = digest(src)
    timed = add_timed(src, plain)
    want = {k: value(src, k) for k in plain + timed}
    # One key alone, then the rest with KEYS (plus a missing one, skipped).
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, plain[0], 0, 5000) == b"OK"
    rest = plain[1:] + timed + ["missing"]
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *rest) == b"OK"
    assert call(src, "DBSIZE") == 0
    for k in plain + timed:
        kind, v, encoding = value(dst, k)
        assert (kind, v) == want[k][:2], k
        if dst_kind != "redis7":  # 7.0 names its compact encodings differently
            assert encoding == want[k][2], k
    for k in timed:
        assert 590000 < call(dst, "PTTL", k) <= 600000, k
        assert call(dst, "DEL", k) == 1
    # DEBUG DIGEST mixes in absolute deadlines, so it compares the keys without a TTL.
    assert digest(dst) == want_digest


def test_copy_replace_busykey_nokey(spawn):
    src, dst = spawn("cairn"), spawn("redis4")
    call(src, "SET", "k", "new")
    call(dst, "SET", "k", "old")
    busy = call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000)
    assert busy == Error(b"ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    assert call(src, "GET", "k") == b"new"
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000, "COPY", "REPLACE") == b"OK"
    assert call(src, "GET", "k") == b"new" and call(dst, "GET", "k") == b"new"
    call(src, "SET", "k", "newer")
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000, "REPLACE") == b"OK"
    assert call(src, "EXISTS", "k") == 0 and call(dst, "GET", "k") == b"newer"
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000) == Status(b"NOKEY")
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", "x", "y") == Status(b"NOKEY")
    # Some keys refused, others moved: the first error is the reply, the moved ones are gone.
    call(src, "MSET", "a", "1", "b", "2")
    call(dst, "SET", "b", "taken")
    reply = call(src, "MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", "a", "b")
    assert reply == Error(b"ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    assert call(src, "EXISTS", "a") == 0 and call(src, "GET", "b") == b"2" and call(dst, "GET", "a") == b"1"


ERROR_CASES = [
    ("h", "p", "k", "0", "1000", "KEYS", "a"),
    ("h", "p", "k", "0", "1000", "FOO"),
    ("h", "p", "k", "0", "1000", "AUTH"),
    ("h", "p", "k", "x", "1000"),
    ("h", "p", "k", "0", "x"),
    ("h", "p", "k", "0"),
    ("127.0.0.1", "1", "k", "0", "1000"),          # connection refused
    ("no-such-host.invalid", "1", "k", "0", "1000"),
    ("127.0.0.1", "1", "nokey", "0", "1000"),
]


def test_error_replies_match_redis4(spawn):
    cairn, redis4 = spawn("cairn"), spawn("redis4")
    for s in (cairn, redis4):
        call(s, "SET", "k", "v")
    for args in ERROR_CASES:
        assert call(cairn, "MIGRATE", *args) == call(redis4, "MIGRATE", *args), args
    getkeys = ("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "1000", "COPY", "KEYS", "a", "b")
    assert call(cairn, *getkeys) == call(redis4, *getkeys)
    assert call(cairn, "COMMAND", "INFO", "migrate") == call(redis4, "COMMAND", "INFO", "migrate")


def test_silent_target_times_out(spawn):
    """A listener that accepts and never answers: IOERR within the timeout, the key stays."""
    cairn, redis4 = spawn("cairn"), spawn("redis4")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        for s in (cairn, redis4):
            call(s, "SET", "k", "v")
            started = time.monotonic()
            reply = call(s, "MIGRATE", "127.0.0.1", port, "k", 0, 300)
            elapsed = time.monotonic() - started
            assert reply == Error(b"IOERR error or timeout reading to target instance"), s.name
            assert 0.25 < elapsed < 2.0, (s.name, elapsed)
            assert call(s, "GET", "k") == b"v"


@pytest.mark.parametrize("dst_kind", ["redis7", "cairn"])
def test_auth(spawn, dst_kind):
    src, dst = spawn("cairn"), spawn(dst_kind)
    # Set after start-up: the readiness check's PING goes without a password.
    assert call(dst, "CONFIG", "SET", "requirepass", "sesame") == b"OK"
    call(src, "SET", "k", "v")
    reply = call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000)
    assert reply == Error(b"ERR Target instance replied with error: NOAUTH Authentication required.")
    reply = call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000, "AUTH", "wrong")
    assert isinstance(reply, Error) and reply.startswith(b"ERR Target instance replied with error: ")
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "k", 0, 5000, "AUTH", "sesame") == b"OK"
    assert call(dst, "GET", "k", password="sesame") == b"v"


def test_connection_is_cached_then_closed_when_idle(spawn):
    src, dst = spawn("cairn"), spawn("redis7")
    before = int(info(dst, "stats")["total_connections_received"])
    for i in range(5):
        call(src, "SET", "k%d" % i, i)
        assert call(src, "MIGRATE", "127.0.0.1", dst.port, "k%d" % i, i % 2, 5000) == b"OK"
    # One connection for the five calls (plus the INFO client's own).
    assert int(info(dst, "stats")["total_connections_received"]) - before == 2
    assert int(info(dst, "clients")["connected_clients"]) == 2
    assert [call(dst, "EXISTS", "k0"), call(dst, "SELECT", 1)] == [1, b"OK"]
    # Unused for more than 10 whole seconds, the cron closes it.
    started = time.monotonic()
    assert eventually(lambda: int(info(dst, "clients")["connected_clients"]) == 1, timeout=15)
    assert time.monotonic() - started >= 9.5


def test_del_reaches_replica_and_aof(spawn):
    # fsync always: a reply waits for its AOF write (everysec may postpone the write behind an fsync).
    src = spawn("cairn", "--appendonly", "yes", "--appendfsync", "always")
    replica, dst = spawn("cairn"), spawn("cairn")
    assert call(replica, "SLAVEOF", "127.0.0.1", src.port) == b"OK"
    assert eventually(lambda: info(replica, "replication").get("master_link_status") == "up")
    call(src, "MSET", "a", "1", "b", "2", "c", "3")
    assert eventually(lambda: call(replica, "DBSIZE") == 3)
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", "a", "b") == b"OK"
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "c", 0, 5000, "COPY") == b"OK"
    assert eventually(lambda: call(replica, "KEYS", "*") == [b"c"]), call(replica, "KEYS", "*")
    with open(src.workdir + "/appendonly.aof", "rb") as f:
        aof = f.read()
    assert b"*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n" in aof
    assert b"MIGRATE" not in aof.upper()


@pytest.mark.parametrize("src_kind", ["cairn", "redis4"])
def test_closed_cached_connection_is_retried_once(spawn, src_kind):
    """The target closed the cached connection: the next MIGRATE reconnects and succeeds."""
    src, dst = spawn(src_kind), spawn("redis7")
    call(src, "MSET", "a", "1", "b", "2")
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "a", 0, 5000) == b"OK"
    assert call(dst, "CLIENT", "KILL", "TYPE", "normal") == 1
    before = int(info(dst, "stats")["total_connections_received"])
    assert call(src, "MIGRATE", "127.0.0.1", dst.port, "b", 0, 5000) == b"OK"
    assert int(info(dst, "stats")["total_connections_received"]) - before == 2  # the new link and INFO's
    assert call(dst, "MGET", "a", "b") == [b"1", b"2"]
