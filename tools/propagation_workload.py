"""propagation_workload: a seeded workload of every write command, for checking what a
server propagates (its AOF, its replication stream) against Redis 4.0.

Job: `run(port, seed, ...)` sends, on one connection, tools/diffgen.py's mixed
commands (strings, keys, lists, hashes, sets, sorted sets, geo, errors, SELECT,
MOVE, SWAPDB, FLUSHDB) plus generators for the write commands diffgen leaves
out (SPOP, SINTERSTORE, SORT ... STORE, GEORADIUS ... STORE, PF*, SET
KEEPTTL/EXAT/PXAT), grouped now and then in MULTI/EXEC; one scripted call of
each write command (SURE), a FLUSHALL, RESTOREs, and blocking pops served by
pushes from the writer (BLPOP, BRPOP, BRPOPLPUSH). It returns the
lower-case names of the commands that succeeded at least once (inside EXEC
too), so a test can demand that every write command of the server's COMMAND
table was exercised. `dump(port)` reads every database key by key.

Contract: every TTL is at least 100 s away (diffgen's shortest), so a test that
ends within that time sees no key expire. Randomness (SPOP) stays on the
server: what is compared is what the server propagated.

Tricky bit: RESTORE payloads come from DUMP on the same server, plus any
`foreign_dumps` given (payloads another Redis wrote, e.g. 7.0's version 10),
which a server must re-encode before propagating to a 4.0 reader.
"""

import random
import time

import diffgen
from respclient import Error, RespClient, encode_command

TYPES = ("list", "set", "hash", "zset")
DATABASES = 16
HLL_KEYS = [b"hll:1", b"hll:2", b"hll:3"]
WAIT = 20.0


