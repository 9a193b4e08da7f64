"""`cairn aof` against the real thing: redis-check-aof and redis-server 7.0.

Job: (1) `cairn aof check` agrees with redis-check-aof on valid files, on every
kind of damage we can make (cuts at many positions, garbage in the middle or at the
end, a broken length) -- same verdict, same offset of the last good command;
(2) `check --fix --yes` leaves a file redis-check-aof accepts, and a backup
equal to the original; (3) `replay` of each Redis 7.0 fixture log (preamble,
plain, annotated) into a fresh redis-server gives the DEBUG DIGEST the
original server had; error replies stop the replay (or not, with --continue);
--db / --from-command / --until-command select what is sent.

Contract: the cairn tool is $CAIRN_TOOL, else .build/release/cairn, else
.build/debug/cairn (tools/test.sh builds the debug one). Servers are started
with tools/serverproc.py on free loopback ports and stopped by pid.
"""
import os
import re
import subprocess
import sys

import pytest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
from serverproc import REPO_ROOT, ServerProcess  # noqa: E402

FIXTURES = os.path.join(REPO_ROOT, "fixtures", "aof")
DATASET_DIGEST = None


def cairn_tool():
    env = os.environ.get("CAIRN_TOOL")
    if env:
        return os.path.abspath(env)
    for config in ("release", "debug"):
        path = os.path.join(REPO_ROOT, ".build", config, "cairn")
        if os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("cairn not found: set CAIRN_TOOL or run `swift build --product cairn`")


def cairn(*args, stdin=subprocess.DEVNULL):
    return subprocess.run([cairn_tool(), "aof", *args], capture_output=True, text=True, timeout=120, stdin=stdin)


def digest():
    import json
    with open(os.path.join(FIXTURES, "redis7-dataset.json")) as f:
        return json.load(f)["digest"]


def redis_check(path):
    """(valid, ok_up_to) as redis-check-aof reports them."""
    r = subprocess.run(["redis-check-aof", path], capture_output=True, text=True, timeout=60)
    m = re.search(r"ok_up_to=(\d+)", r.stdout)
    return r.returncode == 0, int(m.group(1)) if m else None


def our_check(path):
    """(valid, last good offset) as `cairn aof check` reports them."""
    r = cairn("check", path)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    if r.returncode == 0:
        return True, os.path.getsize(path)
    m = re.search(r"last good command ends at offset (\d+)", r.stdout)
    assert m, r.stdout
    return False, int(m.group(1))


def fixture_files():
    out = []
    for d in sorted(os.listdir(FIXTURES)):
        full = os.path.join(FIXTURES, d)
        if os.path.isdir(full):
            out += [os.path.join(full, f) for f in sorted(os.listdir(full)) if not f.endswith(".manifest")]
    return out


@pytest.fixture
def redis_debug():
    with ServerProcess("redis", extra_args=["--enable-debug-command", "yes"]) as s:
        yield s


def test_check_accepts_every_redis7_file_and_directory():
    for path in fixture_files():
        assert redis_check(path) == (True, os.path.getsize(path))
        assert our_check(path) == (True, os.path.getsize(path)), path
    for d in ("redis7-preamble", "redis7-plain", "redis7-annotated"):
        r = cairn("check", os.path.join(FIXTURES, d))
        assert r.returncode == 0 and "AOF is valid" in r.stdout, r.stdout


