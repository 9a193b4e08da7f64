"""Replication under bad input: a scripted fake master feeds a Cairn replica
garbage, a cut transfer, a corrupt payload and a master that vanishes; and a
Cairn master gets garbage on its replication commands.

Job: each case checks what Redis users rely on: the replica logs why, keeps
its old data (a transfer that is cut or corrupt never replaces the dataset),
and connects again; a later good payload then loads. The master never
crashes.

Contract: the fake master is a Python socket server on a free loopback port,
driven by a script per connection (what to answer to PSYNC and what to send
after); every wait is bounded; servers are stopped by pid by their fixture.
"""

import os
import socket
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from serverproc import ServerProcess  # noqa: E402
from respclient import RespClient  # noqa: E402

WAIT = 20.0
REPLID = "a" * 40


class FakeMaster:
    """Accepts replica connections and plays one scripted answer per connection.

    `scripts` is a list of callables (sock, psync_args) -> None, one per connection in
    order (the last one repeats); each runs after the handshake reached PSYNC."""

    def __init__(self, scripts):
        self.scripts = scripts
        self.connections = 0
        self.psyncs = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            script = self.scripts[min(self.connections, len(self.scripts) - 1)]
            self.connections += 1
            threading.Thread(target=self._session, args=(conn, script), daemon=True).start()

    def _session(self, conn, script):
        conn.settimeout(WAIT)
        try:
            reader = conn.makefile("rb")
            while True:
                argv = read_command(reader)
                if argv is None:
                    return
                name = argv[0].upper()
                if name == b"PING":
                    if script is garbage_to_ping:
                        return garbage_to_ping(conn, argv)
                    conn.sendall(b"+PONG\r\n")
                elif name == b"REPLCONF":
                    conn.sendall(b"+OK\r\n")
                elif name in (b"PSYNC", b"SYNC"):
                    self.psyncs.append([a.decode() for a in argv[1:]])
                    script(conn, argv)
                    # Keep the connection until the replica closes it (or the test ends).
                    while read_command(reader) is not None:
                        pass
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.listener.close()
        self.thread.join(timeout=5)


def read_command(reader):
    """One multibulk command from `reader`, or None at the end."""
    line = reader.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.strip().split()
    argv = []
    for _ in range(int(line[1:])):
        length = int(reader.readline()[1:])
        argv.append(reader.read(length + 2)[:-2])
    return argv


def garbage_to_ping(conn, _argv):
    conn.sendall(b"hello, I am not a Redis\r\n")


def rdb_payload(path):
    with open(path, "rb") as f:
        return f.read()


def full_resync(payload, cut_at=None):
    """A script: +FULLRESYNC, then `$len` and the payload (cut after `cut_at` bytes: close)."""
    def script(conn, _argv):
        conn.sendall(("+FULLRESYNC %s 0\r\n" % REPLID).encode())
        conn.sendall(b"$%d\r\n" % len(payload))
        if cut_at is None:
            conn.sendall(payload)
        else:
            conn.sendall(payload[:cut_at])
            conn.shutdown(socket.SHUT_RDWR)
    return script


def garbage_psync(conn, _argv):
    conn.sendall(b"+WHAT IS THIS\r\n\x00\x01\x02garbage\r\n")


