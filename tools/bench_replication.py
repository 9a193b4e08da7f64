#!/usr/bin/env python3
"""bench_replication: master/replica figures of cairn-server beside redis-server, as ratios.

Job: on the same machine, in one run, Cairn->Cairn and Redis->Redis pairs
(master and replicas of the same kind), interleaved round by round, medians
of --rounds and the ratio Cairn/Redis:
  sync        full sync of --keys keys of mixed types (bench_persistence's
              dataset, loaded with redis-cli --pipe) to a fresh empty replica:
              time from SLAVEOF to the replica's master_link_status:up with
              master_sync_in_progress:0 and its key count equal to the
              master's. Disk (repl-diskless-sync no), then diskless
              (repl-diskless-sync yes, repl-diskless-sync-delay 0); a Cairn
              that refuses to start with diskless is shown as n/a.
  throughput  `redis-benchmark -t set -P 16 -c 50 -n N -r 1000000 -q` against
              the master with 0, 1 and 2 replicas attached (fresh servers per
              measurement). Each run's progress line also gives the CPU
              seconds the master and each replica spent on it.
  lag         during the 1-replica run above, every 100 ms, master_repl_offset
              (master) minus slave_repl_offset (replica) in bytes: median and
              max; then the time for the replica to reach the master's offset
              after the benchmark ends.
  memory      master loaded with --keys string keys, `redis-benchmark -t set
              -r KEYS -P 16` overwriting them, a fresh replica attached: peak
              growth of the master's RSS during the full sync (Redis: plus the
              fork child's copy-on-write, INFO current_cow_peak /
              rdb_last_cow_size, else the child's private memory from /proc)
              as a share of the dataset (RSS after loading minus RSS empty).
Issue targets printed beside the figures: full sync at most Redis's time,
throughput with replicas >= 0.9x Redis's, memory growth under 5%.
--pin runs every server on core 0 (as `taskset -c 0`) and this script with
its clients (redis-benchmark, redis-cli) on core 1. Servers run on free
loopback ports in temporary directories and are stopped by pid.

Usage: tools/bench_replication.py [--keys 1000000] [--rounds 3] [--requests N]
         [--only sync|throughput|lag|memory] [--no-build] [--cairn PATH] [--pin]
Quick run: --keys 100000 --rounds 1. --requests defaults to --keys.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import release_binary, REPO_ROOT, ServerProcess  # noqa: E402
from bench_persistence import client, mixed_dataset, pipe_in, resp, rss  # noqa: E402

import redis  # noqa: E402

SYNC_TIMEOUT = 600.0
PIN = {"on": False}
ODDITIES = []  # (what happened, log tails) printed at the end


def pin_server():
    os.sched_setaffinity(0, {0})


def start(kind, binary, extra=(), timeout=60.0):
    # Disk-based sync unless a row asks for diskless (Redis 7.0's default is diskless, 4.0's and Cairn's disk).
    args = ["--repl-diskless-sync", "no"] + list(extra)
    return ServerProcess(kind, extra_args=args, binary=binary, timeout=timeout,
                         preexec_fn=pin_server if PIN["on"] else None).start()


def stop_all(servers):
    for s in servers:
        if s is not None:
            s.stop()


def oddity(what, *servers):
    tails = "\n".join("--- %s (pid %s, port %s) log tail:\n%s" % (s.kind, s.pid, s.port, s.log_tail(1500))
                      for s in servers if s is not None)
    ODDITIES.append((what, tails))
    print("  !! %s" % what, flush=True)


def info(c, section):
    return c.info(section)


def replica_synced(rc, want_keys):
    """True once the replica reports the link up, no sync in progress and want_keys keys."""
    try:
        r = info(rc, "replication")
        if r.get("master_link_status") != "up" or int(r.get("master_sync_in_progress", 1)) != 0:
            return False
        ks = info(rc, "keyspace")
        return want_keys is None or ks.get("db0", {}).get("keys", 0) == want_keys
    except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError):
        return False  # -LOADING and the like while the payload loads


def wait_synced(replica, master, want_keys, timeout=SYNC_TIMEOUT, poll=0.01):
    """Seconds until replica_synced, or None after timeout (the log tails go to ODDITIES)."""
    rc = client(replica)
    t = time.monotonic()
    rc.execute_command("SLAVEOF", "127.0.0.1", master.port)
    while time.monotonic() - t < timeout:
        if replica_synced(rc, want_keys):
            return time.monotonic() - t
        if not replica.alive() or not master.alive():
            oddity("%s server died during the full sync" % replica.kind, master, replica)
            return None
        time.sleep(poll)
    oddity("%s replica not synced after %.0f s" % (replica.kind, timeout), master, replica)
    return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "n/a"


def fmt(v, spec, unit=""):
    return (spec % v) + unit if v is not None else "n/a"


def verdict(ok):
    return "" if ok is None else (" (met)" if ok else " (NOT met)")


def order(rnd):
    return ["redis", "cairn"] if rnd % 2 == 0 else ["cairn", "redis"]


# ---------------------------------------------------------------- sync

def diskless_supported(kind, binary):
    """False if the server refuses to start with repl-diskless-sync yes (Cairn before diskless)."""
    try:
        s = start(kind, binary, ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"], timeout=20)
    except RuntimeError as e:
        print("  %s refuses repl-diskless-sync yes: %s" % (kind, str(e).strip().splitlines()[-1][:200]), flush=True)
        return False
    s.stop()
    return True


def bench_sync(binaries, keys, rounds, work):
    cmds = os.path.join(work, "dataset.resp")
    mixed_dataset(cmds, keys)
    modes = [("disk", "no"), ("diskless", "yes")]
    supported = {k: diskless_supported(k, b) for k, b in binaries.items()}
    times = {(k, m): [] for k in binaries for m, _ in modes}
    masters = {}
    try:
        for kind, binary in binaries.items():
            t = time.monotonic()
            masters[kind] = start(kind, binary)
            pipe_in(masters[kind], cmds)
            n = client(masters[kind]).dbsize()
            if n != keys:
                raise RuntimeError("%s master holds %d keys, not %d" % (kind, n, keys))
            print("  %s master loaded %d mixed keys in %.1f s" % (kind, n, time.monotonic() - t), flush=True)
        os.unlink(cmds)
        for rnd in range(rounds):
            for mode, yes in modes:
                for kind in order(rnd):
                    if mode == "diskless" and not supported[kind]:
                        continue
                    m = masters[kind]
                    mc = client(m)
                    mc.config_set("repl-diskless-sync", yes)
                    mc.config_set("repl-diskless-sync-delay", "0")
                    replica = start(kind, binaries[kind])
                    try:
                        took = wait_synced(replica, m, keys)
                    finally:
                        replica.stop()
                    times[(kind, mode)].append(took)
                    print("  round %d %s %s: %s" % (rnd + 1, mode, kind, fmt(took, "%.2f", " s")), flush=True)
    finally:
        stop_all(masters.values())
    print("\n## Full sync of %d mixed keys to an empty replica, SLAVEOF to link up with all keys "
          "(median of %d)" % (keys, rounds))
    print("| mode | cairn | redis | cairn/redis | target: cairn <= redis |\n|---|---|---|---|---|")
    for mode, _ in modes:
        c, r = med(times[("cairn", mode)]), med(times[("redis", mode)])
        if mode == "diskless" and not supported["cairn"]:
            print("| %s | n/a (not supported) | %s | n/a | n/a |" % (mode, fmt(r, "%.2f", " s")))
            continue
        ok = None if c is None or r is None else c <= r
        print("| %s | %s | %s | %s | %s |" % (mode, fmt(c, "%.2f", " s"), fmt(r, "%.2f", " s"), ratio(c, r),
                                              ("met" if ok else "NOT met") if ok is not None else "n/a"))


# ---------------------------------------------------------------- throughput and lag

def offsets(mc, rc):
    """Lag in bytes: master_repl_offset (midpoint of two reads around the replica's) minus slave_repl_offset."""
    m1 = int(info(mc, "replication")["master_repl_offset"])
    r = int(info(rc, "replication").get("slave_repl_offset", 0))
    m2 = int(info(mc, "replication")["master_repl_offset"])
    return (m1 + m2) / 2 - r, m2, r


def sample_lag(master, replica, stop, out):
    mc, rc = client(master), client(replica)
    while not stop.is_set():
        try:
            out.append(offsets(mc, rc)[0])
        except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError):
            pass
        stop.wait(0.1)