def damaged_variants(src, tmp_path):
    data = open(src, "rb").read()
    cuts = sorted(set([1, 2, 5, 17, len(data) // 3, len(data) // 2, len(data) - 1, len(data) - 2, len(data) - 3]
                      + list(range(len(data) - 60, len(data), 7))))
    variants = {f"cut{c}": data[:c] for c in cuts if 0 < c < len(data)}
    mid = len(data) // 2
    variants["garbage-middle"] = data[:mid] + b"garbage" + data[mid:]
    variants["garbage-end"] = data + b"\x00\xffjunk"
    variants["bad-length"] = data.replace(b"$3\r\nSET", b"$4\r\nSET", 1)
    variants["star-missing"] = data[:mid] + data[mid:].replace(b"*3\r\n", b"3\r\n", 1)
    for name, content in variants.items():
        p = tmp_path / (os.path.basename(src) + "." + name)
        p.write_bytes(content)
        yield str(p)


@pytest.mark.parametrize("name", ["redis7-plain/appendonly.aof.2.incr.aof", "redis7-plain/appendonly.aof.2.base.aof",
                                  "redis7-annotated/appendonly.aof.1.incr.aof"])
def test_check_agrees_with_redis_check_aof_on_damage(name, tmp_path):
    compared = 0
    for path in damaged_variants(os.path.join(FIXTURES, name), tmp_path):
        theirs, ours = redis_check(path), our_check(path)
        assert ours == theirs, f"{os.path.basename(path)}: cairn {ours}, redis-check-aof {theirs}"
        compared += 1
    assert compared >= 10


def test_check_reports_a_damaged_preamble(tmp_path):
    data = open(os.path.join(FIXTURES, "redis7-preamble/appendonly.aof.2.base.rdb"), "rb").read()
    p = tmp_path / "pre.aof"
    p.write_bytes(data[:1000])
    r = cairn("check", "--fix", "--yes", str(p))
    assert r.returncode == 1
    assert "bad RDB preamble" in r.stdout and "cannot fix" in r.stdout
    assert not redis_check(str(p))[0]


def test_fix_truncates_to_what_redis_check_aof_accepts_and_keeps_a_backup(tmp_path):
    src = os.path.join(FIXTURES, "redis7-plain/appendonly.aof.2.incr.aof")
    original = open(src, "rb").read()
    for content in (original[:-5], original + b"*2\r\n$3\r\nGET", original[:300] + b"xx" + original[300:]):
        p = tmp_path / "log.aof"
        p.write_bytes(content)
        for old in tmp_path.glob("log.aof.bak*"):
            old.unlink()
        refused = cairn("check", "--fix", str(p))  # stdin is not a terminal: no question, no fix
        assert refused.returncode == 1 and "not fixing" in refused.stdout
        r = cairn("check", "--fix", "--yes", str(p))
        assert r.returncode == 0, r.stdout
        assert open(str(p) + ".bak", "rb").read() == content
        assert redis_check(str(p)) == (True, os.path.getsize(p))
        assert our_check(str(p))[0]


@pytest.mark.parametrize("name", ["redis7-preamble", "redis7-plain", "redis7-annotated"])
def test_replay_of_a_redis7_log_gives_the_original_digest(name, redis_debug, make_client):
    c = make_client(redis_debug)
    c.flushall()
    r = cairn("replay", os.path.join(FIXTURES, name), "--port", str(redis_debug.port), "--window", "7")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 errors" in r.stdout
    assert c.execute_command("DEBUG", "DIGEST").decode() == digest()


def test_replay_of_the_redis4_single_file_form(redis_debug, make_client, tmp_path):
    p = tmp_path / "mixed.aof"
    p.write_bytes(open(os.path.join(FIXTURES, "redis7-preamble/appendonly.aof.2.base.rdb"), "rb").read()
                  + open(os.path.join(FIXTURES, "redis7-preamble/appendonly.aof.2.incr.aof"), "rb").read())
    assert redis_check(str(p))[0]
    c = make_client(redis_debug)
    c.flushall()
    r = cairn("replay", str(p), "--port", str(redis_debug.port))
    assert r.returncode == 0, r.stdout + r.stderr
    assert c.execute_command("DEBUG", "DIGEST").decode() == digest()


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def replay_setup(tmp_path, name, log, server, make_client):
    """Writes `log` to a file and empties `server`: (the file's path, a client of the server)."""
    p = tmp_path / name
    p.write_bytes(log)
    c = make_client(server)
    c.flushall()
    return p, c


def test_replay_stops_at_the_first_error_unless_continue(redis_debug, make_client, tmp_path):
    log = resp("SET", "s", "text") + resp("INCR", "s") + resp("SET", "after", "1")
    p, c = replay_setup(tmp_path, "err.aof", log, redis_debug, make_client)
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--window", "1")
    assert r.returncode == 1
    offset = len(resp("SET", "s", "text"))
    assert f"command #2 (file 1, offset {offset})" in r.stderr, r.stderr
    assert c.get("after") is None
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--continue")
    assert r.returncode == 1 and "1 errors" in r.stdout
    assert c.get("after") == b"1"


def test_replay_selects_databases_and_ranges(redis_debug, make_client, tmp_path):
    log = (resp("SELECT", 0) + resp("SET", "a", "0") + resp("SELECT", 3) + resp("SET", "b", "3")
           + resp("SET", "c", "3") + resp("SELECT", 0) + resp("SET", "d", "0"))
    p, c = replay_setup(tmp_path, "dbs.aof", log, redis_debug, make_client)
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--db", "3")
    assert r.returncode == 0, r.stderr
    assert c.dbsize() == 0
    c.execute_command("SELECT", 3)
    assert sorted(c.keys()) == [b"b", b"c"]
    c.flushall()
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--from-command", "4", "--until-command", "4")
    assert r.returncode == 0 and "sent 1 commands" in r.stdout, r.stdout
    assert sorted(c.keys()) == [b"b"]  # still in db 3: SELECT 3 was sent for command 4
    c.execute_command("SELECT", 0)
    assert c.dbsize() == 0
    dry = cairn("replay", str(p), "--dry-run")
    assert dry.returncode == 0 and "would send 4 commands (of 7 in the log)" in dry.stdout


def test_replay_reports_a_range_that_ends_inside_multi_and_commands_in_flight(redis_debug, make_client, tmp_path):
    log = (resp("SET", "a", "1") + resp("MULTI") + resp("SET", "b", "2") + resp("EXEC")
           + resp("INCR", "a") + resp("SET", "s", "x") + resp("INCR", "s") + resp("SET", "z", "1"))
    p, c = replay_setup(tmp_path, "tx.aof", log, redis_debug, make_client)
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--until-command", "3")
    assert r.returncode == 1, r.stdout
    assert "end inside the MULTI block of command #2" in r.stdout, r.stdout
    assert c.get("b") is None  # the server dropped the unfinished transaction
    c.flushall()
    # Pipelined: the SET after the failing INCR was already sent, and the report says so.
    r = cairn("replay", str(p), "--port", str(redis_debug.port), "--from-command", "6")
    assert r.returncode == 1
    assert "1 commands after the failed one were already sent" in r.stdout, r.stdout
    assert c.get("z") == b"1"


def test_info_shows_the_span_of_timestamp_annotations():
    r = cairn("info", os.path.join(FIXTURES, "redis7-annotated"))
    assert r.returncode == 0, r.stdout
    assert re.search(r"commands annotated from \d+ to \d+ \(Unix time, #TS lines\)", r.stdout), r.stdout


def test_check_counts_only_the_commands_that_survive_a_cut(tmp_path):
    log = resp("SET", "a", "1") + resp("MULTI") + resp("SET", "b", "2")
    p = tmp_path / "open-multi.aof"
    p.write_bytes(log)
    r = cairn("check", str(p))
    assert r.returncode == 1
    assert "1 whole commands" in r.stdout, r.stdout
    assert redis_check(str(p)) == (False, len(resp("SET", "a", "1")))
