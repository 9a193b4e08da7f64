#!/usr/bin/env python3
"""difftest: send the same random commands to redis-server 7.0 and cairn-server, compare.

Job: generate a seeded random sequence of string and key commands over a small
key space (so keys collide, change type, expire, move between databases) with a
share of errors (wrong arity, wrong types, non-integers, overflows, unknown
commands, bad options); send each command to both servers over raw RESP
(tools/respclient.py), compare the replies exactly, then compare the whole
keyspace of every database (keys, types, values, TTL presence).

Usage: tools/difftest.py --seed N --commands 10000 [--cairn-port P --redis-port P]
Without ports it starts both servers on free loopback ports and stops them by pid.
Exit status 0 when everything matched, 1 on the first divergence (reported with
the seed, the command index, the command and both replies).

Contract: Cairn follows Redis 4.0; the peer is Redis 7.0. Where the two versions
legitimately differ, the 7.0 reply is rewritten into its 4.0 form by the single
table NORMALISE_7_TO_4 below, and the generator never produces 7.0-only syntax
(SET GET/KEEPTTL/EXAT, EXPIRE NX/XX/GT/LT, BITCOUNT/BITPOS BIT|BYTE, FLUSHDB SYNC,
multi-pair HSET) nor inputs where 4.0 behaviour is undefined or differs by an
accident of implementation (see AVOIDED).

Tricky bits: expiry must not race the test -- every TTL the generator sets is
either far in the future (>= 100 s) or already past (immediate delete), so both
servers always agree on what exists; TTL/PTTL replies are compared with a
tolerance. KEYS replies are compared as sorted lists (hash order differs).
Commands are pipelined in batches to keep 10,000 commands well under a second
of round trips.
"""

import argparse
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from respclient import Error, RespClient, Status, encode_command  # noqa: E402

DATABASES = 16
USED_DBS = 4  # SELECT / MOVE / SWAPDB mostly target 0..3 so data meets again

# --------------------------------------------------------------------------
# Where Redis 7.0 and Redis 4.0 legitimately differ: rewrite the 7.0 reply
# into the 4.0 one. Each rule: (commands it applies to, or None for any;
# regex on the 7.0 error text; replacement bytes or function(match, argv);
# why). Only error texts need rewriting; no reply *value* differs for the
# inputs the generator produces.
# --------------------------------------------------------------------------


def _unknown_command_40(match, argv):
    # 4.0.14: "unknown command `name`, with args beginning with: `a`, `b`, "
    # (arguments appended while the list is shorter than 128 bytes, each cut
    # to the room left); 7.0 uses 'name' and 'a' 'b' .
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += b"`" + a[:128 - len(args)] + b"`, "
    return b"ERR unknown command `" + argv[0][:128] + b"`, with args beginning with: " + args


def _mset_odd_40(match, argv):
    # 4.0 checks MSET/MSETNX pairs itself, after the table arity (-3) passed:
    # "wrong number of arguments for MSET" (also for MSETNX). 7.0 uses the
    # generic arity error for both cases.
    if len(argv) >= 3:
        return b"ERR wrong number of arguments for MSET"
    return match.group(0)


NORMALISE_7_TO_4 = [
    (None, rb"^ERR unknown command '.*', with args beginning with: .*$", _unknown_command_40,
     "7.0 quotes names with '' and separates args by spaces; 4.0.14 uses backquotes and commas"),
    ({b"set", b"setex", b"psetex"}, rb"^ERR invalid expire time in '(\w+)' command$",
     rb"ERR invalid expire time in \1",
     "7.0: invalid expire time in 'set' command; 4.0: invalid expire time in set"),
    ({b"mset", b"msetnx"}, rb"^ERR wrong number of arguments for '(mset|msetnx)' command$", _mset_odd_40,
     "odd number of MSET arguments: 4.0 has its own message"),
    ({b"move"}, rb"^ERR (value is not an integer or out of range|DB index is out of range)$",
     b"ERR index out of range",
     "4.0 MOVE answers any bad target db with shared.outofrangeerr"),
    ({b"select"}, rb"^ERR value is not an integer or out of range$", b"ERR invalid DB index",
     "4.0 SELECT parses the index with its own message"),
    ({b"setrange", b"append"}, rb"^ERR string exceeds maximum allowed size \(proto-max-bulk-len\)$",
     b"ERR string exceeds maximum allowed size (512MB)",
     "7.0 names the config option; 4.0 names the fixed 512MB limit"),
]
_RULES = [(cmds, re.compile(pat, re.S), repl, why) for cmds, pat, repl, why in NORMALISE_7_TO_4]

