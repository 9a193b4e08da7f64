"""A start-up that cannot load its data ends the log with Redis 4.0's fatal line.

Job: start cairn-server on a damaged AOF (bad format; cut short with
aof-load-truncated no) and on an RDB whose checksum is wrong; it must exit 1
with Cairn's detail (offset, the `cairn aof check --fix` hint) before Redis's
words, and Redis's words as the log's last line (what `tail -1` shows an
operator), with no farewell after them. An AOF ending inside MULTI loads, and
logs Redis's revert line.

Contract: each server on a free loopback port in its own directory, bounded by
a timeout; the ones that start are stopped by pid.
"""

import os
import subprocess

from respclient import RespClient
from serverproc import ServerProcess, cairn_server_path, free_port


def start_and_fail(d, *args):
    argv = [cairn_server_path(), "--port", str(free_port()), "--bind", "127.0.0.1", "--dir", d,
            "--logfile", "server.log", "--save", ""] + list(args)
    p = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr
    with open(os.path.join(d, "server.log")) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def aof(d, data):
    with open(os.path.join(d, "appendonly.aof"), "wb") as f:
        f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n" + data)


def test_bad_aof_format_ends_with_redis_line(tmp_path):
    d = str(tmp_path)
    aof(d, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\nxx\r\n")
    lines = start_and_fail(d, "--appendonly", "yes")
    assert "Bad file format reading the append only file" in lines[-2] and "at offset 70" in lines[-2]
    assert lines[-1].endswith("# Bad file format reading the append only file: make a backup of your AOF file, "
                              "then use `cairn aof check --fix %s/appendonly.aof`" % d)


def test_short_aof_without_truncation_ends_with_redis_line(tmp_path):
    d = str(tmp_path)
    aof(d, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nab")
    lines = start_and_fail(d, "--appendonly", "yes", "--aof-load-truncated", "no")
    assert "# Unexpected end of file reading the append only file. You can: 1) Make a backup of your AOF file, " \
           "then use `cairn aof check --fix" in lines[-1]
    assert lines[-1].endswith("2) Alternatively you can set the 'aof-load-truncated' configuration option to yes "
                              "and restart the server.")


def test_unfinished_multi_is_reverted_with_redis_line(tmp_path):
    d = str(tmp_path)
    aof(d, b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nc\r\n")
    with ServerProcess("cairn", ["--appendonly", "yes"], workdir=d) as server:
        with RespClient(server.port) as c:
            assert c.call("GET", "a") == b"b"
        assert "Revert incomplete MULTI/EXEC transaction in AOF file" in server.log_tail(5000)


def test_wrong_rdb_checksum_ends_with_redis_lines(tmp_path):
    d = str(tmp_path)
    with ServerProcess("cairn", workdir=d) as server:
        with RespClient(server.port) as c:
            c.call("SET", "k", "v" * 100)
            assert c.call("SAVE") == b"OK"
    path = os.path.join(d, "dump.rdb")
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))  # the checksum's last byte
    lines = start_and_fail(d)
    assert "checksum mismatch" in lines[-3]
    assert lines[-2].endswith("# Wrong RDB checksum. Aborting now.")
    assert lines[-1].endswith("# Internal error in RDB reading function -> RDB CRC error")
