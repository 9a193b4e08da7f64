// ReplicaLinkHandshakeTests: the replica link from `start` to the PSYNC
// reply, as scripted byte exchanges: every state on the way, AUTH and the
// announced IP, the replies Redis accepts and refuses, each PSYNC reply.
import XCTest
@testable import Replication

final class ReplicaLinkHandshakeTests: XCTestCase {
    func testFullHandshakeStateByState() {
        var d = LinkDriver()
        XCTAssertEqual(d.link.state, .none)
        XCTAssertEqual(d.start(), [
            .log(.notice, "Connecting to MASTER master.local:6379"),
            .connect(host: "master.local", port: 6379),
            .log(.notice, "MASTER <-> SLAVE sync started"),
        ])
        XCTAssertEqual(d.link.state, .connecting)
        XCTAssertEqual(d.send(.connected(nowMs: d.nowMs)), [
            .log(.notice, "Non blocking connect for SYNC fired the event."), .send(wire("PING")),
        ])
        XCTAssertEqual(d.link.state, .receivePong)
        XCTAssertEqual(d.receive("+PONG\r\n"), [
            .log(.notice, "Master replied to PING, replication can continue..."),
            .send(wire("REPLCONF", "listening-port", "6380")),
        ])
        XCTAssertEqual(d.link.state, .receivePort)
        XCTAssertEqual(d.receive("+OK\r\n"), [.send(wire("REPLCONF", "capa", "eof", "capa", "psync2"))])
        XCTAssertEqual(d.link.state, .receiveCapa)
        XCTAssertEqual(d.receive("+OK\r\n"), [
            .log(.notice, "Partial resynchronization not possible (no cached master)"),
            .send(wire("PSYNC", "?", "-1")),
        ])
        XCTAssertEqual(d.link.state, .receivePsync)
        XCTAssertEqual(d.receive("\n"), [], "a keepalive before the PSYNC reply")
        XCTAssertEqual(d.receive("+FULLRESYNC \(masterID) 100\r\n"), [
            .log(.notice, "Full resync from master: \(masterID):100"),
            .fullResync(replid: masterID, offset: 100),
        ])
        XCTAssertEqual(d.link.state, .transfer)
        d.autoLoad = false
        XCTAssertEqual(d.receive("$3\r\nrd"), [
            .log(.notice, "MASTER <-> SLAVE sync: receiving 3 bytes from master"),
            .transferStarted(size: 3), .transferChunk(bytes("rd")),
        ])
        XCTAssertEqual(d.link.transferredBytes, 2)
        XCTAssertEqual(d.link.transferSize, 3)
        XCTAssertEqual(d.receive("b"), [
            .transferChunk(bytes("b")),
            .log(.notice, "MASTER <-> SLAVE sync: Flushing old data"),
            .log(.notice, "MASTER <-> SLAVE sync: Loading DB in memory"),
            .transferComplete,
        ])
        XCTAssertTrue(d.link.isLoadingPayload)
        XCTAssertEqual(d.link.state, .transfer)
        XCTAssertEqual(d.send(.loadFinished(success: true, nowMs: d.nowMs)), [
            .log(.notice, "MASTER <-> SLAVE sync: Finished with success"),
        ])
        XCTAssertEqual(d.link.state, .connected)
        XCTAssertEqual(d.link.offset, 100)
        XCTAssertEqual(d.link.masterReplid, masterID)
        XCTAssertNil(d.link.cachedMaster)
    }

    func testAuthAndAnnouncedIP() {
        var d = LinkDriver(config: testConfig(auth: "s3cret pass", announceIP: "10.1.2.3"))
        d.start()
        d.send(.connected(nowMs: d.nowMs))
        XCTAssertEqual(sent(d.receive("-NOAUTH Authentication required.\r\n")), [wire("AUTH", "s3cret pass")])
        XCTAssertEqual(d.link.state, .receiveAuth)
        XCTAssertEqual(sent(d.receive("+OK\r\n")), [wire("REPLCONF", "listening-port", "6380")])
        XCTAssertEqual(sent(d.receive("+OK\r\n")), [wire("REPLCONF", "ip-address", "10.1.2.3")])
        XCTAssertEqual(d.link.state, .receiveIP)
        let actions = d.receive("-ERR unknown option\r\n")
        XCTAssertEqual(logged(actions), ["(Non critical) Master does not understand REPLCONF ip-address: -ERR unknown option"])
        XCTAssertEqual(sent(actions), [wire("REPLCONF", "capa", "eof", "capa", "psync2")])
    }

