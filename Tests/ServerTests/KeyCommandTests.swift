import XCTest
import RESP
import Engine
@testable import Server

final class KeyCommandTests: XCTestCase {
    func testDelExistsTypeTouch() {
        let h = Harness()
        h.put("a", "1")
        h.put("b", "x")
        XCTAssertEqual(h.run("EXISTS", "a", "a", "nope"), .int(2))
        XCTAssertEqual(h.run("TYPE", "b"), .simple("string"))
        XCTAssertEqual(h.run("TYPE", "nope"), .simple("none"))
        XCTAssertEqual(h.run("TOUCH", "a", "nope"), .int(1))
        XCTAssertEqual(h.run("DEL", "a", "b", "nope"), .int(2))
        XCTAssertEqual(h.takePropagated(), ["0: DEL a b nope"])
        XCTAssertEqual(h.run("UNLINK", "a"), .int(0))
        XCTAssertEqual(h.takePropagated(), [], "a DEL that removed nothing changes nothing")
    }

    /// Multi-key commands warm their keys before running (Dispatch.swift), at most a batch of
    /// them: past the batch, with repeats and absent keys, the replies are unchanged.
    func testMultiKeyCommandsPastTheWarmBatch() {
        let h = Harness()
        let n = Keyspace.warmBatchLimit * 2 + 7
        let keys = (0..<n).map { "k\($0)" }
        let run = { (argv: [String]) in h.run(argv.map { Bytes($0) }) }
        XCTAssertEqual(run(["MSET"] + keys.flatMap { [$0, "v-\($0)"] }), .ok)
        let asked = keys + ["absent", keys[0]]
        let want: [RESPValue] = keys.map { .str("v-\($0)") } + [.null, .str("v-k0")]
        XCTAssertEqual(run(["MGET"] + asked), .array(want))
        XCTAssertEqual(run(["EXISTS"] + asked), .int(Int64(n + 1)))
        XCTAssertEqual(run(["MSETNX", "fresh", "1"] + keys.suffix(3).flatMap { [$0, "x"] }), .int(0))
        XCTAssertEqual(run(["DEL"] + asked), .int(Int64(n)))
        XCTAssertEqual(h.run("DBSIZE"), .int(0))
    }

    func testRenameKeepsTTLAndReplaces() {
        let h = Harness()
        let deadline = wallClockMilliseconds() + 100_000
        h.put("src", "v", expireAt: deadline)
        h.put("dst", "old")
        XCTAssertEqual(h.run("RENAME", "src", "dst"), .ok)
        XCTAssertEqual(h.stored("dst"), "v")
        XCTAssertNil(h.stored("src"))
        guard case .integer(let ttl) = h.run("PTTL", "dst") else { return XCTFail() }
        XCTAssert(ttl > 99_000 && ttl <= 100_000)
        XCTAssertEqual(h.run("RENAME", "nope", "x"), .error("ERR no such key"))
        XCTAssertEqual(h.run("RENAME", "dst", "dst"), .ok)
        h.put("other", "o")
        XCTAssertEqual(h.run("RENAMENX", "dst", "other"), .int(0))
        XCTAssertEqual(h.run("RENAMENX", "dst", "fresh"), .int(1))
        XCTAssertEqual(h.run("RENAMENX", "fresh", "fresh"), .int(0))
    }

