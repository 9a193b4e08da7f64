"""Lua scripting (EVAL, EVALSHA, SCRIPT) against the reference Redis 4.0.14.

Job: every reply a script gives on Cairn must be the one Redis 4.0.14 gives for
the same script on the same data: conversions both ways, the errors scripts
raise or meet (each compared as text), a seeded run of random scripts, the
BUSY / SCRIPT KILL / UNKILLABLE / SHUTDOWN NOSAVE sequence of an endless script,
and redis-py's Lock and register_script. The data a script leaves is compared
with DEBUG DIGEST.

Contract: both servers on free loopback ports, stopped by pid (conftest); one
seed (CAIRN_SEED overrides) drives the random scripts; every wait is bounded.
"""

import os
import random
import socket
import threading
import time

import pytest

from serverproc import read_until_crlf

SEED = int(os.environ.get("CAIRN_SEED", "1504"))


@pytest.fixture
def pair(cairn_and_redis4, make_client):
    clients = tuple(make_client(s, socket_timeout=60) for s in cairn_and_redis4)
    for c in clients:
        c.response_callbacks.clear()  # compare the replies' own bytes
        c.flushall()
        c.script_flush()
        c.config_set("lua-time-limit", 5000)
    return clients


def plain(value):
    """A reply with every error (nested ones too) as ("error", text), comparable with ==."""
    if isinstance(value, Exception):
        return ("error", type(value).__name__, str(value))
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def reply(client, *args):
    try:
        return plain(client.execute_command(*args))
    except Exception as e:  # an error reply: compare its text
        return plain(e)


def same(pair, *args):
    cairn, redis4 = pair
    got, want = reply(cairn, *args), reply(redis4, *args)
    assert got == want, f"{args!r}:\n cairn:  {got!r}\n redis4: {want!r}"
    return got


SETUP = [
    ("SET", "s", "hello"), ("SET", "n", "41"), ("RPUSH", "l", "a", "b", "c"), ("SADD", "set", "z", "y", "x", "w"),
    ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "one", "2.5", "two"),
]

