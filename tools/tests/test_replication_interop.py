"""Replication interop: Cairn as master and as replica of the real Redis 7.0 and 4.0.

Job: every scenario runs with each pairing of binaries (master, replica) and
ends by comparing DEBUG DIGEST and the per-database key/expire counts of every
node:
  a. full sync to disk (repl-diskless-sync no) of a dataset of every type in
     several databases, filled before the replica attaches;
  b. the live command stream: a few thousand mixed writes of every type
     (EXPIRE/PEXPIRE, INCRBYFLOAT, MULTI/EXEC, SELECT, SPOP, a BLPOP served by
     an LPUSH from another connection) while attached;
  c. partial resync after CLIENT KILL TYPE slave (sync_partial_ok +1,
     sync_full unchanged);
  d. diskless full sync (repl-diskless-sync yes, delay 0);
  e. PSYNC2 failover: a replica is promoted and the old master and the other
     replica continue from it by partial resync;
  f. ROLE and the INFO replication fields on both roles, with the field names
     of Redis 4.0.14 (a redis4 master/replica pair) as the reference.

Contract: ("redis7", "redis7") and the redis4/redis7 pairs check the test
itself and must always pass; so must every case with Cairn on either side,
disk and diskless.

Tricky bits:
- Every TTL is far in the future: a key expiring during the test would be
  deleted by the master's active expiry between the offset check and the
  digests (DEBUG DIGEST counts keys a read would call expired).
- INCRBYFLOAT only touches keys without a TTL: Redis 4.0 propagates it as a
  plain SET, which clears the TTL on the replica (fixed by KEEPTTL in 6.0).
- A Redis 7 master propagates 7.0 syntax (SET ... PXAT for SET EX/SETEX,
  PEXPIREAT for EXPIRE, SET ... KEEPTTL for INCRBYFLOAT); a Cairn replica of a
  Redis 7 master has to accept those from its master.
  Captured from 7.0.15 for this file's writes: SET ... PXAT (SET EX, SETEX),
  SET ... KEEPTTL (INCRBYFLOAT), PEXPIREAT (EXPIRE, PEXPIRE), LPOP (a served
  BLPOP), SREM (SPOP), MULTI/EXEC, SELECT. Redis 4.0 itself rejects PXAT and
  KEEPTTL, so it cannot stand in for Cairn in the redis7-master cases.
- Dry run of the Cairn cases before replication lands:
  CAIRN_SERVER=$(tools/redis4.sh) runs them with Redis 4.0.14 playing Cairn;
  all pass except those where a Redis 7 master feeds the stand-in (RDB 10 and
  the 7.0 syntax above), which Cairn must handle and 4.0 does not.
- Offsets: a master sends PING to its replicas every 10 s, so the offset
  comparison re-reads both sides until they agree.
"""

import random
import re
import time

import pytest

from respclient import Error, RespClient, Status
from serverproc import ServerProcess, cairn_server_path

WAIT = 20.0  # seconds any single wait may take




SELF_CHECKS = [("redis7", "redis7"), ("redis4", "redis7")]
CAIRN_PAIRS = [("cairn", "cairn"), ("cairn", "redis7"), ("redis7", "cairn"), ("cairn", "redis4")]
PAIRS = SELF_CHECKS + CAIRN_PAIRS
DBS = (0, 1, 7, 15)


def cases(kinds_list, marks=()):
    return [pytest.param(*kinds, id="-".join(kinds), marks=marks) for kinds in kinds_list]


PAIR_CASES = cases(PAIRS)
DISKLESS_CASES = cases(PAIRS)


# ------------------------------------------------------------- nodes

def master_args(diskless=False):
    return ("--repl-diskless-sync", "yes" if diskless else "no", "--repl-diskless-sync-delay", "0")


def norm(cmd):
    """respclient sends bytes, str and int; floats go as their repr (17 significant digits)."""
    return [repr(a) if isinstance(a, float) else a for a in cmd]


def call(server, *args):
    with RespClient(server.port, timeout=WAIT) as c:
        return c.call(*norm(args))


def ok(server, *args):
    reply = call(server, *args)
    assert isinstance(reply, Status), "%s %r on %s: %r" % (server.name, args, server.port, reply)
    return reply


