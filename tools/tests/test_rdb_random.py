"""Random datasets through every RDB path, against redis-server 7.0.

Job: for a few seeds, build a dataset of every type with sizes that straddle
the compact-encoding thresholds (which are themselves set at random, the same
on both servers) and the string-length boundaries of the packed formats
(63/64, 127/128, 4095/4096, 16383/16384 bytes: ziplist and listpack length
and back-length widths), including integers of every width, -0 and infinite
scores and TTLs. Then:
  - Cairn's SAVE passes redis-check-rdb and loads in redis-server with
    Cairn's DEBUG DIGEST, and DEBUG RELOAD in Cairn keeps the digest;
  - every key's DUMP from Cairn restores in redis-server, and every key's
    DUMP from redis-server (RDB 10: listpacks, quicklist 2) restores in Cairn,
    each giving the same digest.

Contract: servers on free loopback ports in temporary directories, stopped
by pid; the seed is in every assertion message.
"""
import os
import random
import shutil
import subprocess

import pytest
import redis as redispy

from serverproc import ServerProcess

THRESHOLDS = {
    "hash-max-ziplist-entries": (0, 4, 128, 512),
    "hash-max-ziplist-value": (0, 16, 64, 70000),
    "zset-max-ziplist-entries": (0, 4, 128),
    "zset-max-ziplist-value": (0, 16, 64, 70000),
    "set-max-intset-entries": (0, 4, 512),
    "list-max-ziplist-size": (-5, -2, -1, 1, 4, 128),
    "list-compress-depth": (0, 1, 2),
}

# String lengths at the edges of the packed formats' length encodings.
EDGE_LENGTHS = (0, 1, 12, 13, 63, 64, 127, 128, 253, 254, 4095, 4096, 16377, 16378, 16383, 16384)


def client(server):
    return redispy.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=60)


def element(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return str(rng.randint(-20, 20))
    if kind == 1:
        return str(rng.choice([127, 128, 32767, 32768, 8388607, 8388608, 2**31, 2**63 - 1, -2**63, rng.getrandbits(63)]))
    if kind == 2:
        return "x" * rng.choice(EDGE_LENGTHS)
    if kind == 3:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
    return "e%d" % rng.randint(0, 500)


def score(rng):
    return rng.choice([0.0, -0.0, 1.5, -3, 1e300, -1e-300, float("inf"), float("-inf"), rng.uniform(-1e6, 1e6),
                       rng.randint(-2**53, 2**53)])


def fill(c, rng):
    for i in range(rng.randint(150, 300)):
        key = "k%d" % i
        size = rng.choice([1, 2, 3, 5, 8, 60, 130, 600])
        kind = rng.randrange(6)
        if kind == 0:
            c.set(key, element(rng))
        elif kind == 1:
            c.rpush(key, *[element(rng) for _ in range(size)])
        elif kind == 2:
            c.sadd(key, *[element(rng) for _ in range(size)])
        elif kind == 3:
            c.zadd(key, {element(rng): score(rng) for _ in range(size)})
        elif kind == 4:
            c.hset(key, mapping={element(rng): element(rng) for _ in range(size)})
        else:
            c.pfadd(key, *[element(rng) for _ in range(size * 20)])
        if rng.randrange(5) == 0:
            c.pexpire(key, rng.randint(200_000, 10**9))


def digest(c):
    return c.execute_command("DEBUG", "DIGEST")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_datasets_cross_every_rdb_path(tmpdirs, seed):
    rng = random.Random(seed)
    settings = {name: rng.choice(values) for name, values in THRESHOLDS.items()}
    args = [a for name, v in settings.items() for a in ("--" + name, str(v))]
    cdir, rdir = tmpdirs(), tmpdirs()
    cairn = ServerProcess("cairn", extra_args=args, workdir=cdir).start()
    try:
        c = client(cairn)
        fill(c, rng)
        want = digest(c)
        assert c.save()
        dump = os.path.join(cdir, "dump.rdb")
        check = subprocess.run(["redis-check-rdb", dump], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, "seed %d %r: %s" % (seed, settings, check.stdout)
        assert c.execute_command("DEBUG", "RELOAD")
        assert digest(c) == want, "seed %d %r: DEBUG RELOAD" % (seed, settings)
        shutil.copy(dump, os.path.join(rdir, "dump.rdb"))
        redis = ServerProcess("redis", extra_args=args, workdir=rdir).start()
        try:
            r = client(redis)
            assert digest(r) == want, "seed %d %r: redis-server loading Cairn's file" % (seed, settings)
            keys = sorted(c.keys("*"))
            cairn_dumps = {k: c.dump(k) for k in keys}
            redis_dumps = {k: r.dump(k) for k in keys}
            r.flushall()
            for k in keys:
                r.restore(k, 0, cairn_dumps[k])
            c.flushall()
            for k in keys:
                c.restore(k, 0, redis_dumps[k])
            # Restored with TTL 0 on both sides, so the digests compare the data alone.
            assert digest(r) == digest(c), "seed %d %r: DUMP/RESTORE both ways" % (seed, settings)
        finally:
            redis.stop()
    finally:
        cairn.stop()
