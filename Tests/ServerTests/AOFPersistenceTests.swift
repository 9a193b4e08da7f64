// AOFPersistenceTests: the append-only file through the server: what it
// writes, rewrites under writes (both forms), switching it on at run time,
// and loading, including every cut position of a small log, and switching it
// off during a rewrite (logged as 4.0 logs killing its rewrite child).
import XCTest
import CairnTestSupport
import Engine
import RDB
import AOF
import RESP
@testable import Server

final class AOFPersistenceTests: XCTestCase {
    /// watchStream: false for a server whose stream only the AOF hears (Harness.init).
    func aofHarness(watchStream: Bool = true, _ adjust: (inout ServerConfig) -> Void = { _ in }) throws -> Harness {
        var config = ServerConfig()
        config.savePoints = []
        config.appendonly = true
        // always: every reply waits for its write, so the file can be read at any point.
        config.appendfsync = .always
        adjust(&config)
        let h = Harness(config: config, watchStream: watchStream)
        try h.server.persistence.openAppendOnlyAtStartup()
        return h
    }

    /// Runs commands and writes the AOF buffer as the network layer would before replying.
    @discardableResult
    func run(_ h: Harness, _ args: String...) -> RESPValue {
        let reply = h.run(args.map { Bytes($0.utf8) })
        h.server.persistence.flushBeforeReplies()
        return reply
    }

    /// A fresh server that loads `h`'s AOF as at start-up.
    func reloaded(_ h: Harness) throws -> Harness {
        h.server.persistence.aof.flush(policy: .no, force: true, skipFsync: true)
        let fresh = Harness(config: h.server.config)
        fresh.server.persistence.replayingAOF = true
        fresh.server.keyspace.expireOnLookup = false
        guard let (loader, _) = try fresh.server.persistence.makeAOFLoader() else { throw LoadError(description: "no AOF") }
        while try !loader.step(into: fresh.server.keyspace, budget: 100) {}
        fresh.server.persistence.replayingAOF = false
        fresh.server.keyspace.expireOnLookup = true
        return fresh
    }

    func fill(_ h: Harness) {
        run(h, "SET", "s", "v")
        run(h, "INCRBYFLOAT", "f", "1.25")
        run(h, "SETEX", "ttl", "1000", "x")
        run(h, "RPUSH", "l", "a", "b", "c")
        run(h, "HSET", "h", "f", "v")
        run(h, "SADD", "set", "1", "2", "x")
        run(h, "ZADD", "z", "1.5", "a", "2", "b")
        run(h, "SELECT", "4")
        run(h, "MULTI")
        run(h, "INCR", "counter")
        run(h, "LPUSH", "l4", "q")
        run(h, "EXEC")
        run(h, "SELECT", "0")
        run(h, "SPOP", "set")
    }

