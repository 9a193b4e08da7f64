// EngineModeTests: the reader's engine mode (RDBReader.engineLimits,
// PackedLoading.swift) must give exactly what the neutral model followed by
// engineValue(limits:) gives: the same values in the same encodings, and for
// a damaged file the same error (offset, key, message).
import XCTest
import Engine
import CairnTestSupport
@testable import RDB

final class EngineModeTests: XCTestCase {
    /// Small limits, so that blobs from files convert to the general forms and nodes compress.
    static let tiny: EncodingLimits = {
        var l = EncodingLimits()
        l.hashMaxPackedEntries = 1; l.hashMaxPackedValue = 2
        l.zsetMaxPackedEntries = 1; l.zsetMaxPackedValue = 2
        l.setMaxIntsetEntries = 2; l.listCompressDepth = 1
        return l
    }()

    /// Every key's engine value, or the first error, reading `file` in one mode.
    func load(_ file: [UInt8], _ limits: EncodingLimits, engine: Bool) -> (values: [(Bytes, Value)], error: String?) {
        var r = RDBReader(MemorySource(file))
        if engine { r.engineLimits = limits }
        var values: [(Bytes, Value)] = []
        do {
            while let ev = try r.next() {
                guard case .entry(let e) = ev, case .unsupported = e.value else {
                    if case .entry(let e) = ev { values.append((e.key, try e.engineValue(limits: limits))) }
                    continue
                }
            }
        } catch let e as RDBError {
            return (values, "\(e.offset) \(e.key.map { $0.text } ?? "-") \(e.message)")
        } catch {
            return (values, "not an RDBError: \(error)")
        }
        return (values, nil)
    }

    func assertAgree(_ file: [UInt8], _ limits: EncodingLimits, _ context: String, file f: StaticString = #filePath, line: UInt = #line) {
        let a = load(file, limits, engine: false), b = load(file, limits, engine: true)
        XCTAssertEqual(a.error, b.error, context, file: f, line: line)
        XCTAssertEqual(a.values.count, b.values.count, context, file: f, line: line)
        for (x, y) in zip(a.values, b.values) {
            XCTAssertEqual(x.0, y.0, context, file: f, line: line)
            XCTAssertEqual(x.1, y.1, "\(context) key \(x.0.text)", file: f, line: line)
            XCTAssertEqual(x.1.encodingName, y.1.encodingName, "\(context) key \(x.0.text)", file: f, line: line)
        }
    }

    func testFilesLoadTheSameBothWays() throws {
        let files = [("redis7-all", try fixture("redis7-all.rdb")), ("redis7-nochecksum", try fixture("redis7-nochecksum.rdb")),
                     ("cairn sample", try writeRDB(sampleDataset()))]
        for (name, file) in files {
            for (ln, limits) in [("default", EncodingLimits()), ("tiny", Self.tiny)] {
                assertAgree(file, limits, "\(name), \(ln) limits")
                XCTAssertNil(load(file, limits, engine: true).error, name)
            }
        }
    }

    func testRandomCorruptionGivesTheSameOutcome() throws {
        var rng = SplitMix64(seed: 0xE461E)
        let files = [try fixture("redis7-nochecksum.rdb"), try writeRDB(sampleDataset(), checksum: false)]
        for round in 0..<400 {
            var f = files[round % 2]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                f[Int.random(in: 9..<f.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            assertAgree(f, round % 4 < 2 ? EncodingLimits() : Self.tiny, "round \(round)")
        }
    }

    // MARK: hand-made listpacks

    enum Item { case s(String), i(Int64) }

    /// A listpack of `items` (strings under 64 bytes, integers as 64-bit entries).
    func listpack(_ items: [Item]) -> [UInt8] {
        var body: [UInt8] = []
        for item in items {
            var entry: [UInt8]
            switch item {
            case .s(let s): entry = [0x80 | UInt8(s.utf8.count)] + Array(s.utf8)
            case .i(let v): entry = [0xF4] + (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * Int64($0))) }
            }
            body += entry + [UInt8(entry.count)]
        }
        let total = 6 + body.count + 1
        return (0..<4).map { UInt8(truncatingIfNeeded: total >> (8 * $0)) } + [UInt8(items.count), 0] + body + [0xFF]
    }

