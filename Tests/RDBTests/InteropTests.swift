// InteropTests: files Cairn writes pass redis-check-rdb 7.0 and load in
// redis-server 7.0 holding the same data (checked by having that server SAVE
// again and reading its file back).
import XCTest
import Foundation
import Engine
import CairnTestSupport
@testable import RDB

final class InteropTests: XCTestCase {
    func testWrittenFilePassesRedisCheckRDBAndLoadsInRedisServer() throws {
        let tmp = TempDir(prefix: "rdb")
        defer { tmp.remove() }
        let dir = URL(fileURLWithPath: tmp.path)
        let data = sampleDataset()
        let file = dir.appendingPathComponent("x.rdb")
        var w = RDBWriter(try FileSink(path: file.path))
        try w.header()
        try w.standardAux(ctime: 1_700_000_000, usedMem: 123_456)
        for db in Set(data.map { $0.db }).sorted() {
            try w.selectDB(db)
            for e in data where e.db == db { try w.entry(e) }
        }
        try w.finish()
        try w.sink.close()

        let check = try runTool("/usr/bin/redis-check-rdb", [file.path])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("RDB looks OK"), check.output)
        XCTAssertTrue(check.output.contains("Checksum OK"), check.output)

        guard let redis = RedisServer(directory: dir.path, extra: ["--dbfilename", "x.rdb"]) else {
            return XCTFail("redis-server (Debian's 7.0) is a test peer and must be installed")
        }
        defer { redis.stop() }
        let port = redis.port
        let info = try runTool("/usr/bin/redis-cli", ["-p", "\(port)", "info", "keyspace"]).output
        XCTAssertTrue(info.contains("db0:keys=14,expires=2"), info)
        XCTAssertTrue(info.contains("db1:keys=3,expires=1"), info)
        XCTAssertTrue(info.contains("db9:keys=1"), info)
        XCTAssertEqual(try runTool("/usr/bin/redis-cli", ["-p", "\(port)", "save"]).output.trimmingCharacters(in: .whitespacesAndNewlines), "OK")
        let (version, _, entries) = try readAll(Array(try Data(contentsOf: file)))
        XCTAssertEqual(version, 10, "the file now is redis-server's own save")
        assertSameDataset(entries, data)
    }
}
