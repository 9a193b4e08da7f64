// PersistenceTests: SAVE, BGSAVE (driven by the cron, as without a network
// layer), DEBUG RELOAD, save points, MISCONF, -LOADING, SHUTDOWN's save, and
// DUMP/RESTORE, through the command interface.
import XCTest
import Engine
import RDB
import RESP
@testable import Server

final class PersistenceTests: XCTestCase {
    /// Every type, both encodings of each collection, integers, binary keys, TTLs, two databases.
    func fill(_ h: Harness) {
        h.run("SET", "str", "hello")
        h.run("SET", "int", "12345")
        h.run("SET", "big", "9223372036854775807")
        h.run(["SET", "bin\u{0}key", "\u{1}\u{2}"].map { Bytes($0.utf8) })
        h.run("SET", "long", String(repeating: "abc", count: 200))
        h.run("SETEX", "ttl", "1000", "v")
        h.run("RPUSH", "list", "a", "b", "1", "-7")
        h.run(["RPUSH", "biglist"] + (0..<3000).map { "element-\($0)" })
        h.run("HSET", "hash", "f1", "v1", "f2", "2")
        h.run(["HSET", "bighash"] + (0..<600).flatMap { ["field\($0)", "value\($0)"] })
        h.run("SADD", "ints", "1", "2", "-3", "70000")
        h.run(["SADD", "bigset"] + (0..<700).map { "m\($0)" })
        h.run("ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c")
        h.run(["ZADD", "bigzset"] + (0..<300).flatMap { ["\(Double($0) / 3)", "member\($0)"] })
        h.run("PFADD", "hll", "a", "b", "c")
        h.run("SELECT", "3")
        h.run("SET", "other", "db")
        h.run("SELECT", "0")
    }

    func digest(_ h: Harness) -> RESPValue { h.run("DEBUG", "DIGEST") }
}

extension Harness {
    /// Runs a command given as a list of strings.
    @discardableResult
    func run(_ args: [String]) -> RESPValue { run(args.map { Bytes($0.utf8) }) }
}

extension PersistenceTests {

    func testSaveAndReloadKeepEverything() throws {
        let h = Harness()
        fill(h)
        let before = digest(h)
        XCTAssertEqual(h.run("SAVE"), .ok)
        XCTAssertEqual(h.server.keyspace.dirty, 0)
        let fresh = Harness(config: h.server.config)
        try fresh.server.persistence.loadNow(h.server.persistence.dumpPath)
        XCTAssertEqual(digest(fresh), before)
        XCTAssertEqual(fresh.run("OBJECT", "ENCODING", "bighash"), .str("hashtable"))
        XCTAssertEqual(fresh.run("OBJECT", "ENCODING", "ints"), .str("intset"))
        XCTAssertEqual(fresh.run("OBJECT", "ENCODING", "zset"), .str("ziplist"))
        XCTAssertEqual(fresh.run("OBJECT", "ENCODING", "int"), .str("int"))
        XCTAssertEqual(h.run("DEBUG", "RELOAD"), .ok)
        XCTAssertEqual(digest(h), before)
        if case .integer(let ttl) = h.run("TTL", "ttl") { XCTAssertTrue(ttl > 990 && ttl <= 1000) } else { XCTFail("ttl") }
    }

    func testTheFileIsReplacedWholeAndNoTemporaryFileRemains() throws {
        let h = Harness()
        fill(h)
        XCTAssertEqual(h.run("SAVE"), .ok)
        let names = try FileManagerLite.list(h.directory)
        XCTAssertEqual(names, ["dump.rdb"])
    }

    func testBackgroundSaveWritesTheDatasetAsItWasAtTheStart() throws {
        let h = Harness()
        fill(h)
        h.run(["MSET"] + (0..<20_000).flatMap { ["k\($0)", "v\($0)"] })
        let atStart = digest(h)
        XCTAssertEqual(h.run("BGSAVE"), .simple("Background saving started"))
        XCTAssertEqual(h.run("BGSAVE"), .error("ERR Background save already in progress"))
        XCTAssertEqual(h.run("SAVE"), .error("ERR Background save already in progress"))
        // Writes while the save runs: overwrite, delete, add, flush one db.
        var rounds = 0
        while h.server.persistence.bgsaveInProgress {
            h.run("SET", "k\(rounds * 7 % 20_000)", "changed")
            h.run("DEL", "k\(rounds * 13 % 20_000)")
            h.run("RPUSH", "list", "more")
            h.run("SET", "new\(rounds)", "x")
            if rounds == 3 { h.run("SELECT", "3"); h.run("FLUSHDB"); h.run("SELECT", "0") }
            h.server.cron()
            rounds += 1
            if rounds > 100_000 { return XCTFail("BGSAVE never finished") }
            usleep(100)
        }
        XCTAssertEqual(h.run("INFO", "persistence").text?.contains("rdb_last_bgsave_status:ok"), true)
        let fresh = Harness(config: h.server.config)
        try fresh.server.persistence.loadNow(h.server.persistence.dumpPath)
        XCTAssertEqual(digest(fresh), atStart)
        XCTAssertNotEqual(digest(h), atStart)
        XCTAssertGreaterThan(h.server.keyspace.dirty, 0, "changes after the start stay counted")
    }

