"""Interop: real Redis 7.0 clients (redis-cli, redis-benchmark, redis-py) against cairn-server.

Job: prove the tools people already use work unchanged against Cairn -- plain
commands, mass insertion with --pipe, stdin arguments, --raw output, --scan,
binary-safe keys and values, big values, deep pipelines, redis-benchmark --
and that protocol errors get Redis's exact reply and close only the offending
connection.

Contract: every test uses its own key prefix, so tests share one server per
session. Protocol-error replies are compared with what redis-server 7.0 sends
for the same bytes, on inputs where Redis 4.0 and 7.0 agree (not, e.g., a
multibulk count between 1M and INT_MAX: 4.0 refuses it, 7.0 accepts it).

Tricky bit: redis-cli and redis-benchmark run with a bounded timeout and stdin
closed (or fed explicitly), so a hang fails the test instead of the CI run.
"""

import random
import socket
import subprocess

import pytest

from respclient import RespClient

TIMEOUT = 120


def cli(server, *args, input=None, raw=False):
    """Runs redis-cli against a server; returns stdout bytes (asserting exit 0)."""
    argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port)]
    if raw:
        argv.append("--raw")
    argv += list(args)
    p = subprocess.run(argv, input=input if input is not None else b"", capture_output=True, timeout=TIMEOUT)
    assert p.returncode == 0, "redis-cli %r failed (%d): %r %r" % (
        args, p.returncode, p.stdout[-300:], p.stderr[:300])
    return p.stdout


# ---------------------------------------------------------------- redis-cli

def test_cli_ping(cairn):
    assert cli(cairn, "PING") == b"PONG\n"
    assert cli(cairn, "ping", "hello world") == b"hello world\n"


def test_cli_set_get(cairn):
    assert cli(cairn, "SET", "cli:k", "some value") == b"OK\n"
    assert cli(cairn, "GET", "cli:k") == b"some value\n"
    assert cli(cairn, "GET", "cli:missing") == b"\n"  # nil prints as an empty line when not a tty


def test_cli_pipe_mass_insert(cairn, make_client):
    n = 10000
    payload = b"".join(
        b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v)
        for k, v in ((b"pipe:%d" % i, b"value-%d" % i) for i in range(n)))
    out = cli(cairn, "--pipe", input=payload)
    assert b"errors: 0, replies: %d" % n in out, out
    c = make_client(cairn)
    assert c.get(b"pipe:0") == b"value-0"
    assert c.get(b"pipe:9999") == b"value-9999"
    assert c.mget([b"pipe:%d" % i for i in range(0, n, 997)]) == [b"value-%d" % i for i in range(0, n, 997)]


def test_cli_x_reads_last_argument_from_stdin(cairn, make_client):
    data = b"line one\nline two\r\n\x00\xff tail"
    assert cli(cairn, "-x", "SET", "cli:stdin", input=data) == b"OK\n"
    assert make_client(cairn).get(b"cli:stdin") == data


def test_cli_raw_output(cairn, make_client):
    make_client(cairn).set(b"cli:raw", b"a\nb\"c")
    assert cli(cairn, "GET", "cli:raw", raw=True) == b"a\nb\"c\n"
    assert cli(cairn, "INCR", "cli:rawcounter", raw=True) == b"1\n"
    out = cli(cairn, "GET", "cli:raw")  # not a tty: redis-cli prints raw by default too
    assert out == b"a\nb\"c\n"


def test_cli_scan(cairn, make_client):
    c = make_client(cairn)
    keys = {b"scan:%d" % i for i in range(300)}
    for k in keys:
        c.set(k, b"x")
    c.set(b"other:scan", b"y")
    out = cli(cairn, "--scan", "--pattern", "scan:*")
    assert set(out.split()) == keys
    assert len(out.split()) == len(keys), "SCAN returned duplicates"


def test_cli_error_reply(cairn):
    out = cli(cairn, "GET")
    assert out.strip() == b"(error) ERR wrong number of arguments for 'get' command" or \
        out.strip() == b"ERR wrong number of arguments for 'get' command"


# ---------------------------------------------------------------- redis-py

BINARY_KEYS = [
    b"bin:\x00", b"bin:\r\n", b"bin:\r\nSET x y\r\n", b"bin:\xff\xfe\xfd", b"bin:\x80abc",
    b"bin: spaces and \"quotes\"", b"bin:" + bytes(range(256)), b"bin:\xc3\x28", b"bin:caf\xc3\xa9",
    b"bin:cafe\xcc\x81",  # canonically equivalent to the previous one in Unicode: must stay a different key
]


def test_binary_keys_and_values(cairn, make_client):
    c = make_client(cairn)
    for i, k in enumerate(BINARY_KEYS):
        v = bytes(reversed(k)) + b"\x00\r\n" + bytes([i])
        assert c.set(k, v) is True
        assert c.get(k) == v
    assert c.get(b"bin:caf\xc3\xa9") != c.get(b"bin:cafe\xcc\x81")
    got = c.mget(BINARY_KEYS)
    assert got == [bytes(reversed(k)) + b"\x00\r\n" + bytes([i]) for i, k in enumerate(BINARY_KEYS)]
    assert c.exists(*BINARY_KEYS) == len(BINARY_KEYS)


def test_empty_key_and_value(cairn, make_client):
    c = make_client(cairn)
    assert c.set(b"", b"") is True
    assert c.get(b"") == b""
    assert c.delete(b"") == 1


