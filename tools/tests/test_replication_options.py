"""Replication details an operator meets: PUBLISH down the stream, slave-lazy-flush,
repl-disable-tcp-nodelay, and SLAVEOF as CONFIG GET / CONFIG REWRITE see it.

Job: each case against the real Redis 7.0 where one side can be either:
  - PUBLISH on a master reaches the subscribers of its replicas (Redis sends it
    down the replication stream) and is not written to the AOF;
  - a replica with slave-lazy-flush yes replaces its old data by the master's;
  - repl-disable-tcp-nodelay yes still replicates every write;
  - SLAVEOF host port / NO ONE change `CONFIG GET slaveof` and what CONFIG REWRITE
    leaves in the config file (the sentinels' failover transaction relies on it),
    keeping the file's comments.

Contract: servers from the `spawn` fixture of test_replication_interop (free
loopback ports, stopped by pid), every wait bounded.
"""

import os
import time

import pytest

from respclient import RespClient
from serverproc import ServerProcess
from test_replication_interop import (WAIT, assert_same, call, digest, info, ok, slaveof,
                                      wait_link_up, wait_offsets)


def listen(server, channel):
    client = RespClient(server.port, timeout=WAIT)
    assert client.call("SUBSCRIBE", channel) == [b"subscribe", channel.encode(), 1]
    return client


@pytest.mark.parametrize("master_kind,replica_kind", [("cairn", "cairn"), ("cairn", "redis7"), ("redis7", "cairn")])
def test_publish_reaches_the_replicas_subscribers(spawn, master_kind, replica_kind):
    master = spawn(master_kind, "--appendonly", "yes")
    replica = spawn(replica_kind)
    slaveof(replica, master)
    wait_link_up(replica, master)
    subscriber = listen(replica, "news")
    try:
        assert call(master, "PUBLISH", "news", "hello") == 0  # no subscriber on the master itself
        assert subscriber.read_reply() == [b"message", b"news", b"hello"]
        wait_offsets(master, replica)
    finally:
        subscriber.close()
    if master_kind == "cairn":
        with open(os.path.join(master.workdir, "appendonly.aof"), "rb") as f:
            assert b"PUBLISH" not in f.read(), "PUBLISH goes to the replicas, not the AOF"


def test_slave_lazy_flush_replaces_the_old_data(spawn):
    master = spawn("cairn")
    replica = spawn("cairn", "--slave-lazy-flush", "yes")
    with RespClient(replica.port) as c:
        c.pipeline([("SADD", "old:%d" % (i % 20), *range(i * 50, i * 50 + 50)) for i in range(200)])
    with RespClient(master.port) as c:
        c.pipeline([("SET", "new:%d" % i, "v%d" % i) for i in range(500)])
    slaveof(replica, master)
    wait_link_up(replica, master)
    wait_offsets(master, replica)
    assert call(replica, "DBSIZE") == 500
    assert call(replica, "EXISTS", "old:0") == 0
    assert_same(master, replica)


def test_repl_disable_tcp_nodelay_still_replicates(spawn):
    master = spawn("cairn", "--repl-disable-tcp-nodelay", "yes")
    replica = spawn("cairn")
    slaveof(replica, master)
    wait_link_up(replica, master)
    with RespClient(master.port) as c:
        c.pipeline([("INCR", "counter")] * 1000)
    wait_offsets(master, replica)
    assert call(replica, "GET", "counter") == b"1000"
    assert call(master, "CONFIG", "GET", "repl-disable-tcp-nodelay") == [b"repl-disable-tcp-nodelay", b"yes"]


def test_slaveof_is_what_config_get_and_rewrite_show(spawn, tmp_path):
    master = spawn("cairn")
    conf = tmp_path / "node.conf"
    conf.write_text("# my replica\nappendonly no\n\n# keep this comment too\n")
    replica = ServerProcess("cairn", config_file=str(conf)).start()
    try:
        replica.name = "cairn"
        assert call(replica, "CONFIG", "GET", "slaveof") == [b"slaveof", b""]
        slaveof(replica, master)
        assert call(replica, "CONFIG", "GET", "slaveof") == [b"slaveof", b"127.0.0.1 %d" % master.port]
        ok(replica, "CONFIG", "REWRITE")
        text = conf.read_text()
        assert "slaveof 127.0.0.1 %d" % master.port in text.splitlines()
        assert text.startswith("# my replica\n") and "# keep this comment too" in text
        ok(replica, "SLAVEOF", "NO", "ONE")
        assert call(replica, "CONFIG", "GET", "slaveof") == [b"slaveof", b""]
        ok(replica, "CONFIG", "REWRITE")
        text = conf.read_text()
        assert not any(line.startswith("slaveof") for line in text.splitlines()), text
        assert "# keep this comment too" in text
    finally:
        replica.stop()