def info(server, section):
    """INFO <section> as {field: value-string}, read raw (redis-py would parse the values)."""
    text = call(server, "INFO", section)
    assert isinstance(text, bytes), "%s INFO %s: %r" % (server.name, section, text)
    fields = {}
    for line in text.decode("utf-8", "replace").split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def wait_for(what, probe, timeout=WAIT):
    """Polls probe() -> (done, shown) until done; fails with `what` and the last `shown`."""
    deadline = time.monotonic() + timeout
    while True:
        done, shown = probe()
        if done:
            return shown
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.0fs waiting for %s; last seen: %s" % (timeout, what, shown))
        time.sleep(0.03)


def check_alive(*servers):
    """Fails at once (with the log tail) instead of waiting out a timeout on a crashed server."""
    for server in servers:
        if not server.alive():
            pytest.fail("%s :%d died; its log ends: %s" % (server.name, server.port, server.log_tail()))


def slaveof(replica, master):
    ok(replica, "SLAVEOF", "127.0.0.1", master.port)


def wait_link_up(replica, master):
    def probe():
        check_alive(replica, master)
        r = info(replica, "replication")
        done = (r.get("role") == "slave" and r.get("master_port") == str(master.port)
                and r.get("master_link_status") == "up" and r.get("master_sync_in_progress") == "0")
        return done, r
    return wait_for("%s replica :%d link up with %s :%d (master_link_status:up, master_sync_in_progress:0)"
                    % (replica.name, replica.port, master.name, master.port), probe)


def wait_offsets(master, *replicas):
    """Until every replica's slave_repl_offset equals the master's master_repl_offset."""
    def probe():
        check_alive(master, *replicas)
        m = info(master, "replication")
        seen = {"master %s master_repl_offset" % master.name: m.get("master_repl_offset")}
        done = True
        for r in replicas:
            ri = info(r, "replication")
            seen["replica %s :%d slave_repl_offset" % (r.name, r.port)] = ri.get("slave_repl_offset")
            seen["replica %s :%d master_link_status" % (r.name, r.port)] = ri.get("master_link_status")
            done = done and ri.get("master_link_status") == "up" and ri.get("slave_repl_offset") == m.get("master_repl_offset")
        return done and m.get("master_repl_offset") is not None, seen
    return wait_for("replica offsets to reach the master's", probe)


def keyspace(server):
    """{db: (keys, expires)} from INFO keyspace."""
    out = {}
    for k, v in info(server, "keyspace").items():
        f = dict(kv.split("=", 1) for kv in v.split(","))
        out[k] = (int(f["keys"]), int(f["expires"]))
    return out


def digest(server):
    d = call(server, "DEBUG", "DIGEST")
    assert isinstance(d, bytes) and len(d) == 40, "%s DEBUG DIGEST: %r" % (server.name, d)
    return d


def assert_same(master, *replicas):
    want_ks, want = keyspace(master), digest(master)
    assert want_ks, "the master %s holds no keys: the scenario wrote nothing" % master.name
    for r in replicas:
        hint = ""
        if master.name == "redis7" and r.name != "redis7":
            hint = " (a Redis 7 master propagates SET ... PXAT, SET ... KEEPTTL and PEXPIREAT: see the module docstring)"
        assert keyspace(r) == want_ks, "per-database (keys, expires): master %s vs replica %s%s" % (
            master.name, r.name, hint)
        assert digest(r) == want, "DEBUG DIGEST: master %s %s, replica %s %s%s" % (
            master.name, want, r.name, digest(r), hint)


def stats(server):
    s = info(server, "stats")
    return int(s["sync_full"]), int(s["sync_partial_ok"])


# ------------------------------------------------------------- data

