// InteropTests: files Cairn writes pass redis-check-rdb 7.0 and load in
// redis-server 7.0 holding the same data (checked by having that server SAVE
// again and reading its file back).
import XCTest
import Foundation
import Engine
@testable import RDB

@discardableResult
func runTool(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe; p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func freePort() -> Int { Int.random(in: 20000..<60000) }

final class InteropTests: XCTestCase {
    func testWrittenFilePassesRedisCheckRDBAndLoadsInRedisServer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-rdb-\(getpid())-\(Int.random(in: 0..<1_000_000))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
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

        let port = freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        server.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir.path, "--dbfilename", "x.rdb",
                            "--save", "", "--appendonly", "no", "--daemonize", "no"]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var up = false
        for _ in 0..<100 {
            if (try? runTool("/usr/bin/redis-cli", ["-p", "\(port)", "ping"]))?.output.contains("PONG") == true { up = true; break }
            usleep(50_000)
        }
        XCTAssertTrue(up, "redis-server did not come up")
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