# Each script: (body, numkeys, keys and args...). Run after SETUP on both servers.
SCRIPTS = [
    # Lua -> Redis conversions
    ("return 1", 0), ("return -7.9", 0), ("return 3.99999", 0), ("return 'bulk'", 0), ("return ''", 0),
    ("return true", 0), ("return false", 0), ("return nil", 0), ("return", 0), ("return {}", 0),
    ("return {1, 'two', {3, {4}}, false, 5}", 0), ("return {1, nil, 3}", 0), ("return {err='my error'}", 0),
    ("return {ok='FINE'}", 0), ("return {err='a\\r\\nb'}", 0), ("return {ok=42}", 0), ("return {err={}}", 0),
    ("return redis.error_reply('MY custom')", 0), ("return redis.status_reply('PONGO')", 0),
    ("return redis.error_reply(1)", 0), ("return redis.status_reply()", 0),
    ("return 1e20", 0), ("return -1e20", 0), ("return 0/0", 0), ("return 1/0", 0),
    ("return function() end", 0), ("return {x=1}", 0), ("return tostring(1e15)", 0), ("return 2^53", 0),
    # Redis -> Lua conversions
    ("return redis.call('get', KEYS[1])", 1, "s"), ("return redis.call('get', 'missing')", 0),
    ("return type(redis.call('get', 'missing'))", 0), ("return redis.call('incr', KEYS[1])", 1, "n"),
    ("return type(redis.call('incr', KEYS[1]))", 1, "n"), ("return redis.call('lrange', 'l', 0, -1)", 0),
    ("local t = redis.call('set', 'k', 'v'); return t.ok", 0), ("return redis.call('set', 'k', 'v')", 0),
    ("return redis.call('ping')", 0), ("return redis.call('type', 's')", 0),
    ("local r = redis.pcall('incr', 's'); return r.err", 0), ("return redis.pcall('incr', 's')", 0),
    ("return redis.call('smembers', 'set')", 0), ("return redis.call('keys', '*')", 0),
    ("return redis.call('sunion', 'set', 'missing')", 0), ("return redis.call('hgetall', 'h')", 0),
    ("return redis.call('zrange', 'z', 0, -1, 'withscores')", 0), ("return redis.call('mget', 's', 'nope', 'n')", 0),
    ("return redis.call('exists', 's', 'n')", 0), ("return redis.call('set', 'x', 3.5)", 0),
    ("redis.call('set', 'x', 1/3); return redis.call('get', 'x')", 0),
    ("redis.call('set', 'x', 100000000000000000000); return redis.call('get', 'x')", 0),
    ("return redis.call('blpop', 'emptylist', 0)", 0), ("return redis.call('select', 3)", 0),
    ("redis.call('select', 2); redis.call('set', 'in2', 'x'); return redis.call('dbsize')", 0),
    ("return {redis.call('echo', 'a'), redis.call('echo', 'b')}", 0),
    ("return KEYS", 2, "k1", "k2", "a1"), ("return ARGV", 1, "k1", "a1", "a2"), ("return #KEYS + #ARGV", 0),
    # errors met or raised
    ("return redis.call('nosuchcommand')", 0), ("return redis.pcall('nosuchcommand')", 0),
    ("return redis.call('get')", 0), ("return redis.call()", 0), ("return redis.pcall()", 0),
    ("return redis.call('get', {})", 0), ("return redis.call('get', nil)", 0), ("return redis.call('get', true)", 0),
    ("return redis.call('incr', 's')", 0), ("return redis.call('lpush', 's', 'x')", 0),
    ("return redis.call('eval', 'return 1', 0)", 0), ("return redis.call('multi')", 0),
    ("return redis.call('subscribe', 'c')", 0), ("return redis.call('watch', 'k')", 0),
    ("return redis.call('script', 'load', 'return 1')", 0),
    ("redis.call('randomkey'); return redis.call('set', 'a', 'b')", 0),
    ("redis.call('time'); return redis.call('set', 'a', 'b')", 0),
    ("redis.call('srandmember', 'set'); return redis.pcall('del', 'a')", 0),
    ("error('plain')", 0), ("error({err='table error'})", 0), ("error()", 0), ("error(42)", 0),
    ("local x = nil; return x.field", 0), ("return 1 + {}", 0), ("return #nil", 0),
    ("x = 5", 0), ("return undefined_global", 0), ("function f() end", 0),
    ("local t = {}; setmetatable(t, {__index = function() error('inner') end}); return t.x", 0),
    ("return pcall(function() error('caught') end)", 0),
    ("local ok, e = pcall(function() redis.call('nosuch') end); return e", 0),
    ("return loadfile", 0), ("return dofile", 0), ("return type(loadstring)", 0), ("return type(debug)", 0),
    ("return type(os)", 0), ("return type(io)", 0), ("return type(require)", 0), ("return type(print)", 0),
    ("this is not lua", 0), ("return 'unfinished", 0), ("end", 0),
    ("return redis.call('get', KEYS[1])", 2, "only-one-arg"),
    # the redis table
    ("return redis.sha1hex('')", 0), ("return redis.sha1hex('abc')", 0), ("return redis.sha1hex(123)", 0),
    ("return redis.sha1hex()", 0), ("return redis.sha1hex('a', 'b')", 0),
    ("redis.log(redis.LOG_WARNING, 'from', 'a', 'script'); return 1", 0), ("redis.log(redis.LOG_DEBUG, 'x'); return 1", 0),
    ("redis.log(9, 'x')", 0), ("redis.log('x')", 0), ("redis.log('notnum', 'x')", 0),
    ("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", 0),
    ("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_ALL}", 0),
    ("return redis.replicate_commands()", 0),
    ("redis.call('set', 'a', 1); return redis.replicate_commands()", 0),
    ("redis.set_repl(redis.REPL_ALL)", 0), ("redis.replicate_commands(); redis.set_repl(99)", 0),
    ("redis.replicate_commands(); redis.set_repl()", 0),
    ("redis.replicate_commands(); redis.set_repl(redis.REPL_NONE); return 'ok'", 0),
    ("redis.replicate_commands(); redis.call('time'); redis.call('set', 'timed', 'x'); return 1", 0),
    ("return redis.breakpoint()", 0), ("return redis.debug('x')", 0),
    # libraries and determinism
    ("return {math.random(), math.random(10), math.random(5, 7)}", 0),
    ("math.randomseed(42); return {math.random(100), math.random(100)}", 0),
    ("return math.random(0)", 0), ("return math.random(1, 2, 3)", 0),
    ("return tostring(math.random())", 0), ("return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')", 0),
    ("return string.rep('ab', 3) .. string.upper('q') .. string.sub('hello', 2, 3)", 0),
    ("local t = {3, 1, 2}; table.sort(t); return t", 0), ("return table.concat({'a', 'b', 'c'}, '-')", 0),
    ("return cjson.encode({1, 2, 'x'})", 0), ("return cjson.decode('{\"a\":[1,2,3]}').a[3]", 0),
    ("return cjson.encode(cjson.decode('[1,\"two\",null,true]'))", 0), ("return cjson.decode('not json')", 0),
    ("return bit.band(0xFF, 0x0F)", 0), ("return bit.bxor(5, 3)", 0), ("return bit.tohex(65535)", 0),
    ("return bit.lshift(1, 40)", 0),
    # cmsgpack (written here; Redis's encoding choices, byte for byte)
    ("return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, "
     "-32768, -32769, -2147483648, -2147483649, 2^62, -2^62)", 0),
    ("return cmsgpack.pack(0.5, 0.1, 1e300, -1e300, 1/0, -1/0, 3.25, 0/0 ~= 0/0)", 0),
    ("return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('y', 32), string.rep('z', 255), "
     "string.rep('w', 256), string.rep('v', 70000))", 0),
    ("return cmsgpack.pack(true, false, nil, print)", 0), ("return cmsgpack.pack()", 0),
    ("return cmsgpack.pack({1, 2, 3}, {a = 1}, {}, {1, nil, 3}, {[1] = 1, [2] = 2, [4] = 4}, {[0] = 1}, {[1.5] = 2})", 0),
    ("local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t, {x = t, y = {z = t}})", 0),
    ("local t = {} for i = 1, 70000 do t[i] = i end return cmsgpack.pack(t)", 0),
    ("local t = {} t[1] = t return cmsgpack.pack(t)", 0),
    ("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, {a = 'b'}, true, 0.5, -7, 1e300))}", 0),
    ("return cmsgpack.unpack('')", 0), ("return cmsgpack.unpack('\\193')", 0), ("return cmsgpack.unpack('\\205\\1')", 0),
    ("return cmsgpack.unpack()", 0), ("return cmsgpack.unpack('\\146\\1')", 0), ("return cmsgpack.unpack('\\129\\192\\2')", 0),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", 0), ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", 0),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}", 0), ("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}", 0),
    ("return cmsgpack.unpack_one('x', -1)", 0), ("return cmsgpack.unpack_one('x', 5)", 0),
    ("return cmsgpack._NAME .. ' ' .. cmsgpack._VERSION", 0),
    ("return cmsgpack.unpack('\\211\\255\\255\\255\\255\\255\\255\\255\\254')", 0),
    ("return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))", 0),
    # struct (written here)
    ("return struct.pack('>iIhHbBlLT', -1, 4000000000, -2, 65535, -3, 255, -5, 6, 7)", 0),
    ("return struct.pack('<i2i8I3', 513, -2, 70000)", 0), ("return struct.pack('!4 b i !8 d', 1, 2, 3.5)", 0),
    ("return struct.pack('!b d', 1, 2)", 0), ("return struct.pack('ff dd', 1.5, -0.1, 1e300, 0/0)", 0),
    ("return struct.pack('c3 c0 s x', 'abcd', 'whole', 'zs')", 0), ("return struct.pack('c5', 'ab')", 0),
    ("return struct.pack('i', 'x')", 0), ("return struct.pack('i')", 0), ("return struct.pack('z', 1)", 0),
    ("return struct.pack('!3', 1)", 0), ("return struct.pack('i40', 1)", 0), ("return struct.pack('!64 b i', 1, 2)", 0),
    ("return {struct.unpack('>iIhH', struct.pack('>iIhH', -1, 4000000000, -2, 65535))}", 0),
    ("return {struct.unpack('<i2 i8 I3', struct.pack('<i2 i8 I3', -513, -2, 70000))}", 0),
    ("return {struct.unpack('b c0', struct.pack('b c0', 3, 'xyz'))}", 0), ("return {struct.unpack('c0', 'abc')}", 0),
    ("return {struct.unpack('s s', 'ab\0cd\0')}", 0), ("return {struct.unpack('s', 'ab')}", 0),
    ("return {struct.unpack('i', 'ab')}", 0), ("return {struct.unpack('b', 'abc', 2)}", 0),
    ("return {struct.unpack('b', 'abc', 0)}", 0), ("return {struct.unpack('b', 'abc', 9)}", 0),
    ("return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}", 0),
    ("return {struct.unpack('>d <f', struct.pack('>d <f', 2.5, -3))}", 0),
    ("return struct.size('!4 b i d c3 x')", 0), ("return struct.size('s')", 0), ("return struct.size('c0')", 0),
    ("return struct.size('z b')", 0), ("return struct.size('? b')", 0), ("return struct.size()", 0),
    ("return {struct.unpack('x b', 'ab')}", 0),
    ("return tonumber('0x10')", 0), ("return math.floor(-3.5)", 0), ("return math.huge", 0),
    ("return string.len(string.char(0, 1, 2))", 0), ("return string.char(0, 65, 0)", 0),
    ("return select('#', 1, 2, 3)", 0), ("return unpack({1, 2})", 0), ("return {unpack({1, 2, 3})}", 0),
    ("return type(__redis__err__handler)", 0), ("return type(__redis__compare_helper)", 0),
]