def fill_every_type(server, tag=b""):
    """Every type in both encodings, integers, binary, far TTLs, in several databases."""
    with RespClient(server.port, timeout=WAIT) as c:
        for db in DBS:
            p = lambda k: b"%s%s:%d" % (tag, k, db)  # noqa: E731
            cmds = [
                ["SELECT", db],
                ["SET", p(b"str"), "text %d" % db],
                ["SET", p(b"int"), "42"],
                ["SET", p(b"neg"), "-9000000000"],
                ["SET", p(b"float"), "3.25"],
                ["SET", p(b"bin\x00\xff"), b"\x00\x01\xfe\xff\r\n"],
                ["SET", p(b"long"), b"xyz" * 700],
                ["SET", p(b"ttl"), "v", "EX", 100000],
                ["SET", p(b"pttl"), "v"],
                ["PEXPIREAT", p(b"pttl"), int(time.time() * 1000) + 200_000_000],
                ["RPUSH", p(b"list")] + [str(i) for i in range(10)],
                ["RPUSH", p(b"biglist")] + ["element-%d" % i for i in range(3000)],
                ["HSET", p(b"hash"), "a", "1"],
                ["HMSET", p(b"hash"), "b", "two", "c", b"\x00"],
                ["HMSET", p(b"bighash")] + [x for i in range(700) for x in ("f%d" % i, "v" * (i % 90))],
                ["SADD", p(b"intset"), 1, 2, 3, -70000, 5000000000],
                ["SADD", p(b"bigintset")] + list(range(0, 3000, 3)),
                ["SADD", p(b"set")] + ["m%d" % i for i in range(20)],
                ["SADD", p(b"bigset")] + ["m%d" % i for i in range(700)],
                ["ZADD", p(b"zset"), 1, "a", 2.5, "b", -3, "c"],
                ["ZADD", p(b"bigzset")] + [x for i in range(400) for x in (repr(i / 7), "m%d" % i)],
                ["PFADD", p(b"hll")] + ["x%d" % i for i in range(100)],
                ["HSET", p(b"hashttl"), "f", "v"],
                ["EXPIRE", p(b"hashttl"), 150000],
            ]
            for reply in c.pipeline([norm(cmd) for cmd in cmds]):
                assert not isinstance(reply, Error), "%s fill: %r" % (server.name, reply)