def catch_up(master, replica, timeout=120.0):
    """Seconds from now until the replica's offset reaches the master's (the master is idle)."""
    mc, rc = client(master), client(replica)
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        m = int(info(mc, "replication")["master_repl_offset"])
        r = int(info(rc, "replication").get("slave_repl_offset", 0))
        if r >= m:
            return time.monotonic() - t
        time.sleep(0.01)
    oddity("%s replica did not catch up within %.0f s" % (replica.kind, timeout), master, replica)
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_benchmark(port, requests, keyspace, pipeline=16, clients=50):
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set", "-P", str(pipeline),
            "-c", str(clients), "-n", str(requests), "-r", str(keyspace), "-q"]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    found = re.findall(r"SET: ([0-9.]+) requests per second", p.stdout)
    if p.returncode != 0 or not found:
        raise RuntimeError("redis-benchmark failed (%d): %r %r" % (p.returncode, p.stdout[-300:], p.stderr[-300:]))
    return float(found[-1])


def bench_throughput(binaries, requests, rounds, counts, want_lag):
    rps = {(k, n): [] for k in binaries for n in counts}
    lag = {k: {"median": [], "max": [], "catch-up": [], "samples": []} for k in binaries}
    for rnd in range(rounds):
        for n in counts:
            for kind in order(rnd):
                servers = []
                try:
                    master = start(kind, binaries[kind])
                    servers.append(master)
                    replicas = []
                    for _ in range(n):
                        r = start(kind, binaries[kind])
                        servers.append(r)
                        replicas.append(r)
                        if wait_synced(r, master, None, timeout=60) is None:
                            raise RuntimeError("%s replica did not attach" % kind)
                    stop, samples = threading.Event(), []
                    sampler = None
                    if n == 1 and want_lag:
                        sampler = threading.Thread(target=sample_lag, args=(master, replicas[0], stop, samples))
                        sampler.start()
                    cpu0 = [cpu_seconds(s.pid) for s in servers]
                    try:
                        v = set_benchmark(master.port, requests, 1000000)
                        cpu = [cpu_seconds(s.pid) - c0 for s, c0 in zip(servers, cpu0)]
                    finally:
                        stop.set()
                        if sampler:
                            sampler.join()
                    rps[(kind, n)].append(v)
                    line = "  round %d %s %d replica(s): %.0f SET/s, CPU s master %s" % (
                        rnd + 1, kind, n, v, " replica ".join("%.2f" % c for c in cpu))
                    if sampler:
                        up = catch_up(master, replicas[0])
                        if samples:
                            lag[kind]["median"].append(statistics.median(samples))
                            lag[kind]["max"].append(max(samples))
                            lag[kind]["samples"].append(len(samples))
                        lag[kind]["catch-up"].append(up)
                        line += "; lag median %.0f B, max %.0f B over %d samples, catch-up %s" % (
                            statistics.median(samples) if samples else float("nan"),
                            max(samples) if samples else float("nan"), len(samples), fmt(up, "%.3f", " s"))
                    for s in servers:
                        if not s.alive():
                            oddity("%s server died during the benchmark" % kind, s)
                    print(line, flush=True)
                finally:
                    stop_all(servers)
    return rps, lag


