// CorruptionTests: truncated and corrupted files give a clear RDBError (with
// an offset inside the file), never a crash and never a silently wrong load.
import XCTest
import Engine
@testable import RDB

final class CorruptionTests: XCTestCase {
    func small() throws -> [UInt8] {
        try writeRDB([
            RDBEntry(db: 0, key: Bytes("s"), value: .string(Bytes(String(repeating: "ab", count: 40)))),
            RDBEntry(db: 0, key: Bytes("l"), value: .list(["a", "1", "b"].map { Bytes($0) }), expireMs: 5),
            RDBEntry(db: 1, key: Bytes("z"), value: .zset([ZMember(Bytes("m"), 1.5)])),
            RDBEntry(db: 1, key: Bytes("h"), value: .hash([HashField(Bytes("f"), Bytes("v"))])),
            RDBEntry(db: 1, key: Bytes("i"), value: .set(["1", "2"].map { Bytes($0) })),
        ])
    }

    func testEveryTruncationIsAnError() throws {
        for file in [try small(), try fixture("redis7-unsupported.rdb")] {
            for cut in 0..<file.count {
                XCTAssertThrowsError(try readAll(Array(file[..<cut])), "cut at \(cut)") { e in
                    guard let err = e as? RDBError else { return XCTFail("not an RDBError: \(e)") }
                    XCTAssertLessThanOrEqual(err.offset, cut)
                }
            }
            XCTAssertNoThrow(try readAll(file))
        }
    }

    func testEveryBitFlipIsCaught() throws {
        // With a checksum, any single flipped bit is an error.
        let file = try small()
        for i in 0..<file.count {
            for bit in 0..<8 {
                var f = file; f[i] ^= UInt8(1 << bit)
                XCTAssertThrowsError(try readAll(f), "byte \(i) bit \(bit)")
            }
        }
    }

    func testRandomCorruptionWithoutChecksumNeverTraps() throws {
        // Without a checksum, corruption may load or fail, but must not trap or hang.
        var rng = SystemRandomNumberGenerator()
        let base = try writeRDB(sampleDataset(), checksum: false)
        let fixtureFile = try fixture("redis7-nochecksum.rdb")
        for round in 0..<300 {
            var f = round % 2 == 0 ? base : fixtureFile
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                f[Int.random(in: 9..<f.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? readAll(f)
        }
    }

    func testCorruptLengthsDoNotAllocate() throws {
        // A string claiming 2^62 bytes, a list claiming 2^40 elements: errors, fast.
        let huge: [UInt8] = Bytes("REDIS0008") + [0xFE, 0x00, 0x00, 0x01, 0x6B, 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertThrowsError(try readAll(huge))
        let many: [UInt8] = Bytes("REDIS0008") + [0xFE, 0x00, 0x01, 0x01, 0x6B, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0x01, 0x61]
        XCTAssertThrowsError(try readAll(many)) { XCTAssertTrue(String(describing: $0).contains("key \"k\""), "\($0)") }
        let lzf: [UInt8] = Bytes("REDIS0008") + [0x00, 0x01, 0x6B, 0xC3, 0x02, 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x61]
        XCTAssertThrowsError(try readAll(lzf))
    }

    func testErrorsNameKeyTypeAndOffset() throws {
        let file = try fixture("redis7-all.rdb")
        // An unknown type byte where the entry's type byte is: the error is at that offset.
        let (_, _, entries) = try readAll(file)
        let e = entries.first { $0.key == Bytes("hash:small") }!
        var f = file
        let typeAt = e.expireMs != nil ? e.offset + 9 : e.offset
        f[typeAt] = 0x42
        XCTAssertThrowsError(try readAll(f)) { err in
            let r = err as! RDBError
            XCTAssertEqual(r.offset, typeAt)
            XCTAssertTrue(r.message.contains("0x42"))
        }
        // A bad compact value inside an entry: the error names the key, the encoding and the type.
        let bad = Bytes("REDIS0008") + [0x0D, 0x01, 0x6B, 0x0B] + Array(CompactEncoder.ziplist([Bytes("f"), Bytes("v")]).dropLast()) + [0xFE, 0xFF]
        XCTAssertThrowsError(try readAll(bad)) { err in
            let r = err as! RDBError
            XCTAssertEqual(r.key, Bytes("k"))
            XCTAssertTrue(r.message.contains("ziplist value of type hash"), r.message)
            XCTAssertEqual(r.offset, 12)
        }
    }
}
