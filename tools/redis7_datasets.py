"""redis7_datasets: RDB files written by redis-server 7.0 itself, one per encoding it writes.

Job: the load benchmarks (tools/bench_persistence.py --only load7) must time
Redis's own files, not files Cairn wrote: Redis 7.0 stores small hashes and
sorted sets as listpacks and lists as quicklists of listpacks, which Cairn has
to convert. `build(names, directory)` makes each dataset once: a redis-server
(free loopback port, its own directory) is fed the commands with
`redis-cli --pipe`, SAVEs, is stopped by pid, and its dump.rdb is kept as
<directory>/<name>.rdb. A file already there is reused, so repeated runs time
the same bytes. The encoding each key got is checked (OBJECT ENCODING on one
key) so a changed default in Redis cannot silently turn a listpack row into a
hashtable one.
"""

import os
import shutil
import subprocess
import tempfile

from serverproc import ServerProcess


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _hashes(f, keys, fields):
    for i in range(keys):
        args = ["HSET", "hash:%d" % i]
        for j in range(fields):
            args += ["field:%d" % j, "v%d-%d" % (j, i)]
        f.write(resp(*args))


def _zsets(f, keys, members):
    for i in range(keys):
        args = ["ZADD", "zset:%d" % i]
        for j in range(members):
            # Half integral scores (listpack integers), half fractional (listpack strings).
            args += [str(j) if j % 2 else "%d.5" % j, "member:%d" % j]
        f.write(resp(*args))


def _lists(f, keys, elements):
    for i in range(keys):
        args = ["RPUSH", "list:%d" % i]
        for j in range(elements):
            args.append("element-%d" % j if j % 2 else str(i * 1000 + j))
        f.write(resp(*args))


def _intsets(f, keys, members):
    for i in range(keys):
        f.write(resp("SADD", "iset:%d" % i, *[i + j * 7 for j in range(members)]))


def _sets(f, keys, members):
    for i in range(keys):
        f.write(resp("SADD", "set:%d" % i, *["m%d-%d" % (j, i) for j in range(members)]))


def _strings(f, keys, _):
    for i in range(keys):
        f.write(resp("SET", "key:%012d" % i, "%016d" % i))


# name: (what, keys, elements per key, writer, the key checked, its expected OBJECT ENCODING)
DATASETS = {
    "hash-listpack": ("40,000 hashes of 100 fields", 40000, 100, _hashes, "hash:0", "listpack"),
    "zset-listpack": ("40,000 sorted sets of 100 members", 40000, 100, _zsets, "zset:0", "listpack"),
    "list-quicklist": ("40,000 lists of 100 elements", 40000, 100, _lists, "list:0", "quicklist"),
    "set-intset": ("40,000 sets of 100 integers", 40000, 100, _intsets, "iset:0", "intset"),
    "set-hashtable": ("40,000 sets of 100 strings", 40000, 100, _sets, "set:0", "hashtable"),
    "zset-skiplist": ("20,000 sorted sets of 200 members", 20000, 200, _zsets, "zset:0", "skiplist"),
    "hash-hashtable": ("4,000 hashes of 1,000 fields", 4000, 1000, _hashes, "hash:0", "hashtable"),
    "strings": ("1,000,000 strings of 16 bytes", 1000000, 1, _strings, "key:000000000000", "embstr"),
}


def build(names, directory, redis_binary=None):
    """Makes <directory>/<name>.rdb with redis-server 7.0 for each name missing; returns {name: path}."""
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for name in names:
        what, keys, elements, writer, probe, encoding = DATASETS[name]
        path = os.path.join(directory, name + ".rdb")
        paths[name] = path
        if os.path.exists(path):
            continue
        work = tempfile.mkdtemp(prefix="redis7-dataset-")
        try:
            cmds = os.path.join(work, "commands.resp")
            with open(cmds, "wb") as f:
                writer(f, keys, elements)
            s = ServerProcess("redis", binary=redis_binary, workdir=work, timeout=60).start()
            try:
                with open(cmds, "rb") as f:
                    p = subprocess.run(["redis-cli", "-p", str(s.port), "--pipe"], stdin=f,
                                       capture_output=True, timeout=900)
                if p.returncode != 0:
                    raise RuntimeError("redis-cli --pipe failed: %s" % p.stdout[-300:])
                got = _cli(s.port, "OBJECT", "ENCODING", probe)
                if got != encoding:
                    raise RuntimeError("%s: %s has encoding %s, expected %s" % (name, probe, got, encoding))
                if int(_cli(s.port, "DBSIZE")) != keys:
                    raise RuntimeError("%s: DBSIZE is not %d" % (name, keys))
                _cli(s.port, "SAVE")
            finally:
                s.stop()
            shutil.move(os.path.join(work, "dump.rdb"), path + ".tmp")
            os.rename(path + ".tmp", path)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return paths


def _cli(port, *args):
    p = subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True, text=True, timeout=600)
    return p.stdout.strip()
