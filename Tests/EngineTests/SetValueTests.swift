// Tests for SetValue and its intset form: Redis's intset blob layout and width
// upgrades, the conversions at set-max-intset-entries and on non-integers,
// random edits against a Swift Set model, random removal, SSCAN over a table,
// and digests that match redis-server's.
import XCTest
import CairnTestSupport
@testable import Engine

final class SetValueTests: XCTestCase {
    func b(_ s: String) -> Bytes { Bytes(s) }

    func testIntsetLayoutIsRedis() {
        var s = IntSet()
        XCTAssertEqual(s.capacity, 0, "the empty set allocates nothing")
        XCTAssertEqual(s.blob, [2, 0, 0, 0, 0, 0, 0, 0])
        s.insert(5)
        s.insert(-3)
        s.insert(5)
        // encoding 2 (int16), length 2, then -3 and 5 little-endian.
        XCTAssertEqual(s.blob, [2, 0, 0, 0, 2, 0, 0, 0, 0xFD, 0xFF, 5, 0])
        s.insert(70000)
        XCTAssertEqual(s.width, 4, "a wider element upgrades every element")
        XCTAssertEqual(s.blob.count, 8 + 3 * 4)
        s.insert(Int64.min)
        XCTAssertEqual(s.width, 8)
        var all: [Int64] = []
        s.forEach { all.append($0) }
        XCTAssertEqual(all, [Int64.min, -3, 5, 70000], "a negative upgrade goes first")
        s.insert(Int64.max)
        XCTAssertEqual(s.element(at: 4), Int64.max)
        XCTAssertTrue(s.remove(Int64.min))
        XCTAssertTrue(s.remove(Int64.max))
        XCTAssertEqual(s.width, 8, "removal never narrows")
        XCTAssertFalse(s.remove(12345))
        XCTAssertFalse(s.contains(70001))
        XCTAssertTrue(s.contains(70000))
        // The blob reads back to the same set: same width, same elements, same bytes.
        let back = IntSet(blob: s.blob)
        XCTAssertEqual(back, s)
        XCTAssertEqual(back?.width, 8)
        var backElements: [Int64] = []
        back?.forEach { backElements.append($0) }
        XCTAssertEqual(backElements, [-3, 5, 70000])
        XCTAssertEqual(back?.blob, s.blob)
        XCTAssertEqual(IntSet(blob: IntSet().blob), IntSet(), "the empty set round-trips")
        XCTAssertNil(IntSet(blob: [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0]), "duplicates are refused")
        XCTAssertNil(IntSet(blob: [3, 0, 0, 0, 0, 0, 0, 0]), "bad width")
        XCTAssertNil(IntSet(blob: [2, 0, 0, 0, 2, 0, 0, 0, 5, 0]), "short")
    }

