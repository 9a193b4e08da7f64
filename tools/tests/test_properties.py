"""Property tests (hypothesis): Cairn's wire behaviour against Redis 7.0 on generated inputs.

Job: three properties, each checked on generated cases against the real thing:
- an inline command line (quotes, escapes, \\xHH, tabs) is split into the same
  arguments as Redis splits it, or refused with the same protocol error;
- a stream of commands split into arbitrary TCP writes gets the same replies
  as when sent at once (the request parser resumes correctly at every split);
- any binary key and value round-trip through SET/GET unchanged.

Contract: derandomized and without an example database, so CI runs the same
cases every time and writes nothing into the repository.

Tricky bit: inline lines never contain NUL, CR or LF: Redis looks for the line
end with strchr, so a NUL makes it wait for more input forever -- an accident
of C strings, not behaviour to copy.
"""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respclient import RespClient, encode_command

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

INLINE_ALPHABET = b'ab1 \t"\'\\xnrt4F'


@SETTINGS
@given(st.lists(st.sampled_from(list(INLINE_ALPHABET)), max_size=24).map(bytes))
def test_inline_splitting_matches_redis(cairn, redis_server, line):
    with RespClient(redis_server.port) as r, RespClient(cairn.port) as c:
        for client in (r, c):
            client.send_raw(b"ECHO " + line + b"\r\nPING\r\n")
        want = _replies_or_close(r)
        got = _replies_or_close(c)
    assert got == want, "inline line %r" % line


def _replies_or_close(client):
    """Two replies (ECHO's, PING's), or ('closed', error) after a protocol error."""
    first = client.read_reply()
    text = bytes(first) if isinstance(first, bytes) else first
    if isinstance(text, bytes) and text.startswith(b"ERR Protocol error"):
        return ("closed", text, client.read_until_closed(timeout=5))
    return ("replies", repr(first), repr(client.read_reply()))


COMMANDS = st.lists(
    st.one_of(
        st.just([b"PING"]),
        st.binary(max_size=40).map(lambda b: [b"ECHO", b]),
        st.binary(max_size=3000).map(lambda b: [b"ECHO", b]),
        st.binary(max_size=10).map(lambda b: [b"PING", b]),
    ),
    min_size=1, max_size=8)


@SETTINGS
@given(COMMANDS, st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=12))
def test_any_split_of_a_pipeline_gets_the_same_replies(cairn, commands, cuts):
    stream = b"".join(encode_command(c) for c in commands)
    with RespClient(cairn.port) as c:
        pos = 0
        for n in cuts:
            if pos >= len(stream):
                break
            c.send_raw(stream[pos:pos + n])
            pos += n
            time.sleep(0.001)
        c.send_raw(stream[pos:])
        replies = [c.read_reply() for _ in commands]
    expected = [b"PONG" if len(cmd) == 1 else cmd[1] for cmd in commands]
    assert replies == expected


@SETTINGS
@given(st.binary(max_size=64), st.binary(max_size=2048))
def test_binary_key_value_round_trip(cairn, key, value):
    k = b"prop:" + key
    with RespClient(cairn.port) as c:
        assert c.call("SET", k, value) == b"OK"
        assert c.call("GET", k) == value
        assert c.call("STRLEN", k) == len(value)
