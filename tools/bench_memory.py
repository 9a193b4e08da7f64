#!/usr/bin/env python3
"""bench_memory: bytes per key in cairn-server and redis-server, side by side, as ratios.

Job: start both servers (fresh, on free loopback ports), load the same dataset
into each, and report per key: used_memory (INFO memory) and the process's
resident set (VmRSS), each after minus before, divided by the keys loaded.
Datasets (issue 3's table):
  strings  1,000,000 small strings   (DEBUG POPULATE: key:N -> value:N)
  hashes     100,000 hashes of 10 fields
  sets       100,000 sets of 10 integers
  zsets      100,000 sorted sets of 10 members
  lists       10,000 lists of 100 elements
  lists-lzf   10,000 lists of 100 compressible ~250-byte elements (JSON-like
              records), both servers with list-compress-depth 1: about 4 nodes
              of 8 KiB per list, the interior ones LZF-compressed
  str16, str64, str128, str1024, str16384
              100,000 string keys (1,000,000 for str16, issue 18's row; 10,000
              for str16384) of values of that many
              bytes; the last columns give used_memory growth over the data's
              own bytes (key + value) for each server (issue 13's table)
Both servers allocate through jemalloc (Debian's Redis bundles it, Cairn links
libjemalloc), but used_memory is each server's own count (Redis: its own
zmalloc tally, Cairn: jemalloc's stats.allocated); RSS compares like with like.

Usage: tools/bench_memory.py [--scale 1.0] [--cairn PATH] [--datasets strings,lists-lzf]   (run tools/bench.py --no-build style:
it uses the existing release binary .build/release/cairn-server)
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis  # noqa: E402

from serverproc import ServerProcess  # noqa: E402


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(r):
    return int(r.info("memory")["used_memory"])


def record(i, j):
    """A JSON-like record of about 250 bytes: repetitive, as real list payloads are."""
    return ('{"id":%d,"user":"user%d","email":"user%d@example.com","status":"active",'
            '"roles":["reader","writer"],"created":"2024-01-%02dT10:%02d:00Z",'
            '"note":"entry %d of list %d, nothing to see here, padding the record out"}'
            % (i * 100 + j, i, i, j % 28 + 1, j % 60, j, i))


# Server flags per dataset (both servers).
DATASET_CONFIG = {"lists-lzf": ["--list-compress-depth", "1"]}


def value_size(dataset):
    """The value length of an strN dataset, else None."""
    return int(dataset[3:]) if dataset.startswith("str") and dataset[3:].isdigit() else None


def load(r, dataset, n):
    if dataset == "strings":
        r.execute_command("DEBUG", "POPULATE", n)
        return
    size = value_size(dataset)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        key = "%s:%d" % (dataset, i)
        if dataset == "hashes":
            pipe.execute_command("HSET", key, *sum((["field%d" % j, "value%d" % j] for j in range(10)), []))
        elif dataset == "sets":
            pipe.execute_command("SADD", key, *[str(i * 10 + j) for j in range(10)])
        elif dataset == "zsets":
            pipe.execute_command("ZADD", key, *sum(([str(j), "member%d" % j] for j in range(10)), []))
        elif dataset == "lists":
            pipe.execute_command("RPUSH", key, *["element%d" % j for j in range(100)])
        elif dataset == "lists-lzf":
            pipe.execute_command("RPUSH", key, *[record(i, j) for j in range(100)])
        elif size is not None:
            pipe.execute_command("SET", key, (b"%010d" % i) * (size // 10) + b"v" * (size % 10))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()


def measure(kind, binary, dataset, n):
    extra = ["--enable-debug-command", "yes"] if kind == "redis" else []
    extra += DATASET_CONFIG.get(dataset, [])
    with ServerProcess(kind, extra_args=extra, binary=binary) as server:
        r = redis.Redis(port=server.port, protocol=2)
        before_used, before_rss = used_memory(r), rss_bytes(server.pid)
        load(r, dataset, n)
        assert r.dbsize() == n, (kind, dataset, r.dbsize())
        return (used_memory(r) - before_used) / n, (rss_bytes(server.pid) - before_rss) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of each dataset's key count")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    ap.add_argument("--datasets", help="comma-separated subset of the datasets (default: all)")
    args = ap.parse_args()
    datasets = [("strings", 1_000_000), ("hashes", 100_000), ("sets", 100_000), ("zsets", 100_000), ("lists", 10_000),
                ("lists-lzf", 10_000), ("str16", 1_000_000), ("str64", 100_000), ("str128", 100_000), ("str1024", 100_000),
                ("str16384", 10_000)]
    print("%-8s %9s | %12s %12s %6s | %12s %12s %6s | %s" % ("dataset", "keys", "redis used", "cairn used", "ratio",
                                                             "redis rss", "cairn rss", "ratio", "used/data redis cairn"))
    if args.datasets:
        wanted = args.datasets.split(",")
        unknown = set(wanted) - {name for name, _ in datasets}
        if unknown:
            ap.error("unknown dataset(s): %s" % ", ".join(sorted(unknown)))
        datasets = [d for d in datasets if d[0] in wanted]
    for name, count in datasets:
        n = max(1, int(count * args.scale))
        ru, rr = measure("redis", None, name, n)
        cu, cr = measure("cairn", args.cairn, name, n)
        size = value_size(name)
        per_data = ""
        if size is not None:
            data = len("%s:%d" % (name, n // 2)) + size  # a typical key's bytes plus its value's
            per_data = "%.2f %.2f" % (ru / data, cu / data)
        print("%-8s %9d | %12.1f %12.1f %6.2f | %12.1f %12.1f %6.2f | %s"
              % (name, n, ru, cu, cu / ru, rr, cr, cr / rr, per_data))


if __name__ == "__main__":
    main()
