"""Module data types (issue 14, item 3): values of a type a module registered
(RedisModule_CreateDataType) live in the keyspace, persist and replicate as in
Redis 4.0.14 running the same .so.

- hellotype (Redis's example, built unchanged by its Makefile): every command
  gives the same reply in Cairn and in Redis 4.0; TYPE, OBJECT ENCODING, DUMP
  payloads and DEBUG DIGEST are equal; DUMP payloads restore across servers.
- Persistence: SAVE + restart, DEBUG RELOAD, BGREWRITEAOF (the type's
  aof_rewrite through EmitAOF, and the RDB-preamble form) + restart keep the
  values; an RDB written by Redis 4.0 loads into Cairn and one written by Cairn
  into Redis 4.0 (same digest); without the module the RDB is refused with the
  type's name in the error; the pre-release form (RDB type 6) loads as in 4.0.
- A Cairn master's values reach a Redis 4.0 and a Cairn replica by full sync.
- fixtures/modules/cairntypes.c: every Save/Load call round-trips (unsigned,
  signed, double, float, buffer, string), the free callback runs on DEL,
  overwrite and FLUSHALL as in 4.0, the stored encoding version reaches
  rdb_load, a type whose rdb_load reads what was never saved is refused.
- `cairn rdb` tools report module values (type name and id) and never crash.
"""

import contextlib
import os
import shutil
import subprocess

import pytest
import redis

from modulebuild import build_examples, build_fixture, reference_src
from modulecheck import reply, same, wait_until
from serverproc import ServerProcess, redis4_binary

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("modules"))
    src = reference_src(d)
    mods = build_examples(src)
    mods["cairntypes"] = build_fixture("cairntypes", src, d)
    return mods


def start(kind, workdir, *args):
    binary = redis4_binary() if kind == "redis4" else None
    return ServerProcess(kind, extra_args=list(args), workdir=workdir, binary=binary).start()


@contextlib.contextmanager
def running(kind, workdir, *args):
    """A client of a server started in `workdir`, stopped by pid at the end of the block."""
    server = start(kind, workdir, *args)
    try:
        yield client(server)
    finally:
        server.stop()


def client(server):
    return redis.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=30)








def rewrite_done(c):
    info = c.info("persistence")
    return info["aof_rewrite_in_progress"] == 0 and info["aof_rewrite_scheduled"] == 0


HELLOTYPE = [
    ("hellotype.insert", "k", "5"), ("hellotype.insert", "k", "3"), ("hellotype.insert", "k", "-7"),
    ("hellotype.insert", "k", "10"), ("hellotype.insert", "k", "3"), ("hellotype.range", "k", "0", "10"),
    ("hellotype.range", "k", "1", "2"), ("hellotype.range", "k", "0", "0"), ("hellotype.range", "missing", "0", "10"),
    ("hellotype.len", "k"), ("hellotype.len", "missing"), ("type", "k"), ("object", "encoding", "k"),
    ("exists", "k"), ("set", "s", "v"), ("hellotype.insert", "s", "1"), ("hellotype.range", "s", "0", "1"),
    ("hellotype.len", "s"), ("get", "k"), ("lpush", "k", "x"), ("hellotype.insert", "k", "abc"),
    ("hellotype.insert", "k"), ("hellotype.range", "k", "x", "1"), ("hellotype.range", "k", "0", "-1"),
    ("dump", "k"), ("debug", "digest"), ("rename", "k", "k2"), ("hellotype.len", "k2"),
    ("expire", "k2", "1000"), ("debug", "digest"), ("set", "k2", "plain"), ("type", "k2"),
    ("hellotype.insert", "k3", "1"), ("del", "k3"), ("exists", "k3"), ("hellotype.len", "k3"),
]


def fill_hellotype(c):
    for i in range(300):
        c.execute_command("hellotype.insert", "big", (i * 7919) % 1000 - 500)
    c.execute_command("hellotype.insert", "small", "42")
    c.execute_command("select", "3")
    c.execute_command("hellotype.insert", "other", "9223372036854775807")
    c.execute_command("hellotype.insert", "other", "-9223372036854775808")
    c.execute_command("select", "0")
    c.execute_command("hellotype.insert", "ttl", "1")
    c.execute_command("expire", "ttl", "100000")
    c.execute_command("set", "plain", "v")


