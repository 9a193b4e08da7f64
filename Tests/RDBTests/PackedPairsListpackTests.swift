// PackedPairsListpackTests: a packed hash's buffer is a real listpack. Random
// edits against a Dictionary model (texts that are canonical integers, integer
// look-alikes that must stay strings, empty, and strings past the 6-bit and
// 12-bit length forms), with the buffer checked by ListpackDecoder after every
// step; and listpacks written by other tools (string "12", wide integer
// encodings, header count 65535) adopted from a file and still found and edited.
import XCTest
import Engine
import CairnTestSupport
@testable import RDB

final class PackedPairsListpackTests: XCTestCase {
    static let texts: [Bytes] = {
        var t = ["0", "1", "12", "127", "128", "-1", "4095", "-4096", "4096", "32767", "-32769", "8388607",
                 "-8388609", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
                 "012", "-0", "+1", " 1", "9223372036854775808", "-9223372036854775809", "1.5", "", "a", "field"].map { Bytes($0) }
        t.append(Bytes(repeating: UInt8(ascii: "x"), count: 63))
        t.append(Bytes(repeating: UInt8(ascii: "y"), count: 64))
        t.append(Bytes(repeating: UInt8(ascii: "z"), count: 4095))
        t.append(Bytes(repeating: UInt8(ascii: "w"), count: 4096))
        t.append(Bytes(repeating: UInt8(ascii: "v"), count: 17000))
        return t
    }()

    /// `p`'s buffer is a valid listpack whose header counts its entries, holding `order`'s pairs
    /// (each encoded as Cairn writes it when `canonical`).
    func assertListpack(_ p: PackedPairs, _ order: [Bytes], _ model: [Bytes: Bytes], _ context: String, canonical: Bool = true) {
        let lp = p.encoded
        if order.isEmpty {
            XCTAssertTrue(lp.isEmpty, context)
            XCTAssertEqual(p.capacity, 0, context)
            return
        }
        var entries: [Bytes] = []
        XCTAssertNoThrow(try lp.withUnsafeBytes { buf in _ = try ListpackDecoder.walk(buf) { entries.append($0.bytesValue) } }, context)
        XCTAssertEqual(Int(lp[4]) | Int(lp[5]) << 8, 2 * order.count, context)
        XCTAssertEqual(entries, order.flatMap { [$0, model[$0]!] }, context)
        // Canonical integers are stored as integer entries, everything else as strings.
        guard canonical else { return }
        lp.withUnsafeBytes { buf in
            var i = 0
            _ = try? ListpackDecoder.walk(buf) { e in
                let text = entries[i]
                if case .int = e { XCTAssertNotNil(text.parseInt64(), "\(context): \(text.text) as an integer") } else {
                    XCTAssertNil(text.parseInt64(), "\(context): \(text.text) as a string")
                }
                i += 1
            }
        }
    }

    func testRandomEditsAgainstAModel() {
        var g = SplitMix64(seed: 0x11571AC)
        let texts = Self.texts
        for round in 0..<60 {
            var p = PackedPairs()
            var model: [Bytes: Bytes] = [:]
            var order: [Bytes] = []
            for step in 0..<120 {
                let f = texts[Int(g.next() % UInt64(texts.count))]
                let v = texts[Int(g.next() % UInt64(texts.count))]
                let context = "round \(round) step \(step)"
                switch g.next() % 4 {
                case 0, 1:
                    XCTAssertEqual(p.set(f, v), model[f] == nil, context)
                    if model[f] == nil { order.append(f) }
                    model[f] = v
                case 2:
                    XCTAssertEqual(p.remove(f), model[f] != nil, context)
                    if model.removeValue(forKey: f) != nil { order.removeAll { $0 == f } }
                default:
                    XCTAssertEqual(p.value(for: f), model[f], context)
                    XCTAssertEqual(p.valueLength(for: f), model[f]?.count, context)
                    XCTAssertEqual(p.contains(f), model[f] != nil, context)
                }
                XCTAssertEqual(p.count, model.count, context)
                assertListpack(p, order, model, context)
                var seen: [Bytes] = []
                p.withPairs { fv, vv in
                    seen.append(Array(fv))
                    XCTAssertEqual(Array(vv), model[Array(fv)], context)
                }
                XCTAssertEqual(seen, order, context)
            }
        }
    }

    /// A listpack of `entries`, each written as given (encoding bytes and data), with back-lengths.
    func listpack(_ entries: [[UInt8]], declared: Int? = nil) -> [UInt8] {
        var body: [UInt8] = []
        for e in entries {
            precondition(e.count < 128)
            body += e + [UInt8(e.count)]
        }
        let total = 6 + body.count + 1
        let n = declared ?? entries.count
        return (0..<4).map { UInt8(truncatingIfNeeded: total >> (8 * $0)) } + [UInt8(n & 0xFF), UInt8(n >> 8)] + body + [0xFF]
    }

