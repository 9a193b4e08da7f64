"""serverproc: start and stop cairn-server and redis-server for tests and tools.

Job: one place that knows how to launch a server on a free loopback port, wait
(bounded) until it answers PING, and stop it again -- by its pid, never by name.
Used by the pytest fixtures (tools/tests/conftest.py), tools/difftest.py and
tools/bench.py.

Contract: `ServerProcess.start()` returns only once the server replied +PONG,
or raises after `timeout` seconds (and then has already stopped the process).
`stop()` is idempotent: SIGTERM, a bounded wait, then SIGKILL. Every server
runs in its own temporary directory, so anything it writes (RDB on shutdown,
logs) lands there and is removed with it.

Tricky bit: a free port picked by binding port 0 can be taken by someone else
before the server binds it; start() retries on a new port when the process
dies early.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cairn_server_path():
    """The cairn-server binary: $CAIRN_SERVER, else the release build, else the debug build."""
    env = os.environ.get("CAIRN_SERVER")
    if env:
        return os.path.abspath(env)  # servers run in their own directory
    for config in ("release", "debug"):
        path = os.path.join(REPO_ROOT, ".build", config, "cairn-server")
        if os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        "cairn-server not found: set CAIRN_SERVER or run "
        "`swift build -c release --product cairn-server`")


def redis_server_path():
    path = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not path:
        raise FileNotFoundError("redis-server not found (apt-get install redis-server)")
    return path


def redis4_binary(timeout=1500):
    """The reference Redis 4.0.14's redis-server: tools/redis4.sh builds it once per machine into
    a cache outside the repository (~30 s on 2 cores the first time) and prints its path.
    Raises RuntimeError when it cannot."""
    script = os.path.join(REPO_ROOT, "tools", "redis4.sh")
    try:
        p = subprocess.run([script], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError("tools/redis4.sh did not finish in %d s" % timeout)
    path = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    if p.returncode != 0 or not os.access(path, os.X_OK):
        raise RuntimeError("tools/redis4.sh failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    return path


def read_until_crlf(sock):
    """Bytes from `sock` until they end with CRLF (or the peer closes): one reply line."""
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def ping(port, timeout=0.5):
    """True if something on 127.0.0.1:port answers an inline PING with +PONG."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return read_until_crlf(s) == b"+PONG\r\n"
    except OSError:
        return False


def stop_process(proc, grace=10):
    """Stops a subprocess.Popen by its pid: SIGTERM, a bounded wait, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass


def _record_pid(pid):
    """Appends a pid to $CAIRN_TEST_PIDS (tools/test.sh kills survivors by pid on exit)."""
    path = os.environ.get("CAIRN_TEST_PIDS")
    if path:
        with open(path, "a") as f:
            f.write("%d\n" % pid)


class ServerProcess:
    """One server process on a loopback port. kind is "cairn", "redis" (redis-server 7.0 from
    PATH or $REDIS_SERVER) or "redis4" (the reference Redis 4.0.14; pass its binary, which
    tools/redis4.sh builds and prints)."""

    def __init__(self, kind, extra_args=(), binary=None, timeout=20.0, workdir=None, env=None, preexec_fn=None,
                 port=None, config_file=None):
        """workdir: run in this existing directory (kept after stop) instead of a fresh temporary one.
        port: listen on this port (a restarted master keeps its port) instead of a fresh free one.
        config_file: start with this config file (CONFIG REWRITE's target); the arguments still win.
        env, preexec_fn: as subprocess.Popen's (fault injection: LD_PRELOAD, resource limits)."""
        self.kind = kind
        self.config_file = config_file
        self.env = env
        self.preexec_fn = preexec_fn
        self.fixed_workdir = workdir
        self.fixed_port = port
        self.extra_args = list(extra_args)
        if binary:
            self.binary = os.path.abspath(binary)
        elif kind == "cairn":
            self.binary = cairn_server_path()
        elif kind == "redis":
            self.binary = redis_server_path()
        else:
            raise ValueError("ServerProcess(%r) needs binary= (tools/redis4.sh prints the Redis 4.0 one)" % kind)
        self.timeout = timeout
        self.port = None
        self.proc = None
        self.workdir = None
        self.logpath = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self, port):
        args = [self.binary] + ([self.config_file] if self.config_file else [])
        args += ["--port", str(port), "--bind", "127.0.0.1"]
        # No save points and no daemonizing unless a test asks (later arguments win).
        args += ["--save", "", "--appendonly", "no", "--dir", self.workdir]
        if self.kind in ("redis", "redis4"):
            args += ["--daemonize", "no"]
        if self.kind == "redis":
            # DEBUG DIGEST and DEBUG RELOAD are how tests compare datasets (7.0 refuses DEBUG by
            # default; 4.0 allows it and does not know the directive).
            args += ["--enable-debug-command", "yes"]
        return args + self.extra_args

    def start(self, attempts=3):
        last_error = None
        for _ in range(attempts):
            self.workdir = self.fixed_workdir or tempfile.mkdtemp(prefix=f"{self.kind}-")
            self.logpath = os.path.join(self.workdir, "server.log")
            port = self.fixed_port or free_port()
            with open(self.logpath, "ab" if self.fixed_workdir else "wb") as log:
                self.proc = subprocess.Popen(
                    self.argv(port), cwd=self.workdir, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    env=self.env, preexec_fn=self.preexec_fn)
            self.port = port
            _record_pid(self.proc.pid)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"{self.kind} exited with {self.proc.returncode}: {self.log_tail()}"
                    break
                if ping(port):
                    return self
                time.sleep(0.05)
            else:
                last_error = f"{self.kind} not ready after {self.timeout}s: {self.log_tail()}"
            self.stop()
        raise RuntimeError(last_error)

    def log_tail(self, n=2000):
        try:
            with open(self.logpath, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stops the process by pid (TERM, then KILL after 10 s) and removes its directory."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc)
        if self.workdir and not self.fixed_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def release_binary(path=None, build=True):
    """The cairn-server a benchmark runs: `path` if given, else .build/release's, built first
    (swift build -c release --product cairn-server) unless `build` is false."""
    if path:
        return os.path.abspath(path)
    if build:
        print("building release cairn-server ...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "cairn-server"],
                       cwd=REPO_ROOT, check=True, stdin=subprocess.DEVNULL)
    return os.path.join(REPO_ROOT, ".build", "release", "cairn-server")


def require_alive(servers):
    """Raises when one of `servers` (name -> ServerProcess) died during a benchmark run."""
    for s in servers.values():
        if not s.alive():
            raise RuntimeError("%s died during the benchmark: %s" % (s.kind, s.log_tail()))