# Inputs the generator deliberately never produces, and why:
AVOIDED = """
- SET ... GET/KEEPTTL/EXAT/PXAT, EXPIRE ... NX/XX/GT/LT, BITCOUNT/BITPOS ... BIT|BYTE,
  FLUSHDB SYNC, HSET with several pairs: 7.0-only syntax.
- extra arguments to EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: 7.0 reads them as options
  ("Unsupported option"), 4.0 fails the arity check.
- huge EXPIRE/SET EX values: 4.0 overflows silently, 7.0 rejects them.
- DECRBY -9223372036854775808: undefined in 4.0 (negates LLONG_MIN), an error in 7.0.
- SELECT/MOVE/SWAPDB indexes beyond 32 bits: 4.0 truncates the long to an int.
- TTLs between 0 and 100 s: they would expire at different moments on the two servers.
- RANDOMKEY, OBJECT, DEBUG: non-deterministic or implementation-specific replies.
"""

# --------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------

KEYS = [b"a", b"b", b"c", b"d", b"n", b"x:1", b"\xff\x00bin", b"sp ace"]
INTLIKE = [b"0", b"1", b"-1", b"7", b"42", b"-100", b"123456789", b"9223372036854775807",
           b"-9223372036854775808", b"9223372036854775806", b"18446744073709551616"]
FLOATLIKE = [b"1.5", b"-0.25", b"3.0", b"1e3", b"0.1", b"1e", b" 1", b"inf", b"-inf", b"nan",
             b"0x10", b"1.0e-3", b"5.", b".5", b"1e400", b"abc", b""]
INT_ARGS = [b"0", b"1", b"-1", b"2", b"5", b"17", b"-3", b"100", b"9223372036854775807",
            b"-9223372036854775807", b"abc", b"1.5", b"", b"99999999999999999999", b" 3", b"+4", b"0x1"]
KEY_PATTERNS = [b"*", b"?", b"x:*", b"[a-c]", b"[^a]*", b"*\xff*", b"sp*", b"\\*", b"[abc", b"n", b"*e"]
BITFIELD_TYPES = [b"i1", b"i5", b"i8", b"u8", b"i16", b"u16", b"u31", b"i32", b"i63", b"i64", b"u63",
                  b"u1", b"u4", b"I8", b"U16"]
BAD_BITFIELD_TYPES = [b"u64", b"i65", b"i0", b"x8", b"8", b"", b"u"]


class Gen:
    def __init__(self, rng, now_ms, types):
        self.r = rng
        self.now_ms = now_ms
        self.types = types  # optional data types Cairn serves ("list", "set", "hash", "zset")

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

    def secs(self):
        # far future, already past, or malformed -- never a TTL short enough to race
        return self.r.choice([b"100", b"1000", b"86400", b"0", b"-5", b"abc", b"1.5", b""])

    def millis(self):
        return self.r.choice([b"100000", b"5000000", b"0", b"-1", b"abc", b"99.5"])

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
        return self.r.choice([b"15", b"16", b"-1", b"abc", b"", b"1.0", b"+1"])

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
        arg = self.int_arg()
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
            return self.r.choice(BITFIELD_TYPES) if self.r.random() < 0.95 else self.r.choice(BAD_BITFIELD_TYPES)

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
    def g_expire(self): return [self.name(b"expire"), self.key(), self.secs()]
    def g_pexpire(self): return [self.name(b"pexpire"), self.key(), self.millis()]
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
        return [self.name(b"flushdb"), self.r.choice([b"bogus", b"ASYNC"]), b"x"]

    # -- other types, only when Cairn serves them (they exist to produce WRONGTYPE) --

    def g_lpush(self): return [self.name(b"lpush"), self.key()] + [self.value() for _ in range(self.r.randint(1, 3))]
    def g_sadd(self): return [self.name(b"sadd"), self.key()] + [self.value() for _ in range(self.r.randint(1, 3))]
    def g_hset(self): return [self.name(b"hset"), self.key(), self.value(), self.value()]
    def g_zadd(self): return [self.name(b"zadd"), self.key(), self.small_int(-5, 5), self.value()]

    # -- errors --

    def g_unknown(self):
        name = self.r.choice([b"foo", b"GETX", b"sett", b"bar", b"INCRBYFLOATX", b"DELL"])
        return [name] + [self.r.choice([b"a", b"bb", b"1", b"x" * 10]) for _ in range(self.r.randint(0, 3))]

    def g_wrong_arity(self):
        name, arity = self.r.choice(ARITY)
        if arity > 0:
            n = arity - 1 if (name in NO_EXTRA_ARGS or self.r.random() < 0.5) else arity + 1
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
OPTIONAL_TYPES = {  # generator -> (type name, probe command, reader used for the final keyspace check)
    "lpush": ("list", [b"lpush"], [b"lrange"]),
    "sadd": ("set", [b"sadd"], [b"smembers"]),
    "hset": ("hash", [b"hset"], [b"hgetall"]),
    "zadd": ("zset", [b"zadd"], [b"zrange"]),
}


