// CorruptionTests: truncated and corrupted files give a clear RDBError (with
// an offset inside the file), never a crash and never a silently wrong load.
import XCTest
import Engine
import CairnTestSupport
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

    /// `file` with 1...8 bytes after the 9-byte header changed (each to a different value).
    private func corrupt(_ file: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var f = file
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            f[Int.random(in: 9..<f.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
        }
        return f
    }

    func testRandomCorruptionWithChecksumIsRefused() throws {
        // A checksum-covered file with bytes changed after the header (the version, which
        // decides whether there is a checksum, is left alone) never loads: it fails with an
        // RDBError at an offset inside the file, whatever the bytes decode to on the way.
        var rng = SplitMix64(seed: 0xC0FFEE)
        let base = try writeRDB(sampleDataset())
        let fixtureFile = try fixture("redis7-all.rdb")
        for round in 0..<300 {
            let f = corrupt(round % 2 == 0 ? base : fixtureFile, &rng)
            guard f != (round % 2 == 0 ? base : fixtureFile) else { continue }
            XCTAssertThrowsError(try readAll(f), "\(rng) round \(round)") { e in
                guard let err = e as? RDBError else { return XCTFail("\(rng) round \(round): not an RDBError: \(e)") }
                XCTAssertLessThanOrEqual(err.offset, f.count, "\(rng) round \(round)")
            }
        }
    }

    func testRandomCorruptionWithoutChecksumFailsCleanlyOrRoundTrips() throws {
        // Without a checksum, corruption may load or fail, but must not trap or hang; a
        // failure is an RDBError inside the file, and what loads is a dataset the writer
        // writes and the reader reads back unchanged (so nothing half-decoded got through).
        var rng = SplitMix64(seed: 0xBADF00D)
        let base = try writeRDB(sampleDataset(), checksum: false)
        let fixtureFile = try fixture("redis7-nochecksum.rdb")
        var loaded = 0, refused = 0
        for round in 0..<300 {
            let f = corrupt(round % 2 == 0 ? base : fixtureFile, &rng)
            let context = "\(rng) round \(round)"
            let entries: [RDBEntry]
            do {
                entries = try readAll(f).entries
            } catch let err as RDBError {
                XCTAssertLessThanOrEqual(err.offset, f.count, context)
                refused += 1
                continue
            } catch {
                XCTFail("\(context): not an RDBError: \(error)")
                continue
            }
            loaded += 1
            let writable = entries.filter { e in
                if case .unsupported = e.value { return false }
                return e.value.count > 0
            }
            let back = try readAll(writeRDB(writable)).entries
            XCTAssertEqual(back.count, writable.count, context)
            assertSameDataset(back, writable, context)
        }
        XCTAssertGreaterThan(refused, 0, "\(rng): some corruptions must be refused")
        XCTAssertGreaterThan(loaded, 0, "\(rng): some corruptions must still load (values changed in place)")
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
