"""Differential test in CI: tools/difftest.py with fixed seeds, Cairn against Redis 4.0 and 7.0.

Job: run the seeded random command sequences (strings, keys, errors, and every
collection type Cairn serves: lists, sets, hashes, sorted sets, geo) against
Cairn and each reference, 50,000 commands per reference, and fail with
difftest's report (seed, command index, both replies, the commands before) on
the first divergence. Against the reference Redis 4.0.14 replies must be equal
as they are and the generator avoids only nondeterminism; against the 7.0 peer
its replies are normalised to 4.0's and the 4.0/7.0 differences are avoided.
A self-check first runs the same tool Redis-vs-Redis for each reference, so a
flaw in the generator or in the normalisation table shows up as such, not as a
Cairn bug.

Contract: each seed starts from empty databases (difftest.run flushes every db
on both servers), so the seeds are independent and any one can be replayed
with `tools/difftest.py --seed N --commands 10000 --reference redis4`.
"""

import pytest

import difftest
from serverproc import ServerProcess, redis4_binary

SEEDS = [101, 202, 303, 404, 505]
COMMANDS_PER_SEED = 10000  # 5 x 10,000 = 50,000 commands per reference (about 1 s per seed)
REFERENCES = ["redis7", "redis4"]


@pytest.fixture(params=REFERENCES)
def reference(request):
    """(name, running server) for each reference Redis."""
    fixture = {"redis7": "redis_server", "redis4": "redis4"}[request.param]
    return request.param, request.getfixturevalue(fixture)


def test_difftest_self_check(reference):
    """A reference against another of its kind: the generator must be deterministic."""
    name, server = reference
    other = ServerProcess("redis4", binary=redis4_binary()) if name == "redis4" else ServerProcess("redis")
    with other:
        result = difftest.run(1, 3000, server.port, other.port, self_check=True, reference=name)
    assert result["commands"] == 3000


@pytest.mark.parametrize("seed", SEEDS)
def test_difftest_seed(reference, cairn, seed):
    name, server = reference
    failure = result = None
    try:
        result = difftest.run(seed, COMMANDS_PER_SEED, server.port, cairn.port, reference=name)
    except difftest.Divergence as d:
        failure = str(d)
    if failure:
        pytest.fail(failure, pytrace=False)
    assert result["commands"] == COMMANDS_PER_SEED
