"""Differential test in CI: tools/difftest.py with fixed seeds, Redis 7.0 vs Cairn.

Job: run the seeded random command sequences (strings, keys, errors, and every
collection type Cairn serves: lists, sets, hashes, sorted sets, geo) against
both servers, 50,000 commands in all, and fail with difftest's report (seed,
command index, both replies, the commands before) on the first divergence.
A self-check first runs the same tool Redis-vs-Redis, so a flaw in the
generator or in the normalisation table shows up as such, not as a Cairn bug.

Contract: each seed starts from empty databases (difftest.run flushes every db
on both servers), so the seeds are independent and any one can be replayed
with `tools/difftest.py --seed N --commands 10000`.
"""

import pytest

import difftest
from serverproc import ServerProcess

SEEDS = [101, 202, 303, 404, 505]
COMMANDS_PER_SEED = 10000  # 5 x 10,000 = 50,000 commands, over every type (about 1 s per seed)


def test_difftest_self_check(redis_server):
    """Redis 7.0 against another Redis 7.0: the generator must be deterministic."""
    with ServerProcess("redis") as other:
        result = difftest.run(1, 3000, redis_server.port, other.port, self_check=True)
    assert result["commands"] == 3000


@pytest.mark.parametrize("seed", SEEDS)
def test_difftest_seed(redis_server, cairn, seed):
    failure = result = None
    try:
        result = difftest.run(seed, COMMANDS_PER_SEED, redis_server.port, cairn.port)
    except difftest.Divergence as d:
        failure = str(d)
    if failure:
        pytest.fail(failure, pytrace=False)
    assert result["commands"] == COMMANDS_PER_SEED