    func str(_ s: String) -> [UInt8] { [0x80 | UInt8(s.utf8.count)] + Array(s.utf8) }
    func int64(_ v: Int64) -> [UInt8] { [0xF4] + (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * Int64($0))) } }

    /// Loads one hash listpack the way a server does (engine mode), LZF-compressed when `compressed`.
    func loadHash(_ blob: [UInt8], compressed: Bool = false) throws -> HashValue {
        let n = blob.count
        var file = Bytes("REDIS0011") + [RDBType.hashListpack.rawValue, 1, UInt8(ascii: "k")]
        if compressed {
            let packed = LZF.compress(blob, limit: blob.count)!
            file += [0xC3, 0x40 | UInt8(packed.count >> 8), UInt8(truncatingIfNeeded: packed.count),
                     0x40 | UInt8(n >> 8), UInt8(truncatingIfNeeded: n)] + packed
        } else {
            file += [0x80, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + blob
        }
        file += [0xFF] + [UInt8](repeating: 0, count: 8)
        var r = RDBReader(MemorySource(file))
        r.engineLimits = EncodingLimits()
        while let ev = try r.next() {
            if case .entry(let e) = ev, case .engine(.hash(let h)) = e.value { return h }
        }
        throw NoHashLoaded()
    }

    func testForeignListpacksAreAdoptedAndFound() throws {
        // "12" as a string, 7 and -3 as 64-bit entries, a count of 65535 ("count them").
        let blob = listpack([str("12"), str("a"), int64(7), int64(-3), str("f"), str("7")], declared: 65535)
        var h = try loadHash(blob)
        XCTAssertTrue(h.isPacked)
        XCTAssertEqual(h.packedPairs?.encoded, blob, "adopted as it is")
        XCTAssertEqual(h.count, 3)
        XCTAssertEqual(h.value(for: Bytes("12")), Bytes("a"))
        XCTAssertEqual(h.value(for: Bytes("7")), Bytes("-3"))
        XCTAssertNil(h.value(for: Bytes("07")))
        XCTAssertEqual(h.valueLength(for: Bytes("7")), 2)
        XCTAssertEqual(h.value(for: Bytes("f")), Bytes("7"))
        XCTAssertEqual(h.pairs.map { $0.0 }, [Bytes("12"), Bytes("7"), Bytes("f")])
        // Edits keep it a valid listpack, with its count now written.
        XCTAssertFalse(h.set(Bytes("12"), Bytes("b"), limits: EncodingLimits()))
        XCTAssertFalse(h.set(Bytes("7"), Bytes("long value past one byte of length"), limits: EncodingLimits()))
        XCTAssertTrue(h.set(Bytes("new"), Bytes("100"), limits: EncodingLimits()))
        XCTAssertTrue(h.remove(Bytes("f")))
        let model: [Bytes: Bytes] = [Bytes("12"): Bytes("b"), Bytes("7"): Bytes("long value past one byte of length"), Bytes("new"): Bytes("100")]
        assertListpack(h.packedPairs!, [Bytes("12"), Bytes("7"), Bytes("new")], model, "edited", canonical: false)
    }

    func testCompressedListpackBecomesTheValue() throws {
        // Decompressed straight into the value's buffer: it must be whole, its own, and editable.
        var order: [Bytes] = [], model: [Bytes: Bytes] = [:]
        var entries: [[UInt8]] = []
        for i in 0..<40 {
            let f = Bytes("field:\(i)"), v = i % 3 == 0 ? Bytes("\(i * 1000)") : Bytes("value-value-value-\(i)")
            order.append(f); model[f] = v
            entries += [str(f.text), i % 3 == 0 ? int64(Int64(i * 1000)) : str(v.text)]
        }
        let blob = listpack(entries)
        var h = try loadHash(blob, compressed: true)
        XCTAssertEqual(h.packedPairs?.encoded, blob)
        XCTAssertEqual(h.count, 40)
        let copy = h
        XCTAssertTrue(h.set(Bytes("new"), Bytes("x"), limits: EncodingLimits()))
        XCTAssertEqual(copy.packedPairs?.encoded, blob, "a copy is not edited with it")
        order.append(Bytes("new")); model[Bytes("new")] = Bytes("x")
        assertListpack(h.packedPairs!, order, model, "compressed, edited", canonical: false)
        XCTAssertThrowsError(try loadHash(listpack(entries + [str("field:7"), str("again")]), compressed: true))
    }

    func testIntegerFieldAndItsTextAreDuplicates() throws {
        let cases: [[[UInt8]]] = [[str("12"), str("x"), int64(12), str("y")], [[12], str("x"), str("12"), str("y")],
                                   [[0xC0 | 0x1F, 0xFF], str("x"), str("-1"), str("y")]]
        for entries in cases {
            XCTAssertThrowsError(try loadHash(listpack(entries))) { e in
                XCTAssertEqual((e as? RDBError)?.message, "duplicate hash fields", "\(e)")
            }
        }
    }
}

/// The file held no hash in engine form: a test failure, not a skip.
struct NoHashLoaded: Error {}
