#!/usr/bin/env python3
"""bench_eviction: eviction quality and cost of cairn-server beside redis-server, as ratios.

Job: on the same machine, in one run, for allkeys-lru and allkeys-lfu, each
server started fresh with the same `maxmemory` (--maxmemory, default 32mb):
  hit ratio   a cache-aside trace over --keys keys whose popularity follows a
              Zipf law (exponent --zipf): GET each key of the trace, SET it
              (--value bytes) when the GET missed; GETs go in pipelines of 500
              and the misses' SETs follow each pipeline. The same seeded trace
              for both servers; hits counted over the second half only (the
              first fills the cache). Keys held at the end are printed too:
              at the same limit a server that needs more bytes per key holds
              fewer of them, which is part of what the ratio measures.
  throughput  `redis-benchmark -t set -P 16 -c 50 -n --requests -r 10000000`
              against a server already filled past its limit by one such run,
              so nearly every SET makes a new key and evicts one; and, as the
              baseline, the same two runs without maxmemory.
Rounds alternate which server goes first; medians of --rounds, with the ratio
Cairn/Redis. Servers run on free loopback ports in temporary directories and
are stopped by pid.

Usage: tools/bench_eviction.py [--rounds 3] [--keys 300000] [--ops 600000]
         [--maxmemory 16mb] [--requests 1000000] [--no-build] [--cairn PATH]
Quick run: --rounds 1 --ops 200000 --requests 200000.
"""

import argparse
import itertools
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import release_binary, ServerProcess  # noqa: E402
from bench_replication import med, ratio, set_benchmark  # noqa: E402

import redis  # noqa: E402

POLICIES = ["allkeys-lru", "allkeys-lfu"]
PIPELINE = 500


def zipf_trace(keys, ops, exponent, seed):
    """`ops` key indices drawn with P(rank r) proportional to 1/r^exponent; ranks shuffled over names."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(1.0 / (r ** exponent) for r in range(1, keys + 1)))
    names = list(range(keys))
    rng.shuffle(names)  # the most popular keys are not the first names
    return [names[r] for r in rng.choices(range(keys), cum_weights=cumulative, k=ops)]


def start(kind, binary, policy, maxmemory):
    args = ["--maxmemory", maxmemory, "--maxmemory-policy", policy]
    return ServerProcess(kind, extra_args=args, binary=binary, timeout=60).start()


def evicting_set_rps(kind, binary, policy, maxmemory, requests):
    """SET req/s of a server filled past `maxmemory` by a first run (0: no limit), and its evicted_keys."""
    server = start(kind, binary, policy, maxmemory)
    try:
        set_benchmark(server.port, requests, 10000000)
        rps = set_benchmark(server.port, requests, 10000000)
        return rps, client(server).info("stats")["evicted_keys"]
    finally:
        server.stop()


def client(server):
    return redis.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=120)


def hit_ratio(server, trace, value):
    """Plays the cache-aside trace; returns (hit ratio over the second half, keys held at the end)."""
    c = client(server)
    half = len(trace) // 2
    hits = gets = 0
    for start_at in range(0, len(trace), PIPELINE):
        batch = trace[start_at:start_at + PIPELINE]
        pipe = c.pipeline(transaction=False)
        for k in batch:
            pipe.get(b"key:%d" % k)
        replies = pipe.execute()
        fill = c.pipeline(transaction=False)
        for offset, (k, got) in enumerate(zip(batch, replies)):
            if start_at + offset >= half:
                gets += 1
                hits += got is not None
            if got is None:
                fill.set(b"key:%d" % k, value)
        fill.execute()
    held = c.dbsize()
    c.close()
    return hits / max(gets, 1), held


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keys", type=int, default=300000, help="distinct keys in the Zipf trace")
    ap.add_argument("--ops", type=int, default=600000, help="GETs in the trace")
    ap.add_argument("--zipf", type=float, default=0.99, help="the Zipf exponent")
    ap.add_argument("--value", type=int, default=200, help="bytes per value in the trace")
    ap.add_argument("--maxmemory", default="16mb")
    ap.add_argument("--requests", type=int, default=1000000, help="redis-benchmark -n")
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    args = ap.parse_args()

    binaries = {"cairn": os.path.abspath(release_binary(args.cairn, build=not args.no_build)),
                "redis": shutil.which("redis-server")}
    print("cairn-server %s; redis-server %s; maxmemory %s, %d keys, %d GETs, zipf %.2f, %d-byte values"
          % (binaries["cairn"], binaries["redis"], args.maxmemory, args.keys, args.ops, args.zipf, args.value),
          flush=True)
    trace = zipf_trace(args.keys, args.ops, args.zipf, seed=13)
    value = b"v" * args.value
    hits = {(p, k): [] for p in POLICIES for k in binaries}
    held = {(p, k): [] for p in POLICIES for k in binaries}
    rps = {(p, k): [] for p in POLICIES + ["no limit"] for k in binaries}
    t0 = time.monotonic()
    for rnd in range(args.rounds):
        kinds = ["redis", "cairn"] if rnd % 2 == 0 else ["cairn", "redis"]
        for policy in POLICIES:
            for kind in kinds:
                server = start(kind, binaries[kind], policy, args.maxmemory)
                try:
                    ratio_, keys = hit_ratio(server, trace, value)
                finally:
                    server.stop()
                hits[policy, kind].append(ratio_)
                held[policy, kind].append(keys)
                rate, evicted = evicting_set_rps(kind, binaries[kind], policy, args.maxmemory, args.requests)
                rps[policy, kind].append(rate)
                print("round %d %-11s %-5s hit ratio %.4f (%d keys held), SET %.0f/s while evicting (%d evicted)"
                      % (rnd + 1, policy, kind, ratio_, keys, rate, evicted), flush=True)
        for kind in kinds:
            rate, _ = evicting_set_rps(kind, binaries[kind], "noeviction", "0", args.requests)
            rps["no limit", kind].append(rate)
            print("round %d no limit    %-5s SET %.0f/s" % (rnd + 1, kind, rate), flush=True)

    print("\n## Hit ratio on a Zipf(%.2f) cache-aside trace at maxmemory %s (second half), medians of %d"
          % (args.zipf, args.maxmemory, args.rounds))
    print("| policy | Redis 7.0 | Cairn | Cairn/Redis | keys held Redis | keys held Cairn |")
    print("| --- | --- | --- | --- | --- | --- |")
    for p in POLICIES:
        r, c = med(hits[p, "redis"]), med(hits[p, "cairn"])
        print("| %s | %.4f | %.4f | %s | %d | %d |" % (p, r, c, ratio(c, r), med(held[p, "redis"]), med(held[p, "cairn"])))
    print("\n## SET throughput while evicting, `redis-benchmark -t set -P 16 -c 50 -n %d -r 10000000`" % args.requests)
    print("| policy | Redis 7.0 req/s | Cairn req/s | Cairn/Redis |")
    print("| --- | --- | --- | --- |")
    for p in POLICIES + ["no limit"]:
        r, c = med(rps[p, "redis"]), med(rps[p, "cairn"])
        print("| %s | %.0f | %.0f | %s |" % (p, r, c, ratio(c, r)))
    print("\n(%.0f s in all)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
