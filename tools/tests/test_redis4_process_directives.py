"""Process directives a Redis 4.0 user has, checked on Cairn and the real Redis 4.0.14 (issue
#16 item 4): `rename-command` (rename, disable with "", refused by CONFIG SET, kept by CONFIG
REWRITE), and `daemonize yes` with `pidfile` (the launcher exits 0, the pid file names a live
server on the port, SHUTDOWN removes it).

Every server runs on a free loopback port in a temporary directory; a daemonized one is
stopped by the pid its pid file names, whatever happened in the test.
"""

import os
import signal
import subprocess
import time

import pytest

from serverproc import ServerProcess, cairn_server_path, free_port, ping


def _servers(redis4_server_path, tmpdirs, config_text):
    """(cairn, redis4), each started with a config file holding `config_text`."""
    made = []
    for kind, binary in (("cairn", cairn_server_path()), ("redis4", redis4_server_path)):
        d = tmpdirs()
        path = os.path.join(d, "server.conf")
        with open(path, "w") as f:
            f.write(config_text)
        made.append(ServerProcess(kind, binary=binary, config_file=path))
    return made


def test_rename_command_renames_and_disables(redis4_server_path, tmpdirs, make_client):
    conf = 'rename-command flushall ""\nrename-command SET put-it\n'
    servers = _servers(redis4_server_path, tmpdirs, conf)
    try:
        seen = {}
        for s in servers:
            s.start()
            c = make_client(s)
            c.execute_command("put-it", "k", "v")
            got = [c.get("k")]
            for argv in (["SET", "k", "w"], ["FLUSHALL"], ["CONFIG", "SET", "rename-command", "get x"]):
                try:
                    got.append(c.execute_command(*argv))
                except Exception as e:  # the error reply is what is compared
                    got.append(str(e))
            got.append(c.execute_command("PUT-IT", "k2", "v2"))
            # Counted under its own name, as Redis does.
            got.append(c.info("commandstats").get("cmdstat_set", {}).get("calls"))
            seen[s.kind] = got
            c.execute_command("CONFIG", "REWRITE")
            with open(s.config_file) as f:
                kept = f.read()
            assert 'rename-command flushall ""' in kept and "rename-command SET put-it" in kept, (s.kind, kept)
        assert seen["cairn"] == seen["redis4"], seen
        assert "unknown command `SET`" in seen["cairn"][1], seen
    finally:
        for s in servers:
            s.stop()


def test_rename_command_errors_match(redis4_server_path, tmpdirs):
    """The fatal report of a bad rename-command line, from each server's standard error."""
    for line in ("rename-command nosuch x", "rename-command get set", "rename-command get"):
        reports = {}
        for kind, binary in (("cairn", cairn_server_path()), ("redis4", redis4_server_path)):
            d = tmpdirs()
            path = os.path.join(d, "bad.conf")
            with open(path, "w") as f:
                f.write(line + "\n")
            p = subprocess.run([binary, path, "--port", str(free_port())], cwd=d, capture_output=True,
                               text=True, timeout=30)
            reports[kind] = (p.returncode, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "")
        assert reports["cairn"] == reports["redis4"], (line, reports)


def _read_pid(path, deadline):
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return None


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("kind", ["cairn", "redis4"])
def test_daemonize_writes_pidfile_and_shutdown_removes_it(kind, redis4_server_path, tmpdirs, make_client):
    binary = cairn_server_path() if kind == "cairn" else redis4_server_path
    d = tmpdirs()
    port = free_port()
    pidfile = os.path.join(d, "server.pid")
    logfile = os.path.join(d, "server.log")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile]
    pid = None
    try:
        launcher = subprocess.run(argv, cwd=d, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        assert launcher.returncode == 0, launcher
        assert launcher.stdout == b"", launcher.stdout  # a daemon logs to its logfile only
        deadline = time.monotonic() + 20
        pid = _read_pid(pidfile, deadline)
        assert pid and _pid_alive(pid), pid
        while not ping(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ping(port)
        c = make_client(type("S", (), {"port": port})())
        assert int(c.info("server")["process_id"]) == pid
        assert os.getsid(pid) == pid, "the daemon leads a session of its own"
        try:
            c.execute_command("SHUTDOWN", "NOSAVE")
        except Exception:
            pass  # the connection closes
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _pid_alive(pid)
        assert not os.path.exists(pidfile)
        with open(logfile) as f:
            log = f.read()
        assert "Removing the pid file." in log, log[-2000:]
        pid = None
    finally:
        if pid is not None and _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("kind", ["cairn", "redis4"])
def test_pidfile_without_daemonize(kind, redis4_server_path, tmpdirs):
    binary = cairn_server_path() if kind == "cairn" else redis4_server_path
    d = tmpdirs()
    s = ServerProcess(kind, binary=binary, extra_args=["--pidfile", "cairn-test.pid"], workdir=d)
    with s:
        path = os.path.join(d, "cairn-test.pid")
        assert _read_pid(path, time.monotonic() + 5) == s.pid
    # ServerProcess stops with SIGTERM: a clean shutdown.
    assert not os.path.exists(os.path.join(d, "cairn-test.pid"))


def test_supervised_systemd_hears_ready_and_stays_in_foreground(tmpdirs):
    """With a systemd supervisor present, daemonize yes does not fork (Redis 4.0's rule), and
    READY=1 arrives on $NOTIFY_SOCKET."""
    import socket as sk
    d = tmpdirs()
    path = os.path.join(d, "notify.sock")
    listener = sk.socket(sk.AF_UNIX, sk.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    s = ServerProcess("cairn", extra_args=["--daemonize", "yes", "--supervised", "systemd",
                                           "--pidfile", os.path.join(d, "s.pid")], env=env)
    try:
        with s:
            assert listener.recv(64) == b"READY=1"
            assert s.alive(), "not forked: the launched process is the server"
            assert _read_pid(os.path.join(d, "s.pid"), time.monotonic() + 5) == s.pid
    finally:
        listener.close()


@pytest.mark.parametrize("kind", ["cairn", "redis4"])
def test_watchdog_logs_the_stuck_stack(kind, redis4_server_path, make_client):
    """CONFIG SET watchdog-period 200, DEBUG SLEEP 1: the log gets the watchdog line and the
    stack of the stuck thread; CONFIG SET watchdog-period 0 turns it off again."""
    binary = cairn_server_path() if kind == "cairn" else redis4_server_path
    with ServerProcess(kind, binary=binary) as s:
        c = make_client(s)
        assert c.config_set("watchdog-period", 50)
        assert c.config_get("watchdog-period") == {"watchdog-period": "200"}  # two cron intervals at hz 10
        c.config_set("watchdog-period", 200)
        c.execute_command("DEBUG", "SLEEP", "1")
        c.config_set("watchdog-period", 0)
        deadline = time.monotonic() + 5
        while "--------" not in s.log_tail(100000) and time.monotonic() < deadline:
            time.sleep(0.05)
        log = s.log_tail(100000)
        assert "--- WATCHDOG TIMER EXPIRED ---" in log, log[-3000:]
        after = log.split("--- WATCHDOG TIMER EXPIRED ---", 1)[1]
        frames = [line for line in after.splitlines() if "[0x" in line]
        assert frames, after[:3000]
        assert log.count("--- WATCHDOG TIMER EXPIRED ---") == 1, "one report per stall"
        assert c.ping()