def generate(seed, count, now_ms, types=()):
    """The deterministic command list for a seed (same seed, same types, same now -> same commands)."""
    rng = random.Random(seed)
    gen = Gen(rng, now_ms, types)
    names = [n for n in WEIGHTS] + [g for g, (t, _, _) in OPTIONAL_TYPES.items() if t in types]
    weights = [WEIGHTS.get(n, 1) for n in names]
    fns = [getattr(gen, "g_" + n) for n in names]
    return [rng.choices(fns, weights)[0]() for _ in range(count)]


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


def canon(reply):
    """A reply as a type-strict value (Status and bulk bytes must not compare equal)."""
    if isinstance(reply, Status):
        return ("status", bytes(reply))
    if isinstance(reply, Error):
        return ("error", bytes(reply))
    if isinstance(reply, int):
        return ("int", reply)
    if reply is None:
        return ("nil",)
    if isinstance(reply, bytes):
        return ("bulk", reply)
    return ("array", tuple(canon(x) for x in reply))


def normalise(argv, reply):
    """The 4.0 form of a 7.0 reply (see NORMALISE_7_TO_4)."""
    if not isinstance(reply, Error):
        return reply
    name = argv[0].lower()
    for cmds, pat, repl, _ in _RULES:
        if cmds is not None and name not in cmds:
            continue
        m = pat.match(reply)
        if m:
            out = repl(m, argv) if callable(repl) else m.expand(repl)
            return Error(out)
    return reply


def replies_match(argv, expected, got):
    name = argv[0].lower()
    if name in (b"ttl", b"pttl") and isinstance(expected, int) and isinstance(got, int):
        if expected < 0 or got < 0:
            return expected == got
        return abs(expected - got) <= (2 if name == b"ttl" else 2000)
    if name == b"keys" and isinstance(expected, list) and isinstance(got, list):
        return sorted(expected) == sorted(got)
    return canon(expected) == canon(got)


def show(argv):
    return " ".join(repr(a)[1:] if not re.fullmatch(rb"[\x21-\x7e]+", a) else a.decode() for a in argv)


def dump_keyspace(client, types):
    """Every db: {key: (type, value, has_ttl)}; the connection is left on db 0."""
    readers = {
        b"string": lambda k: client.call(b"GET", k),
        b"list": lambda k: client.call(b"LRANGE", k, 0, -1),
        b"set": lambda k: sorted(client.call(b"SMEMBERS", k)),
        b"hash": lambda k: sorted(zip(*[iter(client.call(b"HGETALL", k))] * 2)),
        b"zset": lambda k: client.call(b"ZRANGE", k, 0, -1, b"WITHSCORES"),
    }
    out = {}
    for db in range(DATABASES):
        r = client.call(b"SELECT", db)
        if canon(r) != ("status", b"OK"):
            raise RuntimeError("SELECT %d failed: %r" % (db, r))
        keys = client.call(b"KEYS", b"*")
        for k in sorted(keys):
            t = bytes(client.call(b"TYPE", k))
            reader = readers.get(t)
            value = reader(k) if reader else None
            pttl = client.call(b"PTTL", k)
            out[(db, k)] = (t, value, pttl >= 0 if isinstance(pttl, int) else pttl)
    client.call(b"SELECT", 0)
    return out


def probe_types(cairn):
    """The optional data types whose writer and reader Cairn knows (unknown command otherwise)."""
    types = []
    for gen, (tname, writer, reader) in OPTIONAL_TYPES.items():
        ok = True
        for cmd in (writer, reader):
            r = cairn.call(*cmd)  # no arguments: wrong arity if the command exists
            if isinstance(r, Error) and r.startswith(b"ERR unknown command"):
                ok = False
        if ok:
            types.append(tname)
    return types


class Divergence(Exception):
    pass


def reset(client):
    for db in range(DATABASES):
        client.call(b"SELECT", db)
        client.call(b"FLUSHDB")
    client.call(b"SELECT", 0)