def test_hellotype_same_replies_dump_and_digest(built, tmpdirs):
    cs = start("cairn", tmpdirs(), "--loadmodule", built["hellotype"])
    rs = start("redis4", tmpdirs(), "--loadmodule", built["hellotype"])
    try:
        c, r = client(cs), client(rs)
        for cmd in HELLOTYPE:
            same(c, r, *cmd)
        fill_hellotype(c)
        fill_hellotype(r)
        same(c, r, "hellotype.range", "big", "0", "1000")
        same(c, r, "debug", "digest")
        payload = same(c, r, "dump", "big")
        assert payload[0] == 7  # RDB_TYPE_MODULE_2
        # A payload restores in the other server.
        theirs, ours = r.execute_command("dump", "big"), c.execute_command("dump", "big")
        for server, other in ((c, theirs), (r, ours)):
            assert server.execute_command("restore", "restored", "0", other) in (True, b"OK")
        same(c, r, "hellotype.range", "restored", "0", "1000")
        assert c.execute_command("hellotype.range", "restored", "0", "1000") == \
            c.execute_command("hellotype.range", "big", "0", "1000")
        same(c, r, "debug", "digest")
        same(c, r, "module", "unload", "hellotype")  # refused: the module exports a type
        same(c, r, "flushall")
        same(c, r, "debug", "digest")
    finally:
        cs.stop()
        rs.stop()


def test_hellotype_survives_reload_restart_and_rewrites(built, tmpdirs):
    d = tmpdirs()
    mod = ("--loadmodule", built["hellotype"])
    with running("cairn", d, *mod) as c:
        fill_hellotype(c)
        want = c.execute_command("debug", "digest")
        want_range = c.execute_command("hellotype.range", "big", "0", "1000")
        assert c.execute_command("debug", "reload") in (True, b"OK")
        assert c.execute_command("debug", "digest") == want
        assert c.execute_command("save") in (True, b"OK")
    with running("cairn", d, *mod) as c:
        assert c.execute_command("debug", "digest") == want
        assert c.execute_command("hellotype.range", "big", "0", "1000") == want_range
        assert c.execute_command("ttl", "ttl") > 0
        # BGSAVE (the forkless snapshot; its capture of values changed in place while it runs is
        # RDBTests' ModuleValueTests), then a restart from what it wrote.
        c.execute_command("hellotype.insert", "big", "777")
        assert c.execute_command("bgsave")
        wait_until("bgsave", lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
        want = c.execute_command("debug", "digest")
    with running("cairn", d, *mod) as c:
        assert c.execute_command("debug", "digest") == want
        # The AOF without preamble: hellotype's aof_rewrite, through EmitAOF.
        c.execute_command("config", "set", "aof-use-rdb-preamble", "no")
        c.execute_command("config", "set", "appendonly", "yes")
        wait_until("the first rewrite", lambda: rewrite_done(c))
        c.execute_command("bgrewriteaof")
        wait_until("the rewrite", lambda: rewrite_done(c))
        c.execute_command("hellotype.insert", "afterwards", "7")
        want = c.execute_command("debug", "digest")
    aof = b"".join(open(os.path.join(root, f), "rb").read()
                   for root, _, files in os.walk(d) for f in files if "aof" in f and not f.endswith(".rdb"))
    assert b"HELLOTYPE.INSERT" in aof and b"hellotype.insert" in aof
    with running("cairn", d, *mod, "--appendonly", "yes") as c:
        assert c.execute_command("debug", "digest") == want
        # The RDB-preamble form.
        c.execute_command("config", "set", "aof-use-rdb-preamble", "yes")
        c.execute_command("bgrewriteaof")
        wait_until("the rewrite", lambda: rewrite_done(c))
        c.execute_command("hellotype.insert", "after-preamble", "8")
        want = c.execute_command("debug", "digest")
    with running("cairn", d, *mod, "--appendonly", "yes") as c:
        assert c.execute_command("debug", "digest") == want


def test_rdb_files_interchange_with_redis4(built, tmpdirs):
    mod = ("--loadmodule", built["hellotype"])
    rdir, cdir, back = tmpdirs(), tmpdirs(), tmpdirs()
    with running("redis4", rdir, *mod) as rc:
        fill_hellotype(rc)
        want = rc.execute_command("debug", "digest")
        rc.execute_command("save")
    shutil.copy(os.path.join(rdir, "dump.rdb"), os.path.join(cdir, "dump.rdb"))
    with running("cairn", cdir, *mod) as c:
        assert c.execute_command("debug", "digest") == want
        c.execute_command("hellotype.insert", "cairn-side", "1")
        want = c.execute_command("debug", "digest")
        payload = c.execute_command("dump", "big")
        c.execute_command("save")
    shutil.copy(os.path.join(cdir, "dump.rdb"), os.path.join(back, "dump.rdb"))
    with running("redis4", back, *mod) as rc:
        assert rc.execute_command("debug", "digest") == want
        assert rc.execute_command("hellotype.len", "cairn-side") == 1
    # Without the module, Cairn refuses the file and names the type.
    with pytest.raises(RuntimeError) as refused:
        start("cairn", cdir)
    assert "hellotype" in str(refused.value) and "no loaded module" in str(refused.value)
    # Nor does RESTORE take a payload of a type no module registered (4.0 would exit).
    s = start("cairn", tmpdirs())
    try:
        c = client(s)
        assert reply(c, "restore", "k", "0", payload) == ("ERR", "Bad data format")
        assert c.execute_command("exists", "k") == 0
        assert c.ping()
    finally:
        s.stop()


def rdb_length(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | n >> 8, n & 0xFF])
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def test_pre_release_module_format_loads_as_in_redis4(built, tmpdirs):
    """RDB type 6 (module values without field opcodes), which 4.0 still reads: hellotype's
    count and signed values as bare lengths; no checksum (zero)."""
    hellotype_id = 9649355426779199488  # "hellotype", encoding version 0
    values = [5, -3, 1 << 40, 0]
    body = b"\xfe\x00" + b"\x06" + rdb_length(2) + b"v1" + rdb_length(hellotype_id) + rdb_length(len(values))
    body += b"".join(rdb_length(v & 0xFFFFFFFFFFFFFFFF) for v in values)
    data = b"REDIS0008" + body + b"\xff" + bytes(8)
    digests, ranges = [], []
    for kind in ("cairn", "redis4"):
        d = tmpdirs()
        open(os.path.join(d, "dump.rdb"), "wb").write(data)
        s = start(kind, d, "--loadmodule", built["hellotype"])
        try:
            c = client(s)
            ranges.append(c.execute_command("hellotype.range", "v1", "0", "10"))
            digests.append(c.execute_command("debug", "digest"))
            c.execute_command("save")  # written back as type 7
            assert open(os.path.join(d, "dump.rdb"), "rb").read().count(b"\x07\x02v1") == 1
        finally:
            s.stop()
    assert ranges[0] == ranges[1] == sorted(values)
    assert digests[0] == digests[1]
    d = tmpdirs()
    open(os.path.join(d, "dump.rdb"), "wb").write(data)
    with pytest.raises(RuntimeError) as refused:
        start("cairn", d)
    assert "pre-release format (RDB type 6) of type 'hellotype'" in str(refused.value)