class Gen(diffgen.Gen):
    """diffgen's generator plus the write commands it does not draw."""

    def pf_key(self):
        return self.r.choice(HLL_KEYS) if self.r.random() < 0.9 else self.key()

    def g_pfadd(self):
        return [b"PFADD", self.pf_key()] + [b"e%d" % self.r.randrange(3000) for _ in range(self.r.randint(1, 40))]

    def g_pfmerge(self):
        return [b"PFMERGE", self.pf_key(), self.pf_key(), self.pf_key()]

    def g_pfcount(self):
        return [b"PFCOUNT", self.pf_key()]

    def g_pfdebug(self):
        return [b"PFDEBUG", self.r.choice([b"TODENSE", b"GETREG"]), self.pf_key()]

    def g_set_later_options(self):
        """SET with options Redis 4.0 lacks (Cairn takes them): they must not reach a 4.0 reader."""
        opt = self.r.choice([[b"KEEPTTL"], [b"EXAT", str(self.now_ms // 1000 + 100000).encode()],
                             [b"PXAT", str(self.now_ms + 10**8).encode()]])
        return [b"SET", self.key(), self.value()] + opt + ([b"XX"] if self.r.random() < 0.2 else [])

    def g_spop(self):
        return [b"SPOP", self.key()] + ([self.small_int(0, 6)] if self.r.random() < 0.5 else [])

    def g_sadd_more(self):
        return [b"SADD", self.key()] + self.members(1, 8)

    def g_sinterstore(self):
        return [b"SINTERSTORE", self.key()] + self.keys(1, 3)

    def g_sort_store(self):
        argv = [b"SORT", self.key()]
        if self.r.random() < 0.4:
            argv += [b"BY", self.r.choice([b"nosort", b"*", b"w_*", b"*->f1"])]
        if self.r.random() < 0.3:
            argv += [b"LIMIT", self.small_int(0, 3), self.small_int(-1, 5)]
        for _ in range(self.r.randint(0, 2)):
            argv += [b"GET", self.r.choice([b"#", b"*", b"*->f1", b"w_*"])]
        if self.r.random() < 0.3:
            argv.append(b"DESC")
        if self.r.random() < 0.6:
            argv.append(b"ALPHA")
        return argv + [b"STORE", self.key()]

    def g_georadius_store(self):
        store = self.r.choice([b"STORE", b"STOREDIST"])
        tail = [b"km", store, self.key()]
        if self.r.random() < 0.3:
            tail += [b"COUNT", self.small_int(1, 4)] + ([b"DESC"] if self.r.random() < 0.5 else [])
        if self.r.random() < 0.5:
            return [b"GEORADIUS", diffgen.GEO_KEY] + self.lonlat() + [self.small_int(50, 5000)] + tail
        return [b"GEORADIUSBYMEMBER", diffgen.GEO_KEY, self.zmember(), self.small_int(50, 5000)] + tail

    def g_weights(self):
        """Strings and hashes that SORT's BY and GET patterns read."""
        if self.r.random() < 0.5:
            return [b"SET", b"w_" + self.value()[:4], self.small_int(-50, 50)]
        return [b"HSET", self.key(), b"f1", self.small_int(-50, 50)]


EXTRA_WEIGHTS = {"pfadd": 3, "pfmerge": 1, "pfcount": 1, "pfdebug": 0.5, "spop": 3, "sadd_more": 3,
                 "sinterstore": 1, "sort_store": 2, "georadius_store": 1, "weights": 2, "set_later_options": 2}


# One well-formed call of each write command the random mix may miss, on keys of their own.
SURE = [[b"RPUSH", b"s:l", b"a", b"b", b"c", b"d"], [b"LTRIM", b"s:l", b"0", b"-1"], [b"LPUSHX", b"s:l", b"e"],
        [b"RPUSHX", b"s:l", b"f"], [b"LSET", b"s:l", b"0", b"g"], [b"LINSERT", b"s:l", b"BEFORE", b"g", b"h"],
        [b"LREM", b"s:l", b"1", b"h"],
        [b"SADD", b"s:s1", b"a", b"b"], [b"SADD", b"s:s2", b"b"], [b"SDIFFSTORE", b"s:sd", b"s:s1", b"s:s2"],
        [b"SUNIONSTORE", b"s:su", b"s:s1", b"s:s2"], [b"SINTERSTORE", b"s:si", b"s:s1", b"s:s2"],
        [b"SMOVE", b"s:s1", b"s:s2", b"a"],
        [b"ZADD", b"s:z", b"1", b"a", b"2.5", b"b", b"3", b"c", b"4", b"d"], [b"ZINCRBY", b"s:z", b"0.25", b"a"],
        [b"ZUNIONSTORE", b"s:zu", b"2", b"s:z", b"s:z"], [b"ZINTERSTORE", b"s:zi", b"1", b"s:z"],
        [b"ZREMRANGEBYSCORE", b"s:zu", b"-inf", b"2"], [b"ZREMRANGEBYRANK", b"s:zi", b"0", b"0"],
        [b"ZREMRANGEBYLEX", b"s:zi", b"-", b"[b"], [b"ZREM", b"s:z", b"d"],
        [b"HSET", b"s:h", b"f", b"1", b"g", b"2"], [b"HMSET", b"s:h", b"k", b"v"], [b"HINCRBY", b"s:h", b"f", b"5"], [b"HSETNX", b"s:h", b"n", b"3"],
        [b"HINCRBYFLOAT", b"s:h", b"g", b"0.5"], [b"HDEL", b"s:h", b"n"],
        [b"MSETNX", b"s:m1", b"1", b"s:m2", b"2"], [b"RENAMENX", b"s:m1", b"s:m3"], [b"RENAME", b"s:m2", b"s:m4"],
        [b"SETEX", b"s:t1", b"100000", b"v"], [b"PSETEX", b"s:t2", b"100000000", b"v"], [b"SETNX", b"s:n", b"1"],
        [b"GETSET", b"s:n", b"2"], [b"APPEND", b"s:n", b"0"], [b"SETRANGE", b"s:n", b"3", b"9"], [b"INCR", b"s:n"],
        [b"DECR", b"s:n"], [b"INCRBY", b"s:n", b"7"], [b"DECRBY", b"s:n", b"3"], [b"INCRBYFLOAT", b"s:n", b"1.5"],
        [b"SETBIT", b"s:b", b"9", b"1"], [b"BITOP", b"NOT", b"s:b2", b"s:b"],
        [b"BITFIELD", b"s:b", b"INCRBY", b"u8", b"0", b"3"], [b"MSET", b"s:m5", b"1", b"s:m6", b"2"],
        [b"EXPIRE", b"s:m5", b"100000"], [b"PEXPIRE", b"s:m6", b"100000000"], [b"PERSIST", b"s:m6"],
        [b"EXPIREAT", b"s:b2", b"4000000000"], [b"PEXPIREAT", b"s:b", b"4000000000000"],
        [b"DEL", b"s:m5"], [b"UNLINK", b"s:m6"], [b"MOVE", b"s:t1", b"5"], [b"SWAPDB", b"5", b"6"],
        [b"LPUSH", b"s:l2", b"a", b"b"], [b"LPOP", b"s:l2"], [b"RPOP", b"s:l2"], [b"RPUSH", b"s:l2", b"c", b"d"],
        [b"RPOPLPUSH", b"s:l2", b"s:l2"], [b"SADD", b"s:s3", b"1", b"2", b"3"], [b"SREM", b"s:s3", b"3"],
        [b"SADD", b"s:sp", *[b"%d" % i for i in range(12)]], [b"SPOP", b"s:sp"], [b"SPOP", b"s:sp", b"3"],
        [b"SADD", b"s:sp2", b"a", b"b", b"c"], [b"SPOP", b"s:sp2", b"5"],
        [b"RPUSH", b"s:sl", b"3", b"1", b"2"], [b"SORT", b"s:sl", b"STORE", b"s:sorted"],
        [b"SADD", b"s:ss", b"c", b"a", b"b"], [b"SORT", b"s:ss", b"BY", b"nosort", b"ALPHA", b"STORE", b"s:sorted2"],
        [b"GEOADD", b"s:g", b"13.361389", b"38.115556", b"Palermo", b"15.087269", b"37.502669", b"Catania"],
        [b"GEORADIUS", b"s:g", b"15", b"37", b"200", b"km", b"STOREDIST", b"s:gd"],
        [b"SET", b"s:short", b"v", b"PX", b"1"],  # found expired later: a DEL
        [b"SELECT", b"9"], [b"SET", b"s:gone", b"x"], [b"FLUSHDB"], [b"SELECT", b"0"]]


def commands(seed, count):
    """`count` commands: mostly diffgen's, the rest this module's extras; deterministic per seed."""
    rng = random.Random(seed)
    gen = Gen(rng, int(time.time() * 1000), TYPES)
    base = iter(diffgen.generate(seed, count, gen.now_ms, TYPES))
    names = list(EXTRA_WEIGHTS)
    weights = [EXTRA_WEIGHTS[n] for n in names]
    out = []
    for _ in range(count):
        if rng.random() < 0.25:
            out.append(getattr(gen, "g_" + rng.choices(names, weights)[0])())
        else:
            out.append(next(base))
    return out


def with_transactions(rng, cmds):
    """Groups some runs of `cmds` into MULTI ... EXEC; now and then one ends in DISCARD."""
    out, i = [], 0
    while i < len(cmds):
        if rng.random() < 0.06:
            n = rng.randint(1, 6)
            out.append([b"MULTI"])
            out += [c for c in cmds[i:i + n] if c[0].lower() not in (b"multi", b"exec", b"discard")]
            out.append([b"DISCARD"] if rng.random() < 0.1 else [b"EXEC"])
            i += n
        else:
            out.append(cmds[i])
            i += 1
    return out


def outside_transactions(cmds, start):
    """The first index from `start` on that is not between a MULTI and its EXEC/DISCARD."""
    inside = False
    for i, argv in enumerate(cmds):
        if i >= start and not inside:
            return i
        name = argv[0].lower()
        inside = name == b"multi" or (inside and name not in (b"exec", b"discard"))
    return len(cmds)


class Tally:
    """Names of the commands that succeeded, EXEC's queued ones matched with its reply."""

    def __init__(self):
        self.ok = set()
        self.queued = None

    def note(self, argv, reply):
        name = bytes(argv[0]).lower().decode("latin-1")
        if name == "multi" and not isinstance(reply, Error):
            self.queued = []
        elif name in ("exec", "discard") and self.queued is not None:
            if name == "exec" and isinstance(reply, list):
                for queued, r in zip(self.queued, reply):
                    self.note(queued, r)
            self.queued = None
        elif self.queued is not None:
            self.queued.append(argv)
            return
        if not isinstance(reply, Error):
            self.ok.add(name)


def restores(client, rng, tally, foreign_dumps):
    """RESTOREs of DUMPed keys (as themselves, under new names, with TTLs, REPLACE), and of
    `foreign_dumps`."""
    payloads = list(foreign_dumps)
    for key in diffgen.KEYS + HLL_KEYS:
        p = client.call(b"DUMP", key)
        if isinstance(p, bytes):
            payloads.append(p)
    for n, payload in enumerate(payloads):
        for argv in ([b"RESTORE", b"restored:%d" % n, b"0", payload, b"REPLACE"],
                     [b"RESTORE", b"restored-ttl:%d" % n, str(rng.randint(10**8, 2 * 10**8)).encode(), payload, b"REPLACE"],
                     [b"RESTORE", rng.choice(diffgen.KEYS), b"0", payload]):
            tally.note(argv, client.call(*argv))


def migrations(client, rng, tally, target_port):
    """MIGRATEs to another server: moves (a DEL here), COPY (nothing here) and KEYS with REPLACE."""
    port = str(target_port).encode()
    keys = [k for k in diffgen.KEYS if client.call(b"EXISTS", k) == 1]
    rng.shuffle(keys)
    for argv in ([b"MIGRATE", b"127.0.0.1", port, keys[0], b"15", b"5000", b"REPLACE"] if keys else None,
                 [b"MIGRATE", b"127.0.0.1", port, keys[1], b"15", b"5000", b"COPY", b"REPLACE"] if len(keys) > 1 else None,
                 [b"MIGRATE", b"127.0.0.1", port, b"", b"15", b"5000", b"REPLACE", b"KEYS", *keys[2:5]]
                 if len(keys) > 4 else None):
        if argv is not None:
            tally.note(argv, client.call(*argv))


def wait_blocked(client, n):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        text = client.call(b"INFO", b"clients")
        if b"blocked_clients:%d\r\n" % n in text:
            return
        time.sleep(0.02)
    raise AssertionError("no client blocked after %s s" % WAIT)


def blocking_pops(port, writer, tally, db):
    """A BLPOP, BRPOP and BRPOPLPUSH each blocked on an empty key and served by the writer's
    push; then the same commands on non-empty lists (served at once), alone and in MULTI."""
    writer.call(b"SELECT", db)
    writer.call(b"DEL", b"bq:1", b"bq:2", b"bq:3", b"bq:4")  # SWAPDB or MOVE may have brought some here
    blocked = [([b"BLPOP", b"bq:1", b"bq:2", b"30"], [b"RPUSH", b"bq:2", b"a", b"b", b"c"]),
               ([b"BRPOP", b"bq:3", b"30"], [b"LPUSH", b"bq:3", b"x", b"y"]),
               ([b"BRPOPLPUSH", b"bq:4", b"bq:dst", b"30"], [b"RPUSH", b"bq:4", b"p", b"q"])]
    with RespClient(port, timeout=WAIT) as b:
        b.call(b"SELECT", db)
        for pop, push in blocked:
            b.send_raw(encode_command(pop))
            wait_blocked(writer, 1)
            tally.note(push, writer.call(*push))
            reply = b.read_reply()
            assert isinstance(reply, (list, bytes)), "%r served: %r" % (pop, reply)
            tally.note(pop, reply)
    ready = [[b"RPUSH", b"bq:5", b"1", b"2", b"3", b"4"], [b"BLPOP", b"bq:5", b"1"], [b"BRPOP", b"bq:5", b"1"],
             [b"BRPOPLPUSH", b"bq:5", b"bq:dst", b"1"],
             [b"MULTI"], [b"BLPOP", b"bq:dst", b"0"], [b"BRPOPLPUSH", b"bq:dst", b"bq:5", b"0"], [b"EXEC"]]
    for argv in ready:
        tally.note(argv, writer.call(*argv))
    writer.call(b"SELECT", 0)


def run(port, seed, count=3000, foreign_dumps=(), between=None, migrate_to=None):
    """The whole workload against the server on `port`; `between()` runs halfway (a rewrite);
    `migrate_to`: a server's port that takes MIGRATEd keys. Returns the names of the commands
    that succeeded."""
    rng = random.Random(seed ^ 0x5eed)
    tally = Tally()
    cmds = with_transactions(rng, commands(seed, count))
    # Outside any MULTI (a DISCARD would drop them); FLUSHALL early, so most data outlives it.
    at = outside_transactions(cmds, len(cmds) // 10)
    cmds[at:at] = SURE
    at = outside_transactions(cmds, len(cmds) // 20)
    cmds[at:at] = [[b"FLUSHALL", b"ASYNC"]]
    halves = [cmds[:len(cmds) // 2], cmds[len(cmds) // 2:]]
    with RespClient(port, timeout=WAIT) as c:
        for n, part in enumerate(halves):
            for start in range(0, len(part), 200):
                chunk = part[start:start + 200]
                for argv, reply in zip(chunk, c.pipeline(chunk)):
                    tally.note(argv, reply)
            if tally.queued is not None:  # a chunk never ends inside MULTI, but be sure
                tally.note([b"DISCARD"], c.call(b"DISCARD"))
            c.call(b"SELECT", 0)
            blocking_pops(port, c, tally, db=1 + n)
            restores(c, rng, tally, foreign_dumps)
            if migrate_to:
                migrations(c, rng, tally, migrate_to)
            if n == 0 and between:
                between()
    return tally.ok


def write_commands(port):
    """Lower-case names of the commands whose COMMAND entry has the write flag."""
    with RespClient(port, timeout=WAIT) as c:
        table = c.call(b"COMMAND")
    return {bytes(e[0]).lower().decode() for e in table if b"write" in [bytes(f) for f in e[2]]}


def dump(port):
    """{(db, key): (type, value, pttl)} of every database; pttl -1 for none."""
    readers = {
        b"string": lambda c, k: c.call(b"GET", k),
        b"list": lambda c, k: c.call(b"LRANGE", k, 0, -1),
        b"set": lambda c, k: sorted(c.call(b"SMEMBERS", k)),
        b"hash": lambda c, k: sorted(zip(*[iter(c.call(b"HGETALL", k))] * 2)),
        b"zset": lambda c, k: c.call(b"ZRANGE", k, 0, -1, b"WITHSCORES"),
    }
    out = {}
    with RespClient(port, timeout=WAIT) as c:
        for db in range(DATABASES):
            c.call(b"SELECT", db)
            for k in sorted(c.call(b"KEYS", b"*")):
                t = bytes(c.call(b"TYPE", k))
                out[(db, k)] = (t, readers[t](c, k), c.call(b"PTTL", k))
    return out


def differences(want, got, ttl_tolerance_ms=3000, limit=12):
    """Human-readable differences between two dumps (TTLs compared within the tolerance)."""
    diffs = []
    for key in sorted(set(want) | set(got)):
        a, b = want.get(key), got.get(key)
        if a is None or b is None:
            diffs.append("%r: %s" % (key, "missing" if b is None else "extra: %r" % (b,)))
        elif a[:2] != b[:2]:
            diffs.append("%r: %r != %r" % (key, a[:2], b[:2]))
        elif (a[2] < 0 or b[2] < 0) and a[2] != b[2] or abs(a[2] - b[2]) > ttl_tolerance_ms:
            diffs.append("%r: pttl %r != %r" % (key, a[2], b[2]))
        if len(diffs) >= limit:
            break
    return diffs
