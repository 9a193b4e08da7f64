"""Small behaviours a Redis 4.0 user sees, checked on Cairn and on the real Redis 4.0.14 side
by side (issue #16 item 4): COMMAND GETKEYS for SORT, CLIENT LIST's fields, SLOWLOG inside
MULTI, and WATCH of a key that then expires.

Each test runs the same steps on both servers (the module-scoped `cairn_and_redis4` fixture)
and compares what a client sees, so a difference names the server that drifted.
"""

import os
import socket
import time

import pytest


@pytest.fixture
def both(cairn_and_redis4, make_client):
    cairn, redis4 = cairn_and_redis4
    return [("cairn", make_client(cairn)), ("redis4", make_client(redis4))]


def raw(c, *args):
    """The reply as sent, without redis-py's per-command parsing (it reshapes COMMAND's)."""
    conn = c.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        c.connection_pool.release(conn)


@pytest.mark.parametrize("argv", [
    ["SORT", "k", "STORE", "a", "STORE", "b"],
    ["SORT", "k", "LIMIT", "0", "1", "STORE", "dst"],
    ["SORT", "k", "BY", "w_*", "GET", "o_*", "STORE", "x", "GET", "#"],
    ["SORT", "k", "STORE", "GET", "STORE", "x"],
    ["SORT", "k"],
])
def test_command_getkeys_sort_counts_the_last_store(both, argv):
    answers = {name: raw(c, "COMMAND", "GETKEYS", *argv) for name, c in both}
    assert answers["cairn"] == answers["redis4"], answers


def _client_list_fields(c):
    lines = c.execute_command("CLIENT", "LIST").decode().strip().split("\n")
    return [dict(f.split("=", 1) for f in line.split(" ")) for line in lines], lines


def test_client_list_fields_cmd_and_fd(cairn_and_redis4, make_client):
    for server in cairn_and_redis4:
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            c = make_client(server)
            c.execute_command("PING")
            deadline = time.monotonic() + 5
            while True:
                rows, lines = _client_list_fields(c)
                if len(rows) >= 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            keys = [list(r.keys()) for r in rows]
            assert keys[0] == ["id", "addr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                               "multi", "qbuf", "qbuf-free", "obl", "oll", "omem", "events", "cmd"], lines
            me = [r for r in rows if r["cmd"] == "client"]
            silent = [r for r in rows if r["cmd"] == "NULL"]
            assert len(me) == 1 and len(silent) == 1, (server.kind, lines)
            own_port = idle.getsockname()[1]
            assert silent[0]["addr"] == "127.0.0.1:%d" % own_port, lines
            # The real descriptor: a small number, distinct per client, and it is a socket.
            fds = {int(r["fd"]) for r in rows}
            assert len(fds) == len(rows) and all(fd > 2 for fd in fds), (server.kind, lines)
            if server.kind == "cairn":
                link = os.readlink("/proc/%d/fd/%s" % (server.pid, silent[0]["fd"]))
                assert link.startswith("socket:"), link
        finally:
            idle.close()


def test_slowlog_records_commands_inside_multi_not_exec(both):
    results = {}
    for name, c in both:
        c.config_set("slowlog-log-slower-than", 0)
        try:
            c.execute_command("SLOWLOG", "RESET")
            p = c.pipeline(transaction=True)
            p.set("slow-a", "1")
            p.incr("slow-b")
            p.execute()
            entries = c.execute_command("SLOWLOG", "GET", 10)
            results[name] = [[bytes(a) for a in e[3]] for e in entries]
        finally:
            c.config_set("slowlog-log-slower-than", 10000)
    # Newest first: SLOWLOG RESET itself is older than the block; EXEC is absent.
    assert results["cairn"] == results["redis4"], results
    assert [b"EXEC"] not in results["cairn"]


def _exec_after_watch(c, key, meanwhile):
    """WATCH key on a connection of its own, run meanwhile(), then MULTI; SET; EXEC: EXEC's reply."""
    conn = c.connection_pool.get_connection()
    try:
        conn.send_command("WATCH", key)
        conn.read_response()
        meanwhile()
        for args in (("MULTI",), ("SET", "w-other", "1"), ("EXEC",)):
            conn.send_command(*args)
            reply = conn.read_response()
        return reply
    finally:
        c.connection_pool.release(conn)


def test_watch_of_a_key_that_expires_does_not_abort_exec(both):
    outcomes = {}
    for name, c in both:
        c.execute_command("SET", "w-key", "v", "PX", 50)

        def expire():
            time.sleep(0.2)
            assert c.exists("w-key") == 0
        outcomes[name] = _exec_after_watch(c, "w-key", expire)
    assert outcomes["cairn"] == outcomes["redis4"] == [b"OK"], outcomes


def test_watch_of_a_key_deleted_still_aborts_exec(both):
    outcomes = {}
    for name, c in both:
        c.set("w-del", "v")
        outcomes[name] = _exec_after_watch(c, "w-del", lambda: c.delete("w-del"))
    assert outcomes["cairn"] is None and outcomes["redis4"] is None, outcomes


def test_client_list_flags_dirty_cas(both):
    for name, c in both:
        c.set("w-d", "v")
        conn = c.connection_pool.get_connection()
        try:
            conn.send_command("WATCH", "w-d")
            conn.read_response()
            c.set("w-d", "changed")
            conn.send_command("MULTI")
            conn.read_response()
            rows, lines = _client_list_fields(c)
            flags = sorted(r["flags"] for r in rows)
            assert "xd" in flags, (name, lines)
            multi = [r["multi"] for r in rows if r["flags"] == "xd"]
            assert multi == ["0"], (name, lines)
            conn.send_command("DISCARD")
            conn.read_response()
        finally:
            c.connection_pool.release(conn)