    func testMoveAndSwapdb() {
        let h = Harness()
        h.put("k", "v")
        XCTAssertEqual(h.run("MOVE", "k", "0"), .error("ERR source and destination objects are the same"))
        XCTAssertEqual(h.run("MOVE", "k", "99"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("MOVE", "k", "1"), .int(1))
        XCTAssertEqual(h.stored("k", db: 1), "v")
        XCTAssertEqual(h.run("MOVE", "k", "1"), .int(0))
        h.put("k", "again")
        XCTAssertEqual(h.run("MOVE", "k", "1"), .int(0), "target exists")
        XCTAssertEqual(h.run("SWAPDB", "0", "1"), .ok)
        XCTAssertEqual(h.stored("k", db: 0), "v")
        XCTAssertEqual(h.stored("k", db: 1), "again")
        XCTAssertEqual(h.run("SWAPDB", "x", "1"), .error("ERR invalid first DB index"))
        XCTAssertEqual(h.run("SWAPDB", "0", "y"), .error("ERR invalid second DB index"))
        XCTAssertEqual(h.run("SWAPDB", "0", "16"), .error("ERR DB index is out of range"))
        // 4.0 passes the parsed long on as an int: 2^32 + 1 is 1, -(2^32) + 1 is 1, 2^31 is negative.
        XCTAssertEqual(h.run("SWAPDB", "4294967297", "-4294967295"), .ok)
        XCTAssertEqual(h.run("SWAPDB", "2147483648", "0"), .error("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SELECT", "4294967297"), .ok)
        XCTAssertEqual(h.run("SELECT", "2147483648"), .error("ERR DB index is out of range"))
    }

    func testExpireFamilyPropagatesAbsoluteDeadlines() {
        let h = Harness()
        h.put("k", "v")
        let before = wallClockMilliseconds()
        XCTAssertEqual(h.run("EXPIRE", "k", "100"), .int(1))
        let records = h.takePropagated()
        XCTAssertEqual(records.count, 1)
        let parts = records[0].split(separator: " ")
        XCTAssertEqual(parts[1], "PEXPIREAT")
        let deadline = Int64(parts[3])!
        XCTAssert(deadline >= before + 100_000 && deadline <= wallClockMilliseconds() + 100_000)
        XCTAssertEqual(h.run("TTL", "k"), .int(100))
        XCTAssertEqual(h.run("PEXPIRE", "k", "5000"), .int(1))
        XCTAssertEqual(h.takePropagated().first?.contains("PEXPIREAT k "), true)
        XCTAssertEqual(h.run("PEXPIREAT", "k", "\(before + 7_000_000)"), .int(1))
        XCTAssertEqual(h.takePropagated(), ["0: PEXPIREAT k \(before + 7_000_000)"])
        XCTAssertEqual(h.run("EXPIREAT", "k", "\(before / 1000 + 3600)"), .int(1))
        XCTAssertEqual(h.takePropagated(), ["0: PEXPIREAT k \((before / 1000 + 3600) * 1000)"])
        XCTAssertEqual(h.run("PERSIST", "k"), .int(1))
        XCTAssertEqual(h.run("PERSIST", "k"), .int(0))
        XCTAssertEqual(h.run("TTL", "k"), .int(-1))
        XCTAssertEqual(h.run("TTL", "nope"), .int(-2))
        XCTAssertEqual(h.run("PTTL", "nope"), .int(-2))
        XCTAssertEqual(h.run("EXPIRE", "nope", "10"), .int(0))
        XCTAssertEqual(h.run("EXPIRE", "k", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.takePropagated(), ["0: PERSIST k"], "only the PERSIST that removed a TTL; the failed ones change nothing")
        // A deadline in the past deletes at once, and replays as DEL.
        XCTAssertEqual(h.run("EXPIRE", "k", "-1"), .int(1))
        XCTAssertEqual(h.takePropagated(), ["0: DEL k"])
        XCTAssertEqual(h.run("EXISTS", "k"), .int(0))
    }

    func testExpireOverflowWrapsAsRedis40Does() {
        // 4.0 multiplies and adds without checks: these deadlines wrap below now, so the key goes.
        let h = Harness()
        for (command, amount) in [("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854775"),
                                  ("PEXPIRE", "9223372036854775807"), ("EXPIREAT", "9223372036854775807"),
                                  ("EXPIRE", "-9223372036854775808")] {
            h.put("k", "v")
            _ = h.takePropagated()
            XCTAssertEqual(h.run(command, "k", amount), .int(1), "\(command) \(amount)")
            XCTAssertEqual(h.takePropagated(), ["0: DEL k"], "\(command) \(amount)")
            XCTAssertEqual(h.run(command, "k", amount), .int(0), "no key")
        }
        // A deadline that stays in range is kept as it is.
        h.put("k", "v")
        XCTAssertEqual(h.run("PEXPIREAT", "k", "9223372036854775807"), .int(1))
        guard case .integer(let pttl) = h.run("PTTL", "k") else { return XCTFail("PTTL") }
        XCTAssertLessThan(abs(pttl - (Int64.max - wallClockMilliseconds())), 1000)
    }

    func testLazyExpiryPropagatesDelBeforeTheCommand() {
        let h = Harness()
        h.put("old", "v", expireAt: wallClockMilliseconds() - 1)
        XCTAssertEqual(h.run("EXISTS", "old"), .int(0))
        XCTAssertEqual(h.takePropagated(), ["0: DEL old"])
        XCTAssertEqual(h.server.keyspace.stats.expiredKeys, 1)
        h.put("old2", "v", db: 2, expireAt: wallClockMilliseconds() - 1)
        h.run("SELECT", "2")
        XCTAssertEqual(h.run("DEL", "old2", "x"), .int(0))
        XCTAssertEqual(h.takePropagated(), ["2: DEL old2"], "the expiry's DEL; the DEL command removed nothing")
    }

    func testKeysScanRandomkey() {
        let h = Harness()
        XCTAssertEqual(h.run("RANDOMKEY"), .null)
        for i in 0..<200 { h.put("user:\(i)", "\(i)") }
        h.put("other", "x")
        h.put("gone", "x", expireAt: wallClockMilliseconds() - 10)
        guard case .array(let all) = h.run("KEYS", "user:*") else { return XCTFail() }
        XCTAssertEqual(all.count, 200)
        guard case .array(let one) = h.run("KEYS", "user:1?") else { return XCTFail() }
        XCTAssertEqual(Set(one.compactMap(\.text)), Set((10...19).map { "user:\($0)" }))
        XCTAssertEqual(h.run("KEYS", "gone"), .array([]))
        // A full SCAN returns every key, filtered by MATCH.
        var cursor = "0"
        var seen = Set<String>()
        repeat {
            guard case .array(let reply) = h.run("SCAN", cursor, "MATCH", "user:*", "COUNT", "7"),
                  case .bulk(let next) = reply[0], case .array(let keys) = reply[1] else { return XCTFail() }
            cursor = next.text
            keys.forEach { seen.insert($0.text!) }
        } while cursor != "0"
        XCTAssertEqual(seen.count, 200)
        XCTAssertEqual(h.run("SCAN", "abc"), .error("ERR invalid cursor"))
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "0"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "0", "FOO"), .error("ERR syntax error"))
        guard case .bulk(let random) = h.run("RANDOMKEY") else { return XCTFail() }
        XCTAssertNotEqual(random.text, "gone")
    }