def cairn_tool():
    env = os.environ.get("CAIRN_TOOL")
    if env:
        return env
    for config in ("release", "debug"):
        path = os.path.join(REPO_ROOT, ".build", config, "cairn")
        if os.access(path, os.X_OK):
            return path
    pytest.fail("the cairn tool is not built (swift build --product cairn)")


def test_rdb_tools_report_module_values(built, tmpdirs):
    d = tmpdirs()
    s = start("cairn", d, "--loadmodule", built["hellotype"])
    try:
        fill_hellotype(client(s))
        client(s).execute_command("save")
    finally:
        s.stop()
    path = os.path.join(d, "dump.rdb")
    tool = cairn_tool()
    runs = {}
    for args in (["check"], ["info"], ["dump", "--format", "json"], ["dump", "--format", "resp"],
                 ["keys"], ["memory"], ["get", "big"], ["diff", path]):
        p = subprocess.run([tool, "rdb", args[0], path] + args[1:], capture_output=True, timeout=60)
        # 3: valid, but holds values Cairn cannot load by itself (check); never a crash.
        assert p.returncode in ((3,) if args[0] == "check" else (0,)), (args, p.returncode, p.stderr[-500:])
        runs[args[0] + (args[-1] if args[0] == "dump" else "")] = p
    assert b'"module_type":"hellotype"' in runs["dumpjson"].stdout
    assert b"module hellotype (id " in runs["check"].stdout
    assert b"hellotype" in runs["dumpresp"].stderr


@pytest.mark.parametrize("replica_kind", ["redis4", "cairn"])
def test_full_sync_carries_module_values(built, tmpdirs, replica_kind):
    mod = ("--loadmodule", built["hellotype"])
    m = start("cairn", tmpdirs(), *mod)
    rep = start(replica_kind, tmpdirs(), *mod)
    try:
        mc, rc = client(m), client(rep)
        fill_hellotype(mc)
        rc.execute_command("slaveof", "127.0.0.1", str(m.port))
        wait_until("the link", lambda: rc.info("replication").get("master_link_status") == "up")
        mc.execute_command("hellotype.insert", "big", "12345")  # propagated by ReplicateVerbatim
        want = mc.execute_command("debug", "digest")
        wait_until("the replica's digest", lambda: rc.execute_command("debug", "digest") == want)
        assert rc.execute_command("hellotype.range", "big", "0", "1000") == \
            mc.execute_command("hellotype.range", "big", "0", "1000")
    finally:
        rep.stop()
        m.stop()


