#!/usr/bin/env python3
"""bench_failover: WAIT latency and sentinel failover time, cairn-server beside redis-server.

Job: in one run on one machine, rounds interleaved, Cairn and Redis 7.0 in the
same setups:
  wait      a master with one local replica; a client sends SET then
            `WAIT 1 1000`, --ops times; the WAIT's round trip (the write
            reaching the replica, its ACK coming back) in microseconds:
            median and p99 per round, medians over rounds, ratio Cairn/Redis.
  failover  tools/sentinel_trials.py's scenario (three sentinels, quorum 2,
            down-after-milliseconds 1000) with three Cairn servers, then three
            Redis servers: seconds from the master's SIGKILL to the first
            write a new master accepted; medians over --failovers runs.
--pin runs the servers on core 0 and this script on core 1 (the wait rows;
sentinels are not pinned).

Usage: tools/bench_failover.py [--rounds 3] [--ops 5000] [--failovers 5]
         [--only wait|failover] [--no-build] [--cairn PATH] [--pin]
"""

import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import release_binary, ServerProcess  # noqa: E402
from respclient import RespClient  # noqa: E402
import sentinel_trials  # noqa: E402

PIN = {"on": False}


def pin_server():
    os.sched_setaffinity(0, {0})


def start(kind, binary, extra=()):
    return ServerProcess(kind, list(extra), binary=binary, preexec_fn=pin_server if PIN["on"] else None).start()


def wait_round(kind, binary, ops):
    """(median µs, p99 µs) of WAIT 1 after a SET, master and replica of `kind`."""
    master = start(kind, binary)
    replica = start(kind, binary, ["--slaveof", "127.0.0.1", str(master.port)])
    try:
        sentinel_trials.wait_for("the replica's link", lambda: sentinel_trials.info(replica.port, "replication")
                                 .get("master_link_status") == "up", 20)
        samples = []
        with RespClient(master.port) as c:
            for i in range(ops + 100):
                c.call("SET", "k:%d" % (i % 1000), "v%d" % i)
                t = time.perf_counter_ns()
                acked = c.call("WAIT", "1", "1000")
                elapsed = (time.perf_counter_ns() - t) / 1000.0
                if acked != 1:
                    raise RuntimeError("%s: WAIT 1 answered %r" % (kind, acked))
                if i >= 100:  # the first hundred warm the connection and the replica
                    samples.append(elapsed)
        samples.sort()
        return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]
    finally:
        replica.stop()
        master.stop()


def bench_wait(binaries, rounds, ops):
    rows = {kind: [] for kind in binaries}
    for r in range(rounds):
        for kind in (list(binaries) if r % 2 == 0 else list(binaries)[::-1]):
            med, p99 = wait_round(kind, binaries[kind], ops)
            rows[kind].append((med, p99))
            print("  round %d %-5s WAIT 1: median %.0f us, p99 %.0f us" % (r + 1, kind, med, p99), flush=True)
    figures = {kind: (statistics.median(m for m, _ in v), statistics.median(p for _, p in v)) for kind, v in rows.items()}
    print("\nWAIT 1 with one local replica, %d ops x %d rounds (medians of rounds):" % (ops, rounds))
    print("  %-8s %10s %10s" % ("", "median", "p99"))
    for kind in binaries:
        print("  %-8s %8.0f us %8.0f us" % (kind, *figures[kind]))
    print("  %-8s %10.2f %10.2f" % ("ratio", figures["cairn"][0] / figures["redis"][0], figures["cairn"][1] / figures["redis"][1]))


def bench_failover(runs):
    times = {}
    for kind in ("cairn", "redis"):
        passes, t, failures = sentinel_trials.run_trials(runs, [kind] * 3, log=lambda line: print(line, flush=True))
        times[kind] = t
        if failures:
            print("  %s: %d of %d runs failed; first: %s" % (kind, len(failures), runs, failures[0].splitlines()[0]))
    print("\nkill -> new master accepts a write, %d runs each (sentinel down-after 1000 ms):" % runs)
    for kind in ("cairn", "redis"):
        if times[kind]:
            print("  %-6s median %.2f s, max %.2f s" % (kind, statistics.median(times[kind]), max(times[kind])))
    if times["cairn"] and times["redis"]:
        print("  ratio  %.2f" % (statistics.median(times["cairn"]) / statistics.median(times["redis"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ops", type=int, default=5000)
    ap.add_argument("--failovers", type=int, default=5)
    ap.add_argument("--only", choices=["wait", "failover"])
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    ap.add_argument("--pin", action="store_true", help="servers on core 0, this script on core 1")
    args = ap.parse_args()
    binary = os.path.abspath(release_binary(args.cairn, build=not args.no_build))
    os.environ["CAIRN_SERVER"] = binary  # the failover scenario starts its servers through serverproc
    binaries = {"cairn": binary, "redis": shutil.which("redis-server")}
    if args.pin:
        PIN["on"] = True
        os.sched_setaffinity(0, {1})
    print("cairn-server %s; redis-server %s%s" % (binaries["cairn"], binaries["redis"], " --pin" if args.pin else ""))
    if args.only in (None, "wait"):
        print("\nwait ...", flush=True)
        bench_wait(binaries, args.rounds, args.ops)
    if args.only in (None, "failover"):
        print("\nfailover ...", flush=True)
        bench_failover(args.failovers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
