// BlockingTests: BLPOP, BRPOP and BRPOPLPUSH with several connection-less clients:
// blocking, FIFO serving, several keys, chains through BRPOPLPUSH, wrong
// destination types, timeouts from the cron, MULTI, disconnects, and what is
// propagated (the plain pops, never the blocking command).
import XCTest
import RESP
import Engine
@testable import Server

final class BlockingTests: XCTestCase {
    private let pending = RESPValue.error("HARNESS: no complete reply")

    private func infoBlocked(_ h: Harness) -> String {
        guard case .bulk(let text) = h.run("INFO", "clients") else { return "" }
        return text.text.split(separator: "\r\n").first { $0.hasPrefix("blocked_clients:") }.map(String.init) ?? ""
    }

    func testBlocksThenServedByPush() {
        let h = Harness()
        let waiter = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: waiter), pending)
        XCTAssertTrue(waiter.isBlocked)
        XCTAssertEqual(infoBlocked(h), "blocked_clients:1")
        guard case .bulk(let list) = h.run("CLIENT", "LIST") else { return XCTFail("no client list") }
        XCTAssertTrue(list.text.contains("flags=b "), list.text)
        XCTAssertTrue(list.text.contains("cmd=blpop"), list.text)
        XCTAssertEqual(h.takePropagated(), [])
        XCTAssertEqual(h.run("RPUSH", "q", "v1", "v2"), .int(2))
        XCTAssertEqual(h.takeReply(waiter), .strs(["q", "v1"]))
        XCTAssertFalse(waiter.isBlocked)
        XCTAssertEqual(infoBlocked(h), "blocked_clients:0")
        XCTAssertEqual(h.run("LRANGE", "q", "0", "-1"), .strs(["v2"]))
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH q v1 v2", "0: LPOP q"])
    }

    func testServedInOrderOfBlocking() {
        let h = Harness()
        let clients = (0..<3).map { _ in h.newClient() }
        for c in clients { XCTAssertEqual(h.run("BRPOP", "q", "0", as: c), pending) }
        XCTAssertEqual(h.run("LPUSH", "q", "a", "b"), .int(2))
        // The list is [b a]: BRPOP takes the tail, first blocked first.
        XCTAssertEqual(h.takeReply(clients[0]), .strs(["q", "a"]))
        XCTAssertEqual(h.takeReply(clients[1]), .strs(["q", "b"]))
        XCTAssertEqual(h.takeReply(clients[2]), pending)
        XCTAssertEqual(h.run("EXISTS", "q"), .int(0), "the emptied list is gone")
        XCTAssertEqual(h.takePropagated(), ["0: LPUSH q a b", "0: RPOP q", "0: RPOP q"])
        XCTAssertEqual(h.run("RPUSH", "q", "c"), .int(1))
        XCTAssertEqual(h.takeReply(clients[2]), .strs(["q", "c"]))
    }

    func testSeveralKeysAndImmediatePop() {
        let h = Harness()
        let c = h.newClient()
        h.run("RPUSH", "k2", "x", "y")
        XCTAssertEqual(h.run("BLPOP", "k1", "k2", "0", as: c), .strs(["k2", "x"]))
        XCTAssertEqual(h.run("BRPOP", "k1", "k2", "0", as: c), .strs(["k2", "y"]))
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH k2 x y", "0: LPOP k2", "0: RPOP k2"])
        XCTAssertEqual(h.run("EXISTS", "k2"), .int(0))
        XCTAssertEqual(h.run("BLPOP", "k1", "k2", "k1", "0", as: c), pending)
        h.run("RPUSH", "k2", "z")
        XCTAssertEqual(h.takeReply(c), .strs(["k2", "z"]))
        // No longer waiting on k1 either.
        h.run("RPUSH", "k1", "w")
        XCTAssertEqual(h.run("LRANGE", "k1", "0", "-1"), .strs(["w"]))
        XCTAssertEqual(h.takeReply(c), pending)
        // A repeated key is waited on once.
        XCTAssertEqual(h.run("BLPOP", "r", "r", "0", as: c), pending)
        h.run("RPUSH", "r", "1", "2")
        XCTAssertEqual(h.takeReply(c), .strs(["r", "1"]))
        XCTAssertEqual(h.run("LRANGE", "r", "0", "-1"), .strs(["2"]))
    }

    func testOtherDatabaseDoesNotServe() {
        let h = Harness()
        let c = h.newClient()
        h.run("SELECT", "2", as: c)
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: c), pending)
        h.run("RPUSH", "q", "db0")
        XCTAssertEqual(h.takeReply(c), pending)
        h.run("SELECT", "2")
        h.run("RPUSH", "q", "db2")
        XCTAssertEqual(h.takeReply(c), .strs(["q", "db2"]))
        XCTAssertEqual(h.takePropagated().suffix(2), ["2: RPUSH q db2", "2: LPOP q"])
    }

    func testAnyCommandAddingAListWakes() {
        let h = Harness()
        let c = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "dst", "0", as: c), pending)
        h.run("RPUSH", "tmp", "moved")
        XCTAssertEqual(h.run("RENAME", "tmp", "dst"), .ok)
        XCTAssertEqual(h.takeReply(c), .strs(["dst", "moved"]))
        XCTAssertEqual(h.run("EXISTS", "dst"), .int(0))
        // LINSERT and LPUSHX never create a key, so they cannot wake anyone; RPOPLPUSH's push can.
        XCTAssertEqual(h.run("BLPOP", "dst", "0", as: c), pending)
        h.run("RPUSH", "src", "e")
        XCTAssertEqual(h.run("RPOPLPUSH", "src", "dst"), .str("e"))
        XCTAssertEqual(h.takeReply(c), .strs(["dst", "e"]))
        XCTAssertEqual(h.takePropagated().suffix(3), ["0: RPUSH src e", "0: RPOPLPUSH src dst", "0: LPOP dst"])
    }

    func testBrpoplpushServedAndChained() {
        let h = Harness()
        let mover = h.newClient()
        let reader = h.newClient()
        let recorder = EventRecorder(h)
        XCTAssertEqual(h.run("BRPOPLPUSH", "a", "b", "0", as: mover), pending)
        XCTAssertEqual(h.run("BLPOP", "b", "0", as: reader), pending)
        h.run("LPUSH", "a", "x")
        XCTAssertEqual(h.takeReply(mover), .str("x"))
        XCTAssertEqual(h.takeReply(reader), .strs(["b", "x"]))
        XCTAssertEqual(h.run("EXISTS", "a", "b"), .int(0))
        XCTAssertEqual(h.takePropagated(), ["0: LPUSH a x", "0: RPOP a", "0: LPUSH b x", "0: LPOP b"])
        XCTAssertEqual(recorder.take(), ["lpush a", "lpush b"], "Redis 4.0 reports no pop event for a served client")
        // Immediate form: propagated as RPOPLPUSH.
        h.run("RPUSH", "a", "1", "2")
        XCTAssertEqual(h.run("BRPOPLPUSH", "a", "c", "0", as: mover), .str("2"))
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH a 1 2", "0: RPOPLPUSH a c"])
    }

    func testBrpoplpushOntoItself() {
        let h = Harness()
        let c = h.newClient()
        XCTAssertEqual(h.run("BRPOPLPUSH", "ring", "ring", "0", as: c), pending)
        h.run("RPUSH", "ring", "only")
        XCTAssertEqual(h.takeReply(c), .str("only"))
        XCTAssertEqual(h.run("LRANGE", "ring", "0", "-1"), .strs(["only"]))
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH ring only", "0: RPOP ring", "0: LPUSH ring only"])
    }

    func testBrpoplpushWrongDestinationWhenServed() {
        let h = Harness()
        let c = h.newClient()
        let next = h.newClient()
        XCTAssertEqual(h.run("BRPOPLPUSH", "src", "dst", "0", as: c), pending)
        XCTAssertEqual(h.run("BLPOP", "src", "0", as: next), pending)
        h.put("dst", "a string")
        h.run("RPUSH", "src", "v")
        XCTAssertEqual(h.takeReply(c), .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        XCTAssertFalse(c.isBlocked)
        // The element went back and the next waiter got it.
        XCTAssertEqual(h.takeReply(next), .strs(["src", "v"]))
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH src v", "0: LPOP src"])
    }

    func testTimeoutsFromCron() throws {
        let h = Harness()
        let a = h.newClient()
        let b = h.newClient()
        let forever = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "q", "1", as: a), pending)
        XCTAssertEqual(h.run("BRPOPLPUSH", "q", "d", "100", as: b), pending)
        XCTAssertEqual(h.run("BRPOP", "q", "0", as: forever), pending)
        let deadline = try XCTUnwrap(a.blockedPop?.deadline)
        XCTAssertGreaterThan(deadline, wallClockMilliseconds() + 500)
        XCTAssertLessThanOrEqual(deadline, wallClockMilliseconds() + 1000)
        a.blockedPop?.deadline = 1
        b.blockedPop?.deadline = 1
        h.server.cron()
        XCTAssertEqual(h.takeReply(a), .nullArray)
        XCTAssertEqual(h.takeReply(b), .null)
        XCTAssertEqual(h.takeReply(forever), pending)
        XCTAssertEqual(infoBlocked(h), "blocked_clients:1")
        h.run("RPUSH", "q", "late")
        XCTAssertEqual(h.takeReply(forever), .strs(["q", "late"]))
        XCTAssertEqual(h.takeReply(a), pending)
    }

    func testTimeoutArgumentErrors() {
        let h = Harness()
        for cmd in [["BLPOP", "q", "1.5"], ["BRPOP", "q", "x"], ["BRPOPLPUSH", "q", "d", " 1"], ["BLPOP", "q", "99999999999999999999"]] {
            XCTAssertEqual(h.run(cmd.map { Bytes($0) }), .error("ERR timeout is not an integer or out of range"), "\(cmd)")
        }
        XCTAssertEqual(h.run("BLPOP", "q", "-1"), .error("ERR timeout is negative"))
        XCTAssertEqual(h.run("BRPOPLPUSH", "q", "d", "-1"), .error("ERR timeout is negative"))
        XCTAssertEqual(h.run("BLPOP", "q"), .error("ERR wrong number of arguments for 'blpop' command"))
        XCTAssertFalse(h.client.isBlocked)
        // The timeout is checked before the keys, as Redis.
        h.put("s", "x")
        XCTAssertEqual(h.run("BLPOP", "s", "-1"), .error("ERR timeout is negative"))
        // A huge timeout is accepted (no overflow).
        let c = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "q", "9223372036854775807", as: c), pending)
        XCTAssertEqual(c.blockedPop?.deadline, Int64.max)
    }

    func testInsideMultiAnswersAtOnce() {
        let h = Harness()
        let c = h.newClient()
        let waiter = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "w", "0", as: waiter), pending)
        XCTAssertEqual(h.run("MULTI", as: c), .ok)
        for cmd in [["BLPOP", "q", "0"], ["BRPOP", "q", "0"], ["BRPOPLPUSH", "q", "d", "0"], ["RPUSH", "q", "v"],
                    ["BLPOP", "q", "0"], ["RPUSH", "w", "1", "2"], ["LLEN", "w"]] {
            XCTAssertEqual(h.run(cmd.map { Bytes($0) }, as: c), .simple("QUEUED"))
        }
        XCTAssertEqual(h.run("EXEC", as: c), .array([.nullArray, .nullArray, .null, .int(1), .strs(["q", "v"]), .int(2), .int(2)]))
        XCTAssertFalse(c.isBlocked)
        XCTAssertFalse(c.inMulti)
        // The waiter is served after EXEC, not inside it, and its pop follows the transaction.
        XCTAssertEqual(h.takeReply(waiter), .strs(["w", "1"]))
        XCTAssertEqual(h.takePropagated(), ["0: BLPOP w 0", "0: MULTI", "0: RPUSH q v", "0: LPOP q", "0: RPUSH w 1 2", "0: EXEC", "0: LPOP w"].filter { !$0.contains("BLPOP") })
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: c), pending, "outside MULTI it blocks again")
    }

    func testDisconnectedClientIsForgotten() {
        let h = Harness()
        let c = h.newClient()
        let other = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: c), pending)
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: other), pending)
        h.server.disconnect(c)
        XCTAssertEqual(infoBlocked(h), "blocked_clients:1")
        h.run("RPUSH", "q", "v", "w")
        XCTAssertEqual(h.takeReply(other), .strs(["q", "v"]))
        XCTAssertEqual(h.run("LRANGE", "q", "0", "-1"), .strs(["w"]))
        XCTAssertEqual(h.server.blocking.waiting.count, 0)
    }

    func testExpiredKeyDoesNotCountAsAList() {
        let h = Harness()
        let c = h.newClient()
        h.run("RPUSH", "q", "old")
        h.run("PEXPIREAT", "q", "1")
        XCTAssertEqual(h.run("BLPOP", "q", "0", as: c), pending)
        h.run("RPUSH", "q", "new")
        XCTAssertEqual(h.takeReply(c), .strs(["q", "new"]))
        XCTAssertEqual(h.takePropagated().suffix(2), ["0: RPUSH q new", "0: LPOP q"])
    }
}
