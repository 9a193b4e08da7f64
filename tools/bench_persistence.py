#!/usr/bin/env python3
"""bench_persistence: RDB figures of cairn-server beside redis-server, as ratios.

Job: on the same machine, in one run, for both servers:
  save      SAVE time, file size, start-up load time ("DB loaded from disk"
            in the log) of a dataset of --keys keys of mixed types (70%
            strings, 10% hashes, 10% sets, 5% sorted sets, 5% lists, each
            collection of 5 elements); then `cairn rdb check` beside
            `redis-check-rdb` on Redis's file. Medians of --rounds.
  bgsave    BGSAVE of --keys string keys while `redis-benchmark -t set -r N
            -P 16` overwrites random existing keys: extra memory during the
            save (Cairn: peak RSS above the RSS before; Redis: the fork
            child's copy-on-write peak, INFO current_cow_peak / rdb_last_cow_size)
            as a share of the dataset (RSS after loading minus RSS empty), and
            the worst PING latency seen by a client pinging in a loop.
  load7     start-up load time of RDB files written by redis-server 7.0
            itself, one per encoding it writes (tools/redis7_datasets.py:
            listpack hashes and sorted sets, quicklist lists, intset and
            hashtable sets, skiplist sorted sets, hashtable hashes, strings),
            each server free and pinned to one core (sched_setaffinity, as
            `taskset -c`), medians of --rounds and the ratio. The files are
            kept in --datasets and reused.
Both servers are stopped by pid at the end; everything runs in temporary
directories.

Usage: tools/bench_persistence.py [--keys 1000000] [--rounds 3] [--only save|bgsave|load7] [--no-build]
                                 [--datasets DIR] [--sets hash-listpack,strings,...] [--cairn BINARY]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import REPO_ROOT, ServerProcess  # noqa: E402
import redis7_datasets  # noqa: E402
from redis7_datasets import resp  # noqa: E402

import redis  # noqa: E402


def client(server):
    return redis.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=600)


def rss(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def mixed_dataset(path, keys):
    """Writes the commands of the mixed dataset to `path` (fed with redis-cli --pipe)."""
    with open(path, "wb") as f:
        for i in range(keys):
            kind = i % 20
            if kind < 14:
                f.write(resp("SET", "str:%d" % i, "value-%d" % i))
            elif kind < 16:
                f.write(resp("HSET", "hash:%d" % i, "a", i, "b", "bee", "c", "sea", "d", i * 2, "e", "eee"))
            elif kind < 18:
                f.write(resp("SADD", "set:%d" % i, i, i + 1, i + 2, i + 3, "m%d" % i))
            elif kind < 19:
                f.write(resp("ZADD", "zset:%d" % i, 1, "a", 2, "b", 3.5, "c", 4, "d%d" % i, 5, "e"))
            else:
                f.write(resp("RPUSH", "list:%d" % i, "a", "b", i, "d", "e"))


def pipe_in(server, path):
    with open(path, "rb") as f:
        p = subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], stdin=f, capture_output=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("redis-cli --pipe failed: %s" % p.stdout[-300:])


def loaded_seconds(server):
    m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", server.log_tail(20000))
    if not m:
        raise RuntimeError("%s did not log a load time: %s" % (server.kind, server.log_tail(500)))
    return float(m.group(1))


def timed(argv):
    t = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=900)
    return time.monotonic() - t, p.returncode


def bench_save(binaries, keys, rounds, cairn_tool):
    work = tempfile.mkdtemp(prefix="bench-persist-")
    cmds = os.path.join(work, "dataset.resp")
    mixed_dataset(cmds, keys)
    figures = {k: {"save": [], "load": [], "size": []} for k in binaries}
    check = {"cairn rdb check": [], "redis-check-rdb": []}
    try:
        for _ in range(rounds):
            for kind, binary in binaries.items():
                d = os.path.join(work, kind)
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                s = ServerProcess(kind, binary=binary, workdir=d).start()
                try:
                    pipe_in(s, cmds)
                    c = client(s)
                    assert c.dbsize() == keys, c.dbsize()
                    t = time.monotonic()
                    c.execute_command("SAVE")
                    figures[kind]["save"].append(time.monotonic() - t)
                finally:
                    s.stop()
                figures[kind]["size"].append(os.path.getsize(os.path.join(d, "dump.rdb")))
                s = ServerProcess(kind, binary=binary, workdir=d, timeout=300).start()
                try:
                    assert client(s).dbsize() == keys
                    figures[kind]["load"].append(loaded_seconds(s))
                finally:
                    s.stop()
            redis_file = os.path.join(work, "redis", "dump.rdb")
            check["cairn rdb check"].append(timed([cairn_tool, "rdb", "check", redis_file])[0])
            check["redis-check-rdb"].append(timed(["redis-check-rdb", redis_file])[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n## SAVE, file size and load of %d mixed keys (median of %d)" % (keys, rounds))
    print("| figure | cairn | redis | cairn/redis |\n|---|---|---|---|")
    for fig, unit in (("save", "s"), ("load", "s"), ("size", "MB")):
        cv = statistics.median(figures["cairn"][fig])
        rv = statistics.median(figures["redis"][fig])
        scale = 1e6 if unit == "MB" else 1
        print("| %s | %.3f %s | %.3f %s | %.2f |" % (fig, cv / scale, unit, rv / scale, unit, cv / rv))
    cv, rv = statistics.median(check["cairn rdb check"]), statistics.median(check["redis-check-rdb"])
    print("| check (Redis's file) | %.3f s | %.3f s | %.2f |" % (cv, rv, cv / rv))


def ping_worst(port, stop, out):
    """Pings in a loop until `stop` is set; records the worst round trip in ms."""
    worst = 0.0
    with socket.create_connection(("127.0.0.1", port)) as s:
        while not stop.is_set():
            t = time.monotonic()
            s.sendall(b"PING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                data += s.recv(64)
            worst = max(worst, (time.monotonic() - t) * 1000)
            time.sleep(0.001)
    out.append(worst)


def bench_bgsave(binaries, keys):
    print("\n## BGSAVE of %d string keys under `redis-benchmark -t set -r %d -P 16`" % (keys, keys))
    print("| server | dataset (RSS) | extra memory peak | share of dataset | worst PING ms | save s |")
    print("|---|---|---|---|---|---|")
    for kind, binary in binaries.items():
        d = tempfile.mkdtemp(prefix="bench-bgsave-")
        s = ServerProcess(kind, binary=binary, workdir=d).start()
        try:
            empty = rss(s.pid)
            # The same key names redis-benchmark -r draws: key:%012d.
            path = os.path.join(d, "keys.resp")
            with open(path, "wb") as f:
                for i in range(keys):
                    f.write(resp("SET", "key:%012d" % i, "xxx"))
            pipe_in(s, path)
            os.unlink(path)
            c = client(s)
            time.sleep(1)
            before = rss(s.pid)
            dataset = before - empty
            load = subprocess.Popen(["redis-benchmark", "-p", str(s.port), "-t", "set", "-r", str(keys), "-P", "16",
                                     "-n", "100000000", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(1)
                stop, worst = threading.Event(), []
                pinger = threading.Thread(target=ping_worst, args=(s.port, stop, worst))
                pinger.start()
                time.sleep(0.5)
                base = rss(s.pid)
                peak_self = 0
                t = time.monotonic()
                c.execute_command("BGSAVE")
                while True:
                    peak_self = max(peak_self, rss(s.pid) - base)
                    info = c.info("persistence")
                    if not info["rdb_bgsave_in_progress"]:
                        break
                    time.sleep(0.01)
                took = time.monotonic() - t
                stop.set()
                pinger.join()
            finally:
                load.terminate()
                load.wait()
            if kind == "redis":
                extra = max(info.get("rdb_last_cow_size", 0), info.get("current_cow_peak", 0))
            else:
                extra = peak_self
            print("| %s | %.0f MB | %.1f MB | %.0f%% | %.1f | %.2f |" % (
                kind, dataset / 1e6, extra / 1e6, 100.0 * extra / dataset, worst[0], took))
        finally:
            s.stop()
            shutil.rmtree(d, ignore_errors=True)


def load_once(kind, binary, rdb, keys, core, extra_args=()):
    """Starts `kind` on a copy of `rdb` (pinned to `core` unless None); its logged load time in s."""
    d = tempfile.mkdtemp(prefix="bench-load7-")
    try:
        os.link(rdb, os.path.join(d, "dump.rdb"))
    except OSError:
        shutil.copy(rdb, os.path.join(d, "dump.rdb"))
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    s = ServerProcess(kind, extra_args=extra_args, binary=binary, workdir=d, timeout=300, preexec_fn=pin)
    try:
        s.start()
        assert client(s).dbsize() == keys, (kind, rdb)
        return loaded_seconds(s)
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


# Redis 7.0 checks only a listpack's header at load unless told to check it all;
# Cairn always checks every entry (and more), so this column is the like-for-like one.
CHECKED = ("--sanitize-dump-payload", "yes")


def bench_load7(binaries, names, rounds, directory):
    paths = redis7_datasets.build(names, directory, binaries["redis"])
    cores = sorted(os.sched_getaffinity(0))
    modes = [("free", None), ("1 core", cores[-1])]
    runs = [("redis", binaries["redis"], ()), ("cairn", binaries["cairn"], ()), ("checked", binaries["redis"], CHECKED)]
    print("\n## Start-up load of RDB files written by redis-server 7.0 (median of %d)" % rounds)
    print("'redis checked' is redis-server with sanitize-dump-payload yes: every entry checked, as Cairn does.")
    print("| dataset | server | redis ms | cairn ms | cairn/redis | redis checked ms | cairn/checked |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        what, keys = redis7_datasets.DATASETS[name][:2]
        for mode, core in modes:
            t = {run[0]: [] for run in runs}
            for _ in range(rounds):
                for label, binary, extra in runs:
                    kind = "cairn" if label == "cairn" else "redis"
                    t[label].append(load_once(kind, binary, paths[name], keys, core, extra))
            r, c, k = (statistics.median(t[label]) for label in ("redis", "cairn", "checked"))
            print("| %s: %s | %s | %.0f | %.0f | %.2fx | %.0f | %.2fx |" % (
                name, what, mode, r * 1000, c * 1000, c / r, k * 1000, c / k), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["save", "bgsave", "load7"])
    ap.add_argument("--datasets", default=os.path.join(tempfile.gettempdir(), "cairn-redis7-datasets"),
                    help="where the files Redis 7.0 writes are kept (reused when present)")
    ap.add_argument("--sets", default=",".join(redis7_datasets.DATASETS),
                    help="load7 datasets, comma-separated")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--cairn", help="the cairn-server binary to measure (default: the release build; "
                                    "an older build gives before/after figures)")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "cairn-server"], cwd=REPO_ROOT, check=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "cairn"], cwd=REPO_ROOT, check=True)
    binaries = {"cairn": args.cairn or os.path.join(REPO_ROOT, ".build", "release", "cairn-server"),
                "redis": shutil.which("redis-server")}
    tool = os.path.join(REPO_ROOT, ".build", "release", "cairn")
    if args.only in (None, "save"):
        bench_save(binaries, args.keys, args.rounds, tool)
    if args.only in (None, "bgsave"):
        bench_bgsave(binaries, args.keys)
    if args.only in (None, "load7"):
        bench_load7(binaries, args.sets.split(","), args.rounds, args.datasets)


if __name__ == "__main__":
    main()
