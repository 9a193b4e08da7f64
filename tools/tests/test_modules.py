"""The module API (issue 14): modules built against Redis 4.0.14's own
redismodule.h load into cairn-server and answer as in the reference Redis
4.0.14 loaded with the same .so files.

- Redis's example modules (helloworld, testmodule's TEST.IT) built unchanged by
  their own Makefile, loaded with `loadmodule` and with MODULE LOAD: every
  command they register gives the same reply in both servers.
- Cairn's own fixtures/modules/cairntest.c and cairnkeys.c: every reply kind,
  RedisModule_Call with each format specifier and its reply accessors, the
  string API, the low-level key API, key positions, flags, COMMAND INFO.
- Propagation: the AOF holds what Redis 4.0's holds (MULTI/EXEC around Call
  "!" and Replicate, ReplicateVerbatim, nothing for a module's own key writes);
  a Redis 4.0 and a Cairn replica of a Cairn master end with its digest.
- Bad modules: a missing path, a file that is not a module, no OnLoad, an
  OnLoad error, a duplicate name, a bad `loadmodule` at start-up: Redis's
  errors, the server unharmed. A module asking for an API name Cairn lacks is
  refused with the name in the error and the log.
- helloblock: answered from the module's thread, timed out, a client gone
  while blocked, MULTI refused, MODULE UNLOAD refused while a block is pending.
- Module data types (hellotype, cairntypes) are tested in test_module_types.py.
"""

import os
import socket
import time

import pytest

from modulebuild import build_examples, build_fixture, reference_src
from modulecheck import reply, same, wait_until


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("modules"))
    src = reference_src(d)
    mods = build_examples(src)
    for name in ("cairntest", "cairnkeys", "unknownapi"):
        mods[name] = build_fixture(name, src, d)
    mods["dir"] = d
    return mods


def both(spawn, *args):
    return spawn("cairn", *args), spawn("redis4", *args)


@pytest.fixture
def raw_client(make_client):
    """make_client without redis-py's reply parsing (COMMAND, MODULE LIST ... compared as sent)."""
    def make(server):
        client = make_client(server)
        client.response_callbacks.clear()
        return client
    return make






