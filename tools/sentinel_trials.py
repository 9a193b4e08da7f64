#!/usr/bin/env python3
"""Automatic failover under the real redis-sentinel, with nothing acknowledged lost.

Job: one scenario, run N times in a row. A master and two replicas (each
Cairn or Redis 7.0, as --kinds says) and three unmodified `redis-sentinel`
processes (quorum 2, down-after-milliseconds 1000, failover-timeout 5000),
all on loopback ports. A writer sends numbered writes, each counted as
acknowledged only once `WAIT 1` says a replica has it; it finds the master
through the sentinels, as a client library does. The master is killed with
SIGKILL; then the run checks that:
  - the sentinels promote a replica, and a write succeeds on it, in time;
  - the other replica follows the new master by partial resync (the new
    master's sync_full stays 0 and sync_partial_ok grows);
  - the old master, restarted from its directory and config file, is turned
    into a replica of the new one by the sentinels;
  - every acknowledged write is on the new master and on both replicas.
It reports the time from the kill to the first write the new master accepted.

Usage: tools/sentinel_trials.py [--runs 20] [--kinds cairn,cairn,cairn]
The pytest file tools/tests/test_sentinel_failover.py runs the same scenario.

Contract: every process on a free 127.0.0.1 port, stopped by pid whatever
happens; every wait bounded. Exit status 0 only if every run passed.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from serverproc import ServerProcess, _record_pid, free_port, ping  # noqa: E402
from respclient import Error, RespClient  # noqa: E402

MASTER_NAME = "mymaster"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
# Kill to a write accepted by the new master: detection (1 s), election and promotion,
# with room for a slow shared machine; beyond this the run fails.
PROMOTION_LIMIT_S = 15.0
SETTLE_LIMIT_S = 30.0


class ScenarioFailure(AssertionError):
    pass


def call(port, *args, timeout=2.0):
    with RespClient(port, timeout=timeout) as c:
        return c.call(*args)


def info(port, section):
    text = call(port, "INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def wait_for(what, predicate, limit):
    """Polls `predicate` (exceptions count as false) until true or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, ConnectionError, ValueError) as e:
            last = e
        time.sleep(0.05)
    raise ScenarioFailure("timed out after %.0f s waiting for %s%s" % (limit, what, " (%s)" % last if last else ""))


