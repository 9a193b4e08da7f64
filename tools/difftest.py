#!/usr/bin/env python3
"""difftest: send the same random commands to a reference Redis and cairn-server, compare.

Job: generate a seeded random sequence of string and key commands over a small
key space (so keys collide, change type, expire, move between databases) with a
share of errors (wrong arity, wrong types, non-integers, overflows, unknown
commands, bad options); send each command to both servers over raw RESP
(tools/respclient.py), compare the replies exactly, then compare the whole
keyspace of every database (keys, types, values, TTL presence).

Usage: tools/difftest.py --seed N --commands 10000 [--reference redis7|redis4]
                         [--cairn-port P --redis-port P]
Without ports it starts both servers on free loopback ports and stops them by pid
(Redis 4.0 is the binary tools/redis4.sh builds and prints).
Exit status 0 when everything matched, 1 on the first divergence (reported with
the seed, the command index, the command and both replies).

Contract: Cairn follows Redis 4.0. Against the reference Redis 4.0.14 (--reference
redis4) replies must be equal as they are; only real nondeterminism is avoided.
Against the Redis 7.0 peer (the default), where the two versions legitimately
differ the 7.0 reply is rewritten into its 4.0 form by the single table
NORMALISE_7_TO_4 below, and the generator never produces 7.0-only syntax (SET
GET/KEEPTTL/EXAT, EXPIRE NX/XX/GT/LT, BITCOUNT/BITPOS BIT|BYTE, FLUSHDB SYNC)
nor inputs where 4.0 and 7.0 differ by an accident of implementation (see
AVOIDED in tools/diffgen.py).

Tricky bits: expiry must not race the test -- every TTL the generator sets is
either far in the future (>= 100 s) or already past (immediate delete), so both
servers always agree on what exists; TTL/PTTL replies are compared with a
tolerance. KEYS replies are compared as sorted lists (hash order differs).
Commands are pipelined in batches to keep 10,000 commands well under a second
of round trips.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffgen import KEYS, OPTIONAL_TYPES, generate  # noqa: E402
from respclient import Error, RespClient, Status, encode_command  # noqa: E402

DATABASES = 16

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


def _hset_odd_40(match, argv):
    # 4.0's HSET/HMSET check their pairs themselves once the arity (-4) passed:
    # "wrong number of arguments for HMSET" for both; 7.0 uses the generic error.
    if len(argv) >= 4:
        return b"ERR wrong number of arguments for HMSET"
    return match.group(0)


NORMALISE_7_TO_4 = [
    (None, rb"^ERR unknown command '.*', with args beginning with: .*$", _unknown_command_40,
     "7.0 quotes names with '' and separates args by spaces; 4.0.14 uses backquotes and commas"),
    ({b"set", b"setex", b"psetex"}, rb"^ERR invalid expire time in '(\w+)' command$",
     rb"ERR invalid expire time in \1",
     "7.0: invalid expire time in 'set' command; 4.0: invalid expire time in set"),
    ({b"mset", b"msetnx"}, rb"^ERR wrong number of arguments for '(mset|msetnx)' command$", _mset_odd_40,
     "odd number of MSET arguments: 4.0 has its own message"),
    ({b"hset", b"hmset"}, rb"^ERR wrong number of arguments for '(hset|hmset)' command$", _hset_odd_40,
     "odd number of HSET/HMSET field-value arguments: 4.0 has its own message"),
    ({b"move"}, rb"^ERR (value is not an integer or out of range|DB index is out of range)$",
     b"ERR index out of range",
     "4.0 MOVE answers any bad target db with shared.outofrangeerr"),
    ({b"select"}, rb"^ERR value is not an integer or out of range$", b"ERR invalid DB index",
     "4.0 SELECT parses the index with its own message"),
    ({b"setrange", b"append"}, rb"^ERR string exceeds maximum allowed size \(proto-max-bulk-len\)$",
     b"ERR string exceeds maximum allowed size (512MB)",
     "7.0 names the config option; 4.0 names the fixed 512MB limit"),
    ({b"zunionstore", b"zinterstore"}, rb"^ERR at least 1 input key is needed for '\w+' command$",
     b"ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE",
     "4.0 names both commands in one message"),
    ({b"geodist", b"georadius", b"georadiusbymember"}, rb"^ERR unsupported unit provided. please use M, KM, FT, MI$",
     b"ERR unsupported unit provided. please use m, km, ft, mi",
     "4.0 lists the units in lower case"),
    # The two below are listed for completeness: diffgen produces neither SPOP nor STORE.
    ({b"spop"}, rb"^ERR value is out of range, must be positive$", b"ERR index out of range",
     "4.0 answers a negative SPOP count with shared.outofrangeerr"),
    ({b"georadius", b"georadiusbymember"},
     rb"^ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options$",
     b"ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options",
     "4.0 names the option WITHCOORDS in this message"),
]
_RULES = [(cmds, re.compile(pat, re.S), repl, why) for cmds, pat, repl, why in NORMALISE_7_TO_4]

# Inputs the generator deliberately never produces, and why:
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


# Replies whose order each server's hash tables decide.
UNORDERED = {b"keys", b"smembers", b"sunion", b"sdiff", b"sinter", b"hkeys", b"hvals"}


def replies_match(argv, expected, got, reference="redis7"):
    name = argv[0].lower()
    if name in (b"ttl", b"pttl") and isinstance(expected, int) and isinstance(got, int):
        if expected < 0 or got < 0:
            return expected == got
        return abs(expected - got) <= (2 if name == b"ttl" else 2000)
    if name in UNORDERED and isinstance(expected, list) and isinstance(got, list):
        return sorted(expected) == sorted(got)
    if reference == "redis7" and name in (b"georadius", b"georadiusbymember") \
            and isinstance(expected, Error) and got == []:
        # 4.0 looks the key up first and answers a missing key with an empty array
        # before reading the radius and options; 7.0 validates the arguments first.
        return True
    if reference == "redis7" and name in (b"georadius", b"georadiusbymember") and isinstance(expected, list) \
            and isinstance(got, list) and not {a.upper() for a in argv} & {b"ASC", b"DESC", b"COUNT"}:
        return sorted(map(repr, expected)) == sorted(map(repr, got))  # 7.0 scans other cells (diffgen AVOIDED)
    if name == b"hgetall" and isinstance(expected, list) and isinstance(got, list):
        return sorted(zip(expected[0::2], expected[1::2])) == sorted(zip(got[0::2], got[1::2]))
    if name in (b"hscan", b"sscan") and isinstance(expected, list) and isinstance(got, list):
        # One full pass (COUNT 1000 from cursor 0): same cursor, same elements in any order.
        pairs = (lambda x: sorted(zip(x[0::2], x[1::2]))) if name == b"hscan" else sorted
        return expected[0] == got[0] and pairs(expected[1]) == pairs(got[1])
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


def run(seed, count, redis_port, cairn_port, batch=64, self_check=False, verify_state=True, reference="redis7"):
    """Runs one seeded sequence; raises Divergence with a full report on the first mismatch.
    reference: what runs on redis_port, "redis7" (replies normalised to 4.0's) or "redis4".
    self_check: the "cairn" port is another server of the reference's kind (validates the
    generator and the comparison: normalise both sides). verify_state: after every command, compare the
    string values of the whole key space of the current db (MGET), so a divergence is
    reported at the command that caused it, not where it is first read."""
    redis = RespClient(redis_port)
    cairn = RespClient(cairn_port)
    try:
        reset(redis)
        reset(cairn)
        types = probe_types(cairn)
        now_ms = int(time.time() * 1000)
        commands = generate(seed, count, now_ms, types, reference)
        as_40 = normalise if reference == "redis7" else (lambda argv, reply: reply)
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
                want, have = as_40(argv, expected[i * step]), got[i * step]
                if self_check:
                    have = as_40(argv, have)
                if not replies_match(argv, want, have, reference):
                    raise Divergence(report(seed, count, start + i, argv, expected[i * step], have, history, want,
                                            reference=reference))
                history.append((argv, have))
                if verify_state and canon(expected[i * step + 1]) != canon(got[i * step + 1]):
                    state = "\n".join("    %r: redis %r, cairn %r" % (k, a, b) for k, a, b in
                                      zip(KEYS, expected[i * step + 1], got[i * step + 1]) if a != b)
                    raise Divergence(report(
                        seed, count, start + i, argv, expected[i * step], have, history[:-1], want,
                        reference=reference, note="the replies matched, but afterwards the values differ:\n" + state))
        want_ks = dump_keyspace(redis, types)
        got_ks = dump_keyspace(cairn, types)
        if want_ks != got_ks:
            diffs = []
            for k in sorted(set(want_ks) | set(got_ks)):
                if want_ks.get(k) != got_ks.get(k):
                    diffs.append("  db %d key %r: redis %r, cairn %r" % (k[0], k[1], want_ks.get(k), got_ks.get(k)))
            raise Divergence("difftest seed=%d commands=%d reference=%s: replies matched but the final keyspace "
                             "differs (%d keys):\n%s" % (seed, count, reference, len(diffs), "\n".join(diffs[:20])))
        return {"seed": seed, "commands": count, "keys": len(want_ks), "types": types}
    finally:
        redis.close()
        cairn.close()


def report(seed, count, index, argv, redis_reply, cairn_reply, history, normalised=None, note=None,
           reference="redis7"):
    lines = ["difftest divergence: seed=%d, command #%d of %d" % (seed, index, count),
             "  command:      %s" % show(argv),
             "  redis %s:    %r" % ("7.0" if reference == "redis7" else "4.0", redis_reply)]
    if normalised is not None and canon(normalised) != canon(redis_reply):
        lines.append("  as 4.0 says: %r" % (normalised,))
    lines.append("  cairn:        %r" % (cairn_reply,))
    if note:
        lines.append("  " + note)
    if history:
        lines.append("  preceding commands (with cairn's replies):")
        for a, r in history[-12:]:
            lines.append("    %s -> %r" % (show(a), r))
    lines.append("  reproduce: tools/difftest.py --seed %d --commands %d --reference %s" % (seed, count, reference))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time-based, printed)")
    ap.add_argument("--commands", type=int, default=10000)
    ap.add_argument("--reference", choices=["redis7", "redis4"], default="redis7",
                    help="the Redis to compare with: the 7.0 peer (default) or the reference 4.0.14")
    ap.add_argument("--redis-port", type=int, help="use a running reference redis-server on 127.0.0.1")
    ap.add_argument("--cairn-port", type=int, help="use a running cairn-server on 127.0.0.1")
    ap.add_argument("--batch", type=int, default=64, help="commands per pipelined batch")
    ap.add_argument("--no-verify-state", action="store_true",
                    help="do not MGET the key space after every command (faster, reports later)")
    ap.add_argument("--self-check", action="store_true",
                    help="compare redis-server with a second redis-server (tests this tool)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time()) % 1000000
    from serverproc import ServerProcess, redis4_binary
    started = []

    def reference_server():
        if args.reference == "redis4":
            return ServerProcess("redis4", binary=redis4_binary()).start()
        return ServerProcess("redis").start()

    try:
        redis_port, cairn_port = args.redis_port, args.cairn_port
        if redis_port is None:
            started.append(reference_server())
            redis_port = started[-1].port
        if cairn_port is None:
            started.append(reference_server() if args.self_check else ServerProcess("cairn").start())
            cairn_port = started[-1].port
        t0 = time.monotonic()
        result = run(seed, args.commands, redis_port, cairn_port, batch=args.batch,
                     self_check=args.self_check, verify_state=not args.no_verify_state, reference=args.reference)
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
