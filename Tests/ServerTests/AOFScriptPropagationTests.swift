// AOFScriptPropagationTests: an EVALSHA builds its EVAL record only while the
// stream is heard (ChangeStream.isHeard), so these check that whatever takes
// records still gets every EVALSHA: the AOF on, a rewrite buffering with the
// AOF off, and an AOF switched on after EVALSHAs nobody heard. The harnesses
// here attach no test consumer: the AOF is the only listener, as in a server.
import XCTest
import RESP
@testable import Server

extension AOFPersistenceTests {
    private static let script = "return redis.call('incrby', KEYS[1], ARGV[1])"

    private func loadScript(_ h: Harness) -> String {
        guard case .bulk(let sha) = run(h, "SCRIPT", "LOAD", Self.script) else { return "" }
        return String(decoding: sha, as: UTF8.self)
    }

    /// EVALSHA adding `i` to one of five counters.
    private func evalsha(_ h: Harness, _ sha: String, _ i: Int) {
        guard case .integer = run(h, "EVALSHA", sha, "1", "k\(i % 5)", "\(i)") else {
            return XCTFail("EVALSHA \(i) failed")
        }
    }

    func testEvalshaWithTheAOFOnReloadsToTheSameData() throws {
        let h = try aofHarness(watchStream: false)
        XCTAssertTrue(h.server.stream.isHeard, "the AOF listens")
        let sha = loadScript(h)
        for i in 0..<20 { evalsha(h, sha, i) }
        XCTAssertEqual(h.run("GET", "k1"), .bulk(Array("34".utf8)))
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }

    func testEvalshaBeforeAndWhileTheAOFIsSwitchedOnReachesIt() throws {
        var config = ServerConfig()
        config.savePoints = []
        let h = Harness(config: config, watchStream: false)
        XCTAssertFalse(h.server.stream.isHeard, "no AOF, no backlog")
        let sha = loadScript(h)
        for i in 0..<20 { evalsha(h, sha, i) }  // no record built: the rewrite's snapshot has them
        XCTAssertEqual(h.run("CONFIG", "SET", "appendonly", "yes"), .ok)
        var i = 20
        for _ in 0..<2000 where h.server.persistence.aof.state != .on {
            evalsha(h, sha, i)
            i += 1
            h.server.cron()
            usleep(500)
        }
        XCTAssertEqual(h.server.persistence.aof.state, .on)
        for _ in 0..<20 {
            evalsha(h, sha, i)
            i += 1
        }
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }

    func testEvalshaDuringARewriteWithTheAOFOffReachesTheNewFile() throws {
        var config = ServerConfig()
        config.savePoints = []
        let h = Harness(config: config, watchStream: false)
        let sha = loadScript(h)
        h.run(["MSET"] + (0..<5000).flatMap { ["f\($0)", "v\($0)"] })
        XCTAssertEqual(run(h, "BGREWRITEAOF"), .simple("Background append only file rewriting started"))
        var heard = 0
        var i = 0
        while h.server.persistence.aofRewriteInProgress {
            if h.server.stream.isHeard { heard += 1 }
            evalsha(h, sha, i)
            h.server.cron()
            i += 1
            XCTAssertLessThan(i, 100_000)
            usleep(50)
        }
        XCTAssertGreaterThan(heard, 0, "the rewrite buffer listened while it ran")
        XCTAssertFalse(h.server.stream.isHeard, "and only then")
        XCTAssertEqual(h.server.persistence.lastRewriteOK, true)
        XCTAssertEqual(try reloaded(h).run("DEBUG", "DIGEST"), h.run("DEBUG", "DIGEST"))
    }
}