    func testFlushAllDropsARunningSaveAndSavesTheEmptyDataset() throws {
        let h = Harness()
        fill(h)
        XCTAssertEqual(h.run("BGSAVE"), .simple("Background saving started"))
        XCTAssertEqual(h.run("FLUSHALL"), .ok)
        XCTAssertFalse(h.server.persistence.bgsaveInProgress)
        for _ in 0..<50 { h.server.cron(); usleep(1000) }
        let fresh = Harness(config: h.server.config)
        try fresh.server.persistence.loadNow(h.server.persistence.dumpPath)
        XCTAssertEqual(fresh.server.keyspace.totalKeys, 0)
    }

    func testSavePointsTriggerABackgroundSave() throws {
        var config = ServerConfig()
        config.savePoints = [SavePoint(seconds: 1, changes: 3)]
        let h = Harness(config: config)
        h.server.persistence.lastSaveTime -= 5
        h.run("SET", "a", "1")
        h.server.cron()
        XCTAssertFalse(h.server.persistence.bgsaveInProgress, "2 changes short of the point")
        h.run("SET", "b", "1")
        h.run("SET", "c", "1")
        h.server.cron()
        XCTAssertTrue(h.server.persistence.bgsaveInProgress)
        for _ in 0..<1000 where h.server.persistence.bgsaveInProgress { h.server.cron(); usleep(1000) }
        XCTAssertEqual(h.server.keyspace.dirty, 0)
        let fresh = Harness(config: h.server.config)
        try fresh.server.persistence.loadNow(h.server.persistence.dumpPath)
        XCTAssertEqual(fresh.server.keyspace.keyCount(0), 3)
    }

