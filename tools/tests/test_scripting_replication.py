"""Scripts under replication and the AOF: replicas and reloaded data equal the master's.

Job: run a workload of scripts (deterministic ones replicated as themselves,
EVALSHA of scripts a replica never saw, SCRIPT LOAD/FLUSH, effects replication
with TIME and random commands, DEBUG LUA-ALWAYS-REPLICATE-COMMANDS, SELECT
inside a script, EVAL inside MULTI) on a Cairn master with a Cairn replica and
a Redis 4.0.14 replica; then compare DEBUG DIGEST of the master, both replicas,
a Cairn restarted from the master's AOF and a Redis 4.0.14 loading that AOF.
Also Redis 4.0.14 as the master of a Cairn replica (4.0 sends EVALSHA where it
knows the replica has the script), and EVALSHAs on a master nobody listens to
(no AOF, no backlog: it builds no record for them) reaching replicas that
attach later, and those attached in between.

Contract: servers on free loopback ports, stopped by pid; bounded waits.
"""

import os
import shutil
import time

import pytest

from serverproc import ServerProcess

WAIT = 60


def info(client, section):
    """INFO fields as text (redis-py parses INFO itself; keys and values may come as bytes)."""
    def text(v):
        return v.decode() if isinstance(v, bytes) else str(v)
    return {text(k): text(v) for k, v in client.info(section).items()}


def wait_until(what, probe):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting for " + what)


def attach(replica, master_port):
    replica.execute_command("SLAVEOF", "127.0.0.1", master_port)
    wait_until("link up", lambda: info(replica, "replication").get("master_link_status") == "up"
               and info(replica, "replication").get("master_sync_in_progress") == "0")


def caught_up(master, *replicas):
    def probe():
        offset = info(master, "replication").get("master_repl_offset")
        return all(info(r, "replication").get("slave_repl_offset") == offset for r in replicas)
    wait_until("replica offsets", probe)


