"""pytest fixtures: a cairn-server and a redis-server 7.0 on free loopback ports.

Job: start each server once per session (tools/serverproc.py: free port on
127.0.0.1, bounded readiness wait), hand tests a live one, and stop them by pid
at the end whatever happened. The binary is $CAIRN_SERVER, else
.build/release/cairn-server, else .build/debug/cairn-server.

`redis4_server_path` is the reference Redis 4.0.14's redis-server, built once
per machine by tools/redis4.sh into a cache outside the repository.

Contract: `cairn`, `redis_server` and `redis4` (the reference 4.0.14) yield a ServerProcess (use `.port`); `spawn(kind,
*args)` starts a fresh one per call ("cairn", "redis7", "redis4"), stopped after
the test. If a test
leaves the server dead (a crash is a bug the test itself reports), the next
test gets a fresh one instead of a cascade of connection errors. Clients made
with `make_client(server)` speak RESP2 (redis-py 8 defaults to RESP3 via HELLO,
which Redis 4.0 -- and so Cairn -- does not have).

Tricky bit: teardown must run even when a test fails or pytest is interrupted;
the session finalizer stops every server this file started, by pid.
"""

import inspect
import os
import shutil
import sys
import tempfile

import pytest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)

from serverproc import ServerProcess, redis4_binary  # noqa: E402


class _Servers:
    def __init__(self):
        self.live = {}
        self.all = []

    def get(self, kind):
        s = self.live.get(kind)
        if s is None or not s.alive():
            if s is not None:
                s.stop()
            s = ServerProcess(kind, binary=redis4_binary() if kind == "redis4" else None)
            self.all.append(s)
            s.start()
            self.live[kind] = s
        return s

    def stop_all(self):
        for s in self.all:
            s.stop()
        self.live.clear()


@pytest.fixture(scope="session")
def _servers():
    servers = _Servers()
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture
def cairn(_servers):
    """A running cairn-server."""
    return _servers.get("cairn")


@pytest.fixture
def redis_server(_servers):
    """A running redis-server 7.0 (the reference peer)."""
    return _servers.get("redis")


@pytest.fixture
def redis4(_servers):
    """A running reference Redis 4.0.14 (shared by the session like `cairn`)."""
    return _servers.get("redis4")


@pytest.fixture(scope="session")
def redis4_server_path():
    """The reference Redis 4.0.14 redis-server: tools/redis4.sh builds it once per machine into a
    cache outside the repository (~30 s on 2 cores the first time) and prints its path."""
    try:
        return redis4_binary()
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def cairn_and_redis4(redis4_server_path):
    """(cairn, redis4): a cairn-server and the reference Redis 4.0.14, each on a free
    loopback port, shared by one test module and stopped by pid after it."""
    cairn = ServerProcess("cairn")
    redis4 = ServerProcess("redis4", binary=redis4_server_path)
    try:
        cairn.start()
        redis4.start()
        yield cairn, redis4
    finally:
        cairn.stop()
        redis4.stop()


@pytest.fixture
def spawn(request):
    """spawn(kind, *args) -> a started ServerProcess ("redis7", "redis4" or "cairn"); stopped by pid after the test."""
    started = []

    def make(kind, *args):
        if kind == "redis4":
            server = ServerProcess("redis4", extra_args=args, binary=request.getfixturevalue("redis4_server_path"))
        else:
            server = ServerProcess({"redis7": "redis"}.get(kind, kind), extra_args=args)
        started.append(server)
        server.start()
        server.name = kind
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def make_client():
    """make_client(server) -> a redis-py client: binary-safe replies, RESP2. Closed after the test."""
    import redis
    made = []

    def make(server, **kw):
        kw.setdefault("decode_responses", False)
        if "protocol" in inspect.signature(redis.Redis.__init__).parameters:  # redis-py >= 5
            kw.setdefault("protocol", 2)
        kw.setdefault("socket_timeout", 30)
        c = redis.Redis(host="127.0.0.1", port=server.port, **kw)
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            c.close()


@pytest.fixture
def tmpdirs():
    """tmpdirs() -> a new temporary directory, removed after the test."""
    made = []

    def make():
        d = tempfile.mkdtemp(prefix="cairn-test-")
        made.append(d)
        return d

    try:
        yield make
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