    func testLogReplaysToTheSameDataset() throws {
        let h = try aofHarness()
        fill(h)
        let text = String(decoding: try readAll(h.server.persistence.aofPath), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n"))
        XCTAssertTrue(text.contains("$9\r\nPEXPIREAT\r\n"), "SETEX is logged with an absolute deadline")
        XCTAssertTrue(text.contains("*1\r\n$5\r\nMULTI\r\n"), "EXEC stays one unit")
        XCTAssertTrue(text.contains("$4\r\nSREM\r\n"), "SPOP is logged as SREM")
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }

    func testRewriteUnderWritesKeepsEveryChange() throws {
        for preamble in [false, true] {
            let h = try aofHarness { $0.aofUseRdbPreamble = preamble }
            fill(h)
            h.run(["MSET"] + (0..<5000).flatMap { ["k\($0)", "v\($0)"] })
            h.server.persistence.flushBeforeReplies()
            XCTAssertEqual(run(h, "BGREWRITEAOF"), .simple("Background append only file rewriting started"))
            XCTAssertEqual(run(h, "BGREWRITEAOF"), .error("ERR Background append only file rewriting already in progress"))
            var n = 0
            while h.server.persistence.aofRewriteInProgress {
                run(h, "SET", "k\(n % 5000)", "changed\(n)")
                run(h, "DEL", "k\((n * 7) % 5000)")
                run(h, "RPUSH", "l", "more\(n)")
                h.server.cron()
                n += 1
                XCTAssertLessThan(n, 100_000)
                usleep(50)
            }
            run(h, "SET", "after", "the rewrite")
            XCTAssertEqual(h.server.persistence.lastRewriteOK, true)
            let bytes = try readAll(h.server.persistence.aofPath)
            XCTAssertEqual(Array(bytes.prefix(5)) == Array("REDIS".utf8), preamble)
            XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"), "preamble \(preamble)")
        }
    }

    func testConfigSetAppendOnlyWritesTheWholeDatasetFirst() throws {
        var config = ServerConfig()
        config.savePoints = []
        let h = Harness(config: config)
        fill(h)
        XCTAssertEqual(h.run("CONFIG", "SET", "appendonly", "yes"), .ok)
        XCTAssertTrue(h.server.persistence.aofEnabled)
        run(h, "SET", "during", "1")
        for _ in 0..<2000 where h.server.persistence.aof.state != .on { h.server.cron(); usleep(500) }
        XCTAssertEqual(h.server.persistence.aof.state, .on)
        run(h, "SET", "after", "2")
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
        XCTAssertEqual(h.run("CONFIG", "SET", "appendonly", "no"), .ok)
        XCTAssertFalse(h.server.persistence.aofEnabled)
        XCTAssertEqual(h.run("INFO", "persistence").text?.contains("aof_enabled:0"), true)
    }

    func testAppendOnlyNoDuringARewriteLogsKillingTheAOFChild() throws {
        // Alone, and in one transaction with BGREWRITEAOF (the rewrite has not begun when the switch runs).
        for inTransaction in [false, true] {
            let logDir = TempDir()
            defer { logDir.remove() }
            let log = ServerLog(level: .notice, path: logDir.path + "/cairn.log")
            var config = ServerConfig()
            config.savePoints = []
            config.appendonly = true
            let h = Harness(config: config, log: log)
            try h.server.persistence.openAppendOnlyAtStartup()
            fill(h)
            h.run(["MSET"] + (0..<5000).flatMap { ["k\($0)", "v\($0)"] })
            let started = RESPValue.simple("Background append only file rewriting started")
            if inTransaction {
                run(h, "MULTI")
                run(h, "BGREWRITEAOF")
                run(h, "CONFIG", "SET", "appendonly", "no")
                XCTAssertEqual(run(h, "EXEC"), .array([started, .simple("OK")]))
            } else {
                XCTAssertEqual(run(h, "BGREWRITEAOF"), started)
                XCTAssertTrue(h.server.persistence.aofRewriteInProgress)
                XCTAssertEqual(run(h, "CONFIG", "SET", "appendonly", "no"), .simple("OK"))
            }
            // The writer thread removes the abandoned file once it sees the abort.
            func temporaryFiles() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: h.directory).filter { $0.hasPrefix("temp-") }
            }
            for _ in 0..<500 where try !temporaryFiles().isEmpty {
                h.server.cron()
                usleep(10_000)
            }
            log.flush()
            let text = String(decoding: ConfigFileParser.readFile(logDir.path + "/cairn.log") ?? [], as: UTF8.self)
            XCTAssertTrue(text.contains(" * Killing AOF child: "), "transaction \(inTransaction): \(text)")
            XCTAssertFalse(h.server.persistence.aofRewriteInProgress)
            XCTAssertFalse(h.server.persistence.aofEnabled)
            XCTAssertEqual(try temporaryFiles(), [], "the abandoned rewrite's file is removed")
        }
    }

    func testEveryCutOfASmallLogLoadsOrRefusesAsConfigured() throws {
        let h = try aofHarness()
        run(h, "SET", "a", "1")
        run(h, "RPUSH", "l", "x", "y")
        run(h, "MULTI")
        run(h, "INCR", "n")
        run(h, "EXEC")
        run(h, "SET", "b", "2")
        let path = h.server.persistence.aofPath
        let full = try readAll(path)
        for cut in 0..<full.count {
            for truncate in [true, false] {
                try writeAll(path, Array(full.prefix(cut)))
                var config = h.server.config
                config.aofLoadTruncated = truncate
                let fresh = Harness(config: config)
                fresh.server.persistence.replayingAOF = true
                let loader = AOFLoader(server: fresh.server, files: [path], truncateTail: truncate)
                do {
                    while try !loader.step(into: fresh.server.keyspace, budget: 10) {}
                    // Loaded: the file now ends at a whole command, and only whole transactions ran.
                    let kept = try readAll(path)
                    XCTAssertTrue(full.starts(with: kept), "cut \(cut)")
                    XCTAssertTrue(cut == 0 || truncate || kept.count == cut, "cut \(cut): untruncated load")
                    if case .integer(let n) = fresh.run("EXISTS", "n"), n == 1 {
                        XCTAssertEqual(fresh.run("GET", "n"), .str("1"))
                    }
                } catch let e as LoadError {
                    XCTAssertFalse(truncate, "cut \(cut): \(e)")
                    XCTAssertTrue(e.description.hasPrefix("Unexpected end of file reading the append only file"), e.description)
                    // Redis's last line; a cut between whole commands inside MULTI first reverts it, as Redis logs.
                    let last = e.redisLines.last ?? ""
                    XCTAssertTrue(last.hasPrefix("Unexpected end of file reading the append only file. You can: 1) Make a backup"), "\(e.redisLines)")
                    XCTAssertTrue(last.contains("cairn aof check --fix"), "\(e.redisLines)")
                    XCTAssertTrue(e.redisLines.count == 1 || e.redisLines.first == AOFLoader.revertLine, "\(e.redisLines)")
                }
            }
        }
        // Garbage in the middle is refused even with aof-load-truncated, naming the offset.
        var bad = full
        bad[30] = UInt8(ascii: "!")
        try writeAll(path, bad)
        let fresh = Harness(config: h.server.config)
        let loader = AOFLoader(server: fresh.server, files: [path], truncateTail: true)
        XCTAssertThrowsError(try loader.step(into: fresh.server.keyspace, budget: 100)) { error in
            XCTAssertTrue("\(error)".contains("Bad file format"), "\(error)")
            XCTAssertEqual(Persistence.redisFatalLines(for: error),
                           ["Bad file format reading the append only file: make a backup of your AOF file, then use `cairn aof check --fix \(path)`"])
        }
    }

    func testWriteErrorRefusesWritesWithMisconf() throws {
        let h = try aofHarness { $0.appendfsync = .everysec }
        run(h, "SET", "a", "1")
        h.server.persistence.aof.lastWriteError = "No space left on device"
        guard case .error(let e) = h.run("SET", "b", "1") else { return XCTFail("write accepted") }
        XCTAssertEqual(e, "MISCONF Errors writing to the AOF file: No space left on device")
        XCTAssertEqual(h.run("GET", "a"), .str("1"))
        XCTAssertTrue(h.run("INFO", "persistence").text?.contains("aof_last_write_status:err") == true)
    }
}
