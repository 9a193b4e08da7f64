// ReplicationServerTests: the master side and the replica's refusals, in
// process, without sockets: a "replica" here is a client that speaks the
// protocol by hand (REPLCONF, PSYNC), so each step of Redis 4.0's exchange
// can be checked: +FULLRESYNC at the snapshot's offset, the RDB as a bulk,
// the stream after it, +CONTINUE with the backlog, the PSYNC2 shift on
// promotion, and the READONLY / MASTERDOWN refusals of a replica.
import XCTest
import NIOCore
import RESP
import Engine
import Replication
@testable import Server

final class ReplicationServerTests: XCTestCase {
    /// Everything in `c`'s output so far, taken out.
    private func drain(_ c: Client) -> [UInt8] {
        let bytes = c.output.readBytes(length: c.output.readableBytes) ?? []
        c.output.clear()
        return bytes
    }

    /// Runs the cron until the background RDB job is over (bounded).
    private func finishSnapshot(_ h: Harness) {
        for _ in 0..<2000 where h.server.persistence.bgsaveInProgress {
            h.server.cron()
            usleep(1000)
        }
        XCTAssertFalse(h.server.persistence.bgsaveInProgress, "the RDB job did not end")
        // The file goes out in chunks driven by the once-a-second cron.
        h.server.replicationCron(nowMs: wallClockMilliseconds())
    }

    private func info(_ h: Harness, _ field: String) -> String? {
        guard case .bulk(let b) = h.run("INFO", "replication") else { return nil }
        for line in b.text.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return nil
    }

    private func stat(_ h: Harness, _ field: String) -> String? {
        guard case .bulk(let b) = h.run("INFO", "stats") else { return nil }
        for line in b.text.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return nil
    }

    /// A replica client that has completed a full sync; returns it with the replication ID.
    private func attachReplica(_ h: Harness, port: Int = 7000) -> (Client, String) {
        let replica = h.newClient()
        XCTAssertEqual(h.run(["REPLCONF", "listening-port", String(port)].map { Bytes($0) }, as: replica), .ok)
        XCTAssertEqual(h.run("REPLCONF", "capa", "eof", "capa", "psync2", as: replica), .ok)
        h.server.execute(replica, ["PSYNC", "?", "-1"].map { Bytes($0) })
        finishSnapshot(h)
        let out = drain(replica)
        guard let lineEnd = out.firstIndex(of: 13) else {
            XCTFail("no +FULLRESYNC line")
            return (replica, "")
        }
        let line = Array(out[..<lineEnd]).text
        XCTAssertTrue(line.hasPrefix("+FULLRESYNC "), line)
        let bulk = Array(out[(lineEnd + 2)...].drop { $0 == 10 })  // keepalive newlines may come first
        XCTAssertEqual(bulk.first, UInt8(ascii: "$"), "the RDB follows as a bulk")
        XCTAssertTrue(bulk.text.contains("REDIS0008"), "an RDB of version 8, which Redis 4.0 reads")
        return (replica, String(line.split(separator: " ")[1]))
    }

    func testFullSyncThenStreamThenPartialResyncFromTheBacklog() {
        let h = Harness()
        h.run("SET", "before", "1")
        let (replica, replid) = attachReplica(h)
        XCTAssertEqual(info(h, "connected_slaves"), "1")
        XCTAssertEqual(info(h, "slave0"), "ip=127.0.0.1,port=7000,state=online,offset=0,lag=0")
        XCTAssertEqual(info(h, "master_replid"), replid)
        XCTAssertEqual(stat(h, "sync_full"), "1")

        h.run("SET", "a", "1")
        h.run("SELECT", "2")
        h.run("INCR", "n")
        let stream = drain(replica)
        XCTAssertEqual(stream, encodeCommands([["SELECT", "0"], ["SET", "a", "1"], ["SELECT", "2"], ["INCR", "n"]]),
                       "the stream after a full sync starts with a SELECT")
        let offset = Int64(info(h, "master_repl_offset") ?? "") ?? -1
        XCTAssertEqual(offset, Int64(stream.count), "the offset counts the stream's bytes")

        // The link drops; more writes; the replica comes back and asks to continue.
        h.server.disconnect(replica)
        h.run("INCR", "n")
        let again = h.newClient()
        h.run("REPLCONF", "capa", "psync2", as: again)
        h.server.execute(again, ["PSYNC", replid, String(offset + 1)].map { Bytes($0) })
        XCTAssertEqual(drain(again), Array("+CONTINUE \(replid)\r\n".utf8) + encodeCommands([["INCR", "n"]]))
        XCTAssertEqual(stat(h, "sync_partial_ok"), "1")
        XCTAssertEqual(stat(h, "sync_full"), "1")

        // An offset past what the master has, or an unknown ID: a full resync.
        let third = h.newClient()
        h.server.execute(third, ["PSYNC", replid, String(offset + 10_000)].map { Bytes($0) })
        XCTAssertEqual(stat(h, "sync_partial_err"), "1")
        XCTAssertEqual(stat(h, "sync_full"), "2")
    }

