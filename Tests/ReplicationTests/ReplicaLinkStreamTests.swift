// ReplicaLinkStreamTests: the replica link after the handshake: the command
// stream and its offsets, GETACK, periodic ACKs, timeouts in each phase,
// drops and the cached master, cut transfers, failed loads, protocol errors,
// and a whole session fed in two chunks split at every position.
import XCTest
import CairnTestSupport
@testable import Replication

final class ReplicaLinkStreamTests: XCTestCase {
    func testCommandsAreAppliedWithTheirBytes() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 100)
        let set = wire("SET", "k", "v")
        let actions = d.receive(set + Array(set.prefix(5)))
        XCTAssertEqual(actions, [.apply(argv: [bytes("SET"), bytes("k"), bytes("v")], raw: set)])
        XCTAssertEqual(d.link.offset, 100 + Int64(set.count))
        XCTAssertEqual(d.receive(Array(set.dropFirst(5))), [.apply(argv: [bytes("SET"), bytes("k"), bytes("v")], raw: set)])
        XCTAssertEqual(d.link.offset, 100 + 2 * Int64(set.count))
    }

    func testBareNewlinesTravelWithTheNextCommand() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 0)
        XCTAssertEqual(d.receive("\n\n"), [])
        let ping = wire("PING")
        XCTAssertEqual(d.receive(ping), [.apply(argv: [bytes("PING")], raw: bytes("\n\n") + ping)])
        XCTAssertEqual(d.link.offset, Int64(ping.count + 2))
    }

    func testGetAckAnswersWithTheOffsetBeforeIt() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 1000)
        let set = wire("SET", "a", "1")
        let getack = wire("REPLCONF", "GETACK", "*")
        let actions = d.receive(set + getack)
        let afterSet = 1000 + Int64(set.count)
        XCTAssertEqual(actions, [
            .apply(argv: [bytes("SET"), bytes("a"), bytes("1")], raw: set),
            .send(wire("REPLCONF", "ACK", String(afterSet))),
            .apply(argv: [bytes("REPLCONF"), bytes("GETACK"), bytes("*")], raw: getack),
        ])
        XCTAssertEqual(d.link.offset, afterSet + Int64(getack.count))
        XCTAssertEqual(sent(d.receive(wire("replconf", "getack", "*"))), [wire("REPLCONF", "ACK", String(d.link.offset - Int64(getack.count)))])
    }

    func testAckOncePerSecond() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 7)
        XCTAssertEqual(d.tick(after: 400), [])
        XCTAssertEqual(d.tick(after: 600), [.send(wire("REPLCONF", "ACK", "7"))])
        XCTAssertEqual(d.tick(after: 500), [])
        XCTAssertEqual(d.tick(after: 500), [.send(wire("REPLCONF", "ACK", "7"))])
    }

    func testTimeoutWhileConnecting() {
        var d = LinkDriver()
        d.start()
        XCTAssertEqual(d.tick(after: 60_000), [])
        XCTAssertEqual(d.tick(after: 1), [
            .log(.warning, "Timeout connecting to the MASTER..."), .close(reason: "Timeout connecting to the MASTER..."),
        ])
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertTrue(d.tick(after: 1000).contains(.connect(host: "master.local", port: 6379)))
    }

    func testTimeoutDuringHandshakeCountsFromTheLastByte() {
        var d = LinkDriver()
        d.start()
        d.send(.connected(nowMs: d.nowMs))
        d.nowMs += 50_000
        d.receive("+PO")
        XCTAssertEqual(d.tick(after: 60_000), [])
        XCTAssertEqual(logged(d.tick(after: 1)), ["Timeout connecting to the MASTER..."])
    }

    func testTimeoutDuringTransferButNotDuringLoad() {
        var d = LinkDriver()
        _ = d.handshake()
        d.receive("+FULLRESYNC \(masterID) 0\r\n")
        d.nowMs += 30_000
        d.receive("\n")
        XCTAssertEqual(d.tick(after: 60_000), [], "a keepalive counts as I/O")
        let message = "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
        XCTAssertEqual(d.tick(after: 1), [.log(.warning, message), .close(reason: message)])

        var loading = LinkDriver()
        loading.autoLoad = false
        _ = loading.handshake()
        loading.receive("+FULLRESYNC \(masterID) 0\r\n$1\r\nx")
        XCTAssertTrue(loading.link.isLoadingPayload)
        XCTAssertEqual(loading.tick(after: 120_000), [], "no timeout while the server loads")
    }

    func testTimeoutWhenConnectedCachesTheMaster() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 100)
        d.receive(wire("PING"))
        let actions = d.tick(after: 60_001)
        XCTAssertEqual(actions, [
            .log(.warning, "MASTER timeout: no data nor PING received..."),
            .close(reason: "MASTER timeout: no data nor PING received..."),
            .log(.notice, "Caching the disconnected master state."),
        ])
        XCTAssertEqual(d.link.cachedMaster?.replid, masterID)
        XCTAssertEqual(d.link.cachedMaster?.offset, 114)
    }

    func testReconnectWithTheCachedMaster() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 100)
        d.receive(wire("SET", "k", "v") + wire("PING"))
        let offset = d.link.offset
        XCTAssertEqual(logged(d.send(.disconnected("EOF"))), ["Connection with master lost.", "Caching the disconnected master state."])
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertTrue(d.tick(after: 1000).contains(.connect(host: "master.local", port: 6379)))
        d.send(.connected(nowMs: d.nowMs))
        d.receive("+PONG\r\n")
        d.receive("+OK\r\n")
        XCTAssertEqual(sent(d.receive("+OK\r\n")), [wire("PSYNC", masterID.text, String(offset + 1))])
        XCTAssertEqual(d.receive("+CONTINUE \(masterID)\r\n")[1], .partialResync(newReplid: nil))
        XCTAssertEqual(d.link.offset, offset)
        XCTAssertEqual(d.link.state, .connected)
    }

    func testCutTransferGoesBackToConnectWithoutCompleting() {
        var d = LinkDriver()
        _ = d.handshake(id: masterID.text, offset: 51)
        let actions = d.receive("+FULLRESYNC \(otherID) 900\r\n$10\r\nabc")
        XCTAssertEqual(actions.last, .transferChunk(bytes("abc")))
        let cut = d.send(.disconnected("connection lost"))
        XCTAssertEqual(cut, [.log(.warning, "I/O error trying to sync with MASTER: connection lost")])
        XCTAssertFalse(d.log.contains(.transferComplete))
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertNil(d.link.cachedMaster, "+FULLRESYNC discarded the cached master")
        d.tick(after: 1000)
        d.send(.connected(nowMs: d.nowMs))
        d.receive("+PONG\r\n+OK\r\n")
        XCTAssertEqual(sent(d.receive("+OK\r\n")), [wire("PSYNC", "?", "-1")])
    }

    func testGarbageInsteadOfThePayloadHeader() {
        var d = LinkDriver()
        _ = d.handshake()
        let actions = d.receive("+FULLRESYNC \(masterID) 0\r\n-ERR boom\r\n")
        XCTAssertTrue(actions.contains(.close(reason: "MASTER aborted replication with an error: ERR boom")))
        XCTAssertEqual(d.link.state, .connect)
    }

    func testFailedLoadRetries() {
        var d = LinkDriver()
        d.autoLoad = false
        _ = d.handshake()
        d.receive("+FULLRESYNC \(masterID) 0\r\n$1\r\nx")
        let message = "Failed trying to load the MASTER synchronization DB from disk"
        XCTAssertEqual(d.send(.loadFinished(success: false, nowMs: d.nowMs)), [.log(.warning, message), .close(reason: message)])
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertEqual(d.send(.loadFinished(success: true, nowMs: d.nowMs)), [], "a stray load result is ignored")
    }

    func testStreamBytesDuringTheLoadAreAppliedAfterIt() {
        var d = LinkDriver()
        d.autoLoad = false
        _ = d.handshake()
        d.receive("+FULLRESYNC \(masterID) 10\r\n$1\r\nx*1\r\n$4\r\nPI")
        XCTAssertEqual(d.receive("NG\r\n"), [])
        let actions = d.send(.loadFinished(success: true, nowMs: d.nowMs))
        XCTAssertEqual(applied(actions).commands, ["PING"])
        XCTAssertEqual(d.link.offset, 24)
    }

    func testLinkLostDuringTheLoad() {
        var d = LinkDriver()
        d.autoLoad = false
        _ = d.handshake()
        d.receive("+FULLRESYNC \(masterID) 10\r\n$1\r\nx" + "*1\r\n$4\r\nPING\r\n")
        XCTAssertEqual(d.send(.disconnected("EOF")), [])
        let actions = d.send(.loadFinished(success: true, nowMs: d.nowMs))
        XCTAssertEqual(applied(actions).commands, ["PING"])
        XCTAssertFalse(actions.contains { if case .close = $0 { return true } else { return false } })
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertEqual(d.link.cachedMaster?.offset, 24)
    }

    func testProtocolErrorInTheStreamDiscardsTheCachedMaster() {
        var d = LinkDriver()
        d.connectedAfterFullSync(offset: 0)
        let actions = d.receive("*1\r\n+PING\r\n")
        XCTAssertEqual(logged(actions), ["Protocol error from MASTER: ERR Protocol error: expected '$', got '+'"])
        XCTAssertEqual(d.link.state, .connect)
        XCTAssertNil(d.link.cachedMaster)
    }

    func testOversizedArgumentIsAProtocolError() {
        var config = testConfig()
        config.maxBulkLength = 4
        var d = LinkDriver(config: config)
        d.connectedAfterFullSync(offset: 0)
        XCTAssertEqual(logged(d.receive(wire("SET", "k", "12345"))), ["Protocol error from MASTER: ERR Protocol error: invalid bulk length"])
    }

    /// A whole session, as the master sends it: replies, a payload, a stream.
    private func session(marked: Bool) -> [UInt8] {
        let mark = bytes(String(repeating: "z", count: 40))
        let payload = bytes("REDIS0008-payload")
        let framed = marked
            ? bytes("$EOF:") + mark + bytes("\r\n") + payload + mark
            : bytes("$\(payload.count)\r\n") + payload
        return bytes("+PONG\r\n+OK\r\n+OK\r\n\n+FULLRESYNC \(masterID) 500\r\n\n") + framed
            + wire("SELECT", "0") + wire("SET", "k", "v") + wire("REPLCONF", "GETACK", "*") + bytes("\n") + wire("PING")
    }

    private func play(_ chunks: [[UInt8]]) -> LinkDriver {
        var d = LinkDriver()
        d.start()
        d.send(.connected(nowMs: d.nowMs))
        for chunk in chunks { d.receive(chunk) }
        return d
    }

    func testWholeSessionSplitAtEveryPosition() {
        for marked in [false, true] {
            let wireBytes = session(marked: marked)
            let reference = play([wireBytes])
            XCTAssertEqual(reference.link.state, .connected)
            XCTAssertEqual(applied(reference.log).commands, ["SELECT 0", "SET k v", "REPLCONF GETACK *", "PING"])
            XCTAssertEqual(reference.link.offset, 500 + Int64(applied(reference.log).raw.count))
            XCTAssertTrue(sent(reference.log).contains(wire("REPLCONF", "ACK", String(500 + wire("SELECT", "0").count + wire("SET", "k", "v").count))))
            XCTAssertTrue(mergingChunks(reference.log).contains(.transferChunk(bytes("REDIS0008-payload"))))
            for cut in 0...wireBytes.count {
                let split = play([Array(wireBytes[..<cut]), Array(wireBytes[cut...])])
                XCTAssertEqual(mergingChunks(split.log), mergingChunks(reference.log), "marked \(marked), cut at \(cut)")
                XCTAssertEqual(split.link.offset, reference.link.offset, "marked \(marked), cut at \(cut)")
                XCTAssertEqual(split.link.state, .connected, "marked \(marked), cut at \(cut)")
            }
        }
    }

    func testRandomChunkingOfASession() {
        let wireBytes = session(marked: true)
        let reference = play([wireBytes])
        for seed in UInt64(1)...200 {
            var rng = SplitMix64(seed: seed)
            var chunks: [[UInt8]] = []
            var rest = wireBytes[...]
            while !rest.isEmpty {
                let n = Int.random(in: 1...max(1, min(rest.count, 12)), using: &rng)
                chunks.append(Array(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            let split = play(chunks)
            XCTAssertEqual(mergingChunks(split.log), mergingChunks(reference.log), "seed \(seed)")
        }
    }
}
