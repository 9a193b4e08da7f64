// Tests for HashValue and its packed form: reads and writes in both encodings,
// the one-way conversions at hash-max-ziplist-entries / -value, random edits
// against a Dictionary model, digests that ignore form and order, and in-place
// edits through the keyspace (no copy-on-write copy).
import XCTest
import CairnTestSupport
@testable import Engine

final class HashValueTests: XCTestCase {
    func b(_ s: String) -> Bytes { Bytes(s) }

    func testPackedBasics() {
        var p = PackedPairs()
        XCTAssertEqual(p.count, 0)
        XCTAssertEqual(p.capacity, 0, "an empty hash allocates nothing")
        XCTAssertTrue(p.set(b("a"), b("1")))
        XCTAssertTrue(p.set(b("b"), b("")))
        XCTAssertTrue(p.set(b(""), b("empty field")))
        XCTAssertFalse(p.set(b("a"), b("one")), "an update is not new")
        XCTAssertEqual(p.count, 3)
        XCTAssertEqual(p.value(for: b("a")), b("one"))
        XCTAssertEqual(p.value(for: b("b")), b(""))
        XCTAssertEqual(p.value(for: b("")), b("empty field"))
        XCTAssertNil(p.value(for: b("c")))
        XCTAssertEqual(p.valueLength(for: b("a")), 3)
        var order: [Bytes] = []
        p.forEach { f, _ in order.append(f) }
        XCTAssertEqual(order, [b("a"), b("b"), b("")], "insertion order, updates keep their place")
        XCTAssertTrue(p.remove(b("b")))
        XCTAssertFalse(p.remove(b("b")))
        XCTAssertEqual(p.count, 2)
        XCTAssertTrue(p.remove(b("a")))
        XCTAssertTrue(p.remove(b("")))
        XCTAssertEqual(p.capacity, 0, "an emptied hash frees its buffer")
    }

    func testPackedLayoutAndLongLengths() {
        var p = PackedPairs()
        let long = Bytes(repeating: 120, count: 300)
        p.set(b("f"), long)
        // A listpack: total bytes (314) and entry count (2), "f" as a 6-bit string with its
        // back-length (2), then 300 bytes as a 12-bit string (0xE1 0x2C) with a 2-byte back-length.
        XCTAssertEqual(Array(p.encoded.prefix(11)), [0x3A, 0x01, 0, 0, 2, 0, 0x81, UInt8(ascii: "f"), 2, 0xE1, 0x2C])
        XCTAssertEqual(p.encoded.count, 6 + 3 + (2 + 300 + 2) + 1)
        XCTAssertEqual(Array(p.encoded.suffix(3)), [0x02, 0xAE, 0xFF], "back-length 302: 2, then 46 | 0x80")
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(p.value(for: b("f")), long)
        p.set(b("f"), b("short"))
        XCTAssertEqual(p.encoded.count, 6 + 3 + 7 + 1)
        XCTAssertEqual(Array(p.encoded.prefix(4)), [17, 0, 0, 0])
        p.set(b("f"), long)
        XCTAssertEqual(p.value(for: b("f")), long)
        // Canonical integers take the integer encodings; look-alikes stay strings.
        var q = PackedPairs()
        q.set(b("12"), b("-1"))
        XCTAssertEqual(q.encoded, [12, 0, 0, 0, 2, 0, 12, 1, 0xDF, 0xFF, 2, 0xFF])
        q.set(b("12"), b("012"))
        XCTAssertEqual(q.encoded, [14, 0, 0, 0, 2, 0, 12, 1, 0x83, 0x30, 0x31, 0x32, 4, 0xFF])
        XCTAssertEqual(q.value(for: b("12")), b("012"))
        XCTAssertEqual(q.valueLength(for: b("12")), 3)
        XCTAssertNil(q.value(for: b("012")), "an integer entry matches only its canonical text")
    }

    func testConversionAtEntryLimit() {
        var limits = EncodingLimits()
        limits.hashMaxPackedEntries = 4
        var h = HashValue()
        for i in 0..<4 { h.set(b("f\(i)"), b("v\(i)"), limits: limits) }
        XCTAssertEqual(h.encodingName, "ziplist")
        h.set(b("f0"), b("updated"), limits: limits)
        XCTAssertEqual(h.encodingName, "ziplist", "an update does not add an entry")
        h.set(b("f4"), b("v4"), limits: limits)
        XCTAssertEqual(h.encodingName, "hashtable")
        XCTAssertEqual(h.count, 5)
        XCTAssertEqual(h.value(for: b("f0")), b("updated"))
        for i in 0..<5 { h.remove(b("f\(i)")) }
        XCTAssertEqual(h.count, 0)
        XCTAssertEqual(h.encodingName, "hashtable", "no conversion back")
    }

    func testConversionForLongStrings() {
        var limits = EncodingLimits()
        limits.hashMaxPackedValue = 8
        var h = HashValue()
        h.convertIfAnyLonger(than: limits.hashMaxPackedValue, [b("12345678"), b("x")])
        h.set(b("12345678"), b("x"), limits: limits)
        XCTAssertEqual(h.encodingName, "ziplist", "exactly the limit stays packed")
        // Redis's hashTypeSet alone does not check lengths (HINCRBYFLOAT's path).
        h.set(b("g"), b("123456789"), limits: limits)
        XCTAssertEqual(h.encodingName, "ziplist")
        h.convertIfAnyLonger(than: limits.hashMaxPackedValue, [b("h"), b("123456789")])
        XCTAssertEqual(h.encodingName, "hashtable")
        XCTAssertEqual(h.value(for: b("g")), b("123456789"))
        XCTAssertEqual(h.value(for: b("12345678")), b("x"))
        let built = HashValue(pairs: [(b("a"), b("123456789"))], limits: limits)
        XCTAssertEqual(built.encodingName, "hashtable")
        limits.hashMaxPackedEntries = 0
        XCTAssertEqual(HashValue(pairs: [(b("a"), b("1"))], limits: limits).encodingName, "hashtable")
    }

