"""The per-type differential scripts in CI, with fixed seeds, each against a fresh pair of servers.

Job: run tools/difftest_lists.py (list commands plus multi-connection blocking
scenarios), tools/difftest_hashsets.py (hashes and sets, SPOP/SRANDMEMBER checked
by membership, conversions at small thresholds) and tools/difftest_zset.py
(sorted sets and geo, conversions) against cairn-server and each reference:
redis-server 7.0 (its known differences from 4.0 allowed) and the reference
Redis 4.0.14 (replies must be equal).
They reach what tools/difftest.py cannot: random picks, blocking pops, full
scans, and DEBUG DIGEST agreement every 200 commands.

Contract: every script starts from empty servers it does not share (they flush
and reconfigure them), and exits 0 only when every reply and digest agreed; a
failure shows the script's own report. Replay one by hand with the same
arguments (`tools/difftest_lists.py --redis-port P --cairn-port Q --seed 3 --reference redis4`).
"""

import os
import subprocess
import sys

import pytest

from serverproc import ServerProcess, redis4_binary

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPTS = [  # (script, arguments given the two ports and a seed)
    ("difftest_lists.py", lambda r, c, s: ["--redis-port", r, "--cairn-port", c, "--seed", s, "--count", "3000"]),
    ("difftest_hashsets.py", lambda r, c, s: ["--redis", r, "--cairn", c, "--seed", s, "--ops", "3000"]),
    ("difftest_zset.py", lambda r, c, s: ["--redis", r, "--cairn", c, "--seed", s, "--ops", "3000"]),
]
SEEDS = [3, 17]


def reference_process(reference):
    if reference == "redis4":
        return ServerProcess("redis4", binary=redis4_binary())
    return ServerProcess("redis")  # serverproc enables DEBUG (digests) on 7.0


@pytest.mark.parametrize("reference", ["redis7", "redis4"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("script,arguments", SCRIPTS, ids=[s for s, _ in SCRIPTS])
def test_type_difftest(script, arguments, seed, reference):
    with reference_process(reference) as redis_server, ServerProcess("cairn") as cairn_server:
        argv = [sys.executable, os.path.join(TOOLS, script)] + \
            arguments(str(redis_server.port), str(cairn_server.port), str(seed)) + ["--reference", reference]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=240)
    if done.returncode != 0:
        pytest.fail("%s seed %d against %s exited %d\n%s\n%s" % (script, seed, reference, done.returncode,
                                                      done.stdout[-3000:], done.stderr[-2000:]), pytrace=False)