def print_throughput(rps, counts, requests, rounds):
    print("\n## Master SET throughput, `redis-benchmark -t set -P 16 -c 50 -n %d -r 1000000`, "
          "with replicas (median of %d)" % (requests, rounds))
    print("| replicas | cairn SET/s | redis SET/s | cairn/redis | target: >= 0.90 with replicas |")
    print("|---|---|---|---|---|")
    for n in counts:
        c, r = med(rps[("cairn", n)]), med(rps[("redis", n)])
        target = "-" if n == 0 else ("met" if c and r and c / r >= 0.9 else "NOT met")
        print("| %d | %s | %s | %s | %s |" % (n, fmt(c, "%.0f"), fmt(r, "%.0f"), ratio(c, r), target))


def print_lag(lag, rounds):
    print("\n## Replica lag during the 1-replica run, master_repl_offset - slave_repl_offset every 100 ms "
          "(median of %d)" % rounds)
    print("| figure | cairn | redis | cairn/redis |\n|---|---|---|---|")
    for fig, spec, unit in (("median", "%.0f", " B"), ("max", "%.0f", " B"), ("catch-up", "%.3f", " s")):
        c, r = med(lag["cairn"][fig]), med(lag["redis"][fig])
        label = {"median": "median lag", "max": "max lag", "catch-up": "catch-up after the benchmark"}[fig]
        print("| %s | %s | %s | %s |" % (label, fmt(c, spec, unit), fmt(r, spec, unit), ratio(c, r)))
    print("| samples per run | %s | %s | |" % (fmt(med(lag["cairn"]["samples"]), "%.0f"),
                                              fmt(med(lag["redis"]["samples"]), "%.0f")))