@pytest.mark.parametrize("size", [1 << 20, (1 << 20) + 7, 5 << 20])
def test_large_values(cairn, make_client, size):
    c = make_client(cairn)
    rnd = random.Random(size)
    value = rnd.randbytes(size)
    key = b"big:%d" % size
    assert c.set(key, value) is True
    assert c.get(key) == value
    assert c.strlen(key) == size


def test_pipeline_of_1000(cairn, make_client):
    c = make_client(cairn)
    p = c.pipeline(transaction=False)
    for i in range(1000):
        p.set(b"pl:%d" % i, b"v%d" % i)
    for i in range(1000):
        p.get(b"pl:%d" % i)
    out = p.execute()
    assert out[:1000] == [True] * 1000
    assert out[1000:] == [b"v%d" % i for i in range(1000)]


def test_pipeline_mixed_with_errors(cairn, make_client):
    c = make_client(cairn)
    p = c.pipeline(transaction=False)
    p.set(b"ple:a", b"1")
    p.incr(b"ple:a")
    p.set(b"ple:s", b"text")
    p.incr(b"ple:s")
    p.get(b"ple:a")
    out = p.execute(raise_on_error=False)
    assert out[0] is True and out[1] == 2 and out[2] is True and out[4] == b"2"
    assert str(out[3]) == "value is not an integer or out of range"


def test_many_connections(cairn, make_client):
    clients = [make_client(cairn, single_connection_client=True) for _ in range(50)]
    for i, c in enumerate(clients):
        c.set(b"conn:%d" % i, b"%d" % i)
    for i, c in enumerate(clients):
        assert c.get(b"conn:%d" % ((i + 1) % 50)) == b"%d" % ((i + 1) % 50)


# ---------------------------------------------------------------- redis-benchmark

def test_redis_benchmark_runs_clean(cairn):
    p = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(cairn.port), "-q", "-n", "2000",
         "-t", "set,get,incr,mset,ping"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    lines = [seg.strip() for line in text.splitlines() for seg in line.split("\r") if seg.strip()]
    results = [l for l in lines if "requests per second" in l]
    problems = [l for l in lines if "error" in l.lower() or "err " in l.lower() or "warning" in l.lower()]
    assert p.returncode == 0, text
    assert not problems, problems
    names = {l.split(":")[0] for l in results}
    assert names == {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}, results


# ---------------------------------------------------------------- protocol errors

PROTOCOL_ERRORS = [
    # (name, bytes sent, the reply Redis 4.0 and 7.0 both give before closing)
    ("bad multibulk count", b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("multibulk count beyond any limit", b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("negative bulk length", b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("bulk length not a number", b"*1\r\n$x\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("bulk length above proto-max-bulk-len", b"*1\r\n$536870913\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("missing $", b"*2\r\n$3\r\nget\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    ("unbalanced double quote", b'set "abc\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("unbalanced single quote", b"set 'abc\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("closing quote not followed by space", b'set "a"b c\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("inline request too big", b"x" * (70 * 1024), b"-ERR Protocol error: too big inline request\r\n"),
    ("multibulk count line too big", b"*" + b"1" * (70 * 1024),
     b"-ERR Protocol error: too big mbulk count string\r\n"),
    ("good command, then garbage", b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n",
     b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"),
]


def send_and_read_until_close(port, data):
    with RespClient(port) as c:
        try:
            c.send_raw(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return c.read_until_closed(timeout=10)


@pytest.mark.parametrize("name,data,expected", PROTOCOL_ERRORS, ids=[p[0] for p in PROTOCOL_ERRORS])
def test_protocol_error_matches_redis_and_closes(cairn, redis_server, name, data, expected):
    bystander = RespClient(cairn.port)  # connected before the bad client, must be unaffected
    try:
        assert bystander.call("PING") == b"PONG"
        from_redis = send_and_read_until_close(redis_server.port, data)
        assert from_redis == expected, "redis-server 7.0 disagrees with the expected reply; update the table"
        from_cairn = send_and_read_until_close(cairn.port, data)
        assert from_cairn == expected
        assert bystander.call("PING") == b"PONG"
        assert bystander.call("ECHO", b"still here") == b"still here"
    finally:
        bystander.close()
    with RespClient(cairn.port) as fresh:
        assert fresh.call("PING") == b"PONG"


def test_protocol_error_after_partial_reads(cairn):
    """The error must also be found when the bad header arrives byte by byte."""
    with RespClient(cairn.port) as c:
        for b in b"*1\r\n$-3\r\n":
            c.send_raw(bytes([b]))
        assert c.read_until_closed(timeout=10) == b"-ERR Protocol error: invalid bulk length\r\n"


def test_half_sent_command_then_disconnect(cairn):
    """A client that vanishes mid-command must not disturb the server."""
    s = socket.create_connection(("127.0.0.1", cairn.port), timeout=10)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly part")
    s.close()
    with RespClient(cairn.port) as c:
        assert c.call("PING") == b"PONG"


def test_inline_commands(cairn):
    with RespClient(cairn.port) as c:
        c.send_raw(b'SET inline:k "hello \\x41\\n world"\r\nGET inline:k\r\n')
        assert c.read_reply() == b"OK"
        assert c.read_reply() == b"hello A\n world"
        c.send_raw(b"\r\n\r\nPING\r\n")  # empty lines are ignored
        assert c.read_reply() == b"PONG"


def test_unknown_command_4_0_wording(cairn):
    with RespClient(cairn.port) as c:
        assert c.call("NOSUCHCMD", "a", "b") == \
            b"ERR unknown command `NOSUCHCMD`, with args beginning with: `a`, `b`, "