    func testDisklessSyncFramesThePayloadAndStreamsAfterTheFirstAck() {
        var config = ServerConfig()
        config.replDisklessSync = true
        config.replDisklessSyncDelay = 0
        let h = Harness(config: config)
        for i in 0..<500 { h.put("k\(i)", "v\(i)") }
        let replica = h.newClient()
        h.run("REPLCONF", "capa", "eof", "capa", "psync2", as: replica)
        h.server.execute(replica, ["PSYNC", "?", "-1"].map { Bytes($0) })
        for _ in 0..<2000 where h.server.persistence.bgsaveInProgress || h.server.persistence.rdbStream != nil {
            h.server.cron()
            h.server.pumpDiskless()
            usleep(1000)
        }
        h.run("SET", "after", "1")
        let out = drain(replica)
        XCTAssertTrue(out.text.hasPrefix("+FULLRESYNC "), String(out.text.prefix(60)))
        guard let eof = find(Array("$EOF:".utf8), in: out) else { return XCTFail("no $EOF: framing") }
        let markStart = eof + 5
        let mark = Array(out[markStart..<(markStart + 40)])
        XCTAssertTrue(out.count > markStart + 42 + 40)
        XCTAssertEqual(Array(out.suffix(40)), mark, "the payload ends with the mark, and nothing follows before an ACK")
        XCTAssertTrue(Array(out[(markStart + 42)...]).text.hasPrefix("REDIS0008"))
        XCTAssertEqual(info(h, "slave0")?.contains("state=online"), true)
        // The first ACK (the replica has loaded) releases the held stream.
        h.run("REPLCONF", "ACK", "0", as: replica)
        XCTAssertTrue(drain(replica).text.contains("$5\r\nafter\r\n"))
        // The socket job is over: the next full sync (here a disk one) starts at once.
        XCTAssertTrue(h.server.persistence.scheduler.isIdle, "\(h.server.persistence.scheduler)")
        h.run("CONFIG", "SET", "repl-diskless-sync", "no")
        _ = attachReplica(h, port: 7001)
    }

    func testReplicasJoiningARunningSyncShareItsOffset() {
        let h = Harness()
        for i in 0..<2000 { h.put("k\(i)", "v") }
        let first = h.newClient(), second = h.newClient()
        h.server.execute(first, ["PSYNC", "?", "-1"].map { Bytes($0) })
        h.run("SET", "during", "1")
        h.server.execute(second, ["PSYNC", "?", "-1"].map { Bytes($0) })
        finishSnapshot(h)
        let a = drain(first), b = drain(second)
        XCTAssertEqual(a.text.split(separator: "\r\n").first, b.text.split(separator: "\r\n").first,
                       "the second replica gets the first one's +FULLRESYNC line")
        XCTAssertEqual(a, b, "and the same RDB and held stream")
        XCTAssertEqual(stat(h, "sync_full"), "2")
    }

    func testPromotionKeepsTheOldIDAsTheSecondOne() {
        let h = Harness()
        XCTAssertEqual(h.run("SLAVEOF", "127.0.0.1", "1"), .ok)  // no transport: the link never connects
        XCTAssertEqual(info(h, "role"), "slave")
        XCTAssertEqual(info(h, "master_link_status"), "down")
        let oldID = info(h, "master_replid")
        let offset = Int64(info(h, "master_repl_offset") ?? "") ?? -1
        XCTAssertEqual(h.run("SLAVEOF", "NO", "ONE"), .ok)
        XCTAssertEqual(info(h, "role"), "master")
        XCTAssertEqual(info(h, "master_replid2"), oldID)
        XCTAssertEqual(info(h, "second_repl_offset"), String(offset + 1))
        XCTAssertNotEqual(info(h, "master_replid"), oldID)
        // A replica of the old history at the promoted offset continues.
        let replica = h.newClient()
        h.server.execute(replica, ["PSYNC", oldID ?? "", String(offset + 1)].map { Bytes($0) })
        XCTAssertTrue(drain(replica).text.hasPrefix("+CONTINUE"), "PSYNC2: the second ID continues")
    }

