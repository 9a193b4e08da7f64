#!/usr/bin/env python3
"""Bytes per key for N sorted sets of M members (INFO memory used_memory before and
after loading), on each server given; prints the figures and the ratio to the first.

usage: zset_memory.py PORT [PORT ...] [--keys 100000] [--members 10]
Each server is flushed first. Members are "member:<j>", scores small integers and
one fraction per set (a realistic mix of the packed score forms).
"""
import argparse
import redis


def used(c):
    return int(c.info("memory")["used_memory"])


def load(c, keys, members):
    c.flushall()
    before = used(c)
    p = c.pipeline(transaction=False)
    for i in range(keys):
        args = []
        for j in range(members):
            args += [str(j * 3 + (i % 7)) if j else "%d.5" % (i % 100), "member:%d" % j]
        p.execute_command("ZADD", "zset:%06d" % i, *args)
        if i % 1000 == 999:
            p.execute()
    p.execute()
    return (used(c) - before) / keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ports", type=int, nargs="+")
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--members", type=int, default=10)
    a = ap.parse_args()
    results = []
    for port in a.ports:
        c = redis.Redis(port=port, protocol=2)
        per = load(c, a.keys, a.members)
        enc = c.object("encoding", "zset:000000")
        results.append(per)
        print("port %d: %.1f bytes/key (encoding %s)" % (port, per, enc))
    for port, per in zip(a.ports[1:], results[1:]):
        print("ratio port %d / port %d: %.2f" % (port, a.ports[0], per / results[0]))


if __name__ == "__main__":
    main()
