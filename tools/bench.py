#!/usr/bin/env python3
"""bench: redis-benchmark against redis-server and cairn-server, interleaved, as ratios.

Job: build the release cairn-server, start it and redis-server on free loopback
ports, and run the same redis-benchmark workloads against both, alternating
server by server and round by round (these machines are shared and noisy: only
figures taken side by side are comparable). Prints, per workload and command,
the median over the rounds of each figure for each server and the ratio
Cairn/Redis. Both servers are stopped by pid at the end.

Workloads (redis-benchmark 7.0, --csv):
  c50-P1    -c 50 -P 1   throughput (requests/s) and p50 latency
  c50-P16   -c 50 -P 16  throughput with pipelining
  c1-P1     -c 1  -P 1   latency: the average round trip in microseconds, taken as
                       1e6 / requests per second (one request in flight, so this is
                       the mean to full precision, where redis-benchmark's own average
                       has 3 decimals of a millisecond), and p50 (ms)
each for SET, GET, INCR and MSET (10 keys), keys drawn from -r 100000.
--scripts adds EVAL and EVALSHA of `return redis.call('incr',KEYS[1])` (the
script loaded on both servers first); --tests "" with --scripts runs only those.
--pin runs the servers on core 0 and redis-benchmark on core 1 (taskset's way).
--reference redis4 measures beside the reference Redis 4.0.14 (tools/redis4.sh)
instead of redis-server 7.0.
--pipe N adds the time of `redis-cli --pipe` sending N SETs (one connection, as a
bulk import does), the keyspace flushed before each run.

Usage: tools/bench.py [--rounds 5] [--requests 100000] [--no-build] [--tests set,get,incr,mset]
                      [--scripts] [--pin] [--reference redis|redis4] [--pipe 1000000]
Ratios: throughput Cairn/Redis above 1 means Cairn is faster; latency
Cairn/Redis above 1 means Cairn is slower.
"""

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import redis4_binary, release_binary, require_alive, REPO_ROOT, ServerProcess  # noqa: E402

SCRIPT = "return redis.call('incr',KEYS[1])"

WORKLOADS = [  # (name, clients, pipeline, share of --requests)
    ("c50-P1", 50, 1, 1.0),
    ("c50-P16", 50, 16, 4.0),
    ("c1-P1", 1, 1, 0.2),
]