    /// An RDB 11 file holding one key "k" of `type` whose value is the string `blob`.
    func file(type: RDBType, _ blob: [UInt8], prefix: [UInt8] = []) -> [UInt8] {
        let n = blob.count
        return Bytes("REDIS0011") + [type.rawValue, 1, UInt8(ascii: "k")] + prefix
            + [0x80, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
            + blob + [0xFF] + [UInt8](repeating: 0, count: 8)
    }

    /// Both modes agree on `f` under both limits, and the engine mode loads it or fails with `expected`.
    func assertOutcome(_ f: [UInt8], _ name: String, _ expected: String?, file: StaticString = #filePath, line: UInt = #line) {
        for limits in [EncodingLimits(), Self.tiny] {
            assertAgree(f, limits, name, file: file, line: line)
            let got = load(f, limits, engine: true)
            if let expected {
                XCTAssertTrue(got.error?.contains(expected) ?? false, "\(name): \(got.error ?? "loaded")", file: file, line: line)
            } else {
                XCTAssertNil(got.error, name, file: file, line: line)
            }
        }
    }

    func testPackedChecksAreKept() {
        let cases: [(String, [UInt8], String?)] = [
            ("hash", file(type: .hashListpack, listpack([.s("a"), .s("1"), .s("b"), .i(2)])), nil),
            ("hash with an integer field and its text", file(type: .hashListpack, listpack([.s("12"), .s("x"), .i(12), .s("y")])), "duplicate hash fields"),
            ("hash with a field twice", file(type: .hashListpack, listpack([.s("f"), .s("x"), .s("f"), .s("y")])), "duplicate hash fields"),
            ("hash with an odd count", file(type: .hashListpack, listpack([.s("f"), .s("x"), .s("g")])), "odd number of entries"),
            ("zset out of order", file(type: .zsetListpack, listpack([.s("b"), .i(2), .s("a"), .s("1.5"), .s("c"), .s("1.5")])), nil),
            ("zset with a member twice", file(type: .zsetListpack, listpack([.s("a"), .i(1), .s("a"), .i(2)])), "duplicate sorted set members"),
            ("zset with an integer member and its text", file(type: .zsetListpack, listpack([.i(7), .i(1), .s("7"), .i(2)])), "duplicate sorted set members"),
            ("zset with a NaN score", file(type: .zsetListpack, listpack([.s("a"), .s("nan")])), "NaN score"),
            ("zset with a bad score", file(type: .zsetListpack, listpack([.s("a"), .s("1x")])), "invalid score"),
            ("zset with inf scores", file(type: .zsetListpack, listpack([.s("a"), .s("-inf"), .s("b"), .s("inf")])), nil),
            ("list", file(type: .listQuicklist2, listpack([.s("a"), .i(-5), .s("123"), .s("")]), prefix: [1, 2]), nil),
            ("list of a plain node", file(type: .listQuicklist2, Array("plain".utf8), prefix: [1, 1]), nil),
            ("list with a bad container", file(type: .listQuicklist2, listpack([.s("a")]), prefix: [1, 3]), "bad quicklist node container"),
        ]
        for (name, f, expected) in cases { assertOutcome(f, name, expected) }
        // Every truncation and every changed byte of a listpack hash: the same outcome both ways.
        let f = file(type: .hashListpack, listpack([.s("f1"), .s("v1"), .i(300), .s("v2")]))
        for cut in 10..<f.count { assertAgree(Array(f[..<cut]), EncodingLimits(), "cut at \(cut)") }
        for i in 9..<(f.count - 9) {
            var g = f
            g[i] ^= 0x41
            assertAgree(g, EncodingLimits(), "byte \(i) changed")
        }
    }

    /// An RDB 11 file holding one plain hash "k" (RDB_TYPE_HASH) of `pairs`.
    func plainHashFile(_ pairs: [(String, String)]) -> [UInt8] {
        var out = Bytes("REDIS0011") + [RDBType.hash.rawValue, 1, UInt8(ascii: "k"), UInt8(pairs.count)]
        for (f, v) in pairs { out += [UInt8(f.utf8.count)] + Array(f.utf8) + [UInt8(v.utf8.count)] + Array(v.utf8) }
        return out + [0xFF] + [UInt8](repeating: 0, count: 8)
    }

    /// An RDB 11 file holding one key "k" of `type` whose value is `blob` LZF-compressed.
    func compressedFile(type: RDBType, _ blob: [UInt8], prefix: [UInt8] = []) -> [UInt8] {
        let packed = LZF.compress(blob, limit: blob.count)!
        return Bytes("REDIS0011") + [type.rawValue, 1, UInt8(ascii: "k")] + prefix + [0xC3, 0x40 | UInt8(packed.count >> 8),
                                     UInt8(truncatingIfNeeded: packed.count), 0x40 | UInt8(blob.count >> 8),
                                     UInt8(truncatingIfNeeded: blob.count)]
            + packed + [0xFF] + [UInt8](repeating: 0, count: 8)
    }

    func testPlainHashesAndCompressedBlobsAgree() {
        let pairs = (0..<5).map { ("field-\($0)", "value-\($0)") }
        let members = (0..<20).flatMap { [Item.s("member-\($0)"), $0 % 2 == 0 ? .i(Int64($0)) : .s("\($0).5")] }
        let files = [
            ("plain hash", plainHashFile(pairs), nil),
            ("plain hash with a field twice", plainHashFile(pairs + [("field-1", "again"), ("z", "z")]), "duplicate hash fields"),
            ("compressed zset", compressedFile(type: .zsetListpack, listpack(members)), nil),
            ("compressed hash", compressedFile(type: .hashListpack, listpack(pairs.flatMap { [Item.s($0.0), .s($0.1)] })), nil),
            ("compressed list", compressedFile(type: .listQuicklist2, listpack(members), prefix: [1, 2]), nil),
        ]
        for (name, f, expected) in files {
            assertOutcome(f, name, expected)
            // Every truncation and every changed byte: the same outcome both ways.
            for cut in 10..<f.count { assertAgree(Array(f[..<cut]), Self.tiny, "\(name) cut at \(cut)") }
            for i in 9..<(f.count - 9) {
                var g = f
                g[i] ^= 0x41
                assertAgree(g, i % 2 == 0 ? EncodingLimits() : Self.tiny, "\(name) byte \(i) changed")
            }
        }
    }

    /// An RDB 11 file of string keys "s0", "s1", ... holding `values` (each already encoded:
    /// a length and the bytes, an integer encoding, or an LZF one).
    func stringsFile(_ values: [[UInt8]]) -> [UInt8] {
        var out = Bytes("REDIS0011")
        for (k, v) in values.enumerated() {
            let key = Array("s\(k)".utf8)
            out += [RDBType.string.rawValue, UInt8(key.count)] + key + v
        }
        return out + [0xFF] + [UInt8](repeating: 0, count: 8)
    }

    func testStringsLoadTheSameBothWaysShortOnesBoxed() throws {
        let texts = (0...70).map { n in (0..<n).map { UInt8(ascii: "a") &+ UInt8($0 % 26) } }
        var values = texts.map { t in (t.count < 64 ? [UInt8(t.count)] : [0x40, UInt8(t.count)]) + t }
        values += [[0xC0, 0x85], [0xC1, 0x34, 0x12], [0xC2, 1, 2, 3, 4], [2] + Array("42".utf8)]
        let long = Array(String(repeating: "compressible ", count: 20).utf8)
        let packed = LZF.compress(long, limit: long.count)!
        values.append([0xC3, 0x40 | UInt8(packed.count >> 8), UInt8(truncatingIfNeeded: packed.count), 0x40 | UInt8(long.count >> 8), UInt8(truncatingIfNeeded: long.count)] + packed)
        let f = stringsFile(values)
        assertOutcome(f, "strings", nil)
        let loaded = load(f, EncodingLimits(), engine: true).values
        XCTAssertEqual(loaded.count, values.count)
        for (n, t) in texts.enumerated() {
            guard case .string(let s) = loaded[n].1 else { XCTFail("s\(n) not a string"); continue }
            XCTAssertEqual(s.bytes, t)
            if case .embedded = s { XCTAssertLessThanOrEqual(n, embstrSizeLimit) } else { XCTAssertGreaterThan(n, embstrSizeLimit, "s\(n) not boxed") }
        }
        XCTAssertEqual(loaded[71].1, .string(.int(-123)))
        XCTAssertEqual(loaded[72].1, .string(.int(0x1234)))
        XCTAssertEqual(loaded[73].1, .string(.int(0x0403_0201)))
        XCTAssertEqual(loaded[74].1, .string(.int(42)))
        XCTAssertEqual(loaded[75].1, .string(.bytes(long, raw: false)))
        // Every truncation: the same error both ways.
        for cut in 10..<f.count { assertAgree(Array(f[..<cut]), EncodingLimits(), "cut at \(cut)") }
    }

    func testUnsortedZsetIsSortedAndPacked() throws {
        let f = file(type: .zsetListpack, listpack([.s("b"), .i(2), .s("a"), .s("1.5"), .s("c"), .s("1.5")]))
        let v = load(f, EncodingLimits(), engine: true).values
        guard case .zset(let z)? = v.first?.1 else { return XCTFail("no zset") }
        XCTAssertEqual(z.encodingName, "ziplist")
        XCTAssertEqual(z.allEntries.map { $0.member.text }, ["a", "c", "b"])
    }
}