def run(seed, count, redis_port, cairn_port, batch=64, self_check=False, verify_state=True):
    """Runs one seeded sequence; raises Divergence with a full report on the first mismatch.
    self_check: the "cairn" port is another Redis 7.0 (validates the generator and the
    comparison: normalise both sides). verify_state: after every command, compare the
    string values of the whole key space of the current db (MGET), so a divergence is
    reported at the command that caused it, not where it is first read."""
    redis = RespClient(redis_port)
    cairn = RespClient(cairn_port)
    try:
        reset(redis)
        reset(cairn)
        types = probe_types(cairn)
        now_ms = int(time.time() * 1000)
        commands = generate(seed, count, now_ms, types)
        history = []
        probe = [b"MGET"] + KEYS  # after every command: did the string values drift apart?
        for start in range(0, count, batch):
            chunk = commands[start:start + batch]
            sent = [c2 for c in chunk for c2 in ((c, probe) if verify_state else (c,))]
            redis.send_raw(b"".join(encode_command(c) for c in sent))
            expected = [redis.read_reply() for _ in sent]
            try:
                cairn.send_raw(b"".join(encode_command(c) for c in sent))
                got = [cairn.read_reply() for _ in sent]
            except (ConnectionError, OSError) as e:
                raise Divergence(report(seed, count, start, chunk[0], expected[0], None, history,
                                        note="cairn connection failed in this batch: %s" % e))
            step = 2 if verify_state else 1
            for i, argv in enumerate(chunk):
                want, have = normalise(argv, expected[i * step]), got[i * step]
                if self_check:
                    have = normalise(argv, have)
                if not replies_match(argv, want, have):
                    raise Divergence(report(seed, count, start + i, argv, expected[i * step], have, history, want))
                history.append((argv, have))
                if verify_state and canon(expected[i * step + 1]) != canon(got[i * step + 1]):
                    state = "\n".join("    %r: redis %r, cairn %r" % (k, a, b) for k, a, b in
                                      zip(KEYS, expected[i * step + 1], got[i * step + 1]) if a != b)
                    raise Divergence(report(
                        seed, count, start + i, argv, expected[i * step], have, history[:-1], want,
                        note="the replies matched, but afterwards the values differ:\n" + state))
        want_ks = dump_keyspace(redis, types)
        got_ks = dump_keyspace(cairn, types)
        if want_ks != got_ks:
            diffs = []
            for k in sorted(set(want_ks) | set(got_ks)):
                if want_ks.get(k) != got_ks.get(k):
                    diffs.append("  db %d key %r: redis %r, cairn %r" % (k[0], k[1], want_ks.get(k), got_ks.get(k)))
            raise Divergence("difftest seed=%d commands=%d: replies matched but the final keyspace differs "
                             "(%d keys):\n%s" % (seed, count, len(diffs), "\n".join(diffs[:20])))
        return {"seed": seed, "commands": count, "keys": len(want_ks), "types": types}
    finally:
        redis.close()
        cairn.close()


def report(seed, count, index, argv, redis_reply, cairn_reply, history, normalised=None, note=None):
    lines = ["difftest divergence: seed=%d, command #%d of %d" % (seed, index, count),
             "  command:      %s" % show(argv),
             "  redis 7.0:    %r" % (redis_reply,)]
    if normalised is not None and canon(normalised) != canon(redis_reply):
        lines.append("  as 4.0 says: %r" % (normalised,))
    lines.append("  cairn:        %r" % (cairn_reply,))
    if note:
        lines.append("  " + note)
    if history:
        lines.append("  preceding commands (with cairn's replies):")
        for a, r in history[-12:]:
            lines.append("    %s -> %r" % (show(a), r))
    lines.append("  reproduce: tools/difftest.py --seed %d --commands %d" % (seed, count))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time-based, printed)")
    ap.add_argument("--commands", type=int, default=10000)
    ap.add_argument("--redis-port", type=int, help="use a running redis-server 7.0 on 127.0.0.1")
    ap.add_argument("--cairn-port", type=int, help="use a running cairn-server on 127.0.0.1")
    ap.add_argument("--batch", type=int, default=64, help="commands per pipelined batch")
    ap.add_argument("--no-verify-state", action="store_true",
                    help="do not MGET the key space after every command (faster, reports later)")
    ap.add_argument("--self-check", action="store_true",
                    help="compare redis-server with a second redis-server (tests this tool)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time()) % 1000000
    from serverproc import ServerProcess
    started = []
    try:
        redis_port, cairn_port = args.redis_port, args.cairn_port
        if redis_port is None:
            started.append(ServerProcess("redis").start())
            redis_port = started[-1].port
        if cairn_port is None:
            started.append(ServerProcess("redis" if args.self_check else "cairn").start())
            cairn_port = started[-1].port
        t0 = time.monotonic()
        result = run(seed, args.commands, redis_port, cairn_port, batch=args.batch,
                     self_check=args.self_check, verify_state=not args.no_verify_state)
        print("difftest seed=%d: %d commands matched, final keyspace matched (%d keys; optional types: %s) in %.1fs"
              % (seed, result["commands"], result["keys"], ",".join(result["types"]) or "none",
                 time.monotonic() - t0))
        return 0
    except Divergence as d:
        print(d, file=sys.stderr)
        return 1
    finally:
        for s in started:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
