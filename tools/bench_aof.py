#!/usr/bin/env python3
"""bench_aof: append-only file figures of cairn-server beside redis-server, as ratios.

Job: on the same machine, in one run, for both servers:
  write     SET throughput (redis-benchmark -t set -c 50 -P 1 -r 100000) with
            appendonly no, appendfsync everysec and appendfsync always,
            interleaved round by round; also Cairn everysec / Cairn without AOF;
  rewrite   BGREWRITEAOF time of --keys keys of mixed types (bench_persistence's
            dataset), plain and with the RDB preamble;
  load      start-up load time ("DB loaded from append only file" in the log)
            of a log of --keys commands, and of a preamble AOF after a rewrite.
Medians of --rounds. Both servers are stopped by pid at the end; everything runs
in temporary directories.

Usage: tools/bench_aof.py [--keys 1000000] [--rounds 3] [--only write|rewrite|load] [--no-build]
"""

import argparse
import csv
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import REPO_ROOT, ServerProcess  # noqa: E402
from bench_persistence import client, mixed_dataset, pipe_in  # noqa: E402


def set_throughput(server, requests):
    p = subprocess.run(["redis-benchmark", "-p", str(server.port), "-t", "set", "-c", "50", "-P", "1",
                        "-n", str(requests), "-r", "100000", "--csv"], capture_output=True, text=True, timeout=900)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    return float(rows[0]["rps"])


def bench_write(binaries, rounds, requests):
    modes = [("no AOF", ["--appendonly", "no"]), ("everysec", ["--appendonly", "yes", "--appendfsync", "everysec"]),
             ("always", ["--appendonly", "yes", "--appendfsync", "always"])]
    figures = {(k, m): [] for k in binaries for m, _ in modes}
    for _ in range(rounds):
        for mode, args in modes:
            for kind, binary in binaries.items():
                d = tempfile.mkdtemp(prefix="bench-aof-")
                s = ServerProcess(kind, binary=binary, workdir=d, extra_args=args).start()
                try:
                    figures[(kind, mode)].append(set_throughput(s, requests))
                finally:
                    s.stop()
                    shutil.rmtree(d, ignore_errors=True)
    print("\n## SET throughput, -c 50 -P 1 (requests/s, median of %d)" % rounds)
    print("| mode | cairn | redis | cairn/redis |\n|---|---|---|---|")
    med = {key: statistics.median(v) for key, v in figures.items()}
    for mode, _ in modes:
        c, r = med[("cairn", mode)], med[("redis", mode)]
        print("| %s | %.0f | %.0f | %.2f |" % (mode, c, r, c / r))
    print("Cairn everysec / Cairn without AOF: %.2f" % (med[("cairn", "everysec")] / med[("cairn", "no AOF")]))


def loaded_seconds(server):
    m = re.search(r"DB loaded from append only file: ([0-9.]+) seconds", server.log_tail(50000))
    if not m:
        raise RuntimeError("%s logged no AOF load time: %s" % (server.kind, server.log_tail(600)))
    return float(m.group(1))


def wait_rewrite(c, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = c.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info.get("aof_rewrite_scheduled"):
            return info
        time.sleep(0.01)
    raise RuntimeError("rewrite did not finish")


def bench_rewrite_and_load(binaries, keys, rounds, which):
    work = tempfile.mkdtemp(prefix="bench-aof-")
    cmds = os.path.join(work, "dataset.resp")
    mixed_dataset(cmds, keys)
    fig = {}
    try:
        for _ in range(rounds):
            for kind, binary in binaries.items():
                for preamble in ("no", "yes"):
                    d = os.path.join(work, "%s-%s" % (kind, preamble))
                    shutil.rmtree(d, ignore_errors=True)
                    os.makedirs(d)
                    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble,
                            "--auto-aof-rewrite-percentage", "0"]
                    s = ServerProcess(kind, binary=binary, workdir=d, extra_args=args, timeout=600).start()
                    try:
                        pipe_in(s, cmds)
                        c = client(s)
                        if preamble == "no":
                            s.stop()  # the log now holds one command per key
                            s = ServerProcess(kind, binary=binary, workdir=d, extra_args=args, timeout=600).start()
                            fig.setdefault((kind, "load log"), []).append(loaded_seconds(s))
                            c = client(s)
                        t = time.monotonic()
                        c.bgrewriteaof()
                        wait_rewrite(c)
                        fig.setdefault((kind, "rewrite preamble=" + preamble), []).append(time.monotonic() - t)
                    finally:
                        s.stop()
                    if preamble == "yes":
                        s = ServerProcess(kind, binary=binary, workdir=d, extra_args=args, timeout=600).start()
                        try:
                            assert client(s).dbsize() == keys
                            fig.setdefault((kind, "load preamble"), []).append(loaded_seconds(s))
                        finally:
                            s.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n## BGREWRITEAOF and start-up load, %d mixed keys (seconds, median of %d)" % (keys, rounds))
    print("| figure | cairn | redis | cairn/redis |\n|---|---|---|---|")
    for name in ("rewrite preamble=no", "rewrite preamble=yes", "load log", "load preamble"):
        if which == "rewrite" and name.startswith("load") or which == "load" and name.startswith("rewrite"):
            continue
        c, r = statistics.median(fig[("cairn", name)]), statistics.median(fig[("redis", name)])
        print("| %s | %.3f | %.3f | %.2f |" % (name, c, r, c / r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--only", choices=["write", "rewrite", "load"])
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "cairn-server"], cwd=REPO_ROOT, check=True)
    binaries = {"cairn": os.path.join(REPO_ROOT, ".build", "release", "cairn-server"),
                "redis": shutil.which("redis-server")}
    if args.only in (None, "write"):
        bench_write(binaries, args.rounds, args.requests)
    if args.only in (None, "rewrite", "load"):
        bench_rewrite_and_load(binaries, args.keys, args.rounds, args.only)


if __name__ == "__main__":
    main()