def wait_for(what, condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@pytest.fixture
def good_rdb(tmp_path):
    """An RDB written by Cairn itself holding key 'fresh' = 'yes', and its bytes."""
    server = ServerProcess("cairn")
    server.start()
    try:
        with RespClient(server.port) as c:
            c.call("SET", "fresh", "yes")
            c.call("SAVE")
        return rdb_payload(os.path.join(server.workdir, "dump.rdb"))
    finally:
        server.stop()


@pytest.fixture
def replica():
    server = ServerProcess("cairn", ["--repl-timeout", "3"])
    server.start()
    with RespClient(server.port) as c:
        c.call("SET", "old", "data")
    yield server
    server.stop()


def attach(replica, master):
    with RespClient(replica.port) as c:
        assert c.call("SLAVEOF", "127.0.0.1", str(master.port)) in (b"OK", "OK")


def get(server, key):
    with RespClient(server.port) as c:
        return c.call("GET", key)


def test_garbage_instead_of_pong_is_logged_and_retried(replica, good_rdb):
    master = FakeMaster([garbage_to_ping, full_resync(good_rdb)])
    try:
        attach(replica, master)
        wait_for("a second connection after the garbage", lambda: master.connections >= 2)
        assert get(replica, "old") == b"data" or get(replica, "fresh") == b"yes"
        wait_for("the good payload to load", lambda: get(replica, "fresh") == b"yes")
        assert "PING" in replica.log_tail(20000), replica.log_tail()
    finally:
        master.close()


def test_garbage_instead_of_psync_reply_keeps_the_data(replica, good_rdb):
    master = FakeMaster([garbage_psync, full_resync(good_rdb)])
    try:
        attach(replica, master)
        wait_for("a retry after the garbage", lambda: master.connections >= 2)
        wait_for("the good payload to load", lambda: get(replica, "fresh") == b"yes")
        assert get(replica, "old") is None, "the loaded payload replaced the old data"
    finally:
        master.close()


def test_a_cut_transfer_keeps_the_old_data_and_retries(replica, good_rdb):
    master = FakeMaster([full_resync(good_rdb, cut_at=len(good_rdb) // 2), full_resync(good_rdb)])
    try:
        attach(replica, master)
        wait_for("a reconnection after the cut", lambda: master.connections >= 2)
        wait_for("the good payload to load", lambda: get(replica, "fresh") == b"yes")
    finally:
        master.close()


def test_a_cut_transfer_leaves_the_old_data_in_place(replica, good_rdb):
    master = FakeMaster([full_resync(good_rdb, cut_at=20)])
    try:
        attach(replica, master)
        wait_for("two cut attempts", lambda: master.connections >= 2)
        assert get(replica, "old") == b"data", "a cut transfer must not flush the dataset"
        assert get(replica, "fresh") is None
    finally:
        master.close()


def test_a_corrupt_payload_is_refused_before_flushing(replica, good_rdb):
    corrupt = bytearray(good_rdb)
    corrupt[len(corrupt) // 2] ^= 0xFF  # the CRC64 trailer no longer matches
    master = FakeMaster([full_resync(bytes(corrupt))])
    try:
        attach(replica, master)
        wait_for("two attempts with the corrupt payload", lambda: master.connections >= 2)
        assert get(replica, "old") == b"data", "a corrupt payload must not replace the dataset"
        assert "Wrong RDB checksum" in replica.log_tail(20000), replica.log_tail()
    finally:
        master.close()


def test_a_vanishing_master_is_retried_and_data_kept(replica):
    master = FakeMaster([full_resync(b"REDIS0008", cut_at=0)])
    port = master.port
    try:
        attach(replica, master)
        wait_for("a first attempt", lambda: master.connections >= 1)
    finally:
        master.close()
    time.sleep(1.5)  # the master is gone: connects fail, the replica keeps retrying
    assert get(replica, "old") == b"data"
    with RespClient(replica.port) as c:
        info = c.call("INFO", "replication").decode()
    assert "master_link_status:down" in info and ("master_port:%d" % port) in info, info


def test_the_master_survives_garbage_on_replication_commands():
    master = ServerProcess("cairn")
    master.start()
    try:
        with RespClient(master.port) as c:
            c.call("SET", "k", "v")
            for argv in (["PSYNC", "not-an-id", "not-an-offset"], ["REPLCONF", "ACK", "xyz"],
                         ["REPLCONF", "listening-port", "-5"], ["REPLCONF", "capa"],
                         ["REPLCONF", "GETACK", "*"], ["SYNC", "extra"], ["PSYNC", "?"]):
                try:
                    c.call(*argv)
                except Exception:
                    pass  # the replies themselves are not the point here
        # A replica that goes away in the middle of its full sync.
        s = socket.create_connection(("127.0.0.1", master.port), timeout=5)
        s.sendall(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        s.recv(10)
        s.close()
        time.sleep(0.5)
        with RespClient(master.port) as c:
            assert c.call("PING") in (b"PONG", "PONG")
            assert c.call("GET", "k") == b"v"
        assert master.alive(), master.log_tail()
    finally:
        master.stop()
