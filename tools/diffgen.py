"""diffgen: the seeded random command generator behind tools/difftest.py.

Job: produce, for a seed, a deterministic list of commands (argv lists of
bytes) over a small key space -- strings (GET SET with EX/PX/NX/XX, SETNX SETEX
PSETEX GETSET MGET MSET MSETNX APPEND STRLEN GETRANGE SETRANGE INCR DECR INCRBY
DECRBY INCRBYFLOAT SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD), keys (DEL
UNLINK EXISTS TYPE RENAME RENAMENX KEYS EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL
PTTL PERSIST TOUCH MOVE SWAPDB SELECT DBSIZE FLUSHDB) and errors (wrong arity,
non-integers, overflows, unknown commands, bad options; wrong types through
LPUSH/SADD/HSET/ZADD when the server under test has them).

Contract: `generate(seed, count, now_ms, types, reference)` is a pure function of
its arguments, and never produces anything whose outcome depends on timing or
chance. Against Redis 7.0 (reference "redis7") it only produces syntax 4.0 and
7.0 both accept with the same meaning; AVOIDED lists what is left out and why.
Against Redis 4.0 itself ("redis4") the cases avoided only because 7.0 differs
are produced too (AVOIDED's first part); the same seed then gives another
sequence.

Tricky bit: keys collide on purpose (8 names, 4 databases in play), so most
commands meet values of the wrong shape: integers that overflow, strings that
are not numbers, keys that moved, expired or changed type.
"""

import random

USED_DBS = 4  # SELECT / MOVE / SWAPDB mostly target 0..3 so data meets again

AVOIDED = """
Against 7.0 only (produced against 4.0, see Gen.v4):
- SET ... GET/KEEPTTL/EXAT/PXAT, EXPIRE ... NX/XX/GT/LT, BITCOUNT/BITPOS ... BIT|BYTE,
  FLUSHDB SYNC: 7.0-only syntax. (HSET with several pairs is 4.0 syntax too.)
- SPOP, SRANDMEMBER: random picks (tools/difftest_hashsets.py checks them by membership).
- SINTER/SINTERSTORE: 4.0 stops at the first missing key, 7.0 type-checks every key
  first, so a missing key before a wrong-typed one answers differently (and 4.0's
  SINTERSTORE then deletes the destination); tools/difftest_hashsets.py allows for it.
- HINCRBYFLOAT by inf/nan: 4.0 (and Cairn) store "inf", 7.0 refuses the increment; HSCAN/SSCAN other than one full pass (cursors follow each server's table).
- extra arguments to EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: 7.0 reads them as options
  ("Unsupported option"), 4.0 fails the arity check.
- huge EXPIRE/PEXPIRE values: 4.0 wraps the deadline (into the past: the key goes), 7.0
  rejects them.
- DECRBY -9223372036854775808: 4.0 (and Cairn) add -2^63 (the negation wraps), 7.0 refuses it.
- SELECT/MOVE/SWAPDB indexes beyond 32 bits: 4.0 truncates the long to an int.
- LIMIT that is not an integer in ZRANGEBYSCORE/ZRANGEBYLEX: 7.0 reads it before the range.
- ZUNIONSTORE/ZINTERSTORE weights of 0 or below: 7.0's listpack stores -0 as 0.
- GEORADIUS on a missing key with bad arguments: 4.0 answers an empty array first.
- GEORADIUS without ASC/DESC/COUNT is compared as a set against 7.0: 7.0 sizes the cells
  it scans differently, so the order found differs (Cairn scans 4.0's cells).
Against both (real nondeterminism or undefined order):
- huge SET EX/PX, SETEX, PSETEX values: 4.0 stores a wrapped deadline, and one that wraps
  below zero is "no TTL" to its lazy expiry but expired to its active cycle, which deletes
  the key whenever it samples it (Cairn refuses them with 7.0's error).
- TTLs between 0 and 100 s: they would expire at different moments on the two servers.
- SET ... KEEPTTL/EXAT/PXAT: Cairn's extensions to 4.0 (Redis 7.0's AOF and replication
  stream carry them), so 4.0's syntax error is not Cairn's answer.
- RANDOMKEY, OBJECT, DEBUG: non-deterministic or implementation-specific replies.
- BITFIELD i64: 4.0's C is undefined there (`~0 << 64` when it sign-extends, signed overflow
  in its overflow test), so its answers are its compiler's: the reference build reads a
  negative i64 as -1 and adds past INT64_MIN without saturating. Cairn computes the defined
  result (7.0's). Drawn as i63 against 4.0 (the same random draws).
- lex ranges over unequal scores, GEORADIUS distance ties: orders a skiplist's random
  levels or an unstable sort decide.
"""