def run_benchmark(port, clients, pipeline, requests, tests, command=None, name=None):
    """redis-benchmark's CSV rows by test name: the -t tests, or one custom `command` named `name`."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients),
            "-P", str(pipeline), "-n", str(requests), "-r", "100000", "--csv"]
    argv += command if command else ["-t", tests]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("redis-benchmark failed (%d): %s" % (p.returncode, p.stderr[-500:]))
    rows = {}
    for row in csv.DictReader(io.StringIO(p.stdout)):
        rows[name or row["test"]] = {k: float(v) for k, v in row.items() if k != "test"}
    if not rows:
        raise RuntimeError("no CSV from redis-benchmark: %r %r" % (p.stdout[-300:], p.stderr[-300:]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=50000, help="requests per c50-P1 run (others scale)")
    ap.add_argument("--tests", default="set,get,incr,mset")
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    ap.add_argument("--scripts", action="store_true", help="also EVAL and EVALSHA of a one-INCR script")
    ap.add_argument("--pin", action="store_true", help="servers on core 0, redis-benchmark on core 1")
    ap.add_argument("--reference", choices=["redis", "redis4"], default="redis",
                    help="redis-server 7.0 (default) or the reference Redis 4.0.14")
    ap.add_argument("--pipe", type=int, default=0, metavar="N",
                    help="also time `redis-cli --pipe` of N SETs (0: not measured)")
    args = ap.parse_args()

    binary = release_binary(args.cairn, build=not args.no_build)
    pin = (lambda: os.sched_setaffinity(0, {0})) if args.pin else None
    if args.pin:
        os.sched_setaffinity(0, {1})  # this script and the redis-benchmark it starts

    servers = {}
    pipe_file = None
    try:
        reference_binary = redis4_binary() if args.reference == "redis4" else None
        servers["redis"] = ServerProcess(args.reference, binary=reference_binary, preexec_fn=pin).start()
        servers["cairn"] = ServerProcess("cairn", binary=binary, preexec_fn=pin).start()
        custom = []
        if args.scripts:
            shas = {load_script(servers[k].port) for k in servers}
            assert len(shas) == 1, shas
            sha = shas.pop()
            custom = [("EVAL", ["eval", SCRIPT, "1", "key:__rand_int__"]),
                      ("EVALSHA", ["evalsha", sha, "1", "key:__rand_int__"])]
        print("redis-server pid %d port %d; cairn-server pid %d port %d (%s)" % (
            servers["redis"].pid, servers["redis"].port, servers["cairn"].pid, servers["cairn"].port, binary))
        # samples[(workload, test, server, figure)] = [values per round]
        samples = {}
        piped = {}  # server -> seconds of `redis-cli --pipe` per round
        pipe_file = write_pipe_file(args.pipe) if args.pipe else None
        t0 = time.monotonic()
        for rnd in range(args.rounds):
            order = ["redis", "cairn"] if rnd % 2 == 0 else ["cairn", "redis"]
            if pipe_file:
                for server in order:
                    piped.setdefault(server, []).append(time_pipe(servers[server].port, pipe_file))
            for name, clients, pipeline, share in (WORKLOADS if args.tests or custom else []):
                for server in order:
                    n = max(1000, int(args.requests * share))
                    rows = run_benchmark(servers[server].port, clients, pipeline, n, args.tests) if args.tests else {}
                    for test_name, command in custom:
                        rows.update(run_benchmark(servers[server].port, clients, pipeline, n, "", command, test_name))
                    for test, figures in rows.items():
                        for fig, val in figures.items():
                            samples.setdefault((name, test, server, fig), []).append(val)
            print("round %d/%d done (%.0fs)" % (rnd + 1, args.rounds, time.monotonic() - t0), flush=True)
        require_alive(servers)
    finally:
        for s in servers.values():
            s.stop()
        if pipe_file:
            os.unlink(pipe_file)

    def med(name, test, server, fig):
        vals = samples.get((name, test, server, fig))
        return statistics.median(vals) if vals else float("nan")

    order = ["SET", "GET", "INCR", "EVAL", "EVALSHA"]
    tests = sorted({t for (_, t, _, _) in samples}, key=lambda t: order.index(t) if t in order else 9)
    print()
    print("median of %d interleaved rounds; ratio = cairn / %s%s" % (
        args.rounds, args.reference, "; servers pinned to core 0, redis-benchmark to core 1" if args.pin else ""))
    header = "%-8s %-15s %13s %13s %7s   %10s %10s %7s" % (
        "workload", "command", "redis", "cairn", "ratio", "redis", "cairn", "ratio")
    for name, clients, pipeline, _ in (WORKLOADS if tests else []):
        latency = clients == 1
        first = ("avg us" if latency else "req/s")
        print()
        print(header)
        print("%-8s %-15s %13s %13s %7s   %10s %10s %7s" % (name, "", first, first, "", "p50 ms", "p50 ms", ""))
        for test in tests:
            a, b = med(name, test, "redis", "rps"), med(name, test, "cairn", "rps")
            if latency:
                # The median rate's round trip is the median round trip (1e6 / rps is monotonic).
                a, b = 1e6 / a, 1e6 / b
            pa, pb = med(name, test, "redis", "p50_latency_ms"), med(name, test, "cairn", "p50_latency_ms")
            fmt = "%13.2f" if latency else "%13.0f"
            print(("%-8s %-15s " + fmt + " " + fmt + " %7.2f   %10.3f %10.3f %7.2f") % (
                name, test, a, b, b / a if a else float("nan"), pa, pb, pb / pa if pa else float("nan")))
    if args.pipe:
        a, b = statistics.median(piped["redis"]), statistics.median(piped["cairn"])
        print()
        print("redis-cli --pipe of %d SETs: %s %.3f s, cairn %.3f s, ratio %.2f (time: above 1 is slower)" % (
            args.pipe, args.reference, a, b, b / a))
    return 0


def write_pipe_file(count):
    """A file of `count` SET commands in RESP, as a bulk import would send them."""
    fd, path = tempfile.mkstemp(prefix="bench-pipe-", suffix=".resp")
    with os.fdopen(fd, "wb") as f:
        for i in range(count):
            key, value = b"key:%d" % i, b"value:%d" % i
            f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    return path


def time_pipe(port, path):
    """Seconds `redis-cli --pipe` takes to send the file and read every reply (keyspace flushed first)."""
    subprocess.run(["redis-cli", "-p", str(port), "flushall"], check=True, capture_output=True, timeout=60)
    with open(path, "rb") as f:
        start = time.monotonic()
        p = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - start
    if p.returncode != 0 or "errors: 0" not in p.stdout:
        raise RuntimeError("redis-cli --pipe failed: %r %r" % (p.stdout[-300:], p.stderr[-300:]))
    return elapsed


def load_script(port):
    """SCRIPT LOAD of the benchmark script; returns its sha1."""
    import redis
    client = redis.Redis(host="127.0.0.1", port=port, protocol=2)
    try:
        return client.script_load(SCRIPT)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
