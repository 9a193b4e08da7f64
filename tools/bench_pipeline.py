#!/usr/bin/env python3
"""bench_pipeline: the cost per pipelined request, Cairn beside redis-server 7.0.

Job: measure `redis-benchmark -P 16 -c 50 -t set,get,incr` against both servers
in the same run (servers pinned to core 0, the benchmark to core 1), and report
per test the server's cost per request and req/s, medians of --rounds.

The cost is counted with `perf stat -p PID` over each benchmark run: hardware
instructions and cycles where the machine exposes them, else (virtual machines
often do not) the server's task-clock, i.e. CPU nanoseconds per request, which
a busy machine disturbs far less than wall time. --profile also writes a
`perf record -g` profile of each Cairn run and prints its top frames.

Usage: tools/bench_pipeline.py [--rounds 3] [--requests 2000000] [--cairn PATH]
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverproc import ServerProcess, cairn_server_path, require_alive  # noqa: E402

TESTS = ["set", "get", "incr"]
EVENTS = "instructions,cycles,task-clock"


def run_benchmark(port, test, requests):
    """req/s of one redis-benchmark run of `test`."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50", "-P", "16",
            "-n", str(requests), "-r", "100000", "-t", test, "--csv"]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("redis-benchmark failed (%d): %s" % (p.returncode, p.stderr[-500:]))
    for line in p.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0].lower() == test:
            return float(cells[1])
    raise RuntimeError("no CSV row for %s: %r" % (test, p.stdout[-300:]))


def counted(pid, port, test, requests, profile=None):
    """Runs the benchmark while perf counts the server: (req/s, {event: value})."""
    out = tempfile.NamedTemporaryFile(suffix=".perf", delete=False)
    out.close()
    perf = subprocess.Popen(["perf", "stat", "-x,", "-e", EVENTS, "-o", out.name, "-p", str(pid)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rec = None
    if profile:
        rec = subprocess.Popen(["perf", "record", "-g", "-o", profile, "-p", str(pid)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rps = run_benchmark(port, test, requests)
    finally:
        for p in (perf, rec):
            if p:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=60)
    values = {}
    with open(out.name) as f:
        for line in f:
            cells = line.strip().split(",")
            if len(cells) > 3 and not line.startswith("#"):
                try:
                    values[cells[2]] = float(cells[0])
                except ValueError:
                    pass  # <not supported>
    os.unlink(out.name)
    return rps, values


def top_frames(profile, n=15):
    p = subprocess.run(["perf", "report", "-i", profile, "--no-children", "-g", "none", "--stdio",
                        "--percent-limit", "0.5"], capture_output=True, text=True, timeout=300)
    rows = [l for l in p.stdout.splitlines() if "%" in l and not l.startswith("#")]
    return [r[:150] for r in rows[:n]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=2000000)
    ap.add_argument("--cairn", help="cairn-server binary (default: $CAIRN_SERVER or the release build)")
    ap.add_argument("--profile", help="directory for perf record profiles of the Cairn runs")
    args = ap.parse_args()

    pin = lambda: os.sched_setaffinity(0, {0})  # noqa: E731
    os.sched_setaffinity(0, {1})  # this script, perf and redis-benchmark
    servers = {}
    samples = {}  # (test, server) -> [(rps, values)]
    try:
        servers["redis"] = ServerProcess("redis", preexec_fn=pin).start()
        servers["cairn"] = ServerProcess("cairn", binary=args.cairn or cairn_server_path(), preexec_fn=pin).start()
        for rnd in range(args.rounds):
            order = ["redis", "cairn"] if rnd % 2 == 0 else ["cairn", "redis"]
            for test in TESTS:
                for name in order:
                    s = servers[name]
                    profile = None
                    if args.profile and name == "cairn" and rnd == 0:
                        os.makedirs(args.profile, exist_ok=True)
                        profile = os.path.join(args.profile, "cairn-%s.data" % test)
                    samples.setdefault((test, name), []).append(counted(s.pid, s.port, test, args.requests, profile))
            print("round %d/%d done" % (rnd + 1, args.rounds), file=sys.stderr, flush=True)
        require_alive(servers)
    finally:
        for s in servers.values():
            s.stop()

    def med(test, name, key):
        vals = [(rps if key == "rps" else v.get(key)) for rps, v in samples[(test, name)]]
        vals = [x for x in vals if x is not None]
        return statistics.median(vals) if vals else None

    per_req = lambda test, name, key: (med(test, name, key) or 0) * 1.0 / args.requests  # noqa: E731
    hw = med(TESTS[0], "cairn", "instructions") is not None
    unit = "instr/req" if hw else "cpu-ns/req"
    key = "instructions" if hw else "task-clock"
    scale = 1.0 if hw else 1e6  # task-clock is in ms
    print("-P 16 -c 50 -n %d, medians of %d (%s)" % (args.requests, args.rounds, unit))
    print("%-5s %12s %12s %8s %10s %10s %8s" % ("test", "redis " + unit[:5], "cairn " + unit[:5], "ratio",
                                                 "redis rps", "cairn rps", "ratio"))
    for test in TESTS:
        r, c = per_req(test, "redis", key) * scale, per_req(test, "cairn", key) * scale
        rr, cr = med(test, "redis", "rps"), med(test, "cairn", "rps")
        print("%-5s %12.0f %12.0f %8.2f %10.0f %10.0f %8.2f" % (test, r, c, c / r if r else 0, rr, cr, cr / rr))
    if args.profile:
        for test in TESTS:
            print("\ntop frames, cairn %s:" % test)
            for row in top_frames(os.path.join(args.profile, "cairn-%s.data" % test)):
                print(row)


if __name__ == "__main__":
    main()