KEYS = [b"a", b"b", b"c", b"d", b"n", b"x:1", b"\xff\x00bin", b"sp ace"]
ZLEX_KEY = b"zlex"  # sorted set whose scores are all 0 (lex commands)
GEO_KEY = b"geo"  # sorted set written only by GEOADD
INTLIKE = [b"0", b"1", b"-1", b"7", b"42", b"-100", b"123456789", b"9223372036854775807",
           b"-9223372036854775808", b"9223372036854775806", b"18446744073709551616"]
FLOATLIKE = [b"1.5", b"-0.25", b"3.0", b"1e3", b"0.1", b"1e", b" 1", b"inf", b"-inf", b"nan",
             b"0x10", b"1.0e-3", b"5.", b".5", b"1e400", b"abc", b""]
INT_ARGS = [b"0", b"1", b"-1", b"2", b"5", b"17", b"-3", b"100", b"9223372036854775807",
            b"-9223372036854775807", b"abc", b"1.5", b"", b"99999999999999999999", b" 3", b"+4", b"0x1"]
HUGE_TTLS = [b"9223372036854775807", b"9223372036854775", b"-9223372036854775808"]  # 4.0 wraps
WIDE_DB_INDEXES = [b"4294967296", b"4294967297", b"-4294967295", b"2147483648"]  # 4.0 casts to int
KEY_PATTERNS = [b"*", b"?", b"x:*", b"[a-c]", b"[^a]*", b"*\xff*", b"sp*", b"\\*", b"[abc", b"n", b"*e"]
BITFIELD_TYPES = [b"i1", b"i5", b"i8", b"u8", b"i16", b"u16", b"u31", b"i32", b"i63", b"i64", b"u63",
                  b"u1", b"u4", b"I8", b"U16"]
BAD_BITFIELD_TYPES = [b"u64", b"i65", b"i0", b"x8", b"8", b"", b"u"]


