// BlockingSocketTests: blocking pops over real loopback connections: a timeout
// answered by the cron, pipelined commands held until the blocked one is answered,
// a waiter served by another connection's push, a closed waiter forgotten, and
// blocked clients spared by the idle timeout.
import XCTest
import RESP
import Engine
@testable import Server

final class BlockingSocketTests: XCTestCase {
    private func seconds(since start: UInt64) -> Double { Double(monotonicNanoseconds() - start) / 1e9 }

    func testTimeoutHoldsPipelinedCommands() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try SocketClient(port: s.port)
        let start = monotonicNanoseconds()
        c.send("BLPOP q 1\r\nPING\r\nBRPOPLPUSH q d 1\r\nECHO done\r\n")
        XCTAssertEqual(try c.reply(), .nullArray)
        XCTAssertGreaterThan(seconds(since: start), 0.9)
        XCTAssertEqual(try c.reply(), .simple("PONG"))
        XCTAssertEqual(try c.reply(), .null)
        XCTAssertGreaterThan(seconds(since: start), 1.9, "the second wait starts after the first ends")
        XCTAssertEqual(try c.reply(), .str("done"))
        XCTAssertLessThan(seconds(since: start), 4)
    }

    func testServedByAnotherConnection() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let waiter = try SocketClient(port: s.port)
        let second = try SocketClient(port: s.port)
        let pusher = try SocketClient(port: s.port)
        waiter.send("BRPOP q1 q2 0\r\nLLEN q2\r\n")
        second.send("BLPOP q2 0\r\n")
        // Wait until both are registered as blocked.
        for _ in 0..<200 where try s.onLoop({ s.server.blocking.count }) < 2 { usleep(5000) }
        XCTAssertEqual(try s.onLoop { s.server.blocking.count }, 2)
        XCTAssertEqual(try pusher.command("INFO", "clients").textContains("blocked_clients:2"), true)
        XCTAssertEqual(try pusher.command("RPUSH", "q2", "a", "b", "c"), .int(3))
        XCTAssertEqual(try waiter.reply(), .strs(["q2", "c"]))
        XCTAssertEqual(try waiter.reply(), .int(1), "the pipelined LLEN ran after the pop")
        XCTAssertEqual(try second.reply(), .strs(["q2", "a"]))
        XCTAssertEqual(try pusher.command("LRANGE", "q2", "0", "-1"), .strs(["b"]))
    }

    func testClosedWaiterIsForgotten() throws {
        let s = try RunningServer()
        defer { s.stop() }
        do {
            let waiter = try SocketClient(port: s.port)
            waiter.send("BLPOP q 0\r\n")
            for _ in 0..<200 where try s.onLoop({ s.server.blocking.count }) < 1 { usleep(5000) }
            XCTAssertEqual(try s.onLoop { s.server.blocking.count }, 1)
        }
        for _ in 0..<200 where try s.onLoop({ s.server.blocking.count }) > 0 { usleep(5000) }
        XCTAssertEqual(try s.onLoop { s.server.blocking.count }, 0)
        let pusher = try SocketClient(port: s.port)
        XCTAssertEqual(try pusher.command("RPUSH", "q", "kept"), .int(1))
        XCTAssertEqual(try pusher.command("LRANGE", "q", "0", "-1"), .strs(["kept"]))
    }

    func testIdleTimeoutSparesBlockedClients() throws {
        let s = try RunningServer { $0.timeout = 1 }
        defer { s.stop() }
        let c = try SocketClient(port: s.port)
        let start = monotonicNanoseconds()
        c.send("BLPOP q 2\r\n")
        XCTAssertEqual(try c.reply(), .nullArray)
        XCTAssertGreaterThan(seconds(since: start), 1.9)
        XCTAssertEqual(try c.command("PING"), .simple("PONG"))
    }
}

extension RESPValue {
    /// For a bulk reply: whether its text contains `s`.
    func textContains(_ s: String) -> Bool {
        guard case .bulk(let b) = self else { return false }
        return String(decoding: b, as: UTF8.self).contains(s)
    }
}