CTT = [
    ("ctt.set", "a", "18446744073709551615", "-9223372036854775808", "3.141592653589793", "1.5",
     b"bin\x00ary", "a long string that LZF compresses: compresses compresses compresses"),
    ("ctt.set", "b", "0", "42", "inf", "-0.25", "", "x"),
    ("ctt.set", "c", "12345678901", "-1", "-1e-300", "3.4e38", "12345", "678"),
    ("ctt.set", "d", "1", "2", "nan", "-inf", "buf" * 40, "s"),
]


def test_own_type_every_io_call_round_trips(built, tmpdirs):
    d = tmpdirs()
    cs = start("cairn", d, "--loadmodule", built["cairntypes"])
    rs = start("redis4", tmpdirs(), "--loadmodule", built["cairntypes"])
    try:
        c, r = client(cs), client(rs)
        for cmd in CTT:
            same(c, r, *cmd)
        same(c, r, "set", "str", "v")
        keys = ["a", "b", "c", "d"]
        for k in keys + ["str", "missing"]:
            same(c, r, "ctt.get", k)
            same(c, r, "ctt.info", k)
        same(c, r, "type", "a")
        same(c, r, "ctt.set", "str", "1", "1", "1", "1", "1", "1")  # WRONGTYPE
        values = {k: c.execute_command("ctt.get", k) for k in keys}
        # DUMP payloads restore across servers (not byte-equal: the LZF compressors differ).
        for k in keys:
            theirs, ours = r.execute_command("dump", k), c.execute_command("dump", k)
            assert theirs[:10] == ours[:10]  # type 7, the module id, the first field
            for server, other in ((c, theirs), (r, ours)):
                assert server.execute_command("restore", "re-" + k, "0", other) in (True, b"OK")
            assert same(c, r, "ctt.get", "re-" + k) == values[k]
            same(c, r, "del", "re-" + k)
        same(c, r, "debug", "digest")
        same(c, r, "ctt.frees")
        same(c, r, "del", "a")
        same(c, r, "ctt.frees")
        same(c, r, *CTT[0])
        same(c, r, *CTT[0])  # overwrite: the old value is freed
        same(c, r, "ctt.frees")
        same(c, r, "ctt.set", "u", "1", "1", "1", "1", "x" * 100, "y")
        same(c, r, "unlink", "u")
        same(c, r, "ctt.frees")
        same(c, r, "module", "unload", "cairntypes")
        # A value set again to itself stays whole (Cairn only: 4.0 frees it under the key).
        frees = c.execute_command("ctt.frees")
        assert c.execute_command("ctt.again", "a") == 0 and c.execute_command("ctt.frees") == frees
        assert c.execute_command("ctt.get", "a") == values["a"]
        assert c.execute_command("debug", "reload") in (True, b"OK")
        assert {k: c.execute_command("ctt.get", k) for k in keys} == values
        assert c.execute_command("ctt.lastencver") == 1 and c.execute_command("ctt.ioctx") > 0
        same(c, r, "debug", "digest")
        # A type whose rdb_load reads a field never saved: refused, the server unharmed.
        c.execute_command("ctt.setbad", "bad", "5")
        payload = c.execute_command("dump", "bad")
        assert reply(c, "restore", "bad2", "0", payload) == ("ERR", "Bad data format")
        assert c.execute_command("exists", "bad2") == 0
        log = open(cs.logpath, errors="replace").read()
        assert "<cairntypes> cairnbad1 reads a string it never saved" in log  # LogIOError
        assert "module type 'cairnbad1' (module 'cairntypes'): the module asked for a string after" in log
        c.execute_command("del", "bad")
        # The AOF rewrite without preamble: EmitAOF's commands recreate every value.
        c.execute_command("config", "set", "aof-use-rdb-preamble", "no")
        c.execute_command("config", "set", "appendonly", "yes")
        wait_until("the rewrite", lambda: rewrite_done(c))
        c.execute_command("save")
    finally:
        cs.stop()
        rs.stop()
    aof = b"".join(open(os.path.join(root, f), "rb").read()
                   for root, _, files in os.walk(d) for f in files if "aof" in f and not f.endswith(".rdb"))
    assert aof.count(b"ctt.set") == len(keys)
    s = start("cairn", d, "--loadmodule", built["cairntypes"], "--appendonly", "yes")
    try:
        c = client(s)
        assert {k: c.execute_command("ctt.get", k) for k in keys} == values
        frees = c.execute_command("ctt.frees")
        assert c.execute_command("flushall") in (True, b"OK")
        assert c.execute_command("ctt.frees") == frees + len(keys)
    finally:
        s.stop()
    # The RDB, with the type registered at encoding version 2 now.
    s = start("cairn", d, "--loadmodule", built["cairntypes"], "2")
    try:
        c = client(s)
        assert {k: c.execute_command("ctt.get", k) for k in keys} == values
        assert c.execute_command("ctt.lastencver") == 1  # the version the values were saved with
    finally:
        s.stop()