class Writer:
    """Deterministic mixed writes of every type; TTLs far away, INCRBYFLOAT on TTL-free keys."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def key(self, prefix, n=40):
        return "%s:%d" % (prefix, self.rnd.randrange(n))

    def value(self):
        r = self.rnd.random()
        if r < 0.2:
            return bytes(self.rnd.randrange(256) for _ in range(self.rnd.randrange(1, 20)))
        if r < 0.4:
            return str(self.rnd.randrange(-10**12, 10**12))
        return "v%d" % self.rnd.randrange(10**6) + "x" * self.rnd.randrange(0, 200)

    def command(self):
        R, k, v = self.rnd, self.key, self.value
        op = R.randrange(36)
        if op == 0: return ["SET", k("s"), v()]
        if op == 1: return ["SET", k("s"), v(), "EX", R.randrange(100000, 200000)]
        if op == 2: return ["SETEX", k("s"), R.randrange(100000, 200000), v()]
        if op == 3: return ["APPEND", k("s"), v()]
        if op == 4: return ["INCRBY", k("n"), R.randrange(-1000, 1000)]
        if op == 5: return ["INCRBYFLOAT", k("f"), "%.3f" % R.uniform(-100, 100)]
        if op == 6: return ["EXPIRE", k(R.choice("snlhz")), R.randrange(100000, 200000)]
        if op == 7: return ["PEXPIRE", k(R.choice("snlhz")), R.randrange(10**8, 2 * 10**8)]
        if op == 8: return ["PERSIST", k(R.choice("snlhz"))]
        if op == 9: return ["MSET", k("s"), v(), k("s"), v()]
        if op == 10: return ["SETRANGE", k("s"), R.randrange(50), v()]
        if op == 11: return ["LPUSH", k("l"), v(), v()]
        if op == 12: return ["RPUSH", k("l")] + [v() for _ in range(R.randrange(1, 8))]
        if op == 13: return [R.choice(["LPOP", "RPOP"]), k("l")]
        if op == 14: return ["LTRIM", k("l"), 0, R.randrange(5, 60)]
        if op == 15: return ["RPOPLPUSH", k("l"), k("l")]
        if op == 16: return ["LINSERT", k("l"), R.choice(["BEFORE", "AFTER"]), "pivot", v()]
        if op == 17: return ["HSET", k("h"), "f%d" % R.randrange(30), v()]
        if op == 18: return ["HMSET", k("h")] + [x for _ in range(5) for x in ("f%d" % R.randrange(600), v())]
        if op == 19: return ["HDEL", k("h"), "f%d" % R.randrange(30)]
        if op == 20: return ["HINCRBY", k("hn"), "c%d" % R.randrange(5), R.randrange(-50, 50)]
        if op == 21: return ["HINCRBYFLOAT", k("hf"), "c%d" % R.randrange(5), "%.2f" % R.uniform(-5, 5)]
        if op == 22: return ["SADD", k("i"), *[R.randrange(-1000, 1000) for _ in range(R.randrange(1, 6))]]
        if op == 23: return ["SADD", k("t"), *["m%d" % R.randrange(800) for _ in range(R.randrange(1, 6))]]
        if op == 24: return ["SREM", k(R.choice("it")), R.randrange(-1000, 1000)]
        if op == 25: return ["SPOP", k(R.choice("it"))]
        if op == 26: return ["SPOP", k(R.choice("it")), R.randrange(1, 4)]
        if op == 27: return ["SMOVE", k("t"), k("t"), "m%d" % R.randrange(800)]
        if op == 28: return ["SUNIONSTORE", k("t"), k("t"), k("t")]
        if op == 29: return ["ZADD", k("z"), *[x for _ in range(R.randrange(1, 5)) for x in (R.choice([R.randrange(-99, 99), R.uniform(-1e6, 1e6)]), "m%d" % R.randrange(200))]]
        if op == 30: return ["ZINCRBY", k("z"), "%.5f" % R.uniform(-10, 10), "m%d" % R.randrange(200)]
        if op == 31: return ["ZREM", k("z"), "m%d" % R.randrange(200)]
        if op == 32: return ["ZREMRANGEBYRANK", k("z"), 0, R.randrange(3)]
        if op == 33: return ["ZUNIONSTORE", k("z"), 2, k("z"), k("z"), "WEIGHTS", 1, 2]
        if op == 34: return ["DEL", k(R.choice("snlhitz"))]
        return ["PFADD", k("p"), *["e%d" % R.randrange(10000) for _ in range(5)]]

    def batch(self, n):
        """n writes as a command list with SELECTs and MULTI/EXEC blocks among them."""
        out = []
        while len(out) < n:
            r = self.rnd.random()
            if r < 0.05:
                out.append(["SELECT", self.rnd.choice(DBS)])
            elif r < 0.10:
                out.append(["MULTI"])
                out += [self.command() for _ in range(self.rnd.randrange(2, 7))]
                out.append(["EXEC"])
            else:
                out.append(self.command())
        return out


def write_stream(master, n, seed, blpops=0):
    """Sends about n writes to master in pipelined chunks; `blpops` times a BLPOP on a second
    connection is served by an LPUSH from the writer. Returns the replies' error count."""
    w = Writer(seed)
    errors = 0
    chunks = max(1, blpops + 1)
    with RespClient(master.port, timeout=WAIT) as c:
        for i in range(chunks):
            for reply in c.pipeline([norm(cmd) for cmd in w.batch(n // chunks)]):
                if isinstance(reply, Error):
                    errors += 1
            c.call("SELECT", 0)  # outside any MULTI: batch() always closes its blocks
            if i < blpops:
                serve_blpop(master, c, db=DBS[1 + i % (len(DBS) - 1)], n=i)
    return errors


def serve_blpop(master, writer, db, n):
    key = "blocked:%d" % n
    with RespClient(master.port, timeout=WAIT) as b:
        assert b.call("SELECT", db) == b"OK"
        b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$%d\r\n%s\r\n$2\r\n15\r\n" % (len(key), key.encode()))
        wait_for("%s blocked_clients:1 after BLPOP" % master.name,
                 lambda: (lambda c: (c.get("blocked_clients") == "1", c))(info(master, "clients")))
        assert writer.call("SELECT", db) == b"OK"
        assert writer.call("LPUSH", key, "first", "second") == 2
        assert b.read_reply() == [key.encode(), b"second"]
        assert writer.call("SELECT", 0) == b"OK"


# ------------------------------------------------------------- a, d: full sync

def full_sync(spawn, master_kind, replica_kind, diskless):
    master = spawn(master_kind, *master_args(diskless))
    replica = spawn(replica_kind)
    fill_every_type(master)
    call(master, "DEBUG", "POPULATE", 5000, "pop")  # a bigger payload than the typed keys
    slaveof(replica, master)
    wait_link_up(replica, master)
    wait_offsets(master, replica)
    assert len(keyspace(master)) == len(DBS)
    assert_same(master, replica)
    full, partial = stats(master)
    assert (full, partial) == (1, 0), "master %s INFO stats sync_full, sync_partial_ok" % master.name


@pytest.mark.parametrize("master_kind,replica_kind", PAIR_CASES)
def test_full_sync_disk(spawn, master_kind, replica_kind):
    full_sync(spawn, master_kind, replica_kind, diskless=False)


@pytest.mark.parametrize("master_kind,replica_kind", DISKLESS_CASES)
def test_full_sync_diskless(spawn, master_kind, replica_kind):
    full_sync(spawn, master_kind, replica_kind, diskless=True)


# ------------------------------------------------------------- b: live stream

@pytest.mark.parametrize("master_kind,replica_kind", PAIR_CASES)
def test_live_stream(spawn, master_kind, replica_kind):
    master = spawn(master_kind, *master_args())
    replica = spawn(replica_kind)
    fill_every_type(master, tag=b"pre")
    slaveof(replica, master)
    wait_link_up(replica, master)
    errors = write_stream(master, 4000, seed=7, blpops=3)
    assert errors < 400, "%d error replies among the writes to %s" % (errors, master.name)
    wait_offsets(master, replica)
    assert_same(master, replica)


# ------------------------------------------------------------- c: partial resync

@pytest.mark.parametrize("master_kind,replica_kind", PAIR_CASES)
def test_partial_resync_after_link_kill(spawn, master_kind, replica_kind):
    master = spawn(master_kind, *master_args())
    replica = spawn(replica_kind)
    slaveof(replica, master)
    wait_link_up(replica, master)
    write_stream(master, 1000, seed=11)
    wait_offsets(master, replica)
    full, partial = stats(master)
    killed = call(master, "CLIENT", "KILL", "TYPE", "slave")
    assert killed == 1, "CLIENT KILL TYPE slave on %s: %r" % (master.name, killed)
    write_stream(master, 500, seed=12)
    wait_for("master %s sync_partial_ok to grow by one" % master.name,
             lambda: (lambda s: (s[1] >= partial + 1, {"sync_full": s[0], "sync_partial_ok": s[1],
                                                       "before": (full, partial)}))(stats(master)))
    wait_link_up(replica, master)
    write_stream(master, 200, seed=13)
    wait_offsets(master, replica)
    assert stats(master) == (full, partial + 1), "master %s (sync_full, sync_partial_ok); before the kill %r" % (
        master.name, (full, partial))
    assert_same(master, replica)


# ------------------------------------------------------------- e: PSYNC2 failover

TRIPLES = [("redis7", "redis7", "redis7"), ("cairn", "redis7", "cairn")]


@pytest.mark.parametrize("m_kind,r1_kind,r2_kind", cases(TRIPLES))
def test_failover_psync2(spawn, m_kind, r1_kind, r2_kind):
    m = spawn(m_kind, *master_args())
    r1 = spawn(r1_kind, *master_args())
    r2 = spawn(r2_kind, *master_args())
    fill_every_type(m)
    for r in (r1, r2):
        slaveof(r, m)
    for r in (r1, r2):
        wait_link_up(r, m)
    write_stream(m, 1500, seed=21)
    wait_offsets(m, r1, r2)
    assert stats(r1) == (0, 0)

    ok(r1, "SLAVEOF", "NO", "ONE")
    slaveof(r2, r1)
    slaveof(m, r1)
    for r in (r2, m):
        wait_link_up(r, r1)
    write_stream(r1, 800, seed=22)
    wait_offsets(r1, m, r2)
    assert stats(r1) == (0, 2), "new master %s (sync_full, sync_partial_ok): both must continue by partial resync" % r1.name
    assert_same(r1, m, r2)


# ------------------------------------------------------------- f: ROLE and INFO replication

def shape(reply):
    """The RESP type structure of a reply: what ROLE's layout is compared by."""
    if isinstance(reply, list):
        return [shape(x) for x in reply]
    return type(reply).__name__


@pytest.fixture(scope="module")
def redis4_reference(request):
    """INFO replication field names and ROLE reply shapes of a Redis 4.0.14 master and replica."""
    path = request.getfixturevalue("redis4_server_path")
    m = ServerProcess("redis4", binary=path)
    r = ServerProcess("redis4", binary=path)
    m.name = r.name = "redis4"
    try:
        m.start()
        r.start()
        slaveof(r, m)
        wait_link_up(r, m)
        wait_for("the redis4 master to list its replica online",
                 lambda: (lambda i: ("state=online" in i.get("slave0", ""), i))(info(m, "replication")))
        return {"master": set(info(m, "replication")), "slave": set(info(r, "replication")),
                "role_master": shape(call(m, "ROLE")), "role_slave": shape(call(r, "ROLE"))}
    finally:
        m.stop()
        r.stop()


SLAVE_LINE = re.compile(r"^ip=127\.0\.0\.1,port=(\d+),state=online,offset=(\d+),lag=(\d+)$")


@pytest.mark.parametrize("master_kind,replica_kind", cases(SELF_CHECKS[:1] + CAIRN_PAIRS))
def test_role_and_info_replication(spawn, redis4_reference, master_kind, replica_kind):
    ref = redis4_reference
    master = spawn(master_kind, *master_args())
    replica = spawn(replica_kind)
    slaveof(replica, master)
    wait_link_up(replica, master)
    call(master, "SET", "k", "v")
    wait_offsets(master, replica)
    mi = wait_for("%s master to list its replica online" % master.name,
                  lambda: (lambda i: ("state=online" in i.get("slave0", ""), i))(info(master, "replication")))
    ri = info(replica, "replication")

    for node, fields, want in ((master, mi, ref["master"]), (replica, ri, ref["slave"])):
        # Cairn adds its own cairn_* fields (which resync happened and why) after Redis's.
        names = {n for n in fields if not n.startswith("cairn_")}
        if node.name == "redis7":  # 7.0 only adds fields (master_failover_state, replica_announced, ...)
            assert want <= names, "redis4 INFO replication fields missing in redis7: %s" % sorted(want - names)
        else:
            assert names == want, "INFO replication field names of %s (%s): extra %s, missing %s" % (
                node.name, "master" if node is master else "replica", sorted(names - want), sorted(want - names))

    assert mi["role"] == "master" and mi["connected_slaves"] == "1", mi
    line = SLAVE_LINE.match(mi["slave0"])
    assert line, "slave0 line of %s: %r" % (master.name, mi["slave0"])
    assert int(line.group(1)) == replica.port, mi["slave0"]
    assert int(line.group(2)) <= int(mi["master_repl_offset"]), mi
    assert ri["role"] == "slave" and ri["master_host"] == "127.0.0.1" and ri["master_port"] == str(master.port), ri
    assert ri["master_link_status"] == "up" and ri["master_sync_in_progress"] == "0", ri
    assert ri["slave_read_only"] == "1", ri
    assert ri["master_replid"] == mi["master_replid"], (ri, mi)

    mrole, rrole = call(master, "ROLE"), call(replica, "ROLE")
    assert shape(mrole) == ref["role_master"], "ROLE on master %s: %r" % (master.name, mrole)
    assert mrole[0] == b"master" and mrole[2][0][:2] == [b"127.0.0.1", str(replica.port).encode()], mrole
    assert shape(rrole) == ref["role_slave"], "ROLE on replica %s: %r" % (replica.name, rrole)
    assert rrole[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"], rrole
    # The master's periodic PING may move the offset between the two reads, never backwards.
    later = int(info(replica, "replication")["slave_repl_offset"])
    assert int(ri["slave_repl_offset"]) <= rrole[4] <= later, (rrole, ri["slave_repl_offset"], later)