def test_script_replies_match_redis4(pair):
    for c in pair:
        for cmd in SETUP:
            c.execute_command(*cmd)
    for entry in SCRIPTS:
        body, numkeys, *rest = entry
        for c in pair:  # the same data before every script
            c.flushall()
            for cmd in SETUP:
                c.execute_command(*cmd)
        same(pair, "EVAL", body, numkeys, *rest)
        assert reply(pair[0], "DEBUG", "DIGEST") == reply(pair[1], "DEBUG", "DIGEST"), body


def test_evalsha_script_commands_match_redis4(pair):
    body = "return {KEYS[1], ARGV[1], redis.call('incr', KEYS[1])}"
    for args in [("EVALSHA", "0" * 40, 0), ("EVALSHA", "short", 0), ("EVALSHA", "x" * 41, 0),
                 ("SCRIPT", "LOAD", body), ("SCRIPT", "LOAD", "syntax error!"),
                 ("SCRIPT", "EXISTS", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "0" * 40),
                 ("EVALSHA", "5c4a9d4a4e9bd57ce1a3d6cc0a1d9cfa2b1ab3e1", 1, "k", "v")]:
        same(pair, *args)
    sha = pair[0].execute_command("SCRIPT", "LOAD", body)
    assert sha == pair[1].execute_command("SCRIPT", "LOAD", body)
    for args in [("EVALSHA", sha, 1, "k", "v"), ("EVALSHA", sha.upper(), 1, "k", "v"), ("SCRIPT", "EXISTS", sha, sha.upper()),
                 ("EVAL", body, -1), ("EVAL", body, 5, "a"), ("EVAL", body, "x"), ("EVAL", body),
                 ("SCRIPT", "FLUSH"), ("SCRIPT", "EXISTS", sha), ("EVALSHA", sha, 1, "k", "v"),
                 ("SCRIPT", "KILL"), ("SCRIPT", "NOPE"), ("SCRIPT", "LOAD"), ("SCRIPT",), ("SCRIPT", "FLUSH", "x"),
                 ("EVAL", "return redis.call('get', KEYS[1])", 1, "k")]:
        same(pair, *args)


