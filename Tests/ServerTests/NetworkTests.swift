import XCTest
import Foundation
import NIOCore
import RESP
import Engine
@testable import Server

final class NetworkTests: XCTestCase {
    func testPipelinedMultibulkAndInline() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let c = try SocketClient(port: s.port)
        var batch = ""
        for i in 0..<500 { batch += "*2\r\n$4\r\nECHO\r\n$\(String(i).count)\r\n\(i)\r\n" }
        batch += "PING\r\necho \"a b\\x41\"\r\n"
        c.send(batch)
        for i in 0..<500 { XCTAssertEqual(try c.reply(), .str("\(i)")) }
        XCTAssertEqual(try c.reply(), .simple("PONG"))
        XCTAssertEqual(try c.reply(), .str("a bA"))
    }

    func testProtocolErrorClosesOnlyThatConnection() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let bystander = try SocketClient(port: s.port)
        let cases: [(String, String)] = [
            ("*abc\r\n", "ERR Protocol error: invalid multibulk length"),
            ("*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"),
            ("*1\r\n$999999999999\r\n", "ERR Protocol error: invalid bulk length"),
            ("*1\r\n+PING\r\n", "ERR Protocol error: expected '$', got '+'"),
            ("SET \"unbalanced\r\n", "ERR Protocol error: unbalanced quotes in request"),
        ]
        for (input, message) in cases {
            let c = try SocketClient(port: s.port)
            c.send("PING\r\n" + input)
            XCTAssertEqual(try c.reply(), .simple("PONG"))
            XCTAssertEqual(try c.reply(), .error(message), input)
            XCTAssertTrue(c.isClosedByPeer(), input)
        }
        XCTAssertEqual(try bystander.command("PING"), .simple("PONG"))
    }

    func testBulkLongerThanProtoMaxBulkLenIsRefused() throws {
        let s = try RunningServer { $0.protoMaxBulkLen = 1000 }
        defer { s.stop() }
        let c = try SocketClient(port: s.port)
        c.send("*2\r\n$4\r\nECHO\r\n$1001\r\n")
        XCTAssertEqual(try c.reply(), .error("ERR Protocol error: invalid bulk length"))
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testQueryBufferLimitDisconnects() throws {
        let s = try RunningServer { $0.clientQueryBufferLimit = 64 * 1024 }
        defer { s.stop() }
        let c = try SocketClient(port: s.port)
        // A bulk announced at 1 MB whose bytes keep coming: the buffered query passes the limit.
        c.send("*2\r\n$4\r\nECHO\r\n$1000000\r\n")
        c.send([UInt8](repeating: 65, count: 200 * 1024))
        XCTAssertTrue(c.isClosedByPeer())
        let other = try SocketClient(port: s.port)
        XCTAssertEqual(try other.command("PING"), .simple("PONG"))
    }

    func testOutputBufferHardLimitDisconnectsAClientThatNeverReads() throws {
        let s = try serverLimitingNormalOutput(to: 1 << 20)
        defer { s.stop() }
        let c = try SocketClient(port: s.port, timeoutSeconds: 10)
        let value = String(repeating: "v", count: 60_000)
        // Ask for ~60 MB of replies without reading any: the kernel buffers fill, then the limit trips.
        var batch = ""
        for _ in 0..<1000 { batch += "ECHO \(value)\r\n" }
        c.send(batch)
        var closed = false
        for _ in 0..<100 where !closed {
            usleep(50_000)
            closed = try s.onLoop { s.server.clients.isEmpty }
        }
        XCTAssertTrue(closed, "the client over its output limit was disconnected")
    }

    /// Replies go straight to the socket until it is full; the rest waits in NIO, and every
    /// reply made while those wait must queue behind them, even when the socket has room
    /// again before NIO has written them. A client that keeps sending while it reads slower
    /// than the server answers gets every reply whole and in order, and nothing stays
    /// counted as in flight (an output limit is set so that the server counts those bytes).
    func testRepliesPastAFullSocketArriveWholeAndInOrder() throws {
        let s = try serverLimitingNormalOutput(to: 1 << 30)
        defer { s.stop() }
        let c = try SocketClient(port: s.port, timeoutSeconds: 10)
        let pad = String(repeating: "p", count: 40_000)
        let count = 800
        let sender = Thread {
            for i in 0..<count { c.send("ECHO \(i):\(pad)\r\n") }  // one read each: many flushes
        }
        sender.start()
        for i in 0..<count {
            if i % 50 == 0 { usleep(20_000) }  // fall behind now and then: the socket fills
            guard let r = try? c.reply() else { return XCTFail("no reply \(i)") }
            guard r == .str("\(i):\(pad)") else { return XCTFail("reply \(i) is not the \(i)th reply") }
        }
        var settled = false
        for _ in 0..<100 where !settled {
            settled = try s.onLoop { s.server.clients.values.allSatisfy { $0.outputBytes == 0 } }
            if !settled { usleep(20_000) }
        }
        XCTAssertTrue(settled, "bytes written by NIO are no longer counted as in flight")
        XCTAssertEqual(try c.command("PING"), .simple("PONG"))
    }

    /// A running server whose normal clients have an output-buffer hard limit of `bytes`.
    private func serverLimitingNormalOutput(to bytes: Int) throws -> RunningServer {
        try RunningServer {
            $0.clientOutputBufferLimits[.normal] = OutputBufferLimit(hardBytes: bytes, softBytes: 0, softSeconds: 0)
        }
    }

    func testMonitorSeesOtherClientsCommands() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let monitor = try SocketClient(port: s.port)
        XCTAssertEqual(try monitor.command("MONITOR"), .ok)
        let c = try SocketClient(port: s.port)
        XCTAssertEqual(try c.command("ECHO", "hi\n\u{1}"), .str("hi\n\u{1}"))
        guard case .simple(let line) = try monitor.reply() else { return XCTFail() }
        XCTAssert(line.hasSuffix("[0 127.0.0.1:\(line.split(separator: ":").last!.split(separator: "]").first!)] \"ECHO\" \"hi\\n\\x01\""), line)
    }

    func testIdleTimeoutClosesClient() throws {
        let s = try RunningServer { $0.timeout = 1; $0.hz = 50 }
        defer { s.stop() }
        let c = try SocketClient(port: s.port, timeoutSeconds: 5)
        XCTAssertEqual(try c.command("PING"), .simple("PONG"))
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testClientPauseDelaysCommands() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let a = try SocketClient(port: s.port)
        let b = try SocketClient(port: s.port)
        XCTAssertEqual(try a.command("CLIENT", "PAUSE", "300"), .ok)
        let start = monotonicNanoseconds()
        XCTAssertEqual(try b.command("PING"), .simple("PONG"))
        XCTAssertGreaterThanOrEqual(monotonicNanoseconds() - start, 250_000_000)
    }

    func testActiveExpiryReclaimsUntouchedKeys() throws {
        let s = try RunningServer { $0.hz = 100 }
        defer { s.stop() }
        try s.onLoop {
            let deadline = wallClockMilliseconds() + 100
            for i in 0..<1000 {
                let idx = s.server.keyspace.set(0, Bytes("k\(i)"), .string(.int(Int64(i))))
                s.server.keyspace.setExpire(0, idx, at: deadline)
            }
        }
        var remaining = 1000
        for _ in 0..<100 where remaining > 0 {
            usleep(20_000)
            remaining = try s.onLoop { s.server.keyspace.keyCount(0) }
        }
        XCTAssertEqual(remaining, 0, "keys never touched again are reclaimed by the active cycle")
        XCTAssertEqual(try s.onLoop { s.server.keyspace.stats.expiredKeys }, 1000)
    }
}

final class PubSubNetworkTests: XCTestCase {
    func testPublishedMessagesReachSubscriberSockets() throws {
        let s = try RunningServer()
        defer { s.stop() }
        let sub = try SocketClient(port: s.port)
        XCTAssertEqual(try sub.command("SUBSCRIBE", "ch"), .array([.str("subscribe"), .str("ch"), .int(1)]))
        let pub = try SocketClient(port: s.port)
        for i in 0..<100 { XCTAssertEqual(try pub.command("PUBLISH", "ch", "m\(i)"), .int(1)) }
        for i in 0..<100 { XCTAssertEqual(try sub.reply(), .array([.str("message"), .str("ch"), .str("m\(i)")])) }
    }
}