    func testFailedSaveRefusesWritesWithMisconf() {
        var config = ServerConfig()
        config.dir = "/nonexistent-cairn-dir"
        let h = Harness(config: config)
        h.run("SET", "a", "1")
        XCTAssertEqual(h.run("BGSAVE"), .simple("Background saving started"))
        for _ in 0..<1000 where h.server.persistence.bgsaveInProgress { h.server.cron(); usleep(1000) }
        XCTAssertEqual(h.run("INFO", "persistence").text?.contains("rdb_last_bgsave_status:err"), true)
        guard case .error(let e) = h.run("SET", "b", "1") else { return XCTFail("write accepted") }
        XCTAssertTrue(e.hasPrefix("MISCONF Redis is configured to save RDB snapshots"))
        XCTAssertEqual(h.run("GET", "a"), .str("1"), "reads still work")
        XCTAssertEqual(h.run("SAVE"), .error("ERR"))
        h.run("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
        XCTAssertEqual(h.run("SET", "b", "1"), .ok)
    }

    func testLoadingRefusesCommandsWithoutTheLoadingFlag() {
        let h = Harness()
        h.server.persistence.loading = LoadProgress(startedAt: 0, totalBytes: 100, loadedBytes: 50)
        XCTAssertEqual(h.run("GET", "a"), .error("LOADING Redis is loading the dataset in memory"))
        XCTAssertEqual(h.run("INFO", "persistence").text?.contains("loading_loaded_perc:50.00"), true)
        h.server.persistence.loading = nil
        XCTAssertEqual(h.run("GET", "a"), .null)
    }

    func testShutdownSaveWritesTheDataset() throws {
        var config = ServerConfig()
        config.savePoints = []
        let h = Harness(config: config)
        h.run("SET", "a", "1")
        var exited = false
        h.server.onShutdown = { _ in exited = true }
        h.run("SHUTDOWN", "NOSAVE")
        XCTAssertTrue(exited)
        XCTAssertNil(try? FileSource(path: h.server.persistence.dumpPath), "NOSAVE writes nothing")
        h.run("SHUTDOWN", "SAVE")
        let fresh = Harness(config: h.server.config)
        try fresh.server.persistence.loadNow(h.server.persistence.dumpPath)
        XCTAssertEqual(fresh.run("GET", "a"), .str("1"))
    }

    func testCorruptFileStopsTheLoadAndLeavesNothing() throws {
        let h = Harness()
        fill(h)
        h.run("SAVE")
        let path = h.server.persistence.dumpPath
        var bytes = try readAll(path)
        bytes[bytes.count / 2] ^= 0x40
        try writeAll(path, bytes)
        let fresh = Harness(config: h.server.config)
        XCTAssertThrowsError(try fresh.server.persistence.loadNow(path))
        XCTAssertEqual(fresh.server.keyspace.totalKeys, 0)
    }

    func testCutFilesAndDuplicateKeysStopTheLoadCleanly() throws {
        let h = Harness()
        fill(h)
        h.run("SAVE")
        let path = h.server.persistence.dumpPath
        let full = try readAll(path)
        var cuts = Array(stride(from: 0, to: full.count, by: max(1, full.count / 150)))
        cuts += (max(0, full.count - 12)..<full.count)
        for cut in cuts {
            try writeAll(path, Array(full.prefix(cut)))
            let fresh = Harness(config: h.server.config)
            XCTAssertThrowsError(try fresh.server.persistence.loadNow(path), "cut \(cut)")
            XCTAssertEqual(fresh.server.keyspace.totalKeys, 0, "cut \(cut): nothing half-loaded")
        }
        // The same key twice: refused, naming it.
        var w = RDBWriter(MemorySink())
        try w.header()
        try w.selectDB(0)
        try w.entry(key: Bytes("twice".utf8), value: .string(.int(1)), expireAt: nil)
        try w.entry(key: Bytes("twice".utf8), value: .string(.int(2)), expireAt: nil)
        try w.finish()
        try writeAll(path, w.sink.bytes)
        let fresh = Harness(config: h.server.config)
        XCTAssertThrowsError(try fresh.server.persistence.loadNow(path)) { error in
            XCTAssertTrue("\(error)".contains("duplicate key"), "\(error)")
            XCTAssertTrue("\(error)".contains("twice"), "\(error)")
        }
        XCTAssertEqual(fresh.server.keyspace.totalKeys, 0)
    }

    func testDumpAndRestore() {
        let h = Harness()
        fill(h)
        for key in ["str", "int", "big", "long", "list", "biglist", "hash", "bighash", "ints", "bigset", "zset", "bigzset", "hll"] {
            guard case .bulk(let payload) = h.run("DUMP", key) else { return XCTFail(key) }
            let type = h.run("TYPE", key)
            let before = h.run("DEBUG", "DIGEST")
            XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes(key.utf8), Bytes("0"), payload]),
                           .error("BUSYKEY Target key name already exists."), key)
            XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes(key.utf8), Bytes("0"), payload, Bytes("REPLACE")]), .ok, key)
            XCTAssertEqual(h.run("TYPE", key), type)
            XCTAssertEqual(h.run("DEBUG", "DIGEST"), before, key)
        }
        XCTAssertEqual(h.run("DUMP", "missing"), .null)
        guard case .bulk(var payload) = h.run("DUMP", "str") else { return XCTFail() }
        _ = h.takePropagated()
        XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes("copy"), Bytes("5000"), payload]), .ok)
        if case .integer(let pttl) = h.run("PTTL", "copy") { XCTAssertTrue(pttl > 4900 && pttl <= 5000) } else { XCTFail() }
        h.server.deliverChanges()
        let records = h.takePropagated()
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records.first?.hasPrefix("0: RESTORE copy 0 "), true)
        XCTAssertEqual(records.last?.hasPrefix("0: PEXPIREAT copy "), true)
        XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes("x"), Bytes("-1"), payload]), .error("ERR Invalid TTL value, must be >= 0"))
        payload[1] ^= 1
        XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes("x"), Bytes("0"), payload]),
                       .error("ERR DUMP payload version or checksum are wrong"))
        XCTAssertEqual(h.run("RESTORE", "x", "0", "garbage-garbage"), .error("ERR DUMP payload version or checksum are wrong"))
        XCTAssertEqual(h.run("EXISTS", "x"), .integer(0))
    }

    /// A payload of RDB version 10 (Redis 7.0) restores, and goes on as Cairn's version 8
    /// DUMP, which Redis 4.0 replicas and loaders accept; a version 8 one goes on unchanged.
    func testRestoreOfNewerPayloadPropagatesAsVersion8() {
        let h = Harness()
        var v10: [UInt8] = [0, 4] + Array("text".utf8) + [10, 0]
        let crc = CRC64.checksum(v10)
        for i in 0..<8 { v10.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        h.server.deliverChanges()
        _ = h.takePropagated()
        XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes("k"), Bytes("0"), v10]), .ok)
        XCTAssertEqual(h.run("GET", "k"), .str("text"))
        guard case .bulk(let own) = h.run("DUMP", "k") else { return XCTFail() }
        XCTAssertEqual(DumpPayload.writtenVersion(own), 8)
        XCTAssertEqual(h.run([Bytes("RESTORE"), Bytes("same"), Bytes("0"), own]), .ok)
        h.server.deliverChanges()
        let argvs = h.propagated.map { $0.argv }
        XCTAssertEqual(argvs, [[Bytes("RESTORE"), Bytes("k"), Bytes("0"), own],
                               [Bytes("RESTORE"), Bytes("same"), Bytes("0"), own]])
    }
}

/// Small file helpers for the tests.
enum FileManagerLite {
    static func list(_ dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw ByteStreamError("opendir") }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }
}

func readAll(_ path: String) throws -> [UInt8] {
    var source = try FileSource(path: path)
    var out: [UInt8] = []
    while case let chunk = try source.read(max: 1 << 16), !chunk.isEmpty { out += chunk }
    return out
}

func writeAll(_ path: String, _ bytes: [UInt8]) throws {
    var sink = try FileSink(path: path)
    try sink.write(bytes)
    try sink.close()
}