class Gen:
    def __init__(self, rng, now_ms, types, v4=False):
        self.r = rng
        self.now_ms = now_ms
        self.types = types  # optional data types Cairn serves ("list", "set", "hash", "zset")
        self.v4 = v4  # the reference is Redis 4.0 itself: produce what only 7.0 answers differently

    # -- building blocks --

    def name(self, n):
        """The command name in a random spelling (case-insensitive lookup is part of the test)."""
        c = self.r.random()
        if c < 0.6:
            return n.upper()
        if c < 0.9:
            return n.lower()
        return bytes(ch ^ 0x20 if self.r.random() < 0.5 and chr(ch).isalpha() else ch for ch in n)

    def key(self):
        return self.r.choice(KEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def value(self):
        c = self.r.random()
        if c < 0.35:
            return self.r.choice(INTLIKE)
        if c < 0.45:
            return self.r.choice(FLOATLIKE)
        if c < 0.9:
            return bytes(self.r.choice(b"abcxyz 01") for _ in range(self.r.randint(0, 12)))
        return bytes(self.r.randrange(256) for _ in range(self.r.randint(0, 8)))

    def int_arg(self):
        return self.r.choice(INT_ARGS)

    def small_int(self, lo, hi):
        return str(self.r.randint(lo, hi)).encode()

    def secs(self, huge=False):
        # far future, already past, or malformed -- never a TTL short enough to race
        # (huge: 4.0's EXPIRE wraps the deadline below now and deletes the key)
        return self.r.choice([b"100", b"1000", b"86400", b"0", b"-5", b"abc", b"1.5", b""] + HUGE_TTLS * huge)

    def millis(self, huge=False):
        return self.r.choice([b"100000", b"5000000", b"0", b"-1", b"abc", b"99.5"] + HUGE_TTLS * huge)

    def abs_secs(self):
        now = self.now_ms // 1000
        return self.r.choice([str(now + 1000), str(now + 100000), str(now - 100), "0", "abc"]).encode()

    def abs_millis(self):
        now = self.now_ms
        return self.r.choice([str(now + 1000000), str(now + 100000000), str(now - 5000), "1", "x"]).encode()

    def db(self):
        c = self.r.random()
        if c < 0.9:
            return str(self.r.randrange(USED_DBS)).encode()
        return self.r.choice([b"15", b"16", b"-1", b"abc", b"", b"1.0", b"+1"] + WIDE_DB_INDEXES * self.v4)

    # -- string commands --

    def g_get(self): return [self.name(b"get"), self.key()]
    def g_getset(self): return [self.name(b"getset"), self.key(), self.value()]
    def g_setnx(self): return [self.name(b"setnx"), self.key(), self.value()]
    def g_setex(self): return [self.name(b"setex"), self.key(), self.secs(), self.value()]
    def g_psetex(self): return [self.name(b"psetex"), self.key(), self.millis(), self.value()]
    def g_mget(self): return [self.name(b"mget")] + self.keys()
    def g_append(self): return [self.name(b"append"), self.key(), self.value()]
    def g_strlen(self): return [self.name(b"strlen"), self.key()]
    def g_incr(self): return [self.name(b"incr"), self.key()]
    def g_decr(self): return [self.name(b"decr"), self.key()]
    def g_incrby(self): return [self.name(b"incrby"), self.key(), self.int_arg()]

    def g_set(self):
        argv = [self.name(b"set"), self.key(), self.value()]
        roll = self.r.random()
        if roll < 0.15:
            argv += [self.r.choice([b"EX", b"ex"]), self.r.choice([b"100", b"1000", b"0", b"-1", b"abc"])]
        elif roll < 0.25:
            argv += [self.r.choice([b"PX", b"px"]), self.r.choice([b"100000", b"0", b"-5", b"1.5"])]
        if self.r.random() < 0.25:
            argv.append(self.r.choice([b"NX", b"XX", b"nx", b"xx"]))
        if self.r.random() < 0.05:
            argv.append(self.r.choice([b"BOGUS", b"EX", b"PX", b"NX", b"XX"]))
        if self.v4 and self.r.random() < 0.02:
            argv.append(b"GET")  # 6.2's; KEEPTTL/EXAT/PXAT are Cairn extensions (see AVOIDED)
        return argv

    def g_mset(self, name=b"mset"):
        argv = [self.name(name)]
        for _ in range(self.r.randint(1, 3)):
            argv += [self.key(), self.value()]
        if self.r.random() < 0.1:
            argv.pop()  # odd count
        return argv

    def g_msetnx(self): return self.g_mset(b"msetnx")

    def g_decrby(self):
        arg = self.int_arg() if not self.v4 or self.r.random() < 0.95 else b"-9223372036854775808"
        return [self.name(b"decrby"), self.key(), arg]

    def g_incrbyfloat(self):
        c = self.r.random()
        if c < 0.6:
            arg = self.r.choice([b"1.5", b"-0.25", b"0.1", b"3", b"-7", b"1e3", b"2.5e-1", b"100.01"])
        else:
            arg = self.r.choice(FLOATLIKE + [b"9223372036854775807"])
        return [self.name(b"incrbyfloat"), self.key(), arg]

    def g_getrange(self):
        def idx():
            return self.small_int(-15, 15) if self.r.random() < 0.9 else self.int_arg()
        return [self.name(b"getrange"), self.key(), idx(), idx()]

    def g_setrange(self):
        off = self.small_int(0, 40) if self.r.random() < 0.85 else \
            self.r.choice([b"-1", b"536870912", b"536870911x", b"abc", b""])
        return [self.name(b"setrange"), self.key(), off, self.value()]

    # -- bit commands --

    def g_setbit(self):
        off = self.small_int(0, 200) if self.r.random() < 0.9 else \
            self.r.choice([b"-1", b"4294967296", b"abc", b"1.5"])
        bit = self.r.choice([b"0", b"1", b"1", b"0"]) if self.r.random() < 0.95 else \
            self.r.choice([b"2", b"-1", b"x", b""])
        return [self.name(b"setbit"), self.key(), off, bit]

    def g_getbit(self):
        off = self.small_int(0, 250) if self.r.random() < 0.9 else \
            self.r.choice([b"-1", b"4294967295", b"4294967296", b"abc"])
        return [self.name(b"getbit"), self.key(), off]

    def g_bitcount(self):
        argv = [self.name(b"bitcount"), self.key()]
        c = self.r.random()
        if c < 0.6:
            argv += [self.small_int(-10, 10), self.small_int(-10, 10)]
        elif c < 0.65:
            argv += [self.small_int(0, 3)]  # start without end: syntax error on an existing key
        elif c < 0.7:
            argv += [self.r.choice([b"a", b"1"]), self.r.choice([b"b", b"2"])]
        elif self.v4 and c < 0.73:
            argv += [self.small_int(-3, 3), self.small_int(-3, 3), self.r.choice([b"BIT", b"BYTE"])]
        return argv

    def g_bitpos(self):
        bit = self.r.choice([b"0", b"1"]) if self.r.random() < 0.95 else self.r.choice([b"2", b"x"])
        argv = [self.name(b"bitpos"), self.key(), bit]
        c = self.r.random()
        if c < 0.3:
            argv += [self.small_int(-10, 10)]
        elif c < 0.6:
            argv += [self.small_int(-10, 10), self.small_int(-10, 10)]
        elif c < 0.63:
            argv += [self.r.choice([b"a", b"1"]), self.r.choice([b"b", b"2"])]
        return argv

    def g_bitop(self):
        op = self.r.choice([b"AND", b"OR", b"XOR", b"NOT", b"and", b"not", b"xor"]) \
            if self.r.random() < 0.95 else self.r.choice([b"NAND", b"", b"ANDOR"])
        n = 1 if op.upper() == b"NOT" and self.r.random() < 0.85 else self.r.randint(1, 3)
        return [self.name(b"bitop"), op, self.key()] + [self.key() for _ in range(n)]

    def g_bitfield(self):
        argv = [self.name(b"bitfield"), self.key()]

        def ftype():
            t = self.r.choice(BITFIELD_TYPES) if self.r.random() < 0.95 else self.r.choice(BAD_BITFIELD_TYPES)
            return b"i63" if t == b"i64" and self.v4 else t  # i64 is undefined behaviour in 4.0 (see AVOIDED)

        def offset():
            c = self.r.random()
            if c < 0.75:
                return self.small_int(0, 100)
            if c < 0.95:
                return b"#" + self.small_int(0, 6)
            return self.r.choice([b"-1", b"abc", b"#-1", b"#"])

        def num():
            c = self.r.random()
            if c < 0.8:
                return self.small_int(-300, 300)
            return self.r.choice([b"9223372036854775807", b"-9223372036854775808", b"abc", b"1.5"])

        for _ in range(self.r.randint(0, 4)):
            c = self.r.random()
            if c < 0.35:
                argv += [self.r.choice([b"GET", b"get"]), ftype(), offset()]
            elif c < 0.6:
                argv += [self.r.choice([b"SET", b"set"]), ftype(), offset(), num()]
            elif c < 0.85:
                argv += [self.r.choice([b"INCRBY", b"incrby"]), ftype(), offset(), num()]
            elif c < 0.97:
                argv += [b"OVERFLOW", self.r.choice([b"WRAP", b"SAT", b"FAIL", b"sat", b"wrap", b"BOGUS"])]
            else:
                argv += [self.r.choice([b"BOGUS", b"GET", b"SET"])]  # bad or truncated subcommand
        return argv

    # -- key commands --

    def g_del(self): return [self.name(b"del")] + self.keys()
    def g_unlink(self): return [self.name(b"unlink")] + self.keys()
    def g_exists(self): return [self.name(b"exists")] + self.keys()
    def g_touch(self): return [self.name(b"touch")] + self.keys()
    def g_type(self): return [self.name(b"type"), self.key()]
    def g_rename(self): return [self.name(b"rename"), self.key(), self.key()]
    def g_renamenx(self): return [self.name(b"renamenx"), self.key(), self.key()]
    def g_keys(self): return [self.name(b"keys"), self.r.choice(KEY_PATTERNS)]
    def g_expire(self):
        argv = [self.name(b"expire"), self.key(), self.secs(self.v4)]
        if self.v4 and self.r.random() < 0.05:
            argv.append(self.r.choice([b"NX", b"XX", b"GT", b"LT"]))
        return argv

    def g_pexpire(self): return [self.name(b"pexpire"), self.key(), self.millis(self.v4)]
    def g_expireat(self): return [self.name(b"expireat"), self.key(), self.abs_secs()]
    def g_pexpireat(self): return [self.name(b"pexpireat"), self.key(), self.abs_millis()]
    def g_ttl(self): return [self.name(b"ttl"), self.key()]
    def g_pttl(self): return [self.name(b"pttl"), self.key()]
    def g_persist(self): return [self.name(b"persist"), self.key()]
    def g_move(self): return [self.name(b"move"), self.key(), self.db()]
    def g_swapdb(self): return [self.name(b"swapdb"), self.db(), self.db()]
    def g_select(self): return [self.name(b"select"), self.db()]
    def g_dbsize(self): return [self.name(b"dbsize")]

    def g_flushdb(self):
        c = self.r.random()
        if c < 0.7:
            return [self.name(b"flushdb")]
        if c < 0.9:
            return [self.name(b"flushdb"), self.r.choice([b"ASYNC", b"async"])]
        if self.v4 and c < 0.95:
            return [self.name(b"flushdb"), b"SYNC"]
        return [self.name(b"flushdb"), self.r.choice([b"bogus", b"ASYNC"]), b"x"]

    # -- other types, only when Cairn serves them (they exist to produce WRONGTYPE) --

    def g_lpush(self): return [self.name(b"lpush"), self.key()] + [self.value() for _ in range(self.r.randint(1, 3))]
    def g_sadd(self): return [self.name(b"sadd"), self.key()] + [self.value() for _ in range(self.r.randint(1, 3))]
    def g_hset(self): return [self.name(b"hset"), self.key(), self.value(), self.value()]
    def g_zadd(self): return [self.name(b"zadd"), self.key(), self.small_int(-5, 5), self.value()]

    # -- lists, when Cairn serves them (blocking pops are left to tools/difftest_lists.py:
    #    in a pipelined batch an empty key would hold the connection for the timeout) --

    def list_index(self):
        return self.r.choice([b"0", b"1", b"-1", b"2", b"-2", b"5", b"-100", b"100", b"abc", b"1.5",
                              b"9223372036854775807", b"-9223372036854775808"])

    def list_value(self):
        # Few distinct values so LREM and LINSERT pivots hit.
        return self.r.choice([b"a", b"b", b"1", b"-7", b"300", b"", b"x" * 70]) if self.r.random() < 0.7 else self.value()

    def g_rpush(self): return [self.name(b"rpush"), self.key()] + [self.list_value() for _ in range(self.r.randint(1, 4))]
    def g_lpushx(self): return [self.name(b"lpushx"), self.key()] + [self.list_value() for _ in range(self.r.randint(1, 2))]
    def g_rpushx(self): return [self.name(b"rpushx"), self.key()] + [self.list_value() for _ in range(self.r.randint(1, 2))]
    def g_lpop(self): return [self.name(b"lpop"), self.key()]
    def g_rpop(self): return [self.name(b"rpop"), self.key()]
    def g_llen(self): return [self.name(b"llen"), self.key()]
    def g_lindex(self): return [self.name(b"lindex"), self.key(), self.list_index()]
    def g_lset(self): return [self.name(b"lset"), self.key(), self.list_index(), self.list_value()]
    def g_lrange(self): return [self.name(b"lrange"), self.key(), self.list_index(), self.list_index()]
    def g_ltrim(self): return [self.name(b"ltrim"), self.key(), self.list_index(), self.list_index()]
    def g_lrem(self): return [self.name(b"lrem"), self.key(), self.list_index(), self.list_value()]
    def g_rpoplpush(self): return [self.name(b"rpoplpush"), self.key(), self.key()]

    def g_linsert(self):
        where = self.r.choice([b"BEFORE", b"after", b"Before", b"middle"])
        return [self.name(b"linsert"), self.key(), where, self.list_value(), self.list_value()]

    # -- sorted sets and geo (when Cairn serves zset) --
    # Lex commands only touch ZLEX_KEY, which only ever gets score 0 (lex order is
    # undefined when scores differ); geo commands only touch GEO_KEY (ties in
    # distance are ordered differently by 7.0's partial sort).

    def zscore_arg(self):
        c = self.r.random()
        if c < 0.6:
            return self.small_int(-5, 20)
        return self.r.choice([b"1.5", b"0.1", b"-2.25", b"inf", b"-inf", b"+inf", b"1e3", b"abc", b"nan", b"", b"1e400"])

    def zmember(self):
        return self.r.choice([b"a", b"b", b"c", b"d", b"e", b"f", b"m" * 70, b"\xff\x00"])

    def zbound(self):
        b = self.r.choice([b"-inf", b"+inf", b"inf", b"0", b"1", b"2.5", b"5", b"-3", b"x", b""])
        return b"(" + b if self.r.random() < 0.3 else b

    def zlexbound(self):
        return self.r.choice([b"-", b"+", b"[a", b"(b", b"[c", b"(e", b"[", b"a", b"+x"])

    def zlimit(self):
        if self.r.random() < 0.3:
            # Integers against 7.0: it reads LIMIT before the range, 4.0 after, so a bad
            # range with a bad LIMIT fails with different errors.
            bad = [b"x", b"1.5"] * self.v4
            return [b"LIMIT", self.r.choice([b"0", b"1", b"-1", b"3"] + bad), self.r.choice([b"1", b"2", b"-1", b"0"] + bad)]
        return []

    def g_zadd_full(self):
        opts = self.r.sample([b"NX", b"XX", b"CH", b"INCR"], self.r.choice([0, 0, 1, 1, 2]))
        pairs = []
        for _ in range(1 if b"INCR" in opts and self.r.random() < 0.9 else self.r.randint(1, 3)):
            pairs += [self.zscore_arg(), self.zmember()]
        return [self.name(b"zadd"), self.key()] + opts + pairs

    def g_zincrby(self): return [self.name(b"zincrby"), self.key(), self.zscore_arg(), self.zmember()]
    def g_zrem(self): return [self.name(b"zrem"), self.key()] + [self.zmember() for _ in range(self.r.randint(1, 3))]
    def g_zcard(self): return [self.name(b"zcard"), self.key()]
    def g_zscore(self): return [self.name(b"zscore"), self.key(), self.zmember()]
    def g_zrank(self): return [self.name(self.r.choice([b"zrank", b"zrevrank"])), self.key(), self.zmember()]
    def g_zcount(self): return [self.name(b"zcount"), self.key(), self.zbound(), self.zbound()]

    def g_zrange(self):
        cmd = [self.name(self.r.choice([b"zrange", b"zrevrange"])), self.key(), self.small_int(-6, 6), self.small_int(-6, 6)]
        return cmd + ([b"WITHSCORES"] if self.r.random() < 0.5 else [])

    def g_zrangebyscore(self):
        cmd = [self.name(self.r.choice([b"zrangebyscore", b"zrevrangebyscore"])), self.key(), self.zbound(), self.zbound()]
        return cmd + ([b"WITHSCORES"] if self.r.random() < 0.4 else []) + self.zlimit()

    def g_zremrange(self):
        c = self.r.random()
        if c < 0.4:
            return [self.name(b"zremrangebyrank"), self.key(), self.small_int(-4, 4), self.small_int(-4, 4)]
        if c < 0.8:
            return [self.name(b"zremrangebyscore"), self.key(), self.zbound(), self.zbound()]
        return [self.name(b"zremrangebylex"), ZLEX_KEY, self.zlexbound(), self.zlexbound()]

    def g_zlex(self):
        c = self.r.random()
        if c < 0.4:
            return [self.name(b"zadd"), ZLEX_KEY, b"0", self.zmember()]
        name = self.r.choice([b"zrangebylex", b"zrevrangebylex", b"zlexcount"])
        cmd = [self.name(name), ZLEX_KEY, self.zlexbound(), self.zlexbound()]
        return cmd + (self.zlimit() if name != b"zlexcount" else [])

    def g_zstore(self):
        n = self.r.randint(1, 3)
        cmd = [self.name(self.r.choice([b"zunionstore", b"zinterstore"])), self.key(), str(n).encode()] + self.keys(n, n)
        if self.r.random() < 0.3:
            # No zero or negative weights against 7.0: 0 * -1 is -0, which its listpack stores as 0.
            weights = [b"1", b"2", b"0.5", b"inf", b"x"] + [b"0", b"-1", b"-inf"] * self.v4
            cmd += [b"WEIGHTS"] + [self.r.choice(weights) for _ in range(n)]
        if self.r.random() < 0.3:
            cmd += [b"AGGREGATE", self.r.choice([b"SUM", b"min", b"MAX", b"avg"])]
        if self.r.random() < 0.05:
            cmd[2] = self.r.choice([b"0", b"9", b"x"])
        return cmd

    def lonlat(self):
        return [str(round(self.r.uniform(-20, 20), 5)).encode(), str(round(self.r.uniform(30, 50), 5)).encode()]

    def g_geo(self):
        c = self.r.random()
        if c < 0.3:
            args = []
            for _ in range(self.r.randint(1, 3)):
                args += self.lonlat() + [self.zmember()]
            if self.r.random() < 0.05:
                args[1] = b"86"
            return [self.name(b"geoadd"), GEO_KEY] + args
        if c < 0.4:
            return [self.name(self.r.choice([b"geopos", b"geohash"])), GEO_KEY] + [self.zmember() for _ in range(2)]
        if c < 0.5:
            return [self.name(b"geodist"), GEO_KEY, self.zmember(), self.zmember()] + \
                ([self.r.choice([b"m", b"km", b"mi", b"ft"])] if self.r.random() < 0.7 else [])
        if self.r.random() < 0.5:
            cmd = [self.name(b"georadius"), GEO_KEY] + self.lonlat()
        else:
            cmd = [self.name(b"georadiusbymember"), GEO_KEY, self.zmember()]
        cmd += [self.r.choice([b"100", b"500", b"2000", b"-1", b"x"]), self.r.choice([b"km", b"mi", b"m"])]
        cmd += self.r.sample([b"WITHDIST", b"WITHCOORD", b"WITHHASH", b"ASC", b"DESC"], self.r.randint(0, 3))
        if self.r.random() < 0.3:
            cmd += [b"COUNT", self.r.choice([b"1", b"3", b"0"])]
        return cmd

    # -- hashes and sets, only when Cairn serves them --

    def field(self):
        return self.r.choice([b"f1", b"f2", b"f3", b"n", b""]) if self.r.random() < 0.7 else self.value()

    def members(self, lo=1, hi=3):
        return [self.value() if self.r.random() < 0.5 else self.small_int(-3, 12) for _ in range(self.r.randint(lo, hi))]

    def g_hmset(self, name=b"hmset"):
        argv = [self.name(name), self.key()]
        for _ in range(self.r.randint(1, 3)):
            argv += [self.field(), self.value()]
        if self.r.random() < 0.1:
            argv.pop()  # odd count
        return argv

    def g_hset_pairs(self): return self.g_hmset(b"hset")
    def g_hsetnx(self): return [self.name(b"hsetnx"), self.key(), self.field(), self.value()]
    def g_hget(self): return [self.name(b"hget"), self.key(), self.field()]
    def g_hmget(self): return [self.name(b"hmget"), self.key()] + [self.field() for _ in range(self.r.randint(1, 3))]
    def g_hdel(self): return [self.name(b"hdel"), self.key()] + [self.field() for _ in range(self.r.randint(1, 3))]
    def g_hlen(self): return [self.name(b"hlen"), self.key()]
    def g_hstrlen(self): return [self.name(b"hstrlen"), self.key(), self.field()]
    def g_hexists(self): return [self.name(b"hexists"), self.key(), self.field()]
    def g_hkeys(self): return [self.name(b"hkeys"), self.key()]
    def g_hvals(self): return [self.name(b"hvals"), self.key()]
    def g_hgetall(self): return [self.name(b"hgetall"), self.key()]
    def g_hincrby(self): return [self.name(b"hincrby"), self.key(), self.field(), self.int_arg()]

    def g_hincrbyfloat(self):
        arg = self.r.choice([b"1.5", b"-0.25", b"0.1", b"3", b"-7", b"1e3", b"abc", b"", b" 1", b"0x10"]
                            + [b"inf", b"-inf", b"nan"] * self.v4)
        return [self.name(b"hincrbyfloat"), self.key(), self.field(), arg]

    def g_hscan(self):
        argv = [self.name(b"hscan"), self.key(), b"0", b"COUNT", b"1000"]
        return argv + ([b"MATCH", self.r.choice([b"f*", b"*", b"n"])] if self.r.random() < 0.3 else [])

    def g_srem(self): return [self.name(b"srem"), self.key()] + self.members()
    def g_sismember(self): return [self.name(b"sismember"), self.key()] + self.members(1, 1)
    def g_scard(self): return [self.name(b"scard"), self.key()]
    def g_smembers(self): return [self.name(b"smembers"), self.key()]
    def g_smove(self): return [self.name(b"smove"), self.key(), self.key()] + self.members(1, 1)
    def g_sunion(self): return [self.name(b"sunion")] + self.keys()
    def g_sinter(self): return [self.name(b"sinter")] + self.keys()  # against 4.0 only
    def g_sinterstore(self): return [self.name(b"sinterstore"), self.key()] + self.keys()
    def g_sdiff(self): return [self.name(b"sdiff")] + self.keys()
    def g_sunionstore(self): return [self.name(b"sunionstore"), self.key()] + self.keys()
    def g_sdiffstore(self): return [self.name(b"sdiffstore"), self.key()] + self.keys()

    def g_sscan(self):
        argv = [self.name(b"sscan"), self.key(), b"0", b"COUNT", b"1000"]
        return argv + ([b"MATCH", self.r.choice([b"1*", b"*", b"a*"])] if self.r.random() < 0.3 else [])

    # -- errors --

    def g_unknown(self):
        name = self.r.choice([b"foo", b"GETX", b"sett", b"bar", b"INCRBYFLOATX", b"DELL"])
        return [name] + [self.r.choice([b"a", b"bb", b"1", b"x" * 10]) for _ in range(self.r.randint(0, 3))]

    def g_wrong_arity(self):
        name, arity = self.r.choice(ARITY + [a for t in self.types for a in OPTIONAL_ARITY.get(t, [])])
        if arity > 0:
            n = arity - 1 if ((name in NO_EXTRA_ARGS and not self.v4) or self.r.random() < 0.5) else arity + 1
        else:
            n = -arity - 1
        return [self.name(name)] + [self.key() if i == 0 else self.value() for i in range(n - 1)]


# Redis 4.0 arities (identical in 7.0 for these commands when given too few
# arguments; NO_EXTRA_ARGS lists those where 7.0 accepts more).
ARITY = [(b"get", 2), (b"set", -3), (b"setnx", 3), (b"setex", 4), (b"psetex", 4), (b"getset", 3),
         (b"mget", -2), (b"mset", -3), (b"msetnx", -3), (b"append", 3), (b"strlen", 2),
         (b"getrange", 4), (b"setrange", 4), (b"incr", 2), (b"decr", 2), (b"incrby", 3),
         (b"decrby", 3), (b"incrbyfloat", 3), (b"setbit", 4), (b"getbit", 3), (b"bitcount", -2),
         (b"bitpos", -3), (b"bitop", -4), (b"bitfield", -2), (b"del", -2), (b"unlink", -2),
         (b"exists", -2), (b"type", 2), (b"rename", 3), (b"renamenx", 3), (b"keys", 2),
         (b"expire", 3), (b"pexpire", 3), (b"expireat", 3), (b"pexpireat", 3), (b"ttl", 2),
         (b"pttl", 2), (b"persist", 2), (b"touch", -2), (b"move", 3), (b"swapdb", 3),
         (b"select", 2), (b"dbsize", 1)]
NO_EXTRA_ARGS = {b"expire", b"pexpire", b"expireat", b"pexpireat"}
OPTIONAL_ARITY = {  # type -> arities of its commands, drawn only when Cairn serves the type
    "hash": [(b"hset", -4), (b"hmset", -4), (b"hsetnx", 4), (b"hget", 3), (b"hmget", -3), (b"hdel", -3),
             (b"hlen", 2), (b"hstrlen", 3), (b"hexists", 3), (b"hkeys", 2), (b"hvals", 2), (b"hgetall", 2),
             (b"hincrby", 4), (b"hincrbyfloat", 4), (b"hscan", -3)],
    "set": [(b"sadd", -3), (b"srem", -3), (b"sismember", 3), (b"scard", 2), (b"smembers", 2), (b"smove", 4),
            (b"sunion", -2), (b"sdiff", -2), (b"sunionstore", -3), (b"sdiffstore", -3), (b"sscan", -3)],
}

# (generator, weight). Weights favour writes that create and reshape data.
WEIGHTS = {
    "set": 10, "get": 6, "getset": 2, "setnx": 2, "setex": 2, "psetex": 1, "mget": 3, "mset": 3,
    "msetnx": 2, "append": 4, "strlen": 2, "getrange": 3, "setrange": 4, "incr": 4, "decr": 2,
    "incrby": 3, "decrby": 2, "incrbyfloat": 3, "setbit": 4, "getbit": 3, "bitcount": 3,
    "bitpos": 3, "bitop": 3, "bitfield": 4,
    "del": 2, "unlink": 1, "exists": 2, "type": 2, "rename": 2, "renamenx": 2, "keys": 2,
    "expire": 2, "pexpire": 1, "expireat": 1, "pexpireat": 1, "ttl": 2, "pttl": 2, "persist": 1,
    "touch": 1, "move": 2, "swapdb": 1, "select": 3, "dbsize": 1, "flushdb": 0.15,
    "unknown": 1, "wrong_arity": 2,
}
# More generators of an optional type, used when Cairn serves it: name -> (type, weight).
TYPE_COMMANDS = {
    "zadd_full": ("zset", 4), "zincrby": ("zset", 2), "zrem": ("zset", 2), "zcard": ("zset", 1),
    "zscore": ("zset", 2), "zrank": ("zset", 2), "zcount": ("zset", 2), "zrange": ("zset", 3),
    "zrangebyscore": ("zset", 3), "zremrange": ("zset", 2), "zlex": ("zset", 3), "zstore": ("zset", 2),
    "geo": ("zset", 4),
    "rpush": ("list", 3), "lpushx": ("list", 1), "rpushx": ("list", 1), "lpop": ("list", 2),
    "rpop": ("list", 2), "llen": ("list", 1), "lindex": ("list", 2), "lset": ("list", 2),
    "lrange": ("list", 3), "ltrim": ("list", 1), "lrem": ("list", 2), "linsert": ("list", 2),
    "rpoplpush": ("list", 2),
    **{g: ("hash", 1) for g in ["hmset", "hset_pairs", "hsetnx", "hget", "hmget", "hdel", "hlen", "hstrlen",
                                "hexists", "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat", "hscan"]},
    **{g: ("set", 1) for g in ["srem", "sismember", "scard", "smembers", "smove", "sunion", "sdiff",
                               "sunionstore", "sdiffstore", "sscan"]},
}
OPTIONAL_TYPES = {  # generator -> (type name, probe command, reader used for the final keyspace check)
    "lpush": ("list", [b"lpush"], [b"lrange"]),
    "sadd": ("set", [b"sadd"], [b"smembers"]),
    "hset": ("hash", [b"hset"], [b"hgetall"]),
    "zadd": ("zset", [b"zadd"], [b"zrange"]),
}


REDIS4_ONLY = {"sinter": ("set", 1), "sinterstore": ("set", 1)}  # generators used only against 4.0


def generate(seed, count, now_ms, types=(), reference="redis7"):
    """The deterministic command list for a seed (same seed, types, now and reference -> same commands).
    reference: "redis7" (avoid every 4.0/7.0 difference) or "redis4" (avoid only nondeterminism)."""
    rng = random.Random(seed)
    v4 = reference == "redis4"
    gen = Gen(rng, now_ms, types, v4)
    names = [n for n in WEIGHTS] + [g for g, (t, _, _) in OPTIONAL_TYPES.items() if t in types]
    weights = [WEIGHTS.get(n, 1) for n in names]
    commands = {**TYPE_COMMANDS, **(REDIS4_ONLY if v4 else {})}
    extra = [(g, w) for g, (t, w) in commands.items() if t in types]
    names += [g for g, _ in extra]
    weights += [w for _, w in extra]
    fns = [getattr(gen, "g_" + n) for n in names]
    return [rng.choices(fns, weights)[0]() for _ in range(count)]