# ---------------------------------------------------------------- memory

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def private_bytes(pid):
    """Private_Clean + Private_Dirty of a process (a fork child's copy-on-write copies)."""
    total = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def child_memory(master, mc):
    """Memory of a fork child saving for the sync: INFO current_cow_peak / rdb_last_cow_size where the
    server reports the former (Redis 7.0), else the private memory of its children from /proc (Cairn
    does not fork; its rdb_last_cow_size is always 0)."""
    p = info(mc, "persistence")
    if "current_cow_peak" in p:
        return max(int(p["current_cow_peak"]), int(p.get("rdb_last_cow_size", 0)))
    return sum(private_bytes(pid) for pid in children(master.pid))


def bench_memory(binaries, keys, rounds, work):
    path = os.path.join(work, "keys.resp")
    with open(path, "wb") as f:
        for i in range(keys):  # the key names redis-benchmark -r draws: key:%012d
            f.write(resp("SET", "key:%012d" % i, "xxx"))
    res = {k: {"dataset": [], "master": [], "child": [], "share": [], "sync": []} for k in binaries}
    for rnd in range(rounds):
        for kind in order(rnd):
            servers = []
            try:
                master = start(kind, binaries[kind])
                servers.append(master)
                mc = client(master)
                empty = rss(master.pid)
                pipe_in(master, path)
                time.sleep(1)
                dataset = rss(master.pid) - empty
                load = subprocess.Popen(["redis-benchmark", "-h", "127.0.0.1", "-p", str(master.port), "-t", "set",
                                         "-r", str(keys), "-P", "16", "-n", "1000000000", "-q"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    time.sleep(1)
                    replica = start(kind, binaries[kind])
                    servers.append(replica)
                    base = rss(master.pid)
                    peak_master = peak_child = 0
                    rc = client(replica)
                    t = time.monotonic()
                    rc.execute_command("SLAVEOF", "127.0.0.1", master.port)
                    took, done_at = None, None
                    while time.monotonic() - t < SYNC_TIMEOUT:
                        peak_master = max(peak_master, rss(master.pid) - base)
                        peak_child = max(peak_child, child_memory(master, mc))
                        if done_at is None and replica_synced(rc, None):
                            done_at = time.monotonic()
                            took = done_at - t
                        if done_at is not None and time.monotonic() - done_at > 0.5:
                            break
                        if not master.alive() or not replica.alive():
                            oddity("%s server died during the full sync under load" % kind, master, replica)
                            break
                        time.sleep(0.05)
                    else:
                        oddity("%s replica not synced under load after %.0f s" % (kind, SYNC_TIMEOUT),
                               master, replica)
                    peak_child = max(peak_child, child_memory(master, mc))
                finally:
                    load.terminate()
                    load.wait()
                growth = peak_master + peak_child
                r = res[kind]
                r["dataset"].append(dataset)
                r["master"].append(peak_master)
                r["child"].append(peak_child)
                r["share"].append(100.0 * growth / dataset)
                r["sync"].append(took)
                print("  round %d %s: dataset %.0f MB, master +%.1f MB, fork child +%.1f MB (%.1f%%), sync %s" % (
                    rnd + 1, kind, dataset / 1e6, peak_master / 1e6, peak_child / 1e6, 100.0 * growth / dataset,
                    fmt(took, "%.2f", " s")), flush=True)
            finally:
                stop_all(servers)
    os.unlink(path)
    print("\n## Master memory during a full sync of %d string keys under `redis-benchmark -t set -r %d -P 16` "
          "(median of %d)" % (keys, keys, rounds))
    print("| figure | cairn | redis | cairn/redis |\n|---|---|---|---|")
    rows = (("dataset (RSS loaded - RSS empty)", "dataset", "%.0f", " MB", 1e6),
            ("master RSS growth peak", "master", "%.1f", " MB", 1e6),
            ("fork child copy-on-write peak", "child", "%.1f", " MB", 1e6),
            ("growth / dataset (target < 5%)", "share", "%.1f", "%", 1),
            ("full sync under load", "sync", "%.2f", " s", 1))
    for label, fig, spec, unit, scale in rows:
        c, r = med(res["cairn"][fig]), med(res["redis"][fig])
        c, r = (c / scale if c is not None else None), (r / scale if r is not None else None)
        extra = verdict(c < 5.0) if fig == "share" and c is not None else ""
        print("| %s | %s%s | %s | %s |" % (label, fmt(c, spec, unit), extra, fmt(r, spec, unit), ratio(c, r)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, help="redis-benchmark -n for throughput/lag (default --keys)")
    ap.add_argument("--only", choices=["sync", "throughput", "lag", "memory"])
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--cairn", help="cairn-server binary (default .build/release/cairn-server)")
    ap.add_argument("--pin", action="store_true", help="servers on core 0, clients on core 1")
    args = ap.parse_args()

    binary = release_binary(args.cairn, build=not args.no_build)
    binaries = {"cairn": os.path.abspath(binary), "redis": shutil.which("redis-server")}
    if args.pin:
        PIN["on"] = True
        os.sched_setaffinity(0, {1})  # this script and the clients it starts
    requests = args.requests or args.keys
    print("cairn-server %s; redis-server %s; --keys %d --rounds %d%s" % (
        binaries["cairn"], binaries["redis"], args.keys, args.rounds, " --pin" if args.pin else ""), flush=True)
    work = tempfile.mkdtemp(prefix="bench-repl-")
    t0 = time.monotonic()
    try:
        if args.only in (None, "sync"):
            print("\nsync ...", flush=True)
            bench_sync(binaries, args.keys, args.rounds, work)
        if args.only in (None, "throughput", "lag"):
            print("\nthroughput%s ..." % ("" if args.only == "throughput" else " and lag"), flush=True)
            counts = [1] if args.only == "lag" else [0, 1, 2]
            rps, lag = bench_throughput(binaries, requests, args.rounds, counts, args.only != "throughput")
            if args.only != "lag":
                print_throughput(rps, counts, requests, args.rounds)
            if args.only != "throughput":
                print_lag(lag, args.rounds)
        if args.only in (None, "memory"):
            print("\nmemory ...", flush=True)
            bench_memory(binaries, args.keys, args.rounds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n(%.0f s in all)" % (time.monotonic() - t0))
    for what, tails in ODDITIES:
        print("\n!! %s\n%s" % (what, tails))
    return 1 if ODDITIES else 0


if __name__ == "__main__":
    sys.exit(main())