HELLOWORLD = [
    ("hello.simple",), ("select", "3"), ("hello.simple",), ("select", "0"),
    ("hello.push.native", "l1", "a"), ("hello.push.call", "l1", "b"), ("hello.push.call2", "l1", "c"),
    ("hello.list.sum.len", "l1"), ("hello.list.splice", "l1", "l2", "2"),
    ("hello.list.splice.auto", "l1", "l3", "1"), ("lrange", "l2", "0", "-1"), ("lrange", "l3", "0", "-1"),
    ("hello.list.splice", "l1", "missing", "x"), ("hello.rand.array", "0"), ("hello.repl1",),
    ("rpush", "nums", "1", "2", "3"), ("hello.repl2", "nums"), ("lrange", "nums", "0", "-1"),
    ("hello.repl2", "missing"), ("set", "s", "Hello World"), ("hello.toggle.case", "s"), ("get", "s"),
    ("hello.toggle.case", "nums"), ("hello.toggle.case", "nothing"),
    ("set", "e", "v"), ("hello.more.expire", "e", "1000"), ("pexpire", "e", "100000"),
    ("hello.more.expire", "e", "10000"), ("hello.more.expire", "e", "abc"),
    ("zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("hello.zsumrange", "z", "1", "3"),
    ("hello.zsumrange", "z", "(1", "4"), ("hello.zsumrange", "nothing", "1", "3"),
    ("hello.lexrange", "z", "[a", "[c", "0", "10"), ("hello.lexrange", "z", "-", "+", "1", "2"),
    ("hset", "h", "f", "v"), ("hello.hcopy", "h", "f", "g"), ("hello.hcopy", "h", "zz", "g2"),
    ("hgetall", "h"), ("hello.hcopy", "s", "f", "g"),
    ("hello.leftpad", "123", "10", "0"), ("hello.leftpad", "123", "2", "0"), ("hello.leftpad", "x", "5", "ab"),
    ("hello.simple", "extra"), ("hello.push.native", "onlyone"),
]


def test_helloworld_same_replies_loadmodule(spawn, built, raw_client):
    c, r = both(spawn, "--loadmodule", built["helloworld"])
    c, r = raw_client(c), raw_client(r)
    for cmd in HELLOWORLD:
        if cmd[0] == "hello.rand.array":
            continue  # random numbers
        same(c, r, *cmd)
    assert len(c.execute_command("hello.rand.array", "5")) == 5
    same(c, r, "module", "list")
    same(c, r, "command", "info", "hello.simple", "hello.push.native", "hello.zsumrange")
    same(c, r, "command", "getkeys", "hello.push.call", "k", "v")


def test_testmodule_self_test_passes(spawn, built, raw_client):
    c, r = both(spawn, "--loadmodule", built["testmodule"])
    c, r = raw_client(c), raw_client(r)
    assert reply(r, "test.it") == b"ALL TESTS PASSED"
    assert reply(c, "test.it") == b"ALL TESTS PASSED"
    for cmd in [("test.call",), ("test.string.append",), ("test.string.append.am",),
                ("test.string.printf", "x", "y"), ("test.unlink",), ("test.notify",), ("test.ctxflags",)]:
        same(c, r, *cmd)


def test_module_load_unload_list_at_run_time(spawn, built, raw_client):
    c, r = both(spawn)
    c, r = raw_client(c), raw_client(r)
    same(c, r, "module", "list")
    same(c, r, "module", "load", built["helloworld"])
    same(c, r, "module", "load", built["cairntest"], "some", "args")
    assert sorted(reply(c, "module", "list")) == sorted(reply(r, "module", "list"))
    same(c, r, "hello.push.native", "k", "v")
    same(c, r, "module", "unload", "helloworld")
    same(c, r, "hello.push.native", "k", "v")
    same(c, r, "module", "unload", "helloworld")
    same(c, r, "module", "list")
    same(c, r, "module", "load", built["helloworld"])
    same(c, r, "hello.push.call", "k", "w")
    same(c, r, "lrange", "k", "0", "-1")
    for bad in [("module",), ("module", "load"), ("module", "unload"), ("module", "list", "x"),
                ("module", "frobnicate", "x")]:
        same(c, r, *bad)


def test_bad_modules_give_redis_errors_and_leave_server_unharmed(spawn, built, raw_client, tmpdirs):
    d = tmpdirs()
    text = os.path.join(d, "notamodule.so")
    with open(text, "w") as f:
        f.write("this is not an ELF file\n")
    c_proc, r_proc = both(spawn)
    c, r = raw_client(c_proc), raw_client(r_proc)
    # A shared object without RedisModule_OnLoad: libc's math library will do.
    libm = "/lib/x86_64-linux-gnu/libm.so.6" if os.path.exists("/lib/x86_64-linux-gnu/libm.so.6") else "libm.so.6"
    for path in [os.path.join(d, "missing.so"), text, libm]:
        got = same(c, r, "module", "load", path)
        assert got[0] == "ERR" and "Please check the server logs" in got[1]
    same(c, r, "module", "load", built["cairntest"], "fail")
    same(c, r, "ct.reply", "long")  # nothing of the failed load stayed
    same(c, r, "module", "load", built["cairntest"])
    same(c, r, "module", "load", built["cairntest"])  # the same name twice
    same(c, r, "module", "list")
    assert c.ping() and r.ping()
    log = open(c_proc.logpath).read()
    assert "missing.so failed to load" in log
    assert "does not export RedisModule_OnLoad() symbol" in log
    assert "initialization failed. Module not loaded" in log


def test_unknown_api_name_refused_with_its_name(spawn, built, raw_client):
    proc = spawn("cairn")
    c = raw_client(proc)
    got = reply(c, "module", "load", built["unknownapi"])
    assert got[0] == "ERR" and "RedisModule_FutureThing" in got[1]
    assert reply(c, "module", "list") == []
    assert "RedisModule_FutureThing" in open(proc.logpath).read()
    assert c.ping()


def test_bad_loadmodule_directive_stops_start_up(spawn, built, tmpdirs):
    for kind in ("cairn", "redis4"):
        with pytest.raises(RuntimeError) as failed:
            spawn(kind, "--loadmodule", os.path.join(tmpdirs(), "missing.so"))
        assert "Can't load module from" in str(failed.value) and "server aborting" in str(failed.value)


CAIRNTEST = [
    ("ct.reply", "long"), ("ct.reply", "error"), ("ct.reply", "simple"), ("ct.reply", "array"),
    ("ct.reply", "postponed"), ("ct.reply", "nested"), ("ct.reply", "buffer"), ("ct.reply", "string"),
    ("ct.reply", "null"), ("ct.reply", "doubles"), ("rpush", "ct:list", "x", "y"), ("ct.reply", "callreply"),
    ("ct.reply", "nope"), ("ct.reply",), ("ct.reply", "a", "b"),
    ("ct.call", "c", "k1", "v1"), ("ct.call", "ss", "k2", "v2"), ("ct.call", "s", "k1", "k2", "k3"),
    ("ct.call", "l", "n", "-7"), ("ct.call", "l", "n", "9223372036854775807"),
    ("ct.call", "v", "lst", "a", "b", "c"), ("ct.call", "b", "bin"), ("get", "bin"), ("ct.call", "!", "k4", "v4"),
    ("ct.call", "lrange", "lst"), ("ct.call", "err", "lst"), ("ct.call", "nil", "nothing"), ("ct.call", "zz"),
    ("ct.callerr", "unknown"), ("ct.callerr", "arity"), ("ct.callerr", "format"),
    ("ct.str", "123", "124"), ("ct.str", "-9223372036854775808", "x"), ("ct.str", "1.5e3", "1.5e3"),
    ("ct.str", " 12", "12"), ("ct.str", "abc", "ab"), ("ct.str", "", "a"), ("ct.str", "inf", "nan"),
    ("ct.str", "012", "0x1f"), ("ct.str", "1e999", "b"),
    ("ct.db", "5"), ("ct.db", "99"), ("ct.db", "-1"), ("set", "indb5", "1"), ("ct.db", "0"), ("get", "indb5"),
    ("ct.getkeys", "a", "b", "c", "d"), ("ct.flags", "x", "y", "z"),
    ("command", "info", "ct.reply", "ct.call", "ct.str", "ct.repl", "ct.getkeys", "ct.flags", "ct.nothing"),
    ("command", "getkeys", "ct.getkeys", "a", "b", "c", "d"), ("command", "getkeys", "ct.flags", "a", "b", "c"),
    ("command", "getkeys", "ct.repl", "k", "v"),
]


def test_cairntest_same_replies(spawn, built, raw_client):
    c, r = both(spawn, "--loadmodule", built["cairntest"])
    c, r = raw_client(c), raw_client(r)
    for cmd in CAIRNTEST:
        same(c, r, *cmd)


def test_api_misuse_never_breaks_the_connection(spawn, built, raw_client):
    """Misuse Redis 4.0 answers with a broken protocol or a crash: Cairn stays whole and logs it."""
    proc = spawn("cairn", "--loadmodule", built["cairntest"])
    c = raw_client(proc)
    assert reply(c, "ct.misuse", "unsized") == ("ERR", "the module left a reply array without its length")
    assert reply(c, "ct.misuse", "setlen") == 2
    assert reply(c, "ct.misuse", "nulls") is None
    # Unloading a module from its own running command (4.0 closes the library under itself).
    assert reply(c, "ct.unloadself") == ("ERR", "Error unloading module: operation not possible.")
    assert reply(c, "module", "unload", "cairntest") == b"OK"
    assert c.ping()
    log = open(proc.logpath).read()
    assert "API misuse detected in module cairntest" in log
    assert "ReplySetArrayLength() called without previous" in log


CAIRNKEYS = [
    ("ck.type", "s"), ("ck.set", "s", "hello"), ("ck.type", "s"), ("get", "s"), ("ck.dmaread", "s"),
    ("ck.dma", "s", "abc"), ("get", "s"), ("ck.dma", "s", "abcdefgh"), ("get", "s"), ("ck.dma", "new", "xy"),
    ("get", "new"), ("ck.truncate", "s", "3"), ("get", "s"), ("ck.truncate", "s", "6"), ("strlen", "s"),
    ("ck.truncate", "t0", "0"), ("exists", "t0"), ("ck.truncate", "t5", "5"), ("strlen", "t5"),
    ("set", "num", "12345"), ("ck.dmaread", "num"), ("ck.truncate", "num", "2"), ("get", "num"),
    ("ck.push", "l", "head", "a"), ("ck.push", "l", "tail", "b"), ("ck.push", "l", "head", "c"),
    ("lrange", "l", "0", "-1"), ("ck.type", "l"), ("ck.pop", "l", "tail"), ("ck.pop", "l", "head"),
    ("ck.pop", "l", "head"), ("ck.pop", "l", "head"), ("exists", "l"), ("ck.push", "s", "head", "x"),
    ("ck.pop", "s", "head"), ("ck.dmaread", "nolist"),
    ("ck.zadd", "z", "1.5", "a"), ("ck.zadd", "z", "2", "b"), ("ck.zadd", "z", "2", "b"),
    ("ck.zadd", "z", "3", "b"), ("ck.zadd", "z", "5", "c", "nx"), ("ck.zadd", "z", "6", "c", "nx"),
    ("ck.zadd", "z", "7", "d", "xx"), ("ck.zadd", "z", "0.5", "a", "xx"), ("zrange", "z", "0", "-1", "withscores"),
    ("ck.zincr", "z", "10", "a"), ("ck.zincr", "z", "1", "new"), ("ck.zincr", "z", "inf", "a"),
    ("ck.zincr", "z", "-inf", "a"), ("ck.zscore", "z", "a"), ("ck.zscore", "z", "nope"),
    ("ck.zscore", "nokey", "a"), ("ck.zrem", "z", "b"), ("ck.zrem", "z", "b"), ("ck.zrem", "nokey", "b"),
    ("ck.zadd", "s", "1", "a"), ("ck.zrem", "s", "a"), ("ck.zscore", "s", "a"),
    ("zadd", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
    ("ck.zrange", "r", "score", "first", "2", "4"), ("ck.zrange", "r", "score", "last", "2", "4"),
    ("ck.zrange", "r", "score", "first", "(2", "(4"), ("ck.zrange", "r", "score", "first", "-inf", "+inf"),
    ("ck.zrange", "r", "score", "first", "10", "20"), ("ck.zrange", "r", "score", "last", "(1", "5"),
    ("zadd", "lex", "0", "a", "0", "b", "0", "c", "0", "d"),
    ("ck.zrange", "lex", "lex", "first", "[b", "[c"), ("ck.zrange", "lex", "lex", "last", "-", "+"),
    ("ck.zrange", "lex", "lex", "first", "(a", "(d"), ("ck.zrange", "lex", "lex", "first", "bad", "+"),
    ("ck.zrange", "s", "score", "first", "1", "2"),
    ("ck.hset", "h", "none", "f1", "v1"), ("ck.hset", "h", "none", "f1", "v2", "f2", "w"),
    ("ck.hset", "h", "nx", "f1", "v3", "f3", "x"), ("ck.hset", "h", "xx", "f1", "v4", "f9", "y"),
    ("hgetall", "h"), ("ck.hset", "h", "none", "f1", "DEL", "nope", "DEL"), ("ck.hsetc", "h", "cf", "cv"),
    ("ck.hsetc", "h", "cf", "DEL"), ("hgetall", "h"), ("ck.hget", "h", "f2", "missing"),
    ("ck.hget", "nohash", "a", "b"), ("ck.hexists", "h", "f2", "missing"), ("ck.hexists", "nohash", "a", "b"),
    ("ck.hget", "s", "a", "b"), ("ck.hset", "s", "none", "a", "b"),
    ("ck.hset", "gone", "none", "a", "DEL"), ("exists", "gone"),
    ("ck.hset", "hh", "none", "a", "1"), ("ck.hset", "hh", "none", "a", "DEL"), ("exists", "hh"),
    ("ck.ttl", "h"), ("ck.expire", "h", "100000"), ("ck.ttl", "h"), ("ck.expire", "h", "-1"), ("ttl", "h"),
    ("ck.expire", "nokey", "1000"), ("ck.ttl", "nokey"),
    ("ck.del", "h"), ("exists", "h"), ("ck.del", "h"), ("ck.unlink", "z"), ("exists", "z"),
    ("ck.readonly", "s", "v"), ("ck.readonly", "nokey", "v"), ("get", "s"),
    ("sadd", "set", "a", "b"), ("ck.type", "set"), ("ck.type", "r"), ("ck.type", "lex"),
    ("ck.set", "set", "now-a-string"), ("type", "set"),
]


def test_cairnkeys_same_replies(spawn, built, raw_client):
    c, r = both(spawn, "--loadmodule", built["cairnkeys"])
    c, r = raw_client(c), raw_client(r)
    for cmd in CAIRNKEYS:
        same(c, r, *cmd)
    same(c, r, "debug", "digest")


def test_transactions_and_denyoom(spawn, built, raw_client):
    c, r = both(spawn, "--loadmodule", built["cairntest"], "--loadmodule", built["helloworld"])
    for client in (raw_client(c), raw_client(r)):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("ct.flags", "a", "b")
        pipe.execute_command("hello.push.call", "tl", "v")
        pipe.execute_command("ct.call", "!", "tk", "tv")
        assert pipe.execute()[:2] == [3, 1]
    c, r = raw_client(c), raw_client(r)
    same(c, r, "lrange", "tl", "0", "-1")
    same(c, r, "get", "tk")
    same(c, r, "config", "set", "maxmemory", "1")
    same(c, r, "ct.flags", "a", "b")  # deny-oom: refused over maxmemory
    same(c, r, "ct.reply", "long")    # not deny-oom
    same(c, r, "config", "set", "maxmemory", "0")


def read_aof_commands(path, timeout=5.0):
    """The commands in an AOF (RESP arrays), once the file stops growing."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size == last and size > 0:
            break
        last = size
        time.sleep(0.3)
    data = open(path, "rb").read()
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:i + 40]
        end = data.index(b"\r\n", i)
        n = int(data[i + 1:end])
        i = end + 2
        cmd = []
        for _ in range(n):
            end = data.index(b"\r\n", i)
            ln = int(data[i + 1:end])
            cmd.append(data[end + 2:end + 2 + ln])
            i = end + 2 + ln + 2
        out.append(cmd)
    return out


def test_propagation_matches_redis4_aof(spawn, built, raw_client):
    args = ("--loadmodule", built["cairntest"], "--loadmodule", built["helloworld"], "--loadmodule",
            built["cairnkeys"], "--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "no")
    c_proc, r_proc = both(spawn, *args)
    c, r = raw_client(c_proc), raw_client(r_proc)
    for cmd in [("ct.repl", "rk", "tail"), ("ct.verbatim", "vk", "vv"), ("ct.call", "!", "ck", "cv"),
                ("ct.call", "c", "quiet", "v"), ("hello.push.call2", "pl", "x"), ("hello.repl1",),
                ("ck.set", "keyapi", "v"), ("select", "2"), ("ct.repl", "rk2", "x"), ("select", "0"),
                ("set", "plain", "1")]:
        same(c, r, *cmd)
    got = read_aof_commands(os.path.join(c_proc.workdir, "appendonly.aof"))
    want = read_aof_commands(os.path.join(r_proc.workdir, "appendonly.aof"))
    assert [b"MULTI"] in got and [b"EXEC"] in got and [b"ct.verbatim", b"vk", b"vv"] in got
    assert not any(cmd[0] in (b"ct.repl", b"ck.set", b"hello.push.call2") for cmd in got)
    assert got == want




@pytest.mark.parametrize("replica_kind", ["redis4", "cairn"])
def test_module_commands_replicate(spawn, built, raw_client, replica_kind):
    """A Cairn master's module commands reach a replica (Redis 4.0 or Cairn, same modules) as 4.0's would."""
    mods = ("--loadmodule", built["cairntest"], "--loadmodule", built["cairnkeys"], "--loadmodule", built["helloworld"])
    master_proc = spawn("cairn", *mods)
    replica_proc = spawn(replica_kind, *mods)
    master, replica = raw_client(master_proc), raw_client(replica_proc)
    replica.execute_command("slaveof", "127.0.0.1", str(master_proc.port))
    wait_until("the link", lambda: b"master_link_status:up" in replica.execute_command("info", "replication"))
    for cmd in [("ct.repl", "rk", "tail"), ("ct.verbatim", "vk", "vv"), ("ct.call", "!", "ck", "cv"),
                ("ct.call", "c", "quiet", "v"), ("hello.push.call2", "pl", "x"), ("hello.push.native", "pl", "y"),
                ("hello.repl1",), ("rpush", "nums", "1", "2"), ("hello.repl2", "nums"),
                ("ck.set", "keyapi", "v"), ("select", "2"), ("ct.repl", "rk2", "x"), ("select", "0"),
                ("set", "plain", "1")]:
        reply(master, *cmd)
    # What a module wrote without replicating it (the key API without ReplicateVerbatim, Call
    # without "!") stays on the master, as in 4.0: those keys are the whole difference.
    wait_until("the replicated keys", lambda: reply(replica, "exists", "plain") == 1)
    unreplicated = {b"keyapi", b"quiet", b"pl"}
    assert set(reply(master, "keys", "*")) - set(reply(replica, "keys", "*")) == unreplicated
    master.execute_command("del", *unreplicated)
    want = reply(master, "debug", "digest")
    wait_until("the replica's digest", lambda: reply(replica, "debug", "digest") == want)
    assert reply(replica, "lrange", "nums", "0", "-1") == reply(master, "lrange", "nums", "0", "-1")
    assert reply(replica, "get", "rk") == b"via-calltail"
    # A "write" module command is refused on a read-only replica; a "readonly" one runs.
    assert reply(replica, "ct.call", "c", "w", "x") == ("ERR", "You can't write against a read only slave.")
    assert reply(replica, "ct.reply", "simple") == b"FINE"


def test_helloblock_answers_from_a_thread_and_times_out(spawn, built, raw_client):
    c_proc, r_proc = both(spawn, "--loadmodule", built["helloblock"])
    c, r = raw_client(c_proc), raw_client(r_proc)
    for client in (c, r):
        started = time.monotonic()
        assert isinstance(reply(client, "hello.block", "1", "3000"), int)  # answered by the thread after 1 s
        assert 0.9 < time.monotonic() - started < 2.9
        started = time.monotonic()
        assert reply(client, "hello.block", "3", "300") == b"Request timedout"
        assert time.monotonic() - started < 2.5
    for i in range(20):
        same(c, r, "set", f"key:{i}", "v")
    assert sorted(reply(c, "hello.keys")) == sorted(reply(r, "hello.keys"))
    same(c, r, "hello.block", "x", "1")
    same(c, r, "hello.block", "1")
    for client in (c, r):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("hello.block", "1", "100")
        pipe.execute_command("ping")
        got = pipe.execute(raise_on_error=False)
        assert "Blocking module command called from transaction" in str(got[0]) and got[1] == b"PONG"
    # A client that goes away while blocked: the thread's later answer is dropped, nothing leaks.
    with socket.create_connection(("127.0.0.1", c_proc.port), timeout=5) as gone:
        gone.sendall(b"*3\r\n$11\r\nhello.block\r\n$1\r\n1\r\n$4\r\n5000\r\n")
        time.sleep(0.3)
        assert b"blocked_clients:1" in c.execute_command("info", "clients")
    time.sleep(1.5)
    assert b"blocked_clients:0" in c.execute_command("info", "clients")
    # A module whose thread still holds a blocked client cannot be unloaded (its callbacks would
    # run in closed code); once answered, it can.
    with socket.create_connection(("127.0.0.1", c_proc.port), timeout=5) as waiting:
        waiting.sendall(b"*3\r\n$11\r\nhello.block\r\n$1\r\n1\r\n$4\r\n5000\r\n")
        time.sleep(0.3)
        assert reply(c, "module", "unload", "helloblock") == ("ERR", "Error unloading module: operation not possible.")
        assert waiting.recv(100).startswith(b":")
    assert reply(c, "module", "unload", "helloblock") == b"OK"
    assert c.ping()
