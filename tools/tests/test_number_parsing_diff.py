"""Differential test: how Cairn and Redis 4.0.14 read numbers in stored values and
arguments of the counter commands.

Job: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, HINCRBY and HINCRBYFLOAT parse the
stored value (string2ll, strtold over the whole string, string2ld for hash
fields) and their argument; every accepted text, every error ("value is not an
integer or out of range", "value is not a valid float", "hash value is not an
integer", "hash value is not a float", the overflow errors) and the text
INCRBYFLOAT/HINCRBYFLOAT store ("%.17Lf" with trailing zeros trimmed) must be
Redis 4.0's. Each case sets a stored value on both servers, runs one command,
and compares the reply and the bytes left behind (GET / HGET). A few other
commands that read a number argument (ZINCRBY, ZADD, ZRANGEBYSCORE, GETRANGE,
LINDEX, LRANGE) are compared the same way.

Contract: both servers run on free loopback ports (tools/serverproc.py) and are
stopped by pid; a hand list of edge cases plus a seeded random generator
(CAIRN_SEED overrides the seed) drive the cases; a failure lists up to 20
divergences with the command that showed each.
"""

import os
import random

import pytest

SEED = int(os.environ.get("CAIRN_SEED", "4014"))

# Texts that probe every rule of string2ll / strtold / string2ld.
EDGE = [
    "", "0", "1", "-1", " 1", "1 ", "\t1", "1\n", "+1", "-0", "+0", "00", "01", "-01", "--1", "+-1",
    "1.", ".5", "-.5", "1.5", "-1.5", "3.0", "10.50", "0.1", "1e3", "1E+3", "1e-3", "1e", "e1", "1e+",
    "0x10", "0X1p3", "0x1.8p1", "0x", "-0x10", "0x1p-16445", "inf", "-inf", "+inf", "INF", "infinity",
    "-Infinity", "nan", "-nan", "NaN", "nan(123)",
    "5e-324", "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "-1.7976931348623157e308",
    "1e308", "1e309", "-1e309", "1e4000", "-1e4000", "1e4932", "1e5000", "1e-4940", "1e-4950", "1e-5000",
    "1" * 17, "1" * 19, "1" * 20, "1" * 21, "9" * 30, "-" + "9" * 19,
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "4611686018427387904", "-4611686018427387905",
    "1\x00", "1\x002", "\x001", "12\x00.5", "1_000", "1,5", "\u0661", "0.30000000000000004",
    "0." + "0" * 250 + "1", "0" * 254 + "1", "0" * 255 + "1", "0" * 256 + "1", "1" + "0" * 300,
    "123456789.123456789", "-0.0", "0e0", "1e-20", "99999999999999999999.5", "0" * 6000 + "1",
    "0." + "0" * 6000 + "1",
]

ARGS = [
    "0", "1", "-1", "+1", " 1", "1 ", "", "1.5", "-2", "1e3", "0x10", "inf", "-inf", "nan", "5e-324",
    "1e309", "1e4000", "-1e4000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "1\x00", "-0", "0.1", "1" * 21, "1e-5000", "0.30000000000000004", ".5", "1.",
]


def random_text(rng):
    """A short string from a numeric-ish alphabet, or a formatted random number."""
    kind = rng.randrange(5)
    if kind == 0:
        alphabet = "0123456789012345678901234567890.eE+-x pinfa\x00"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 25)))
    if kind == 1:
        return repr(rng.uniform(-1e6, 1e6))
    if kind == 2:
        return "%.*g" % (rng.randrange(1, 25), rng.uniform(-1, 1) * 10 ** rng.randrange(-30, 30))
    if kind == 3:
        return str(rng.choice([1, -1]) * rng.randrange(0, 2 ** 64))
    return str(rng.randrange(-2 ** 63, 2 ** 63)) + rng.choice(["", "", ".0", "e0", " ", "0"])


def command_cases(stored, arg):
    """(setup, command, read-back) triples for one stored value and one argument."""
    s, a = stored.encode("utf-8", "surrogatepass"), arg.encode("utf-8", "surrogatepass")
    return [
        (("SET", "k", s), ("INCR", "k"), ("GET", "k")),
        (("SET", "k", s), ("DECR", "k"), ("GET", "k")),
        (("SET", "k", s), ("INCRBY", "k", a), ("GET", "k")),
        (("SET", "k", s), ("DECRBY", "k", a), ("GET", "k")),
        (("SET", "k", s), ("INCRBYFLOAT", "k", a), ("GET", "k")),
        (("HSET", "h", "f", s), ("HINCRBY", "h", "f", a), ("HGET", "h", "f")),
        (("HSET", "h", "f", s), ("HINCRBYFLOAT", "h", "f", a), ("HGET", "h", "f")),
    ]


