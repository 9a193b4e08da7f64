"""Active defrag on a live cairn-server (Server/ActiveDefrag.swift, Engine/Defragment.swift).

Job: fragment the heap as a long-lived Redis heap gets fragmented (300k string
keys of 16..400 bytes, then 80% of them deleted at random, which leaves most
slabs sparsely used), turn `activedefrag` on with low thresholds, and check
that the allocator's fragmentation falls, that active_defrag_hits grows, that
the data is unchanged (DEBUG DIGEST and DBSIZE), and that active_defrag_running
reports the effort while a pass runs and 0 once defrag is off.

Fragmentation is jemalloc's, as Redis 4.0's defrag reads it: (active -
allocated) / allocated, from MEMORY MALLOC-STATS's "Allocated: ..., active: ..."
line. mem_fragmentation_ratio (RSS / used_memory) is printed too, after MEMORY
PURGE, but not asserted: RSS also follows the kernel and jemalloc's decay.

Tricky bit: a pass over 60k keys takes a few ms of CPU, less than one tick at
the default effort; the test lowers the effort so that the pass spans several
ticks and INFO can see active_defrag_running. The waits are bounded polls.
"""

import random
import re
import time

import pytest

from serverproc import ServerProcess

KEYS = 300_000
WAIT = 60.0


def allocator(client):
    """(allocated, active) from jemalloc's own report."""
    text = client.execute_command("MEMORY", "MALLOC-STATS")
    text = text.decode() if isinstance(text, bytes) else text
    m = re.search(r"Allocated: (\d+), active: (\d+)", text)
    assert m, text[:500]
    return int(m.group(1)), int(m.group(2))


def frag_percent(client):
    allocated, active = allocator(client)
    return (active - allocated) * 100.0 / allocated


def rss_ratio(client):
    client.execute_command("MEMORY", "PURGE")
    return float(client.info("memory")["mem_fragmentation_ratio"])


@pytest.fixture
def server():
    s = ServerProcess("cairn", extra_args=["--save", ""])
    try:
        yield s.start()
    finally:
        s.stop()


