#!/usr/bin/env python3
"""SIGKILL a replica at random moments under write load; it must come back equal to its master.

Job: a Cairn master under a steady mix of writes (strings, counters, lists,
sets, hashes, sorted sets, far TTLs, MULTI/EXEC) and a Cairn replica that
saves its RDB every second (`save 1 1`, so its dump.rdb carries a replication
ID and offset). Each trial kills the replica with SIGKILL after a random
delay, possibly in the middle of its own BGSAVE or of a sync, restarts it from
its directory, waits for its link, pauses the writer, waits for the offsets
to meet and compares DEBUG DIGEST. A replica that holds anything its master
does not (or lacks anything) is a divergence. Partial and full resyncs are
counted from the master's INFO stats.

Usage: tools/replica_kill_trials.py [--trials 100] [--seed N] [--replica-kind cairn|redis]
(tools/tests/test_replica_kill_trials.py runs a few trials in CI.)

Contract: both servers on free 127.0.0.1 ports, stopped by pid; every wait bounded.
Exit status 0 only when no trial diverged.
"""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import ServerProcess, free_port  # noqa: E402
from respclient import RespClient  # noqa: E402

WAIT = 30.0


def info(port, section):
    with RespClient(port, timeout=5) as c:
        text = c.call("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def wait_for(what, predicate, limit=WAIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, ConnectionError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


class Load(threading.Thread):
    """Pipelined mixed writes on the master until stopped; pausable between batches."""

    def __init__(self, port, seed):
        super().__init__(daemon=True)
        self.port = port
        self.rnd = random.Random(seed)
        self.stop_flag = threading.Event()
        self.running = threading.Event()
        self.running.set()
        self.idle = threading.Event()
        self.batches = 0

    def batch(self):
        r = self.rnd
        commands = []
        for _ in range(50):
            k = r.randrange(2000)
            pick = r.randrange(8)
            if pick == 0:
                commands.append(("SET", "s:%d" % k, "v%d" % r.randrange(10 ** 6)))
            elif pick == 1:
                commands.append(("INCRBY", "c:%d" % (k % 100), r.randrange(-5, 6)))
            elif pick == 2:
                commands.append(("RPUSH", "l:%d" % (k % 50), *("e%d" % r.randrange(100) for _ in range(3))))
            elif pick == 3:
                commands.append(("LPOP", "l:%d" % (k % 50)))
            elif pick == 4:
                commands.append(("SADD", "set:%d" % (k % 50), r.randrange(1000)))
            elif pick == 5:
                commands.append(("HSET", "h:%d" % (k % 50), "f%d" % r.randrange(100), r.randrange(1000)))
            elif pick == 6:
                commands.append(("ZINCRBY", "z:%d" % (k % 50), r.randrange(1, 5), "m%d" % r.randrange(100)))
            else:
                commands.append(("EXPIRE", "s:%d" % k, 100000))
        commands.insert(r.randrange(len(commands)), ("MULTI",))
        commands.append(("EXEC",))
        return commands

    def run(self):
        with RespClient(self.port, timeout=10) as c:
            while not self.stop_flag.is_set():
                if not self.running.is_set():
                    self.idle.set()
                    self.running.wait(0.1)
                    continue
                self.idle.clear()
                c.pipeline(self.batch())
                self.batches += 1

    def pause(self):
        self.running.clear()
        wait_for("the writer to pause", self.idle.is_set, 10)

    def resume(self):
        self.running.set()


def digest(port):
    with RespClient(port, timeout=10) as c:
        return c.call("DEBUG", "DIGEST")


def sync_counts(port):
    s = info(port, "stats")
    return int(s["sync_full"]), int(s["sync_partial_ok"])


def run_trials(trials, seed, replica_kind="cairn", log=print):
    """Returns (diverged, partial, full, failures); failures are texts."""
    rnd = random.Random(seed)
    master_dir, replica_dir = tempfile.mkdtemp(prefix="kill-master-"), tempfile.mkdtemp(prefix="kill-replica-")
    replica_port = free_port()
    replica_args = ["--save", "1 1", "--repl-timeout", "60"]
    master = ServerProcess("cairn", ["--repl-backlog-size", "64mb"], workdir=master_dir).start()
    start_replica = lambda: ServerProcess(  # noqa: E731
        replica_kind, replica_args + ["--slaveof", "127.0.0.1", str(master.port)],
        workdir=replica_dir, port=replica_port).start()
    replica = start_replica()
    load = Load(master.port, seed)
    diverged, partial, full, failures = 0, 0, 0, []
    try:
        wait_for("the first sync", lambda: info(replica.port, "replication")["master_link_status"] == "up")
        load.start()
        for trial in range(trials):
            time.sleep(rnd.uniform(0.05, 1.5))
            before = sync_counts(master.port)
            os.kill(replica.pid, signal.SIGKILL)
            replica.proc.wait(timeout=10)
            replica.proc = None
            replica = start_replica()
            wait_for("the replica's link after restart",
                     lambda: info(replica.port, "replication")["master_link_status"] == "up"
                     and info(replica.port, "replication")["master_sync_in_progress"] == "0")
            load.pause()
            try:
                wait_for("the replica to reach the master's offset",
                         lambda: info(replica.port, "replication")["slave_repl_offset"]
                         == info(master.port, "replication")["master_repl_offset"])
                after = sync_counts(master.port)
                full += after[0] - before[0]
                partial += after[1] - before[1]
                if digest(master.port) != digest(replica.port):
                    diverged += 1
                    failures.append("trial %d: DEBUG DIGEST differs after the restart" % (trial + 1))
                    log("trial %d: DIVERGED" % (trial + 1))
            finally:
                load.resume()
            if (trial + 1) % 10 == 0:
                log("%d trials: %d diverged, %d partial, %d full resyncs" % (trial + 1, diverged, partial, full))
    finally:
        load.stop_flag.set()
        load.resume()
        load.join(timeout=10)
        replica.stop()
        master.stop()
        shutil.rmtree(master_dir, ignore_errors=True)
        shutil.rmtree(replica_dir, ignore_errors=True)
    return diverged, partial, full, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--replica-kind", choices=["cairn", "redis"], default="cairn")
    args = parser.parse_args()
    print("seed %d" % args.seed)
    started = time.monotonic()
    diverged, partial, full, failures = run_trials(args.trials, args.seed, args.replica_kind)
    print("%d SIGKILLs of a %s replica under load: %d diverged; %d partial and %d full resyncs; %.0f s"
          % (args.trials, args.replica_kind, diverged, partial, full, time.monotonic() - started))
    for text in failures[:5]:
        print(text)
    return 0 if diverged == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
