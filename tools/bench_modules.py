#!/usr/bin/env python3
"""bench_modules: module commands under redis-benchmark, cairn-server beside redis-server.

Job: build fixtures/modules/cairnbench.c against Redis 4.0.14's unmodified
redismodule.h (tools/modulebuild.py), load it with --loadmodule into the
release cairn-server and into redis-server (Debian's 7.0, which loads 4.0
modules), and run redis-benchmark on its two commands, alternating server by
server and round by round (shared, noisy machines: only side-by-side figures
compare):
  bench.callset key:__rand_int__ v   RedisModule_Call of SET ("!": replicated)
  bench.keyset  key:__rand_int__ v   the low-level key API (OpenKey/StringSet)
  SET           key:__rand_int__ v   the plain command, for scale
Prints the median throughput of each over the rounds and the ratio Cairn/Redis
(above 1: Cairn is faster). Both servers are stopped by pid at the end.

Usage: tools/bench_modules.py [--rounds 5] [--requests 100000] [--clients 50] [--no-build]
"""

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from modulebuild import build_fixture, reference_src  # noqa: E402
from serverproc import ServerProcess, release_binary  # noqa: E402

COMMANDS = [
    ("bench.callset", ["bench.callset", "key:__rand_int__", "value"]),
    ("bench.keyset", ["bench.keyset", "key:__rand_int__", "value"]),
    ("SET", ["set", "key:__rand_int__", "value"]),
]


def rps(port, argv, clients, requests):
    p = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients),
                        "-n", str(requests), "-r", "100000", "--csv"] + argv,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("redis-benchmark failed: %s" % p.stderr[-300:])
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    if not rows:
        raise RuntimeError("no CSV from redis-benchmark: %r" % p.stdout[-300:])
    return float(rows[0]["rps"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    args = ap.parse_args()
    binary = release_binary(args.cairn, build=not args.no_build)
    with tempfile.TemporaryDirectory(prefix="bench-modules-") as d:
        module = build_fixture("cairnbench", reference_src(d), d)
        servers = {}
        try:
            servers["redis"] = ServerProcess("redis", extra_args=["--loadmodule", module]).start()
            servers["cairn"] = ServerProcess("cairn", binary=binary, extra_args=["--loadmodule", module]).start()
            samples = {}
            for rnd in range(args.rounds):
                for name, argv in COMMANDS:
                    for server in (["redis", "cairn"] if rnd % 2 == 0 else ["cairn", "redis"]):
                        samples.setdefault((name, server), []).append(
                            rps(servers[server].port, argv, args.clients, args.requests))
                print("round %d/%d done" % (rnd + 1, args.rounds), flush=True)
            for s in servers.values():
                if not s.alive():
                    raise RuntimeError("%s died: %s" % (s.kind, s.log_tail()))
        finally:
            for s in servers.values():
                s.stop()
    print("\nmedian of %d interleaved rounds, -c %d -n %d; ratio = cairn / redis" % (
        args.rounds, args.clients, args.requests))
    print("%-15s %12s %12s %7s" % ("command", "redis req/s", "cairn req/s", "ratio"))
    for name, _ in COMMANDS:
        a = statistics.median(samples[(name, "redis")])
        b = statistics.median(samples[(name, "cairn")])
        print("%-15s %12.0f %12.0f %7.2f" % (name, a, b, b / a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