def fragment(client, seed=13):
    rng = random.Random(seed)
    for start in range(0, KEYS, 2000):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(start + 2000, KEYS)):
            pipe.set(b"key:%d" % n, rng.randbytes(rng.randint(16, 400)))
        pipe.execute()
    doomed = rng.sample(range(KEYS), KEYS * 8 // 10)
    for start in range(0, len(doomed), 2000):
        client.delete(*[b"key:%d" % n for n in doomed[start:start + 2000]])


def test_defrag_lowers_fragmentation_and_keeps_the_data(server, make_client):
    c = make_client(server)
    fragment(c)
    assert c.dbsize() == KEYS - KEYS * 8 // 10
    digest = c.execute_command("DEBUG", "DIGEST")
    before = frag_percent(c)
    rss_before = rss_ratio(c)
    stats = c.info("stats")
    assert stats["active_defrag_hits"] == 0 and c.info("memory")["active_defrag_running"] == 0
    assert before > 20, "the dataset is not fragmented enough to test: %.1f%%" % before

    # A small effort (2..3% of each tick) spreads the pass over enough ticks for INFO to see it run.
    for name, value in [("active-defrag-ignore-bytes", "1mb"), ("active-defrag-threshold-lower", "5"),
                        ("active-defrag-threshold-upper", "100"), ("active-defrag-cycle-min", "2"),
                        ("active-defrag-cycle-max", "3"), ("activedefrag", "yes")]:
        assert c.config_set(name, value)
    saw_running = 0
    deadline = time.monotonic() + WAIT
    after = before
    while time.monotonic() < deadline:
        time.sleep(0.1)
        saw_running = max(saw_running, c.info("memory")["active_defrag_running"])
        after = frag_percent(c)
        if c.info("stats")["active_defrag_hits"] > 0 and after < 5:
            break
    stats = c.info("stats")
    c.config_set("activedefrag", "no")
    time.sleep(0.3)
    rss_after = rss_ratio(c)
    print("\nallocator fragmentation %.1f%% -> %.1f%%; mem_fragmentation_ratio %.2f -> %.2f; "
          "hits %d misses %d key_hits %d key_misses %d; running seen at %d%%"
          % (before, after, rss_before, rss_after, stats["active_defrag_hits"], stats["active_defrag_misses"],
             stats["active_defrag_key_hits"], stats["active_defrag_key_misses"], saw_running))
    assert stats["active_defrag_hits"] > 1000
    assert stats["active_defrag_key_hits"] > 1000
    assert stats["active_defrag_hits"] + stats["active_defrag_misses"] >= stats["active_defrag_key_hits"]
    assert after < before / 2, (before, after)
    assert saw_running == 3, "active_defrag_running is the pass's CPU percentage (fragmentation past the upper threshold)"
    assert c.info("memory")["active_defrag_running"] == 0
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert c.dbsize() == KEYS - KEYS * 8 // 10


def test_defrag_stays_idle_below_ignore_bytes(server, make_client):
    c = make_client(server)
    for n in range(2000):
        c.set(b"small:%d" % n, b"x" * 100)
    c.delete(*[b"small:%d" % n for n in range(0, 2000, 2)])
    assert c.config_set("activedefrag", "yes")  # ignore-bytes stays at its 100mb default
    time.sleep(1.5)
    assert c.info("stats")["active_defrag_hits"] == 0
    assert c.info("memory")["active_defrag_running"] == 0


def test_defrag_moves_collections_and_keeps_them(server, make_client):
    """Every encoding fragmented together: lists (one node, many, compressed), hashes and sets
    in both forms, packed and general sorted sets; the digest holds across a pass."""
    c = make_client(server)
    c.config_set("list-compress-depth", "1")
    rng = random.Random(7)
    for start in range(0, 20_000, 500):
        pipe = c.pipeline(transaction=False)
        for n in range(start, start + 500):
            kind = n % 6
            k = b"c:%d" % n
            if kind == 0:
                pipe.rpush(k, *[rng.randbytes(rng.randint(5, 60)) for _ in range(rng.randint(1, 300))])
            elif kind == 1:
                pipe.hset(k, mapping={b"f%d" % i: rng.randbytes(rng.randint(5, 40)) for i in range(rng.randint(1, 20))})
            elif kind == 2:
                pipe.hset(k, mapping={b"f%d" % i: rng.randbytes(80) for i in range(rng.randint(1, 20))})
            elif kind == 3:
                pipe.sadd(k, *[rng.randint(0, 10**6) for _ in range(rng.randint(1, 50))])
            elif kind == 4:
                pipe.sadd(k, *[b"m%d" % rng.randint(0, 10**6) for _ in range(rng.randint(1, 200))])
            else:
                pipe.zadd(k, {b"m%d" % i: rng.random() for i in range(rng.randint(1, 200))})
        pipe.execute()
    doomed = rng.sample(range(20_000), 16_000)
    for start in range(0, len(doomed), 1000):
        c.delete(*[b"c:%d" % n for n in doomed[start:start + 1000]])
    digest = c.execute_command("DEBUG", "DIGEST")
    before = frag_percent(c)
    for name, value in [("active-defrag-ignore-bytes", "1mb"), ("active-defrag-threshold-lower", "5"),
                        ("activedefrag", "yes")]:
        assert c.config_set(name, value)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and c.info("stats")["active_defrag_key_hits"] < 1000:
        time.sleep(0.2)
    time.sleep(1.5)  # more of the pass, for the figure (the digest holds at any moment)
    stats = c.info("stats")
    after = frag_percent(c)
    c.config_set("activedefrag", "no")
    print("\ncollections: allocator fragmentation %.1f%% -> %.1f%%; hits %d misses %d key_hits %d key_misses %d"
          % (before, after, stats["active_defrag_hits"], stats["active_defrag_misses"],
             stats["active_defrag_key_hits"], stats["active_defrag_key_misses"]))
    assert stats["active_defrag_key_hits"] >= 1000
    assert after < before
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert c.dbsize() == 4000
