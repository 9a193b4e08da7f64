#!/usr/bin/env python3
"""make-aof-fixtures.py: writes the AOF fixtures in fixtures/aof/ with real redis-server 7.0.

Starts redis-server (appendonly yes, appendfsync always, the multi-part AOF directory of
7.0) on a free loopback port in a temporary directory, fills the dataset of
make-rdb-fixtures.py (every type, small and large, expiries, databases 0, 1 and 15, binary
keys), runs BGREWRITEAOF so the base file holds that dataset, then writes more (another
database, a MULTI/EXEC block, deletes, relative expiries, INCRBYFLOAT, pops) so the
incremental file holds commands too. It records DEBUG DIGEST and the whole dataset as JSON
(byte strings in hex, as the RDB fixtures' sidecar), stops the server with SIGTERM (it
fsyncs), and copies the directory.
Fixtures (each a directory with the manifest, a base and an incremental file; all three
hold the same dataset, described by redis7-dataset.json = {"digest": ..., "keys": [...]}):
  redis7-preamble/   aof-use-rdb-preamble yes: base appendonly.aof.N.base.rdb
  redis7-plain/      aof-use-rdb-preamble no: base appendonly.aof.N.base.aof (commands)
  redis7-annotated/  aof-timestamp-enabled yes, no rewrite: '#TS:' lines in the incremental file
Usage: tools/make-aof-fixtures.py   (needs redis-server 7.0 and the Python redis package)
"""
import importlib.util, json, os, shutil, signal, subprocess, sys, tempfile, time
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "aof")

_spec = importlib.util.spec_from_file_location("rdbfix", os.path.join(ROOT, "tools", "make-rdb-fixtures.py"))
rdbfix = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rdbfix)


def start(tmp, *extra):
    port = rdbfix.free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                             "--auto-aof-rewrite-percentage", "0", "--enable-debug-command", "yes", *extra],
                            stdout=subprocess.DEVNULL)
    r = redis.Redis(port=port, protocol=2)
    for _ in range(100):
        try:
            r.ping()
            return proc, r
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def wait_rewrite(r):
    for _ in range(200):
        info = r.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        time.sleep(0.05)
    sys.exit("BGREWRITEAOF did not finish")


def more(r):
    """Writes after the rewrite: these land in the incremental file."""
    r.select(2)
    r.set("db2:counter", 10)
    r.incrbyfloat("db2:counter", 1.5)
    r.rpush("db2:list", *[f"e{i}" for i in range(70)])
    r.lpop("db2:list")
    r.expire("db2:list", 10**8)
    r.pexpireat("db2:list", rdbfix.FAR + 3)  # relative expiries are logged; fixed ones keep the three datasets equal
    r.select(0)
    p = r.pipeline(transaction=True)
    p.set("tx:a", "1")
    p.hset("tx:h", mapping={"x": "1", "y": "2"})
    p.zadd("tx:z", {"p": 0.1, "q": -2.5e-7})
    p.execute()
    r.delete("str:empty")
    r.sadd("set:strs", "w")
    r.srem("set:strs", "x")
    r.execute_command("SETEX", "str:setex", 10**7, "v")
    r.pexpireat("str:setex", rdbfix.FAR + 4)
    r.set(b"bin\x00key\xff", b"\r\n*3\r\n$3\r\n")


def snapshot(r):
    return {"digest": r.execute_command("DEBUG", "DIGEST").decode(), "keys": rdbfix.dump_json(r)}


def make(name, extra, rewrite):
    tmp = tempfile.mkdtemp()
    proc, r = start(tmp, *extra)
    try:
        rdbfix.fill(r)
        if rewrite:
            r.bgrewriteaof()
            wait_rewrite(r)
        more(r)
        snap = snapshot(r)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    dest = os.path.join(OUT, name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(os.path.join(tmp, "appendonlydir"), dest)
    shutil.rmtree(tmp, ignore_errors=True)
    print(name, sorted(os.listdir(dest)), snap["digest"])
    return snap


def main():
    os.makedirs(OUT, exist_ok=True)
    snaps = [make("redis7-preamble", ["--aof-use-rdb-preamble", "yes"], rewrite=True),
             make("redis7-plain", ["--aof-use-rdb-preamble", "no"], rewrite=True),
             make("redis7-annotated", ["--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes"], rewrite=False)]
    if any(s != snaps[0] for s in snaps):
        sys.exit("the three servers ended with different datasets")
    with open(os.path.join(OUT, "redis7-dataset.json"), "w") as f:
        json.dump(snaps[0], f, sort_keys=True)


if __name__ == "__main__":
    main()