    func testRandomEditsAgainstModel() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<20 {
            var limits = EncodingLimits()
            limits.hashMaxPackedEntries = [0, 1, 8, 64, 512][round % 5]
            limits.hashMaxPackedValue = [4, 16, 64][round % 3]
            var h = HashValue()
            var model: [Bytes: Bytes] = [:]
            var wasTable = false
            for _ in 0..<600 {
                let field = b("f\(rng.next() % 80)")
                let value = Bytes(repeating: UInt8(ascii: "a") + UInt8(rng.next() % 26), count: Int(rng.next() % 20))
                switch rng.next() % 3 {
                case 0, 1:
                    h.convertIfAnyLonger(than: limits.hashMaxPackedValue, [field, value])
                    XCTAssertEqual(h.set(field, value, limits: limits), model[field] == nil)
                    model[field] = value
                default:
                    XCTAssertEqual(h.remove(field), model.removeValue(forKey: field) != nil)
                }
                if !h.isPacked { wasTable = true }
                XCTAssertEqual(h.isPacked, !wasTable, "conversion is one way")
                XCTAssertEqual(h.count, model.count)
            }
            for (f, v) in model {
                XCTAssertEqual(h.value(for: f), v)
                XCTAssertEqual(h.valueLength(for: f), v.count)
                XCTAssertTrue(h.contains(f))
            }
            var seen: [Bytes: Bytes] = [:]
            h.forEach { seen[$0] = $1 }
            XCTAssertEqual(seen, model)
            var viewed = 0
            h.forEachView { f, v in
                viewed += 1
                XCTAssertEqual(model[Array(f)], Array(v))
            }
            XCTAssertEqual(viewed, model.count)
        }
    }

    func testDigestIgnoresFormAndOrder() {
        var small = EncodingLimits()
        small.hashMaxPackedEntries = 1
        let pairs = (0..<10).map { (b("field\($0)"), b("value\($0)")) }
        let packed = HashValue(pairs: pairs, limits: EncodingLimits())
        let table = HashValue(pairs: pairs.reversed(), limits: small)
        XCTAssertEqual(packed.encodingName, "ziplist")
        XCTAssertEqual(table.encodingName, "hashtable")
        XCTAssertEqual(packed, table)
        var d1 = [UInt8](repeating: 0, count: 20), d2 = d1
        packed.mixDigest(into: &d1)
        table.mixDigest(into: &d2)
        XCTAssertEqual(d1, d2)
        // The value matters, not only the field.
        var other = packed
        other.set(b("field0"), b("changed"), limits: EncodingLimits())
        var d3 = [UInt8](repeating: 0, count: 20)
        other.mixDigest(into: &d3)
        XCTAssertNotEqual(d1, d3)
        XCTAssertNotEqual(packed, other)
    }

    func testDigestMatchesRedis() {
        // redis-server 7.0: HSET h a 1 b 2 c 3, then DEBUG DIGEST-VALUE h (the type number, then the pairs).
        let h = HashValue(pairs: [(b("a"), b("1")), (b("b"), b("2")), (b("c"), b("3"))], limits: EncodingLimits())
        var d = [UInt8](repeating: 0, count: 20)
        DatasetDigest.mix(&d, [0, 0, 0, 4])
        h.mixDigest(into: &d)
        XCTAssertEqual(DatasetDigest.hex(d), "b60c36e529712296d694f27b5914cbe84950995e")
    }

    func testCopiesAreIndependentAndEditsInPlace() {
        var small = EncodingLimits()
        small.hashMaxPackedEntries = 2
        let ks = Keyspace(databases: 1)
        let key = b("h")
        ks.add(0, key, .hash(HashValue(pairs: (0..<5).map { (b("f\($0)"), b("v")) }, limits: small)))
        let snapshot = ks.value(0, ks.peek(0, key)!)
        let i = ks.peek(0, key)!
        do {
            guard case .hash(var shared) = ks.take(0, i) else { return XCTFail() }
            XCTAssertFalse(shared.storageIsUnique(), "a snapshot still holds the table")
            shared.set(b("new"), b("x"), limits: small)
            ks.replace(0, i, with: .hash(shared))
        }
        guard case .hash(let old) = snapshot else { return XCTFail() }
        XCTAssertNil(old.value(for: b("new")), "the snapshot is unchanged")
        XCTAssertEqual(old.count, 5)
        // Without another holder, a taken value is edited in place.
        do {
            guard case .hash(var unique) = ks.take(0, i) else { return XCTFail() }
            XCTAssertTrue(unique.storageIsUnique())
            unique.remove(b("new"))
            ks.replace(0, i, with: .hash(unique))
        }
        guard case .hash(let back) = ks.value(0, i) else { return XCTFail() }
        XCTAssertEqual(back.count, 5)
    }
}