def test_script_debug_is_refused_clearly(pair):
    cairn, _ = pair
    with pytest.raises(Exception) as e:
        cairn.execute_command("SCRIPT", "DEBUG", "yes")
    assert "SCRIPT DEBUG" in str(e.value) and "not supported" in str(e.value)


def test_eval_inside_multi_matches_redis4(pair):
    body = "redis.call('incr', KEYS[1]); return redis.call('get', KEYS[1])"
    results = []
    for c in pair:
        pipe = c.pipeline(transaction=True)
        pipe.execute_command("EVAL", body, 1, "m")
        pipe.execute_command("EVAL", "return redis.call('nosuch')", 0)
        pipe.execute_command("EVAL", body, 1, "m")
        results.append([repr(r) for r in pipe.execute(raise_on_error=False)])
    assert results[0] == results[1]


# ---------------------------------------------------------------- random scripts

WRITES = [
    lambda r: f"redis.call('set', KEYS[1], '{r.choice('abc')}{r.randrange(100)}')",
    lambda r: f"redis.call('incrby', KEYS[2], {r.randrange(-5, 6)})",
    lambda r: f"redis.call('rpush', KEYS[3], {r.randrange(10)}, 'x')",
    lambda r: f"redis.call('sadd', KEYS[4], '{r.choice('pqrs')}')",
    lambda r: f"redis.call('hincrby', KEYS[5], '{r.choice('fg')}', {r.randrange(3)})",
    lambda r: f"redis.call('zincrby', KEYS[6], {r.choice(['1', '0.5', '-2'])}, '{r.choice('mn')}')",
    lambda r: f"redis.pcall('incr', KEYS[{r.randrange(1, 7)}])",
    lambda r: f"redis.call('del', KEYS[{r.randrange(1, 7)}])",
    lambda r: f"redis.call('expire', KEYS[1], {r.randrange(100, 1000)})",
]
READS = [
    "redis.call('get', KEYS[1])", "redis.call('get', KEYS[2])", "redis.call('lrange', KEYS[3], 0, -1)",
    "redis.call('smembers', KEYS[4])", "redis.call('hgetall', KEYS[5])", "redis.call('zrange', KEYS[6], 0, -1, 'withscores')",
    "redis.pcall('lpop', KEYS[1])", "redis.call('exists', KEYS[1], KEYS[2])", "redis.call('type', KEYS[4])",
    "redis.call('keys', '*')", "redis.pcall('incr', KEYS[3])", "math.random(1000)", "ARGV[1]", "#ARGV",
    "{1, 'x', false}", "redis.status_reply('S')", "tonumber(ARGV[1])",
]


