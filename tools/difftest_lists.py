#!/usr/bin/env python3
"""difftest_lists: random list commands against a reference redis-server (7.0, or
4.0.14 with --reference redis4) and cairn-server,
replies compared one by one, DEBUG DIGEST compared every 200 commands; then a few
blocking scenarios with several connections (FIFO serving, several keys,
BRPOPLPUSH chains, a wrong destination type, timeouts) compared the same way.

Against 7.0 only Redis 4.0 forms are generated (no LPOP count, integer
timeouts), where 7.0 answers as 4.0 does; against 4.0 those forms are sent too
(4.0 refuses them). Usage:
  tools/difftest_lists.py --redis-port P --cairn-port Q [--seed N] [--count N]
                          [--config NAME=VALUE ...] [--reference redis7|redis4]
Both servers must be empty (db 0 is flushed) and Redis must run with
--enable-debug-command yes. Each --config is CONFIG SET on both servers first,
e.g. `--config list-max-ziplist-size=4 --config list-compress-depth=1` to run
the same commands over small, compressed quicklist nodes.
"""
import argparse
import random
import sys
import threading
import time

import redis

KEYS = [b"a", b"b", b"c", b"d"]
VALUES = [b"x", b"y", b"1", b"-5", b"300", b"70000", b"9999999999", b"01", b"", b"z" * 300, b"\x00\xff"]


def call(conn, *args):
    try:
        return ("ok", conn.execute_command(*args))
    except redis.ResponseError as e:
        return ("err", str(e))


def index(rng):
    return str(rng.randint(-8, 8)).encode()


def random_command(rng, nonempty, redis4=False):
    k = rng.choice(KEYS)
    v = lambda: rng.choice(VALUES)
    op = rng.randrange(17)
    if redis4 and rng.random() < 0.02:
        # 6.2's forms, refused by 4.0: a count to LPOP/RPOP, a fractional timeout.
        return rng.choice([[b"LPOP", k, b"2"], [b"RPOP", k, b"0"], [b"BLPOP", k, b"0.5"],
                           [b"BRPOPLPUSH", k, k, b"1.5"]])
    if op in (0, 1):
        return [b"RPUSH", k] + [v() for _ in range(rng.randint(1, 5))]
    if op in (2, 3):
        return [b"LPUSH", k] + [v() for _ in range(rng.randint(1, 5))]
    if op == 4:
        return [rng.choice([b"LPOP", b"RPOP"]), k]
    if op == 5:
        return [b"LSET", k, index(rng), v()]
    if op == 6:
        return [b"LINSERT", k, rng.choice([b"BEFORE", b"after", b"middle"]), v(), v()]
    if op == 7:
        return [b"LREM", k, index(rng), v()]
    if op == 8:
        return [b"LTRIM", k, index(rng), index(rng)]
    if op == 9:
        return [b"LINDEX", k, rng.choice([index(rng), b"x"])]
    if op == 10:
        return [b"LRANGE", k, index(rng), index(rng)]
    if op == 11:
        return [b"RPOPLPUSH", k, rng.choice(KEYS)]
    if op == 12:
        return [rng.choice([b"LPUSHX", b"RPUSHX"]), k] + [v() for _ in range(rng.randint(1, 3))]
    if op == 13 and nonempty:
        # Blocking forms only where something can be popped, so neither server waits.
        keys = rng.sample(KEYS, rng.randint(1, 3))
        if not any(key in nonempty for key in keys):
            keys.append(rng.choice(sorted(nonempty)))
        return [rng.choice([b"BLPOP", b"BRPOP"])] + keys + [b"1"]
    if op == 14 and nonempty:
        return [b"BRPOPLPUSH", rng.choice(sorted(nonempty)), rng.choice(KEYS), b"1"]
    if op == 15:
        return [b"SET", k, b"string"] if rng.random() < 0.3 else [b"DEL", k]
    return [b"LLEN", k]


def random_phase(r, c, rng, count, redis4=False):
    mismatches = 0
    for step in range(count):
        nonempty = {k for k in KEYS if r.type(k) == b"list"}
        argv = random_command(rng, nonempty, redis4)
        theirs, ours = call(r, *argv), call(c, *argv)
        if theirs != ours:
            mismatches += 1
            print(f"step {step}: {argv!r}\n  redis: {theirs!r}\n  cairn: {ours!r}")
            if mismatches > 10:
                return mismatches
        if step % 200 == 199 and r.execute_command("DEBUG", "DIGEST") != c.execute_command("DEBUG", "DIGEST"):
            mismatches += 1
            print(f"step {step}: DEBUG DIGEST differs")
    if r.execute_command("DEBUG", "DIGEST") != c.execute_command("DEBUG", "DIGEST"):
        mismatches += 1
        print("final DEBUG DIGEST differs")
    return mismatches