    func testAuthErrorEndsTheAttempt() {
        var d = LinkDriver(config: testConfig(auth: "wrong"))
        d.start()
        d.send(.connected(nowMs: d.nowMs))
        d.receive("+PONG\r\n")
        XCTAssertEqual(d.receive("-ERR invalid password\r\n"), [
            .log(.warning, "Unable to AUTH to MASTER: -ERR invalid password"),
            .close(reason: "Unable to AUTH to MASTER: -ERR invalid password"),
        ])
        XCTAssertEqual(d.link.state, .connect)
    }

    func testPingRepliesAcceptedAndRefused() {
        for accepted in ["+PONG", "-NOAUTH Authentication required.", "-ERR operation not permitted"] {
            var d = LinkDriver()
            d.start()
            d.send(.connected(nowMs: d.nowMs))
            d.receive(accepted + "\r\n")
            XCTAssertEqual(d.link.state, .receivePort, accepted)
        }
        for refused in ["-ERR something else", "", "PONG", "$4"] {
            var d = LinkDriver()
            d.start()
            d.send(.connected(nowMs: d.nowMs))
            let actions = d.receive(refused + "\r\n")
            XCTAssertEqual(logged(actions), ["Error reply to PING from master: '\(refused)'"], refused)
            XCTAssertTrue(actions.contains(.close(reason: "Error reply to PING from master: '\(refused)'")))
            XCTAssertEqual(d.link.state, .connect)
        }
    }

    func testReplconfErrorsAreIgnored() {
        var d = LinkDriver()
        _ = d.start()
        d.send(.connected(nowMs: d.nowMs))
        d.receive("+PONG\r\n")
        XCTAssertEqual(logged(d.receive("-ERR no\r\n")), ["(Non critical) Master does not understand REPLCONF listening-port: -ERR no"])
        let actions = d.receive("-ERR no\r\n")
        XCTAssertTrue(logged(actions).contains("(Non critical) Master does not understand REPLCONF capa: -ERR no"))
        XCTAssertEqual(d.link.state, .receivePsync)
    }

    func testRepliesSplitAndBatched() {
        var whole = LinkDriver()
        _ = whole.handshake()
        var batched = LinkDriver()
        batched.start()
        batched.send(.connected(nowMs: batched.nowMs))
        batched.receive("+PO")
        batched.receive("NG\r")
        batched.receive("\n+OK\r\n+OK\r\n")
        XCTAssertEqual(batched.log, whole.log)
        XCTAssertEqual(batched.link.state, .receivePsync)
    }

    func testContinueWithTheSameID() {
        var d = LinkDriver()
        XCTAssertEqual(d.handshake(id: masterID.text, offset: 501), wire("PSYNC", masterID.text, "501"))
        XCTAssertTrue(logged(d.log).contains("Trying a partial resynchronization (request \(masterID):501)."))
        XCTAssertEqual(d.receive("+CONTINUE\r\n"), [
            .log(.notice, "Successful partial resynchronization with master."),
            .partialResync(newReplid: nil),
            .log(.notice, "MASTER <-> SLAVE sync: Master accepted a Partial Resynchronization."),
        ])
        XCTAssertEqual(d.link.state, .connected)
        XCTAssertEqual(d.link.offset, 500)
    }

    func testContinueWithANewID() {
        var d = LinkDriver()
        _ = d.handshake(id: masterID.text, offset: 501)
        let actions = d.receive("+CONTINUE \(otherID)\r\n" + "*1\r\n$4\r\nPING\r\n")
        XCTAssertEqual(Array(actions.prefix(4)), [
            .log(.notice, "Successful partial resynchronization with master."),
            .log(.warning, "Master replication ID changed to \(otherID)"),
            .partialResync(newReplid: otherID),
            .log(.notice, "MASTER <-> SLAVE sync: Master accepted a Partial Resynchronization."),
        ])
        XCTAssertEqual(applied(actions).commands, ["PING"], "the stream after the reply is applied")
        XCTAssertEqual(d.link.masterReplid, otherID)
        XCTAssertEqual(d.link.offset, 500 + 14)
    }

    func testContinueNotAskedForIsAnError() {
        var d = LinkDriver()
        _ = d.handshake()
        let actions = d.receive("+CONTINUE\r\n")
        XCTAssertTrue(actions.contains { if case .close = $0 { return true } else { return false } })
        XCTAssertEqual(d.link.state, .connect)
    }