def workload(c):
    """Scripts of every replication kind; returns nothing, leaves data behind."""
    c.execute_command("DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "0")
    incr = "return redis.call('incrby', KEYS[1], ARGV[1])"
    for i in range(20):
        c.execute_command("EVAL", incr, 1, "counter", i)
    sha = c.execute_command("SCRIPT", "LOAD", "redis.call('rpush', KEYS[1], ARGV[1]) return redis.call('llen', KEYS[1])")
    for i in range(10):
        c.execute_command("EVALSHA", sha, 1, "list", "item%d" % i)
    # math.random is the same sequence for every script replicated as itself.
    for i in range(5):
        c.execute_command("EVAL", "return redis.call('set', KEYS[1], math.random(1000000))", 1, "rand%d" % i)
    # Effects replication: values only the master can compute.
    for i in range(5):
        c.execute_command("EVAL", "redis.replicate_commands() local t = redis.call('time') "
                          "redis.call('set', KEYS[1], t[1] .. '.' .. t[2]) "
                          "redis.call('sadd', 'pool', math.random(1000000)) "
                          "local m = redis.call('srandmember', 'pool') return redis.call('rpush', 'picked', m)",
                          2, "time%d" % i, "pool")
    c.execute_command("SADD", "popme", *["m%d" % i for i in range(30)])
    c.execute_command("EVAL", "redis.replicate_commands() for i = 1, 10 do redis.call('spop', KEYS[1]) end", 1, "popme")
    c.execute_command("DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "1")
    c.execute_command("EVAL", "redis.call('set', 'always', redis.call('time')[1]) return 1", 0)
    c.execute_command("DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "0")
    # A script that selects another database, one that expires, one that deletes.
    c.execute_command("EVAL", "redis.call('select', 5) redis.call('set', KEYS[1], 'in5') return 1", 1, "db5key")
    c.execute_command("EVAL", "redis.call('set', KEYS[1], 'v') return redis.call('expire', KEYS[1], 1000)", 1, "ttl")
    c.execute_command("EVAL", "return redis.call('del', KEYS[1], KEYS[2])", 2, "rand0", "missing")
    pipe = c.pipeline(transaction=True)
    pipe.execute_command("EVAL", "return redis.call('incr', KEYS[1])", 1, "in-multi")
    pipe.execute_command("EVALSHA", sha, 1, "list", "from-multi")
    pipe.execute()
    c.execute_command("SCRIPT", "FLUSH")
    with pytest.raises(Exception):
        c.execute_command("EVALSHA", sha, 1, "list", "x")
    c.execute_command("EVAL", "return redis.call('hset', KEYS[1], 'f', ARGV[1])", 1, "hash", "after-flush")
    # A write refused mid-script still keeps what the script did before it.
    with pytest.raises(Exception):
        c.execute_command("EVAL", "redis.call('set', 'partial', '1') redis.call('randomkey') redis.call('set', 'no', '1')", 0)


def test_scripts_replicate_and_reload_equal(spawn, make_client, redis4_server_path, tmpdirs):
    master = spawn("cairn", "--appendonly", "yes")
    cairn_replica, redis4_replica = spawn("cairn"), spawn("redis4")
    m = make_client(master)
    replicas = [make_client(cairn_replica), make_client(redis4_replica)]
    for r in replicas:
        attach(r, master.port)
    workload(m)
    caught_up(m, *replicas)
    want = m.execute_command("DEBUG", "DIGEST")
    assert want != b"0" * 40
    assert [r.execute_command("DEBUG", "DIGEST") for r in replicas] == [want, want]

    # The AOF: Cairn restarted from it, and Redis 4.0.14 loading it.
    aof = os.path.join(master.workdir, "appendonly.aof")
    wait_until("AOF written", lambda: os.path.getsize(aof) > 0)
    for kind in ("cairn", "redis4"):
        d = tmpdirs()
        shutil.copy(aof, os.path.join(d, "appendonly.aof"))
        server = ServerProcess(kind, extra_args=["--appendonly", "yes"], workdir=d,
                               binary=redis4_server_path if kind == "redis4" else None)
        try:
            server.start()
            c = make_client(server)
            wait_until("load", lambda: info(c, "persistence").get("loading") == "0")
            assert c.execute_command("DEBUG", "DIGEST") == want, kind
        finally:
            server.stop()

    # And after a rewrite of the AOF.
    m.execute_command("BGREWRITEAOF")
    wait_until("rewrite", lambda: info(m, "persistence").get("aof_rewrite_in_progress") == "0"
               and info(m, "persistence").get("aof_rewrite_scheduled") == "0")
    m.execute_command("EVAL", "return redis.call('incr', KEYS[1])", 1, "after-rewrite")
    m.execute_command("DEBUG", "LOADAOF")
    m.execute_command("EVAL", "return 1", 0)
    assert m.execute_command("GET", "after-rewrite") == b"1"


def test_evalsha_reaches_replicas_attached_before_and_after(spawn, make_client):
    master = spawn("cairn")  # no AOF: until a replica attaches, the stream has no listener
    early, late = spawn("cairn"), spawn("cairn")
    m = make_client(master)
    sha = m.execute_command("SCRIPT", "LOAD", "return redis.call('incrby', KEYS[1], ARGV[1])")

    def writes(base):
        for i in range(base, base + 30):
            m.execute_command("EVALSHA", sha, 1, "k%d" % (i % 5), i)
        pipe = m.pipeline(transaction=True)  # inside EXEC too
        pipe.execute_command("EVALSHA", sha, 1, "multi", base)
        pipe.execute_command("EVALSHA", sha, 1, "k0", 1)
        pipe.execute()

    writes(0)
    assert info(m, "replication").get("master_repl_offset") == "0", "nothing was encoded"
    attach(make_client(early), master.port)
    writes(100)  # heard through the backlog
    attach(make_client(late), master.port)
    writes(200)
    caught_up(m, make_client(early), make_client(late))
    want = m.execute_command("DEBUG", "DIGEST")
    k0 = sum(i for base in (0, 100, 200) for i in range(base, base + 30) if i % 5 == 0) + 3  # + 1 per EXEC
    assert m.execute_command("GET", "k0") == str(k0).encode()
    assert [make_client(r).execute_command("DEBUG", "DIGEST") for r in (early, late)] == [want, want]


def test_redis4_master_feeds_cairn_replica_scripts(spawn, make_client):
    master, replica = spawn("redis4"), spawn("cairn")
    m, r = make_client(master), make_client(replica)
    attach(r, master.port)
    workload(m)
    caught_up(m, r)
    assert r.execute_command("DEBUG", "DIGEST") == m.execute_command("DEBUG", "DIGEST")
    # A replica refuses scripts that write, with 4.0's words.
    with pytest.raises(Exception) as e:
        r.execute_command("EVAL", "return redis.call('set', 'x', '1')", 0)
    assert "READONLY You can't write against a read only slave." in str(e.value)