    func testAReplicaRefusesWritesAndOptionallyStaleReads() {
        let h = Harness()
        h.run("SET", "k", "v")
        XCTAssertEqual(h.run("SLAVEOF", "127.0.0.1", "1"), .ok)
        XCTAssertEqual(h.run("SET", "k", "w"), .error("READONLY You can't write against a read only slave."))
        XCTAssertEqual(h.run("GET", "k"), .str("v"), "stale data is served by default")
        h.run("CONFIG", "SET", "slave-serve-stale-data", "no")
        XCTAssertEqual(h.run("GET", "k"), .error("MASTERDOWN Link with MASTER is down and slave-serve-stale-data is set to 'no'."))
        XCTAssertEqual(h.run("PING"), .simple("PONG"), "commands flagged stale still run")
        h.run("CONFIG", "SET", "slave-read-only", "no")
        h.run("CONFIG", "SET", "slave-serve-stale-data", "yes")
        XCTAssertEqual(h.run("SET", "k", "w"), .ok)
        XCTAssertEqual(h.run("ROLE"), .array([.bulk(Bytes("slave")), .bulk(Bytes("127.0.0.1")), .integer(1),
                                              .bulk(Bytes("connecting")), .integer(-1)]))
    }

    func testWaitBlocksUntilAReplicaAcknowledgesTheWrite() {
        let h = Harness()
        let (replica, _) = attachReplica(h)
        h.run("SET", "k", "v")
        let writer = h.client
        h.server.execute(writer, ["WAIT", "1", "0"].map { Bytes($0) })
        XCTAssertTrue(writer.isBlocked, "no replica has acknowledged the SET yet")
        let asked = drain(replica).text
        XCTAssertTrue(asked.hasSuffix("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"), asked)
        let offset = Int64(info(h, "master_repl_offset") ?? "") ?? -1
        h.run(["REPLCONF", "ACK", String(offset)].map { Bytes($0) }, as: replica)
        XCTAssertFalse(writer.isBlocked)
        XCTAssertEqual(h.takeReply(writer), .int(1))
        XCTAssertEqual(info(h, "slave0"), "ip=127.0.0.1,port=7000,state=online,offset=\(offset),lag=0")

        // Two replicas asked for, one there: the timeout answers with the count reached.
        h.run("SET", "k", "w")
        h.server.execute(writer, ["WAIT", "2", "5"].map { Bytes($0) })
        XCTAssertTrue(writer.isBlocked)
        usleep(10_000)
        h.server.cron()
        XCTAssertEqual(h.takeReply(writer), .int(0), "the replica has not acknowledged the second SET")
        XCTAssertEqual(h.run("WAIT", "0", "0"), .int(0), "nothing to wait for: the count (of replicas that got this far) at once")
        XCTAssertEqual(h.run("WAIT", "1", "-1"), .error("ERR timeout is negative"))
    }

    func testMinSlavesToWriteCountsReplicasThatAckedRecently() {
        let h = Harness()
        h.run("CONFIG", "SET", "min-slaves-to-write", "1")
        h.run("CONFIG", "SET", "min-slaves-max-lag", "10")
        XCTAssertEqual(h.run("SET", "k", "v"), .error("NOREPLICAS Not enough good slaves to write."))
        let (replica, _) = attachReplica(h)
        h.run("REPLCONF", "ACK", "0", as: replica)
        XCTAssertEqual(h.run("SET", "k", "v"), .ok)
        XCTAssertEqual(info(h, "min_slaves_good_slaves"), "1")
        // Its last ACK ages past the lag: no good replica left.
        h.server.replication.clock = { wallClockMilliseconds() + 11_000 }
        XCTAssertEqual(h.run("SET", "k", "w"), .error("NOREPLICAS Not enough good slaves to write."))
        XCTAssertEqual(info(h, "min_slaves_good_slaves"), "0")
    }

    func testReplconfAndSyncErrors() {
        let h = Harness()
        XCTAssertEqual(h.run("REPLCONF", "listening-port"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("REPLCONF", "bogus", "1"), .error("ERR Unrecognized REPLCONF option: bogus"))
        XCTAssertEqual(h.run("REPLCONF", "listening-port", "x"), .error("ERR value is not an integer or out of range"))
        h.run("SLAVEOF", "127.0.0.1", "1")
        let replica = h.newClient()
        h.server.execute(replica, ["PSYNC", "?", "-1"].map { Bytes($0) })
        XCTAssertEqual(drain(replica).text, "-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
        XCTAssertEqual(h.run("DEBUG", "CHANGE-REPL-ID"), .ok)
    }

    /// Where `pattern` first occurs in `bytes`.
    private func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
    }

    private func encodeCommands(_ commands: [[String]]) -> [UInt8] {
        commands.flatMap { argv -> [UInt8] in
            var out = Array("*\(argv.count)\r\n".utf8)
            for a in argv { out += Array("$\(a.utf8.count)\r\n\(a)\r\n".utf8) }
            return out
        }
    }
}
