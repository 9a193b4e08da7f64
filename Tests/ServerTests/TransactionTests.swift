import XCTest
import RESP
import Engine
@testable import Server

final class TransactionTests: XCTestCase {
    func testMultiExecRunsQueueAndPropagatesOneUnit() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), .ok)
        XCTAssertEqual(h.run("SET", "a", "1"), .simple("QUEUED"))
        XCTAssertEqual(h.run("INCR", "a"), .simple("QUEUED"))
        XCTAssertEqual(h.run("GET", "a"), .simple("QUEUED"))
        XCTAssertEqual(h.run("EXPIRE", "a", "100"), .simple("QUEUED"))
        XCTAssertEqual(h.run("MULTI"), .error("ERR MULTI calls can not be nested"))
        guard case .array(let replies) = h.run("EXEC") else { return XCTFail() }
        XCTAssertEqual(Array(replies.prefix(3)), [.ok, .int(2), .str("2")])
        let records = h.takePropagated()
        XCTAssertEqual(records.first, "0: MULTI")
        XCTAssertEqual(records[1], "0: SET a 1")
        XCTAssertEqual(records[2], "0: INCR a")
        XCTAssert(records[3].hasPrefix("0: PEXPIREAT a "))
        XCTAssertEqual(records.last, "0: EXEC")
        XCTAssertEqual(records.count, 5)
    }

    func testReadOnlyExecPropagatesNothing() {
        let h = Harness()
        h.run("MULTI")
        h.run("GET", "x")
        XCTAssertEqual(h.run("EXEC"), .array([.null]))
        XCTAssertEqual(h.takePropagated(), [])
    }

    func testQueuedErrorAbortsWithExecabort() {
        let h = Harness()
        h.run("MULTI")
        h.run("SET", "a", "1")
        XCTAssertEqual(h.run("NOSUCH"), .error("ERR unknown command `NOSUCH`, with args beginning with: "))
        XCTAssertEqual(h.run("GET"), .error("ERR wrong number of arguments for 'get' command"))
        XCTAssertEqual(h.run("EXEC"), .error("EXECABORT Transaction discarded because of previous errors."))
        XCTAssertEqual(h.run("EXISTS", "a"), .int(0))
        XCTAssertEqual(h.run("EXEC"), .error("ERR EXEC without MULTI"))
        XCTAssertEqual(h.run("DISCARD"), .error("ERR DISCARD without MULTI"))
    }

    func testRuntimeErrorsStayInTheirSlot() {
        let h = Harness()
        h.run("SET", "s", "text")
        h.run("MULTI")
        h.run("INCR", "s")
        h.run("SET", "b", "2")
        XCTAssertEqual(h.run("EXEC"), .array([.error("ERR value is not an integer or out of range"), .ok]))
    }

    func testDiscard() {
        let h = Harness()
        h.run("MULTI")
        h.run("SET", "a", "1")
        XCTAssertEqual(h.run("DISCARD"), .ok)
        XCTAssertEqual(h.run("EXISTS", "a"), .int(0))
    }

    func testWatchBrokenByAnotherClientsWrite() {
        let h = Harness()
        let other = h.newClient()
        h.run("SET", "k", "1")
        XCTAssertEqual(h.run("WATCH", "k"), .ok)
        h.run("SET", "k", "2", as: other)
        h.run("MULTI")
        h.run("SET", "k", "3")
        XCTAssertEqual(h.run("EXEC"), .nullArray)
        XCTAssertEqual(h.run("GET", "k"), .str("2"))
        // Watches end with EXEC: the next transaction runs.
        h.run("MULTI")
        h.run("SET", "k", "4")
        XCTAssertEqual(h.run("EXEC"), .array([.ok]))
    }

    func testWatchUntouchedKeySucceedsAndUnwatchForgets() {
        let h = Harness()
        let other = h.newClient()
        h.run("WATCH", "k", "j")
        h.run("SET", "unrelated", "x", as: other)
        h.run("MULTI")
        h.run("SET", "k", "1")
        XCTAssertEqual(h.run("EXEC"), .array([.ok]))
        h.run("WATCH", "k")
        h.run("UNWATCH")
        h.run("SET", "k", "changed", as: other)
        h.run("MULTI")
        h.run("GET", "k")
        XCTAssertEqual(h.run("EXEC"), .array([.str("changed")]))
        XCTAssertNil(h.server.keyspace.onModified, "no watchers, no hook")
    }

    func testWatchKeptByExpiryBrokenByFlush() {
        let h = Harness()
        h.put("ttl", "v", expireAt: wallClockMilliseconds() + 50)
        h.run("WATCH", "ttl")
        usleep(80_000)
        h.run("MULTI")
        h.run("GET", "ttl")
        XCTAssertEqual(h.run("EXEC"), .array([.null]), "Redis 4.0: an expiry does not touch the watchers")

        h.run("SET", "f", "1")
        h.run("WATCH", "f")
        h.run("FLUSHDB", as: h.newClient())
        h.run("MULTI")
        h.run("PING")
        XCTAssertEqual(h.run("EXEC"), .nullArray)

        h.run("WATCH", "x")
        XCTAssertEqual(h.run("MULTI"), .ok)
        XCTAssertEqual(h.run("WATCH", "y"), .error("ERR WATCH inside MULTI is not allowed"))
        XCTAssertEqual(h.run("EXEC"), .array([]))
    }
    /// WATCH k, let `other` run `commands`, then MULTI; SET x 1; EXEC.
    private func execAfter(_ h: Harness, setup: [[String]], _ commands: [[String]]) -> RESPValue {
        let other = h.newClient()
        h.run("FLUSHALL", as: other)
        for c in setup { h.run(c.map { Bytes($0) }, as: other) }
        XCTAssertEqual(h.run("WATCH", "k"), .ok)
        for c in commands { h.run(c.map { Bytes($0) }, as: other) }
        h.run("MULTI")
        h.run("SET", "x", "1")
        return h.run("EXEC")
    }

    func testFlushBreaksOnlyWatchesOnKeysItRemoves() {
        let h = Harness()
        let ran = RESPValue.array([.ok])
        XCTAssertEqual(execAfter(h, setup: [], [["FLUSHALL"]]), ran, "k absent: nothing changed")
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["FLUSHALL"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: [], [["FLUSHDB"]]), ran)
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["FLUSHDB"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["FLUSHALL", "ASYNC"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: [], [["FLUSHALL", "ASYNC"]]), ran)
        let kInDb1 = [["SELECT", "1"], ["SET", "k", "1"], ["SELECT", "0"]]
        XCTAssertEqual(execAfter(h, setup: kInDb1, [["FLUSHALL"]]), ran, "the same name in another db is another key")
        XCTAssertEqual(execAfter(h, setup: kInDb1, [["SELECT", "1"], ["FLUSHDB"]]), ran)
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["SELECT", "1"], ["FLUSHDB"]]), ran)
    }

    func testSwapdbBreaksWatchesOnKeysPresentOnEitherSide() {
        let h = Harness()
        let ran = RESPValue.array([.ok])
        let kInDb1 = [["SELECT", "1"], ["SET", "k", "1"], ["SELECT", "0"]]
        let kInDb2 = [["SELECT", "2"], ["SET", "k", "1"], ["SELECT", "0"]]
        XCTAssertEqual(execAfter(h, setup: [], [["SWAPDB", "0", "1"]]), ran, "absent from both sides")
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["SWAPDB", "0", "1"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: kInDb1, [["SWAPDB", "0", "1"]]), .nullArray, "k appears in db 0")
        XCTAssertEqual(execAfter(h, setup: kInDb1, [["SWAPDB", "1", "0"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]] + kInDb1, [["SWAPDB", "0", "1"]]), .nullArray)
        XCTAssertEqual(execAfter(h, setup: kInDb2, [["SWAPDB", "1", "2"]]), ran, "db 0 is not swapped")
        XCTAssertEqual(execAfter(h, setup: [["SET", "k", "1"]], [["SWAPDB", "0", "0"]]), ran, "a db swapped with itself")
        XCTAssertNil(h.server.keyspace.onModified, "EXEC ended every watch")
    }
}