    /// A blob is taken only when its elements strictly ascend as signed numbers of its
    /// width: out of order or repeated anywhere, first pair or last, it is refused.
    func testIntsetBlobOrderIsCheckedAtEveryWidth() {
        let cases: [(width: Int, values: [Int64])] = [
            (2, [Int64(Int16.min), -300, -1, 0, 1, 255, 256, Int64(Int16.max)]),
            (4, [Int64(Int32.min), -70000, -1, 0, 65536, Int64(Int32.max)]),
            (8, [Int64.min, -(1 << 40), -1, 0, 1 << 33, Int64.max]),
        ]
        func blob(_ w: Int, _ values: [Int64]) -> Bytes {
            var out: Bytes = [UInt8(w), 0, 0, 0]
            for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: values.count >> (8 * k))) }
            for v in values { for k in 0..<w { out.append(UInt8(truncatingIfNeeded: v >> (8 * Int64(k)))) } }
            return out
        }
        for (w, values) in cases {
            let set = IntSet(blob: blob(w, values))
            XCTAssertEqual(set?.width, w)
            var back: [Int64] = []
            set?.forEach { back.append($0) }
            XCTAssertEqual(back, values, "width \(w)")
            for i in 0..<(values.count - 1) {
                var swapped = values
                swapped.swapAt(i, i + 1)
                XCTAssertNil(IntSet(blob: blob(w, swapped)), "width \(w): elements \(i) and \(i + 1) swapped")
                var repeated = values
                repeated[i + 1] = repeated[i]
                XCTAssertNil(IntSet(blob: blob(w, repeated)), "width \(w): element \(i) repeated")
            }
        }
    }

    func testIntsetRandomAgainstModel() {
        var rng = SplitMix64(seed: 7)
        var s = IntSet()
        var model = Set<Int64>()
        let ranges: [ClosedRange<Int64>] = [-100...100, -40000...40000, -3_000_000_000...3_000_000_000, Int64.min...Int64.max]
        for step in 0..<4000 {
            let r = ranges[(step / 1000) % ranges.count]
            let v = Int64.random(in: r, using: &rng)
            if rng.next() % 3 == 0, let any = model.randomElement(using: &rng) {
                XCTAssertTrue(s.remove(any))
                model.remove(any)
            } else {
                XCTAssertEqual(s.insert(v), model.insert(v).inserted)
            }
        }
        var all: [Int64] = []
        s.forEach { all.append($0) }
        XCTAssertEqual(all, model.sorted(), "\(rng)")
        XCTAssertEqual(IntSet(blob: s.blob), s, "\(rng): the blob reads back to the same set")
        XCTAssertEqual(s.count, model.count)
    }

    func testFirstMemberPicksTheForm() {
        XCTAssertEqual(SetValue(forFirstMember: b("12")).encodingName, "intset")
        XCTAssertEqual(SetValue(forFirstMember: b("-9223372036854775808")).encodingName, "intset")
        for text in ["a", "01", "+1", " 1", "1.0", "-0", "9223372036854775808", ""] {
            XCTAssertEqual(SetValue(forFirstMember: b(text)).encodingName, "hashtable", text)
        }
        XCTAssertEqual(SetValue().encodingName, "intset")
    }

    func testConversions() {
        var limits = EncodingLimits()
        limits.setMaxIntsetEntries = 3
        var s = SetValue(forFirstMember: b("1"))
        for m in ["1", "2", "3", "3"] { s.add(b(m), limits: limits) }
        XCTAssertEqual(s.encodingName, "intset")
        XCTAssertEqual(s.members, [b("1"), b("2"), b("3")])
        s.add(b("4"), limits: limits)
        XCTAssertEqual(s.encodingName, "hashtable", "past set-max-intset-entries")
        XCTAssertEqual(Set(s.members), Set(["1", "2", "3", "4"].map(b)))
        s.remove(b("4"))
        XCTAssertEqual(s.encodingName, "hashtable", "no conversion back")

        var t = SetValue(forFirstMember: b("1"))
        t.add(b("1"), limits: EncodingLimits())
        t.add(b("01"), limits: EncodingLimits())
        XCTAssertEqual(t.encodingName, "hashtable", "a non-canonical integer is a string")
        XCTAssertTrue(t.contains(b("1")))
        XCTAssertTrue(t.contains(b("01")))
        XCTAssertEqual(t.count, 2)

        var intset = SetValue(members: [b("7")], limits: EncodingLimits())
        XCTAssertFalse(intset.contains(b("07")))
        XCTAssertFalse(intset.remove(b("x")))
        XCTAssertTrue(intset.remove(b("7")))
        XCTAssertEqual(intset.count, 0)
    }

    func testRandomEditsAgainstModel() {
        var rng = SplitMix64(seed: 99)
        for round in 0..<12 {
            var limits = EncodingLimits()
            limits.setMaxIntsetEntries = [0, 4, 64, 512][round % 4]
            let allowStrings = round % 3 != 0
            var s = SetValue()
            var model = Set<Bytes>()
            for _ in 0..<800 {
                let n = rng.next() % 100
                let m = allowStrings && n % 7 == 0 ? b("m\(n)") : b(String(Int64(n) - 50))
                switch rng.next() % 4 {
                case 0, 1: XCTAssertEqual(s.add(m, limits: limits), model.insert(m).inserted)
                case 2: XCTAssertEqual(s.remove(m), model.remove(m) != nil)
                default:
                    if let popped = s.removeRandom(using: &rng) {
                        XCTAssertNotNil(model.remove(popped), "popped a member")
                    } else {
                        XCTAssertTrue(model.isEmpty)
                    }
                }
                XCTAssertEqual(s.count, model.count)
            }
            XCTAssertEqual(Set(s.members), model)
            for m in model { XCTAssertTrue(s.contains(m)) }
            if !model.isEmpty, let r = s.randomMember(using: &rng) { XCTAssertTrue(model.contains(r)) }
        }
    }

    func testScanOfTableReturnsEveryMember() {
        var limits = EncodingLimits()
        limits.setMaxIntsetEntries = 0
        var s = SetValue(forFirstMember: b("x"))
        for i in 0..<1000 { s.add(b("member\(i)"), limits: limits) }
        var cursor: UInt64 = 0
        var seen = Set<Bytes>()
        var steps = 0
        repeat {
            let (next, members) = s.scan(cursor: cursor, count: 10)
            seen.formUnion(members)
            cursor = next
            steps += 1
        } while cursor != 0
        XCTAssertEqual(seen.count, 1000)
        XCTAssertGreaterThan(steps, 10, "a table is walked in steps")
        let (next, all) = SetValue(members: [b("1"), b("2")], limits: EncodingLimits()).scan(cursor: 0, count: 1)
        XCTAssertEqual(next, 0, "an intset answers at once")
        XCTAssertEqual(all, [b("1"), b("2")])
    }

    func testDigestMatchesRedis() {
        // redis-server 7.0: SADD s 1 2 3; SADD t a b 1; DEBUG DIGEST-VALUE s t.
        for (members, expected) in [(["1", "2", "3"], "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"),
                                    (["a", "b", "1"], "e8f32bbb1ad9bf537c8867de4f19fec9e001296d")] {
            let s = SetValue(members: members.map(b), limits: EncodingLimits())
            var d = [UInt8](repeating: 0, count: 20)
            DatasetDigest.mix(&d, [0, 0, 0, 2])
            s.mixDigest(into: &d)
            XCTAssertEqual(DatasetDigest.hex(d), expected)
        }
    }

    func testEqualityIgnoresForm() {
        var small = EncodingLimits()
        small.setMaxIntsetEntries = 1
        let a = SetValue(members: ["1", "2", "3"].map(b), limits: EncodingLimits())
        let c = SetValue(members: ["3", "2", "1"].map(b), limits: small)
        XCTAssertEqual(a.encodingName, "intset")
        XCTAssertEqual(c.encodingName, "hashtable")
        XCTAssertEqual(a, c)
        XCTAssertNotEqual(a, SetValue(members: ["1", "2"].map(b), limits: EncodingLimits()))
    }
}
