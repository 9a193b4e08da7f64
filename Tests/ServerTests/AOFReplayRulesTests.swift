// AOFReplayRulesTests: how a log replays, rule by rule, where the loader must
// act as Redis's does: SELECT is a command (queued inside MULTI, refused past
// `databases`), an unpaired EXEC fails as a command, a command that only
// lowers the dirty count (SAVE, DEBUG RELOAD) is never logged, and switching
// the AOF on during a rewrite starts the rewrite over.
import XCTest
import Engine
import RESP
@testable import Server

extension AOFPersistenceTests {
    /// A server loaded from a log made of `commands` (each encoded as RESP).
    func loadedFromLog(_ commands: [[String]], databases: Int = 16) throws -> (Harness, AOFLoader) {
        var config = ServerConfig()
        config.savePoints = []
        config.appendonly = true
        config.databases = databases
        let h = Harness(config: config)
        var log: [UInt8] = []
        for argv in commands {
            log += Array("*\(argv.count)\r\n".utf8)
            for a in argv { log += Array("$\(a.utf8.count)\r\n\(a)\r\n".utf8) }
        }
        try writeAll(h.server.persistence.aofPath, log)
        h.server.persistence.replayingAOF = true
        let loader = AOFLoader(server: h.server, files: [h.server.persistence.aofPath], truncateTail: true)
        while try !loader.step(into: h.server.keyspace, budget: 100) {}
        h.server.persistence.replayingAOF = false
        return (h, loader)
    }

    func keys(_ h: Harness, db: Int) -> [String] {
        h.run("SELECT", "\(db)")
        guard case .array(let items) = h.run("KEYS", "*") else { return [] }
        return items.compactMap { $0.text }.sorted()
    }

    func testSelectInsideMultiReplaysIntoTheDatabasesItNamed() throws {
        let h = try aofHarness()
        run(h, "SELECT", "2")
        run(h, "MULTI")
        run(h, "SET", "a", "1")
        run(h, "SELECT", "0")
        run(h, "SET", "b", "1")
        run(h, "SELECT", "5")
        run(h, "EXEC")
        run(h, "SET", "c", "1")
        let fresh = try reloaded(h)
        XCTAssertEqual(keys(fresh, db: 2), ["a"])
        XCTAssertEqual(keys(fresh, db: 0), ["b"])
        XCTAssertEqual(keys(fresh, db: 5), ["c"])
        XCTAssertEqual(fresh.run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }

    func testSelectPastTheDatabasesFailsAndTheLoadGoesOn() throws {
        // As in Redis: the SELECT is refused, the commands after it run in the current database.
        let (h, loader) = try loadedFromLog([["SELECT", "20"], ["SET", "b", "2"], ["SELECT", "1"], ["SET", "c", "3"]],
                                            databases: 4)
        XCTAssertEqual(loader.failedCommands, 1)
        XCTAssertEqual(keys(h, db: 0), ["b"])
        XCTAssertEqual(keys(h, db: 1), ["c"])
    }

    func testExecWithoutMultiFailsAsACommand() throws {
        let (h, loader) = try loadedFromLog([["SET", "a", "1"], ["EXEC"], ["SET", "b", "2"]])
        XCTAssertEqual(loader.failedCommands, 1)
        XCTAssertEqual(keys(h, db: 0), ["a", "b"])
    }

    func testCommandsThatOnlyLowerTheDirtyCountAreNotLogged() throws {
        let h = try aofHarness()
        run(h, "SET", "a", "1")
        XCTAssertEqual(run(h, "SAVE"), .ok)
        XCTAssertEqual(run(h, "DEBUG", "RELOAD"), .ok)
        run(h, "SET", "b", "2")
        let text = String(decoding: try readAll(h.server.persistence.aofPath), as: UTF8.self)
        XCTAssertFalse(text.uppercased().contains("SAVE"), text)
        XCTAssertFalse(text.uppercased().contains("DEBUG"), text)
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }

    func testAppendOnlyOnDuringARewriteStartsTheRewriteOver() throws {
        var config = ServerConfig()
        config.savePoints = []
        let h = Harness(config: config)
        fill(h)
        h.run(["MSET"] + (0..<20000).flatMap { ["k\($0)", "v\($0)"] })
        XCTAssertEqual(h.run("BGREWRITEAOF"), .simple("Background append only file rewriting started"))
        XCTAssertEqual(h.run("CONFIG", "SET", "appendonly", "yes"), .ok)
        XCTAssertEqual(h.server.persistence.aof.state, .waitingForRewrite)
        run(h, "SET", "during", "1")
        for _ in 0..<4000 where h.server.persistence.aof.state != .on {
            h.server.cron()
            usleep(500)
        }
        XCTAssertEqual(h.server.persistence.aof.state, .on)
        XCTAssertEqual(h.run("CONFIG", "GET", "appendonly"), .array([.str("appendonly"), .str("yes")]))
        run(h, "SET", "after", "2")
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }
}