    func testObjectSubcommands() {
        let h = Harness()
        h.put("int", "123")
        h.put("big", "123456")
        h.put("short", "hello")
        h.put("long", String(repeating: "x", count: 45))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "int"), .str("int"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "short"), .str("embstr"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "long"), .str("raw"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "nope"), .null)
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "int"), .int(2_147_483_647))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "big"), .int(1))
        XCTAssertEqual(h.run("OBJECT", "IDLETIME", "short"), .int(0))
        guard case .error(let e) = h.run("OBJECT", "FREQ", "short") else { return XCTFail() }
        XCTAssert(e.hasPrefix("ERR An LFU maxmemory policy is not selected"))
        h.server.keyspace.accessPolicy = .lfu(logFactor: 10, decayMinutes: 1)
        h.put("fresh", "v")
        XCTAssertEqual(h.run("OBJECT", "FREQ", "fresh"), .int(5))
        guard case .error(let e2) = h.run("OBJECT", "IDLETIME", "fresh") else { return XCTFail() }
        XCTAssert(e2.hasPrefix("ERR An LFU maxmemory policy is selected"))
        guard case .error(let e3) = h.run("OBJECT", "NOPE", "x") else { return XCTFail() }
        XCTAssert(e3.hasPrefix("ERR Unknown subcommand"))
        guard case .array(let help) = h.run("OBJECT", "HELP") else { return XCTFail() }
        XCTAssertFalse(help.isEmpty)
    }
}
