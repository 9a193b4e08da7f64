// StreamTests: reading does not depend on how the source cuts its chunks, the
// file source and sink work, and an AOF-style preamble (RDB followed by other
// bytes) reads with strictEnd off.
import XCTest
import Foundation
import Engine
@testable import RDB

/// Hands out at most `chunk` bytes per read.
struct ChunkedSource: ByteSource {
    var inner: MemorySource
    let chunk: Int
    mutating func read(max: Int) throws -> [UInt8] { try inner.read(max: Swift.min(max, chunk)) }
}

final class StreamTests: XCTestCase {
    func testChunkingDoesNotChangeEvents() throws {
        let file = try fixture("redis7-all.rdb")
        let whole = try events(file)
        for chunk in [1, 2, 7, 4096] {
            var r = RDBReader(ChunkedSource(inner: MemorySource(file), chunk: chunk))
            var evs: [RDBEvent] = []
            while let e = try r.next() { evs.append(e) }
            XCTAssertEqual(evs, whole, "chunk \(chunk)")
        }
    }

    func testFileSinkAndSource() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-stream-\(getpid()).rdb").path
        defer { unlink(path) }
        var w = RDBWriter(try FileSink(path: path))
        try w.header()
        try w.selectDB(0)
        let big = RDBEntry(db: 0, key: Bytes("big"), value: .list((0..<50_000).map { Bytes("value-\($0)") }))
        try w.entry(big)
        try w.finish()
        try w.sink.close()
        var r = RDBReader(try FileSource(path: path))
        let (_, _, entries) = try r.readAll()
        XCTAssertEqual(entries.map { $0.value }, [big.value])
        XCTAssertThrowsError(try FileSource(path: "/nonexistent/file"))
    }

    func testPreambleFollowedByCommands() throws {
        let rdb = try writeRDB([RDBEntry(db: 0, key: Bytes("k"), value: .string(Bytes("v")))])
        let aof = rdb + Bytes("*1\r\n$4\r\nPING\r\n")
        XCTAssertThrowsError(try readAll(aof)) { XCTAssertTrue(String(describing: $0).contains("after the checksum")) }
        var r = RDBReader(MemorySource(aof))
        r.strictEnd = false
        let (_, _, entries) = try r.readAll()
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(r.offset, rdb.count, "the reader stops right after the trailer")
    }
}
