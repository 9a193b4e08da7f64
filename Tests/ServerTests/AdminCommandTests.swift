import XCTest
import RESP
import Engine
@testable import Server

final class AdminCommandTests: XCTestCase {
    func testFlushAndDbsize() {
        let h = Harness()
        XCTAssertEqual(h.run("FLUSHDB"), .ok)
        XCTAssertEqual(h.takePropagated(), [], "flushing an empty database changes nothing")
        XCTAssertEqual(h.run("FLUSHALL"), .ok)
        XCTAssertEqual(h.takePropagated(), ["0: FLUSHALL"], "FLUSHALL always propagates")
        h.put("a", "1")
        h.put("b", "1", db: 1)
        XCTAssertEqual(h.run("DBSIZE"), .int(1))
        XCTAssertEqual(h.run("FLUSHDB", "ASYNC"), .ok)
        XCTAssertEqual(h.run("DBSIZE"), .int(0))
        XCTAssertEqual(h.run("FLUSHALL", "NOW"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("FLUSHALL", "ASYNC"), .ok)
        XCTAssertEqual(h.server.keyspace.totalKeys, 0)
    }

    func testDigestAndPopulate() {
        let h = Harness()
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), .simple(String(repeating: "0", count: 40)))
        XCTAssertEqual(h.run("DEBUG", "POPULATE", "1000"), .ok)
        XCTAssertEqual(h.run("DBSIZE"), .int(1000))
        XCTAssertEqual(h.stored("key:7"), "value:7")
        h.run("EXPIRE", "key:1", "100")
        h.run("SELECT", "3")
        XCTAssertEqual(h.run("DEBUG", "POPULATE", "3", "x", "10"), .ok)
        XCTAssertEqual(h.stored("x:1", db: 3), "value:1\u{0}\u{0}\u{0}")
        // The same dataset built in real redis-server 7.0.15 reports this digest.
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), .simple("1abf010015bc7cb6d689ddc458e8d9cf5e7fe6b6"))
        guard case .simple(let object) = h.run("DEBUG", "OBJECT", "x:1") else { return XCTFail() }
        XCTAssert(object.contains("encoding:embstr serializedlength:11"), object)
        XCTAssertEqual(h.run("DEBUG", "OBJECT", "nope"), .error("ERR no such key"))
    }

    func testSlowlog() {
        var config = ServerConfig()
        config.slowlogLogSlowerThan = 0
        config.slowlogMaxLen = 10
        let h = Harness(config: config)
        h.client.name = Bytes("me")
        h.run("PING")
        h.run("ECHO", String(repeating: "y", count: 200))
        h.run("PING", "z")
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), .int(3))
        guard case .array(let entries) = h.run("SLOWLOG", "GET", "1"), case .array(let e) = entries[0] else { return XCTFail() }
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(e[3], .strs(["SLOWLOG", "LEN"]))
        XCTAssertEqual(e[5], .str("me"))
        guard case .array(let all) = h.run("SLOWLOG", "GET"), case .array(let echo) = all[3],
              case .array(let args) = echo[3] else { return XCTFail() }
        XCTAssertEqual(args[1].text, String(repeating: "y", count: 128) + "... (72 more bytes)")
        h.server.config.slowlogMaxLen = 2
        h.run("PING")
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), .int(2), "trimmed to slowlog-max-len")
        XCTAssertEqual(h.run("SLOWLOG", "RESET"), .ok)
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), .int(1))
    }

    func testClientSubcommands() {
        let h = Harness()
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), .null)
        XCTAssertEqual(h.run("CLIENT", "SETNAME", "bad name"), .error("ERR Client names cannot contain spaces, newlines or special characters."))
        XCTAssertEqual(h.run("CLIENT", "SETNAME", "worker-1"), .ok)
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), .str("worker-1"))
        guard case .bulk(let list) = h.run("CLIENT", "LIST") else { return XCTFail() }
        XCTAssert(list.text.contains("name=worker-1"))
        XCTAssert(list.text.contains("cmd=client"))
        let other = h.newClient()
        XCTAssertEqual(h.run("CLIENT", "KILL", "ID", "\(other.id)"), .int(1))
        XCTAssertNil(h.server.clients[other.id])
        XCTAssertEqual(h.run("CLIENT", "KILL", "1.2.3.4:5"), .error("ERR No such client"))
        // REPLY OFF swallows replies until ON.
        h.run("CLIENT", "REPLY", "OFF")
        h.server.execute(h.client, [Bytes("PING")])
        XCTAssertEqual(h.client.output.readableBytes, 0)
        XCTAssertEqual(h.run("CLIENT", "REPLY", "ON"), .ok)
        // SKIP drops the reply of the next command only.
        h.server.execute(h.client, [Bytes("CLIENT"), Bytes("REPLY"), Bytes("SKIP")])
        h.server.execute(h.client, [Bytes("ECHO"), Bytes("dropped")])
        XCTAssertEqual(h.client.output.readableBytes, 0)
        XCTAssertEqual(h.run("ECHO", "kept"), .str("kept"))
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "-1"), .error("ERR timeout is not an integer or out of range"))
        guard case .error(let e) = h.run("CLIENT", "FOO") else { return XCTFail() }
        XCTAssert(e.hasPrefix("ERR Syntax error, try CLIENT"))
    }

    func testCommandIntrospection() {
        let h = Harness()
        guard case .integer(let count) = h.run("COMMAND", "COUNT") else { return XCTFail() }
        XCTAssertEqual(Int(count), h.server.commands.byName.count)
        XCTAssertEqual(h.run("COMMAND", "INFO", "rename", "nope"),
                       .array([.array([.str("rename"), .int(3), .array([.simple("write")]), .int(1), .int(2), .int(1)]), .nullArray]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "del", "a", "b"), .strs(["a", "b"]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "nope"), .error("ERR Invalid command specified"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "ping"), .error("ERR Invalid arguments specified for command"))
        guard case .array(let all) = h.run("COMMAND") else { return XCTFail() }
        XCTAssertEqual(all.count, Int(count))
    }

    func testInfoSectionsAndCounters() {
        let h = Harness()
        h.put("a", "1")
        h.run("EXISTS", "a")
        h.run("EXISTS", "b")
        guard case .bulk(let raw) = h.run("INFO") else { return XCTFail() }
        let text = raw.text
        for header in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Keyspace"] {
            XCTAssert(text.contains(header + "\r\n"), header)
        }
        XCTAssert(text.contains("redis_version:4.0.14\r\n"))
        XCTAssert(text.contains("cairn_version:"))
        XCTAssert(text.contains("keyspace_hits:1\r\n"))
        XCTAssert(text.contains("keyspace_misses:1\r\n"))
        XCTAssert(text.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"))
        guard case .bulk(let stats) = h.run("INFO", "commandstats") else { return XCTFail() }
        XCTAssert(stats.text.contains("cmdstat_exists:calls=2,"))
        guard case .bulk(let none) = h.run("INFO", "nosuchsection") else { return XCTFail() }
        XCTAssertEqual(none, [])
    }

    func testTimeAndShutdownRefusesToExitWhenTheSaveFails() {
        var config = ServerConfig()
        config.dir = "/nonexistent-cairn-dir"
        let h = Harness(config: config)
        guard case .array(let t) = h.run("TIME"), let s = Int64(t[0].text ?? "") else { return XCTFail() }
        XCTAssert(abs(s - wallClockMilliseconds() / 1000) <= 1)
        XCTAssertEqual(h.run("SHUTDOWN", "SAVE"), .error("ERR Errors trying to SHUTDOWN. Check logs."))
        XCTAssertEqual(h.run("SHUTDOWN"), .error("ERR Errors trying to SHUTDOWN. Check logs."), "save points need a save")
        var asked = false
        h.server.onShutdown = { _ in asked = true }
        h.run("SHUTDOWN", "NOSAVE")
        XCTAssert(asked)
    }
}