def blocking_scenario(port, steps):
    """Runs `steps` on one server; each step is (client number, argv, blocks?).
    Returns every client's replies in order."""
    conns = {}
    replies = {}
    threads = []

    def conn(n):
        if n not in conns:
            conns[n] = redis.Redis(port=port, socket_timeout=10, protocol=2)
            replies[n] = []
        return conns[n]

    def run_blocking(n, argv):
        replies[n].append(call(conns[n], *argv))

    for n, argv, blocks in steps:
        cn = conn(n)
        if blocks:
            t = threading.Thread(target=run_blocking, args=(n, argv))
            t.start()
            threads.append(t)
            # Wait until the server lists it as blocked.
            for _ in range(200):
                clients = conn(0).client_list()
                if sum(1 for x in clients if "b" in x["flags"]) >= sum(1 for t in threads if t.is_alive()):
                    break
                time.sleep(0.01)
        else:
            replies[n].append(call(cn, *argv))
        time.sleep(0.02)
    for t in threads:
        t.join(5)
    return replies


SCENARIOS = {
    "fifo": [(1, [b"BLPOP", b"q", b"0"], True), (2, [b"BLPOP", b"q", b"0"], True),
             (3, [b"BRPOP", b"q", b"0"], True), (0, [b"RPUSH", b"q", b"a", b"b", b"c", b"d"], False),
             (0, [b"LRANGE", b"q", b"0", b"-1"], False)],
    "several-keys": [(1, [b"BLPOP", b"k1", b"k2", b"0"], True), (0, [b"RPUSH", b"k2", b"v"], False),
                     (0, [b"RPUSH", b"k1", b"w"], False), (0, [b"LRANGE", b"k1", b"0", b"-1"], False)],
    "chain": [(1, [b"BRPOPLPUSH", b"s", b"t", b"0"], True), (2, [b"BLPOP", b"t", b"0"], True),
              (0, [b"LPUSH", b"s", b"x", b"y"], False), (0, [b"LRANGE", b"s", b"0", b"-1"], False),
              (0, [b"EXISTS", b"t"], False)],
    "wrong-destination": [(1, [b"BRPOPLPUSH", b"s", b"str", b"0"], True), (0, [b"SET", b"str", b"v"], False),
                          (0, [b"RPUSH", b"s", b"e"], False), (0, [b"LRANGE", b"s", b"0", b"-1"], False)],
    "timeout": [(1, [b"BLPOP", b"none", b"1"], True), (2, [b"BRPOPLPUSH", b"none", b"d", b"1"], True)],
    "self-rotation": [(1, [b"BRPOPLPUSH", b"r", b"r", b"0"], True), (0, [b"RPUSH", b"r", b"only"], False),
                      (0, [b"LRANGE", b"r", b"0", b"-1"], False)],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--cairn-port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--config", action="append", default=[], metavar="NAME=VALUE",
                    help="CONFIG SET on both servers before the commands (repeatable)")
    ap.add_argument("--reference", choices=["redis7", "redis4"], default="redis7",
                    help="what runs on --redis-port: the 7.0 peer or the reference 4.0.14")
    args = ap.parse_args()
    r = redis.Redis(port=args.redis_port, protocol=2)
    c = redis.Redis(port=args.cairn_port, protocol=2)
    for item in args.config:
        name, _, value = item.partition("=")
        for conn in (r, c):
            conn.config_set(name, value)
    r.flushdb()
    c.flushdb()
    mismatches = random_phase(r, c, random.Random(args.seed), args.count, args.reference == "redis4")
    print(f"random phase: {args.count} commands, {mismatches} mismatches")
    for name, steps in SCENARIOS.items():
        r.flushdb()
        c.flushdb()
        theirs = blocking_scenario(args.redis_port, steps)
        ours = blocking_scenario(args.cairn_port, steps)
        same = theirs == ours
        mismatches += 0 if same else 1
        print(f"scenario {name}: {'same' if same else 'DIFFERENT'}")
        if not same:
            print(f"  redis: {theirs}\n  cairn: {ours}")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