@pytest.fixture(scope="module")
def pair(cairn_and_redis4):
    return cairn_and_redis4


def outcomes(client, cases):
    """Runs each case (DEL, setup, command, read-back) in one pipeline; the command's
    and the read-back's results, errors as ("error", message)."""
    client.response_callbacks.clear()  # the replies' own bytes, not redis-py's floats
    pipe = client.pipeline(transaction=False)
    for setup, command, readback in cases:
        pipe.execute_command("DEL", "k", "h", "z", "l")
        pipe.execute_command(*setup)
        pipe.execute_command(*command)
        pipe.execute_command(*readback)
    results = pipe.execute(raise_on_error=False)
    out = []
    for i in range(len(cases)):
        pair = results[4 * i + 2: 4 * i + 4]
        out.append(tuple(("error", str(r)) if isinstance(r, Exception) else r for r in pair))
    return out


def compare(pair, make_client, cases):
    cairn, redis4 = pair
    got = outcomes(make_client(cairn), cases)
    want = outcomes(make_client(redis4), cases)
    diffs = [(c[1], w, g) for c, w, g in zip(cases, want, got) if w != g]
    report = "\n".join("%s: redis4 %s cairn %s" % tuple(repr(x)[:150] for x in d) for d in diffs[:20])
    assert not diffs, "%d of %d cases differ:\n%s" % (len(diffs), len(cases), report)


def test_edge_stored_values_and_arguments(pair, make_client):
    cases = []
    for stored in EDGE:
        for arg in ARGS:
            cases += command_cases(stored, arg)
    for arg in EDGE:  # every edge text as an argument too, over a plain stored number
        cases += command_cases("10", arg)
    for start in range(0, len(cases), 2000):
        compare(pair, make_client, cases[start:start + 2000])


def test_random_texts(pair, make_client):
    rng = random.Random(SEED)
    cases = []
    for _ in range(1500):
        cases += command_cases(random_text(rng), random_text(rng) if rng.random() < 0.5 else rng.choice(ARGS))
    for start in range(0, len(cases), 2000):
        compare(pair, make_client, cases[start:start + 2000])


def argument_cases(arg):
    """Other commands that read a number argument (string2ll, strtod) over fixed values."""
    a = arg.encode("utf-8")
    return [
        (("ZADD", "z", "1", "m"), ("ZINCRBY", "z", a, "m"), ("ZSCORE", "z", "m")),
        (("ZADD", "z", "1", "m"), ("ZADD", "z", a, "n"), ("ZSCORE", "z", "n")),
        (("ZADD", "z", "1", "m"), ("ZRANGEBYSCORE", "z", a, "+inf"), ("ZCARD", "z")),
        (("SET", "k", "hello"), ("GETRANGE", "k", "0", a), ("GET", "k")),
        (("RPUSH", "l", "a", "b", "c"), ("LINDEX", "l", a), ("LLEN", "l")),
        (("RPUSH", "l", "a", "b", "c"), ("LRANGE", "l", a, "-1"), ("LLEN", "l")),
    ]


def test_other_number_arguments(pair, make_client):
    rng = random.Random(SEED + 2)
    cases = []
    for arg in EDGE + ARGS + [random_text(rng) for _ in range(300)]:
        cases += argument_cases(arg)
    compare(pair, make_client, cases)


def test_float_results_are_byte_identical(pair, make_client):
    """INCRBYFLOAT's stored text over random sums, including long runs on one key."""
    rng = random.Random(SEED + 1)
    cases = []
    for _ in range(1500):
        stored = rng.choice([repr(rng.uniform(-1e20, 1e20)), "%.3f" % rng.uniform(-1e3, 1e3),
                             str(rng.randrange(-10 ** 18, 10 ** 18)), "%.17g" % (rng.random() * 10 ** rng.randrange(-300, 300))])
        arg = rng.choice([repr(rng.uniform(-1, 1)), "%.20g" % rng.uniform(-1e15, 1e15), "1e%d" % rng.randrange(-320, 320),
                          "-" + stored, stored])
        cases += command_cases(stored, arg)[4::2]  # INCRBYFLOAT, HINCRBYFLOAT
    compare(pair, make_client, cases)
