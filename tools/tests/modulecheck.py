"""modulecheck: what the module tests share to compare Cairn with Redis 4.0.

Job: `reply` gives a command's reply, or its error as ("ERR", text), so the two
servers' answers compare alike; `same` asserts they are equal and returns it;
`wait_until` polls a probe with a bounded wait.
"""

import time

import redis


def reply(client, *cmd):
    """The reply, or the error as ("ERR", text), so both servers compare alike."""
    try:
        return client.execute_command(*cmd)
    except redis.ResponseError as e:
        return ("ERR", str(e))


def same(c, r, *cmd):
    got, want = reply(c, *cmd), reply(r, *cmd)
    assert got == want, f"{cmd!r}: cairn {got!r:.2000} != redis 4.0 {want!r:.2000}"
    return got


def wait_until(what, probe, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)