class Sentinel:
    """One redis-sentinel process with its own config file (sentinel rewrites it)."""

    def __init__(self, master_port, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.conf = os.path.join(workdir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n" % (self.port, workdir, os.path.join(workdir, "log")))
            f.write("sentinel monitor %s 127.0.0.1 %d 2\n" % (MASTER_NAME, master_port))
            f.write("sentinel down-after-milliseconds %s %d\n" % (MASTER_NAME, DOWN_AFTER_MS))
            f.write("sentinel failover-timeout %s %d\n" % (MASTER_NAME, FAILOVER_TIMEOUT_MS))
            f.write("sentinel parallel-syncs %s 1\n" % MASTER_NAME)
        self.proc = subprocess.Popen([shutil.which("redis-sentinel") or "redis-sentinel", self.conf], cwd=workdir,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        _record_pid(self.proc.pid)
        wait_for("sentinel on port %d" % self.port, lambda: ping(self.port), 10)

    def master_state(self):
        reply = call(self.port, "SENTINEL", "MASTER", MASTER_NAME)
        return {reply[i].decode(): reply[i + 1].decode() for i in range(0, len(reply), 2)}

    def master_port(self):
        reply = call(self.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return int(reply[1])

    def log_tail(self, n=3000):
        try:
            with open(os.path.join(self.workdir, "log"), "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Prober(threading.Thread):
    """PINGs each node every 20 ms on its own connection and keeps the worst round trip
    (a node that stalls past down-after-milliseconds gets failed over: this says whether
    it did, and for how long)."""

    def __init__(self, ports):
        super().__init__(daemon=True)
        self.worst = {port: 0.0 for port in ports}
        self.stop_flag = threading.Event()

    def run(self):
        clients = {}
        while not self.stop_flag.is_set():
            for port in self.worst:
                try:
                    if port not in clients:
                        clients[port] = RespClient(port, timeout=5.0)
                    t = time.monotonic()
                    clients[port].call("PING")
                    self.worst[port] = max(self.worst[port], time.monotonic() - t)
                except (OSError, ConnectionError, ValueError):
                    clients.pop(port, None)
            time.sleep(0.02)
        for c in clients.values():
            c.close()


class Writer(threading.Thread):
    """Numbered SETs, each acknowledged only after WAIT 1 reports a replica has it.
    On any error it asks a sentinel where the master is, and carries on there."""

    def __init__(self, sentinels, killed):
        super().__init__(daemon=True)
        self.sentinels = sentinels
        # {"at": the kill's monotonic time, "port": the killed master's}, filled in at the kill.
        self.killed = killed
        self.acked = []
        self.stop_flag = threading.Event()
        self.first_new_master_write = None  # (port, monotonic time) of the first write after the kill
        self.errors = 0

    def locate(self):
        for s in self.sentinels:
            try:
                return s.master_port()
            except (OSError, ConnectionError, ValueError, TypeError):
                continue
        return None

    def run(self):
        n = 0
        client, port = None, None
        while not self.stop_flag.is_set():
            try:
                if client is None:
                    port = self.locate()
                    if port is None:
                        time.sleep(0.05)
                        continue
                    client = RespClient(port, timeout=2.0)
                n += 1
                reply = client.call("SET", "w:%d" % n, str(n))
                if isinstance(reply, Error):
                    raise ConnectionError(reply.decode())
                # A reply the old master sent just before it died may be read after the kill: only
                # a write on another node counts as the new master's.
                if self.killed["at"] is not None and port != self.killed["port"] and self.first_new_master_write is None:
                    self.first_new_master_write = (port, time.monotonic())
                if client.call("WAIT", "1", "1000") >= 1:
                    self.acked.append(n)
            except (OSError, ConnectionError, ValueError):
                self.errors += 1
                if client is not None:
                    client.close()
                client = None
                time.sleep(0.02)
        if client is not None:
            client.close()


def node_config(workdir, kind):
    """The node's config file: what CONFIG REWRITE (sent by the sentinels) rewrites."""
    path = os.path.join(workdir, "node.conf")
    with open(path, "w") as f:
        f.write("# node config written by tools/sentinel_trials.py (%s)\n" % kind)
        f.write("appendonly no\n")
    return path


def start_node(kind, workdir, port=None, master_port=None):
    conf = os.path.join(workdir, "node.conf")
    if not os.path.exists(conf):
        conf = node_config(workdir, kind)
    extra = ["--slaveof", "127.0.0.1", str(master_port)] if master_port else []
    return ServerProcess(kind, extra, workdir=workdir, port=port, config_file=conf).start()


def check_config_files(dirs, nodes, new_port):
    """The sentinels' CONFIG REWRITE: the new master's file names no master, the other
    replica's names the new one, and both keep the comment they started with."""
    for d, node in zip(dirs[1:], nodes[1:]):
        with open(os.path.join(d, "node.conf")) as f:
            text = f.read()
        lines = text.splitlines()
        follows = [l for l in lines if l.split()[:1] in (["slaveof"], ["replicaof"])]
        want = [] if node.port == new_port else ["127.0.0.1 %d" % new_port]
        if [" ".join(l.split()[1:]) for l in follows] != want or not lines[0].startswith("# node config"):
            raise ScenarioFailure("%s:%d config file after the failover is not what CONFIG REWRITE should leave:\n%s"
                                  % (node.kind, node.port, text))


def run_once(kinds, root, log=print):
    """One scenario; returns the failover time in seconds or raises ScenarioFailure."""
    nodes, sentinels, writer, prober = [], [], None, None
    dirs = [os.path.join(root, "node%d" % i) for i in range(3)]
    for d in dirs + [os.path.join(root, "sentinel%d" % i) for i in range(3)]:
        os.makedirs(d, exist_ok=True)
    try:
        master = start_node(kinds[0], dirs[0])
        nodes = [master] + [start_node(k, d, master_port=master.port) for k, d in zip(kinds[1:], dirs[1:])]
        wait_for("both replicas online", lambda: info(master.port, "replication")["connected_slaves"] == "2"
                 and all(info(r.port, "replication").get("master_link_status") == "up" for r in nodes[1:]), 20)
        sentinels = [Sentinel(master.port, os.path.join(root, "sentinel%d" % i)) for i in range(3)]
        wait_for("sentinels to know both replicas and each other",
                 lambda: all(s.master_state()["num-slaves"] == "2" and s.master_state()["num-other-sentinels"] == "2"
                             for s in sentinels), 30)

        killed = {"at": None, "port": master.port}
        writer = Writer(sentinels, killed)
        writer.start()
        prober = Prober([n.port for n in nodes[1:]])
        prober.start()
        wait_for("200 acknowledged writes", lambda: len(writer.acked) >= 200, 20)
        old_port = master.port
        os.kill(master.pid, signal.SIGKILL)
        master.proc.wait(timeout=10)
        killed["at"] = time.monotonic()
        acked_before_kill = len(writer.acked)

        wait_for("a write accepted by a new master", lambda: writer.first_new_master_write is not None,
                 PROMOTION_LIMIT_S)
        new_port, accepted_at = writer.first_new_master_write
        failover_s = accepted_at - killed["at"]
        new_master = next(n for n in nodes if n.port == new_port)
        other = next(n for n in nodes[1:] if n.port != new_port)
        wait_for("the other replica to follow the new master",
                 lambda: info(other.port, "replication").get("master_port") == str(new_port)
                 and info(other.port, "replication").get("master_link_status") == "up", SETTLE_LIMIT_S)
        stats = info(new_port, "stats")
        if stats["sync_full"] != "0" or int(stats["sync_partial_ok"]) < 1:
            raise ScenarioFailure("the other replica did not continue by partial resync: sync_full=%s sync_partial_ok=%s"
                                  % (stats["sync_full"], stats["sync_partial_ok"]))

        check_config_files(dirs, nodes, new_port)

        # The old master comes back from its own directory and config file: the sentinels demote it.
        master.proc = None
        restarted = start_node(kinds[0], dirs[0], port=old_port)
        nodes[0] = restarted
        wait_for("500 more acknowledged writes after the failover",
                 lambda: len(writer.acked) >= acked_before_kill + 500, 30)
        writer.stop_flag.set()
        writer.join(timeout=10)
        # Where the sentinels settle. Usually the node promoted first; on a loaded machine a
        # new master that misses down-after-milliseconds is failed over again, which is
        # sentinel doing its job: the checks below then hold for the final master.
        final = [new_port]

        def settled():
            ports = {s.master_port() for s in sentinels}
            if len(ports) != 1:
                return False
            final[0] = ports.pop()
            if info(final[0], "replication").get("role") != "master":
                return False
            target = info(final[0], "replication")["master_repl_offset"]
            return all(info(n.port, "replication").get("master_port") == str(final[0])
                       and info(n.port, "replication").get("master_link_status") == "up"
                       and info(n.port, "replication").get("slave_repl_offset") == target
                       for n in nodes if n.port != final[0])
        wait_for("every node to follow one master and reach its offset (the restarted old master demoted)",
                 settled, SETTLE_LIMIT_S)
        prober.stop_flag.set()
        if final[0] != new_port:
            log("  (failed over a second time, to %d; worst PING round trip per replica: %s)"
                % (final[0], ", ".join("%d %.0f ms" % (p, w * 1000) for p, w in prober.worst.items())))
        for node in nodes:
            with RespClient(node.port) as c:
                values = c.pipeline([("GET", "w:%d" % n) for n in writer.acked])
            lost = [n for n, v in zip(writer.acked, values) if v != str(n).encode()]
            if lost:
                raise ScenarioFailure("%d acknowledged writes missing on %s:%d (first: %s)"
                                      % (len(lost), node.kind, node.port, lost[:5]))
        log("  kill -> write on new master %.2f s; %d acknowledged writes (%d before the kill); promoted %s"
            % (failover_s, len(writer.acked), acked_before_kill, new_master.kind))
        return failover_s
    except ScenarioFailure as failure:
        tails = "\n".join("--- sentinel %d\n%s" % (s.port, s.log_tail()) for s in sentinels[:1])
        tails += "\n".join("--- %s %s\n%s" % (n.kind, n.port, n.log_tail()) for n in nodes if n.proc)
        raise ScenarioFailure("%s\n%s" % (failure, tails)) from None
    finally:
        if writer is not None:
            writer.stop_flag.set()
            writer.join(timeout=10)
        if prober is not None:
            prober.stop_flag.set()
        for s in sentinels:
            s.stop()
        for n in nodes:
            n.stop()


def run_trials(runs, kinds, log=print):
    """Runs the scenario `runs` times; returns (passes, failover times, failure texts)."""
    times, failures = [], []
    for i in range(runs):
        root = tempfile.mkdtemp(prefix="sentinel-trial-")
        try:
            log("run %d/%d (%s)" % (i + 1, runs, ",".join(kinds)))
            times.append(run_once(kinds, root, log))
        except ScenarioFailure as failure:
            failures.append(str(failure))
            log("  FAILED: %s" % str(failure).splitlines()[0])
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return len(times), times, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--kinds", default="cairn,cairn,cairn",
                        help="master,replica,replica: each cairn or redis (redis-server 7.0)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if len(kinds) != 3 or any(k not in ("cairn", "redis") for k in kinds):
        parser.error("--kinds takes three of cairn|redis")
    passes, times, failures = run_trials(args.runs, kinds)
    print("%s: %d of %d runs passed" % (",".join(kinds), passes, args.runs))
    if times:
        print("kill -> new master accepts a write: median %.2f s, max %.2f s" % (statistics.median(times), max(times)))
    for text in failures[:3]:
        print(text)
    return 0 if passes == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