    func testTryLaterReplies() {
        for reply in ["-NOMASTERLINK Can't SYNC while not connected with my master", "-LOADING Redis is loading"] {
            var d = LinkDriver()
            _ = d.handshake(id: masterID.text, offset: 11)
            let actions = d.receive(reply + "\r\n")
            XCTAssertEqual(logged(actions), ["Master is currently unable to PSYNC but should be in the future: \(reply)"])
            XCTAssertEqual(d.link.state, .connect)
            XCTAssertEqual(d.link.cachedMaster?.replid, masterID, "the cached master survives a retry")
            XCTAssertEqual(d.tick(after: 999), [], "no reconnect within a second of the last attempt")
            XCTAssertTrue(d.tick(after: 1).contains(.connect(host: "master.local", port: 6379)))
        }
    }

    func testSyncFallbackForMastersWithoutPsync() {
        var d = LinkDriver()
        _ = d.handshake(id: masterID.text, offset: 11)
        let actions = d.receive("-ERR unknown command 'PSYNC'\r\n")
        XCTAssertEqual(actions, [
            .log(.notice, "Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC')"),
            .log(.notice, "Retrying with SYNC..."),
            .send(wire("SYNC")),
            .fullResync(replid: .none, offset: -1),
        ])
        XCTAssertEqual(d.link.state, .transfer)
        d.receive("$2\r\nok")
        XCTAssertEqual(d.link.state, .connected)
        XCTAssertEqual(d.link.offset, -1)
        XCTAssertNil(d.link.masterReplid)
        XCTAssertEqual(sent(d.tick(after: 1000)), [], "no ACKs to a master without PSYNC")
        d.send(.disconnected("EOF"))
        XCTAssertNil(d.link.cachedMaster, "nothing to continue from")
    }

    func testUnexpectedPsyncReplyAlsoFallsBack() {
        var d = LinkDriver()
        _ = d.handshake()
        let actions = d.receive("+WHAT\r\n")
        XCTAssertEqual(logged(actions).first, "Unexpected reply to PSYNC from master: +WHAT")
        XCTAssertTrue(sent(actions).contains(wire("SYNC")))
    }

    func testBadFullResyncSyntax() {
        for reply in ["+FULLRESYNC", "+FULLRESYNC abc 1", "+FULLRESYNC \(masterID) x"] {
            var d = LinkDriver()
            _ = d.handshake()
            XCTAssertEqual(logged(d.receive(reply + "\r\n")), ["Master replied with wrong +FULLRESYNC syntax."], reply)
            XCTAssertEqual(d.link.state, .connect)
        }
    }

    func testEndlessReplyLineIsRefused() {
        var d = LinkDriver()
        d.start()
        d.send(.connected(nowMs: d.nowMs))
        let actions = d.receive([UInt8](repeating: 43, count: 5000))
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertTrue(actions.contains { if case .close = $0 { return true } else { return false } })
        // Also when the newline comes in the same read, too late.
        var late = LinkDriver()
        late.start()
        late.send(.connected(nowMs: late.nowMs))
        late.receive([UInt8](repeating: 43, count: 5000) + bytes("\r\n"))
        XCTAssertEqual(late.link.state, .connect)
    }

    func testConnectFailureRetriesOnALaterTick() {
        var d = LinkDriver()
        d.start()
        XCTAssertEqual(d.send(.connectFailed("Connection refused")), [.log(.warning, "Unable to connect to MASTER: Connection refused")])
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertEqual(d.tick(after: 500), [])
        XCTAssertEqual(d.tick(after: 500).filter { if case .connect = $0 { return true } else { return false } }.count, 1)
        XCTAssertEqual(d.link.state, .connecting)
    }

    func testStop() {
        var d = LinkDriver()
        _ = d.handshake()
        XCTAssertEqual(d.link.stop(), [.close(reason: "replication stopped by the user")])
        XCTAssertEqual(d.link.state, .none)
        XCTAssertEqual(d.tick(after: 5000), [])
        XCTAssertEqual(d.link.stop(), [])
    }

    func testDisconnectDuringHandshake() {
        var d = LinkDriver()
        _ = d.handshake(id: masterID.text, offset: 8)
        let actions = d.send(.disconnected("connection reset"))
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertFalse(actions.contains { if case .close = $0 { return true } else { return false } }, "the socket is gone already")
        XCTAssertEqual(d.link.cachedMaster?.offset, 7)
    }
}