def random_script(rng):
    lines = ["local out = {}"]
    for _ in range(rng.randrange(1, 6)):
        if rng.random() < 0.5:
            lines.append(rng.choice(WRITES)(rng))
        else:
            lines.append(f"out[#out + 1] = {rng.choice(READS)}")
    ending = rng.choice(["return out", "return out[1]", "return #out", "return redis.call('dbsize')",
                         "return {err = 'E' .. #out}"])
    lines.append(ending)
    return "\n".join(lines)


def test_random_scripts_match_redis4(pair):
    rng = random.Random(SEED)
    keys = ["rs:str", "rs:num", "rs:list", "rs:set", "rs:hash", "rs:zset"]
    for i in range(300):
        body = random_script(rng)
        args = [str(rng.randrange(-3, 50))]
        try:
            same(pair, "EVAL", body, len(keys), *keys, *args)
        except AssertionError as e:
            raise AssertionError(f"seed {SEED} script {i}:\n{body}\n{e}")
    assert reply(pair[0], "DEBUG", "DIGEST") == reply(pair[1], "DEBUG", "DIGEST")


# ---------------------------------------------------------------- BUSY, SCRIPT KILL, SHUTDOWN NOSAVE


def raw_command(port, *args, timeout=30.0):
    """Sends one command on a fresh connection and returns the raw reply line(s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
        s.sendall(out)
        return read_until_crlf(s)


def busy_sequence(server, make_client, script, kill=True):
    """Starts an endless script, then reports what other clients see (and SCRIPT KILL's reply)."""
    c = make_client(server)
    c.config_set("lua-time-limit", 100)
    results = {}
    def run_script():
        try:
            results["script"] = raw_command(server.port, "EVAL", script, "0")
        except OSError as e:  # the server went away (SHUTDOWN NOSAVE)
            results["script"] = repr(e).encode()

    runner = threading.Thread(target=run_script)
    runner.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        results["ping"] = raw_command(server.port, "PING")
        if results["ping"].startswith(b"-BUSY"):
            break
        time.sleep(0.05)
    results["get"] = raw_command(server.port, "GET", "x")
    if kill:
        results["kill"] = raw_command(server.port, "SCRIPT", "KILL")
    return runner, results


def test_busy_and_script_kill_match_redis4(cairn_and_redis4, make_client):
    outcomes = []
    for server in cairn_and_redis4:
        runner, results = busy_sequence(server, make_client, "local i = 0 while true do i = i + 1 end")
        runner.join(10)
        assert not runner.is_alive()
        results["after"] = raw_command(server.port, "PING")
        outcomes.append(results)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["ping"].startswith(b"-BUSY") and outcomes[0]["kill"] == b"+OK\r\n"
    assert outcomes[0]["script"].startswith(b"-ERR Error running script") and outcomes[0]["after"] == b"+PONG\r\n"


def test_busy_and_kill_inside_a_comparator_match_redis4(cairn_and_redis4, make_client):
    # An endless loop inside a Lua function that C calls (table.sort's comparator): the loop
    # must still answer BUSY and SCRIPT KILL, and the kill's error must cross table.sort.
    script = "local t = {3, 1, 2} table.sort(t, function(a, b) while true do end end) return t"
    outcomes = []
    for server in cairn_and_redis4:
        runner, results = busy_sequence(server, make_client, script)
        runner.join(10)
        assert not runner.is_alive()
        outcomes.append(results)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["ping"].startswith(b"-BUSY") and outcomes[0]["kill"] == b"+OK\r\n"
    assert b"Script killed by user with SCRIPT KILL" in outcomes[0]["script"]


def test_unkillable_then_shutdown_nosave(spawn, make_client):
    for kind in ("cairn", "redis4"):
        server = spawn(kind, "--appendonly", "yes")
        c = make_client(server)
        c.set("before", "1")
        runner, results = busy_sequence(server, make_client, "redis.call('set', 'x', 'y') while true do end")
        assert results["kill"].startswith(b"-UNKILLABLE Sorry the script already executed write commands"), results
        try:
            raw_command(server.port, "SHUTDOWN", "NOSAVE", timeout=10)
        except OSError:
            pass
        server.proc.wait(timeout=20)
        runner.join(10)
        assert not runner.is_alive()
        aof = open(os.path.join(server.workdir, "appendonly.aof"), "rb").read()
        # The script never ended: nothing of it reaches the AOF, the write before it does.
        assert b"before" in aof and b"while true" not in aof, kind


# ---------------------------------------------------------------- clients


def test_redis_py_lock_and_register_script(cairn, make_client):
    c = make_client(cairn)
    lock = c.lock("resource", timeout=5, blocking_timeout=1)
    assert lock.acquire()
    assert lock.owned()
    other = c.lock("resource", timeout=5, blocking_timeout=0.2)
    assert not other.acquire()
    assert lock.extend(5)
    assert lock.reacquire()
    lock.release()
    assert other.acquire()
    other.release()
    incr_by = c.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    c.script_flush()  # register_script must reload it on NOSCRIPT
    assert incr_by(keys=["counter"], args=[5]) == 5
    assert incr_by(keys=["counter"], args=[2]) == 7
    assert c.script_exists(incr_by.sha) == [True]


def test_monitor_shows_commands_a_script_runs(cairn, make_client):
    c = make_client(cairn)
    with socket.create_connection(("127.0.0.1", cairn.port), timeout=10) as m:
        m.sendall(b"MONITOR\r\n")
        assert m.recv(100) == b"+OK\r\n"
        c.execute_command("EVAL", "return redis.call('set', KEYS[1], 'v')", 1, "monitored")
        data = b""
        deadline = time.monotonic() + 10
        while data.count(b"\r\n") < 2 and time.monotonic() < deadline:
            data += m.recv(4096)
    lines = data.split(b"\r\n")
    assert b'"EVAL"' in lines[0].upper() or b'"eval"' in lines[0]
    assert b'[0 lua] "set" "monitored" "v"' in lines[1]


def test_info_memory_reports_lua(cairn, make_client):
    c = make_client(cairn)
    info = c.info("memory")
    assert int(info[b"used_memory_lua"] if b"used_memory_lua" in info else info["used_memory_lua"]) > 10000


def test_sigterm_waits_for_a_busy_script(spawn, make_client):
    # Redis handles SIGTERM in its cron, which does not run during a script: the shutdown
    # (with its save) comes once the script ends, here by SCRIPT KILL.
    import signal
    for kind in ("cairn", "redis4"):
        server = spawn(kind, "--save", "900", "1")
        runner, results = busy_sequence(server, make_client, "local i = 0 while true do i = i + 1 end")
        assert results["kill"] == b"+OK\r\n", (kind, results)  # a first script, killed: the loop is sound
        runner.join(10)
        runner, results = busy_sequence(server, make_client, "local i = 0 while true do i = i + 1 end", kill=False)
        assert results["ping"].startswith(b"-BUSY"), (kind, results)
        os.kill(server.pid, signal.SIGTERM)
        time.sleep(1)
        assert server.proc.poll() is None, kind + " exited during the script"
        assert raw_command(server.port, "PING").startswith(b"-BUSY"), kind
        raw_command(server.port, "SCRIPT", "KILL")
        server.proc.wait(timeout=20)
        runner.join(10)
        assert os.path.exists(os.path.join(server.workdir, "dump.rdb")), kind + " saved nothing at shutdown"
