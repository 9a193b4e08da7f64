#!/usr/bin/env python3
"""make-rdb-fixtures.py: writes the RDB fixtures in fixtures/rdb/ with real redis-server 7.0.

Starts redis-server on a free loopback port in a temporary directory, fills a dataset
(every type at small and large sizes so both the compact and the big encodings occur,
expiries, several databases, binary keys, an LZF-compressible string), SAVEs, and copies
the dump beside a JSON sidecar of the expected dataset (byte strings in hex).
Files: redis7-all.rdb (+ redis7-all.json, which also describes the next one), redis7-nochecksum.rdb (rdbchecksum no, rdbcompression no),
redis7-unsupported.rdb (a stream and a function library between ordinary keys).
Usage: tools/make-rdb-fixtures.py   (needs redis-server 7.0 and the Python redis package)
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "rdb")
FAR = 4102444800000  # 2100-01-01 in ms: expiries that never fire during tests


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def start(tmp, *extra):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", *extra],
                            stdout=subprocess.DEVNULL)
    r = redis.Redis(port=port)
    for _ in range(100):
        try:
            r.ping(); return proc, r
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill(); sys.exit("redis-server did not start")


def fill(r):
    r.select(0)
    r.set("str:small", "hello")
    r.set("str:int", "12345")
    r.set("str:negint", "-7")
    r.set("str:bigint", "9223372036854775807")
    r.set("str:lzf", "abcdefgh" * 200)
    r.set("str:empty", "")
    r.set(b"bin\x00key\xff", b"\x00\x01\x02\xfe\xff")
    r.set("str:expiring", "x"); r.pexpireat("str:expiring", FAR)
    r.rpush("list:small", "a", "b", "1", "-2", "300000", "c" * 70)
    r.rpush("list:large", *[f"item-{i}" for i in range(1500)])
    r.sadd("set:ints", *range(-5, 20))
    r.sadd("set:ints-large", *range(0, 1200, 2))
    r.sadd("set:strs", "x", "y", "z")
    r.sadd("set:strs-large", *[f"m{i}" for i in range(300)])
    r.zadd("zset:small", {"a": 1, "b": 2.5, "c": -3, "d": float("inf"), "e": 1e20})
    r.zadd("zset:large", {f"member-{i}": i * 0.5 for i in range(200)})
    r.zadd("zset:longmember", {"m" * 100: 1})
    r.hset("hash:small", mapping={"f1": "v1", "f2": "2", "num": "-100"})
    r.hset("hash:large", mapping={f"field-{i}": f"value-{i}" for i in range(700)})
    r.hset("hash:longvalue", mapping={"f": "v" * 100})
    r.hset(b"hash:\xffbin", mapping={b"\x00": b"\x01"})
    r.expire("hash:small", 10**8); r.pexpireat("hash:small", FAR + 1)
    r.select(1)
    r.set("db1:key", "in db 1")
    r.rpush("db1:list", "x"); r.pexpireat("db1:list", FAR + 2)
    r.select(15)
    r.zadd("db15:zset", {"only": 42})


def dump_json(r):
    data = []
    for db in range(16):
        r.select(db)
        for key in sorted(r.keys("*")):
            t = r.type(key).decode()
            if t == "string": v = r.get(key).hex()
            elif t == "list": v = [x.hex() for x in r.lrange(key, 0, -1)]
            elif t == "set": v = sorted(x.hex() for x in r.smembers(key))
            elif t == "zset": v = [[m.hex(), repr(s)] for m, s in r.zrange(key, 0, -1, withscores=True)]
            elif t == "hash": v = sorted([k.hex(), x.hex()] for k, x in r.hgetall(key).items())
            else: v = None
            pt = r.pttl(key)
            exp = None if pt < 0 else r.execute_command("PEXPIRETIME", key)
            enc = r.object("encoding", key).decode()
            data.append({"db": db, "key": key.hex(), "type": t, "encoding": enc, "expire_ms": exp, "value": v})
    return data


def save(r, tmp, name, sidecar):
    r.save()
    shutil.copy(os.path.join(tmp, "dump.rdb"), os.path.join(OUT, name))
    if sidecar:
        with open(os.path.join(OUT, name[:-4] + ".json"), "w") as f:
            json.dump(dump_json(r), f, sort_keys=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, extra, unsupported in [("redis7-all.rdb", [], False),
                                     ("redis7-nochecksum.rdb", ["--rdbchecksum", "no", "--rdbcompression", "no"], False),
                                     ("redis7-unsupported.rdb", [], True)]:
        tmp = tempfile.mkdtemp()
        proc, r = start(tmp, *extra)
        try:
            if unsupported:
                r.set("before", "1")
                r.xadd("stream", {"f": "v"}, id="1-1"); r.xadd("stream", {"g": "w"}, id="2-1")
                r.xgroup_create("stream", "grp", id="0")
                r.xreadgroup("grp", "alice", {"stream": ">"}, count=1)
                r.execute_command("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)")
                r.set("after", "2")
            else:
                fill(r)
            save(r, tmp, name, sidecar=(name == "redis7-all.rdb"))
        finally:
            proc.terminate(); proc.wait(timeout=10); shutil.rmtree(tmp, ignore_errors=True)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
