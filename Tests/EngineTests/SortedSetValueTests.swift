// Tests for Engine/Types/SortedSet*.swift: both encodings, conversion at the
// thresholds, random operations against a sorted-array model (ranks, rank ranges,
// score and lex ranges, removal), the tree's invariants, ZSCAN completeness and
// DEBUG DIGEST values captured from redis-server 7.0.
import XCTest
import CairnTestSupport
@testable import Engine

/// The reference: a plain array kept sorted by (score, member).
private struct Model {
    var items: [SortedSetEntry] = []

    func index(_ m: Bytes) -> Int? { items.firstIndex { $0.member == m } }

    mutating func set(_ m: Bytes, _ s: Double) {
        if let i = index(m) { items.remove(at: i) }
        items.append(SortedSetEntry(member: m, score: s))
        items.sort { compareItems($0.score, $0.member, $1.score, $1.member) < 0 }
    }

    mutating func remove(_ m: Bytes) -> Bool {
        guard let i = index(m) else { return false }
        items.remove(at: i)
        return true
    }

    func ranks(_ r: SortedSetScoreRange) -> Range<Int> {
        let lo = items.firstIndex { r.isAboveMin($0.score) } ?? items.count
        let hi = items.firstIndex { !r.isBelowMax($0.score) } ?? items.count
        return lo..<max(lo, hi)
    }

    func ranks(_ r: SortedSetLexRange) -> Range<Int> {
        let lo = items.firstIndex { e in e.member.withUnsafeBytes { r.isAboveMin($0) } } ?? items.count
        let hi = items.firstIndex { e in e.member.withUnsafeBytes { !r.isBelowMax($0) } } ?? items.count
        return lo..<max(lo, hi)
    }
}

private func limits(entries: Int, value: Int = 64) -> EncodingLimits {
    var l = EncodingLimits()
    l.zsetMaxPackedEntries = entries
    l.zsetMaxPackedValue = value
    return l
}

final class SortedSetValueTests: XCTestCase {
    func testPackedScoresRoundTrip() {
        let scores: [Double] = [0, 1, 239, 240, -1, 127, 128, -128, -129, 32767, 32768, -40000,
                                1_099_511_627_776, -18_014_398_509_481_984, 36_028_797_018_963_967, 36_028_797_018_963_968, 1.5,
                                -0.0, .infinity, -.infinity, 1e300, -1e-300, 0.1, 3479099956230698]
        var z = SortedSetValue()
        for (i, s) in scores.enumerated() {
            XCTAssertEqual(z.add(Bytes("m\(i)"), score: s, limits: limits(entries: 128)), .added(s))
        }
        XCTAssertEqual(z.encodingName, "ziplist")
        for (i, s) in scores.enumerated() {
            let got = z.score(Bytes("m\(i)"))
            XCTAssertEqual(got?.bitPattern, s.bitPattern, "score \(s) kept bit for bit")
        }
        let all = z.allEntries.map { $0.score }
        XCTAssertEqual(all, scores.sorted(), "ascending")
    }

    func testValueIsOneWord() {
        XCTAssertEqual(MemoryLayout<SortedSetValue>.size, 8, "an array or a class reference, no more")
    }

    func testConversionAtEntryLimit() {
        let l = limits(entries: 4)
        var z = SortedSetValue()
        for i in 0..<4 { _ = z.add(Bytes("m\(i)"), score: Double(i), limits: l) }
        XCTAssertEqual(z.encodingName, "ziplist")
        _ = z.add(Bytes("m0"), score: 10, limits: l)
        XCTAssertEqual(z.encodingName, "ziplist", "an update does not grow the set")
        _ = z.add(Bytes("m4"), score: 4, limits: l)
        XCTAssertEqual(z.encodingName, "skiplist")
        XCTAssertEqual(z.count, 5)
        XCTAssertEqual(z.allEntries.map { $0.member.text }, ["m1", "m2", "m3", "m4", "m0"])
        z.remove(Bytes("m4"))
        z.remove(Bytes("m3"))
        XCTAssertEqual(z.encodingName, "skiplist", "never converts back by itself")
        XCTAssertTrue(z.checkInvariants())
    }

    func testConversionAtValueLimit() {
        let l = limits(entries: 128, value: 64)
        var z = SortedSetValue()
        _ = z.add(Bytes(String(repeating: "a", count: 64)), score: 1, limits: l)
        XCTAssertEqual(z.encodingName, "ziplist", "64 bytes fits")
        _ = z.add(Bytes(String(repeating: "b", count: 65)), score: 2, limits: l)
        XCTAssertEqual(z.encodingName, "skiplist")
        var zero = SortedSetValue()
        _ = zero.add(Bytes("x"), score: 1, limits: limits(entries: 0))
        XCTAssertEqual(zero.encodingName, "skiplist", "zset-max-ziplist-entries 0 never packs")
        XCTAssertEqual(zero.score(Bytes("x")), 1)
    }

    func testStoredResultEncoding() {
        let small = (0..<10).map { SortedSetEntry(member: Bytes("m\($0)"), score: Double(10 - $0)) }
        XCTAssertEqual(SortedSetValue(entries: small, limits: limits(entries: 10)).encodingName, "ziplist")
        XCTAssertEqual(SortedSetValue(entries: small, limits: limits(entries: 9)).encodingName, "skiplist")
        let z = SortedSetValue(entries: small, limits: limits(entries: 9))
        XCTAssertEqual(z.entries(ranks: 0..<2).map { $0.member.text }, ["m9", "m8"])
        XCTAssertEqual(z, SortedSetValue(entries: small, limits: limits(entries: 128)), "equality ignores encoding")
    }

    func testAddModes() {
        let l = limits(entries: 128)
        for packed in [true, false] {
            var z = SortedSetValue()
            let lim = packed ? l : limits(entries: 0)
            XCTAssertEqual(z.add(Bytes("a"), score: 1, mode: .init(onlyExisting: true), limits: lim), .skipped)
            XCTAssertEqual(z.add(Bytes("a"), score: 1, limits: lim), .added(1))
            XCTAssertEqual(z.add(Bytes("a"), score: 5, mode: .init(onlyNew: true), limits: lim), .skipped)
            XCTAssertEqual(z.add(Bytes("a"), score: 1, limits: lim), .unchanged(1))
            XCTAssertEqual(z.add(Bytes("a"), score: 2.5, mode: .init(increment: true), limits: lim), .updated(3.5))
            XCTAssertEqual(z.add(Bytes("a"), score: .infinity, limits: lim), .updated(.infinity))
            XCTAssertEqual(z.add(Bytes("a"), score: -.infinity, mode: .init(increment: true), limits: lim), .notANumber)
            XCTAssertEqual(z.score(Bytes("a")), .infinity, "unchanged after NaN")
            XCTAssertEqual(z.add(Bytes("b"), score: 7, mode: .init(increment: true), limits: lim), .added(7))
            XCTAssertEqual(z.rank(Bytes("b")), 0)
            XCTAssertEqual(z.rank(Bytes("a")), 1)
            XCTAssertNil(z.rank(Bytes("c")))
        }
    }

    /// Random operations on both encodings, checked against the model after each step.
    func testRandomOperationsAgainstModel() {
        var rng = SplitMix64(seed: 0x25E7)
        addTeardownBlock { [unowned self] in if (self.testRun?.failureCount ?? 0) > 0 { print("testRandomOperationsAgainstModel: \(rng)") } }
        for (entries, rounds, pool) in [(128, 3000, 40), (16, 3000, 60), (0, 6000, 400)] {
            let l = limits(entries: entries, value: 8)
            var z = SortedSetValue()
            var model = Model()
            for step in 0..<rounds {
                let m = Bytes("m\(Int.random(in: 0..<pool, using: &rng))" + (Int.random(in: 0..<20, using: &rng) == 0 ? "-long-member" : ""))
                let s = Double(Int.random(in: -5...5, using: &rng)) + (Bool.random(using: &rng) ? 0.5 : 0)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0...4:
                    _ = z.add(m, score: s, limits: l)
                    model.set(m, s)
                case 5:
                    XCTAssertEqual(z.remove(m), model.remove(m))
                case 6:
                    let range = SortedSetScoreRange(min: Double(Int.random(in: -6...6, using: &rng)),
                                                    max: Double(Int.random(in: -6...6, using: &rng)),
                                                    minExclusive: Bool.random(using: &rng),
                                                    maxExclusive: Bool.random(using: &rng))
                    XCTAssertEqual(z.ranks(in: range), model.ranks(range))
                    if Int.random(in: 0..<4, using: &rng) == 0 {
                        let r = z.ranks(in: range)
                        XCTAssertEqual(z.removeRanks(r), r.count)
                        model.items.removeSubrange(r)
                    }
                case 7:
                    let a = Int.random(in: -2...(model.items.count + 2), using: &rng)
                    let b = Int.random(in: a...(model.items.count + 3), using: &rng)
                    let lower = min(max(a, 0), model.items.count)
                    let clamped = lower..<max(lower, min(b, model.items.count))
                    XCTAssertEqual(z.entries(ranks: a..<b), Array(model.items[clamped]))
                    XCTAssertEqual(z.entries(ranks: a..<b, reverse: true), Array(model.items[clamped].reversed()))
                case 8:
                    XCTAssertEqual(z.rank(m), model.index(m))
                    XCTAssertEqual(z.score(m), model.index(m).map { model.items[$0].score })
                default:
                    // Lex ranges over the members of one score band (all scores equal there).
                    let bounds: [SortedSetLexRange.Bound] = [.minusInfinity, .plusInfinity, .inclusive(Bytes("m1")),
                                                             .exclusive(Bytes("m2")), .inclusive(Bytes("m3"))]
                    let range = SortedSetLexRange(min: bounds.randomElement(using: &rng)!, max: bounds.randomElement(using: &rng)!)
                    var same = SortedSetValue()
                    var sameModel = Model()
                    for e in model.items {
                        _ = same.add(e.member, score: 0, limits: l)
                        sameModel.set(e.member, 0)
                    }
                    XCTAssertEqual(same.ranks(in: range), sameModel.ranks(range))
                }
                XCTAssertEqual(z.count, model.items.count)
                if step % 500 == 0 || step == rounds - 1 {
                    XCTAssertEqual(z.allEntries, model.items, "entries \(entries) step \(step)")
                    XCTAssertTrue(z.checkInvariants())
                }
            }
            if entries == 0 { XCTAssertEqual(z.encodingName, "skiplist") }
        }
    }

    /// Enough members for a three-level tree, inserted and removed in random order.
    func testLargeTreeStaysBalanced() {
        let l = limits(entries: 0)
        var z = SortedSetValue()
        var members = (0..<20000).map { Bytes("member:\($0)") }
        members.shuffle()
        for (i, m) in members.enumerated() { _ = z.add(m, score: Double(i % 997), limits: l) }
        XCTAssertTrue(z.checkInvariants())
        XCTAssertEqual(z.count, 20000)
        let sorted = z.allEntries
        for r in stride(from: 0, to: 20000, by: 997) {
            XCTAssertEqual(z.rank(sorted[r].member), r)
            XCTAssertEqual(z.entries(ranks: r..<(r + 1)), [sorted[r]])
        }
        members.shuffle()
        for m in members.prefix(19000) { XCTAssertTrue(z.remove(m)) }
        XCTAssertTrue(z.checkInvariants())
        XCTAssertEqual(z.count, 1000)
        XCTAssertEqual(z.removeRanks(100..<900), 800)
        XCTAssertTrue(z.checkInvariants())
        XCTAssertEqual(z.count, 200)
    }

    func testCopiesDoNotShareChanges() {
        let l = limits(entries: 0)
        var a = SortedSetValue()
        for i in 0..<100 { _ = a.add(Bytes("m\(i)"), score: Double(i), limits: l) }
        var b = a
        _ = b.add(Bytes("new"), score: 1000, limits: l)
        b.remove(Bytes("m1"))
        XCTAssertEqual(a.count, 100)
        XCTAssertNotNil(a.score(Bytes("m1")))
        XCTAssertNil(a.score(Bytes("new")))
        XCTAssertEqual(b.count, 100)
        XCTAssertTrue(a.checkInvariants() && b.checkInvariants())
    }

    /// Every member present for the whole scan is returned, while others come and go.
    func testScanReturnsEveryStableMember() {
        let l = limits(entries: 0)
        var z = SortedSetValue()
        for i in 0..<2000 { _ = z.add(Bytes("keep\(i)"), score: Double(i), limits: l) }
        var seen = Set<Bytes>()
        var cursor: UInt64 = 0
        var round = 0
        repeat {
            let (next, entries) = z.scan(cursor: cursor, count: 10)
            for e in entries { seen.insert(e.member) }
            cursor = next
            round += 1
            // Grow and shrink the table while scanning.
            if round % 3 == 0 {
                for j in 0..<50 { _ = z.add(Bytes("tmp\(round)-\(j)"), score: 1, limits: l) }
            } else if round % 3 == 1 {
                for j in 0..<50 { z.remove(Bytes("tmp\(round - 1)-\(j)")) }
            }
        } while cursor != 0 && round < 100_000
        for i in 0..<2000 { XCTAssertTrue(seen.contains(Bytes("keep\(i)")), "keep\(i)") }
        let packed = SortedSetValue(entries: [SortedSetEntry(member: Bytes("a"), score: 1)], limits: EncodingLimits())
        let (next, entries) = packed.scan(cursor: 0, count: 1)
        XCTAssertEqual(next, 0)
        XCTAssertEqual(entries.count, 1)
    }

    /// DEBUG DIGEST-VALUE answers captured from redis-server 7.0 (type mixed first).
    func testDigestMatchesRedis() {
        func digestValue(_ z: SortedSetValue) -> String {
            var d = [UInt8](repeating: 0, count: 20)
            DatasetDigest.mix(&d, [0, 0, 0, 3])
            z.mixDigest(into: &d)
            return DatasetDigest.hex(d)
        }
        let entries = [SortedSetEntry(member: Bytes("a"), score: 0.1), SortedSetEntry(member: Bytes("b"), score: 2),
                       SortedSetEntry(member: Bytes("c"), score: .infinity)]
        for l in [limits(entries: 128), limits(entries: 0)] {
            XCTAssertEqual(digestValue(SortedSetValue(entries: entries, limits: l)), "13e5e17f4cfa3b5365c39d2f47ef9eb0b43994bc")
            XCTAssertEqual(digestValue(SortedSetValue(entries: [SortedSetEntry(member: Bytes("a"), score: 1)], limits: l)),
                           "430190c6ed5abafff87d97b4f51a92796ed05895")
        }
    }

    func testRangeParsing() {
        XCTAssertEqual(SortedSetScoreRange(min: Bytes("(1.5"), max: Bytes("+inf")),
                       SortedSetScoreRange(min: 1.5, max: .infinity, minExclusive: true))
        XCTAssertEqual(SortedSetScoreRange(min: Bytes(""), max: Bytes(" 5"))?.max, 5, "strtod: empty is 0, spaces lead")
        XCTAssertEqual(SortedSetScoreRange(min: Bytes("("), max: Bytes("1"))?.min, 0)
        XCTAssertNil(SortedSetScoreRange(min: Bytes("1x"), max: Bytes("2")))
        XCTAssertNil(SortedSetScoreRange(min: Bytes("nan"), max: Bytes("2")))
        XCTAssertEqual(SortedSetScoreRange(min: Bytes("1\u{0}junk"), max: Bytes("2"))?.min, 1, "C stops at NUL")
        XCTAssertEqual(SortedSetLexRange(min: Bytes("-"), max: Bytes("[b")),
                       SortedSetLexRange(min: .minusInfinity, max: .inclusive(Bytes("b"))))
        XCTAssertEqual(SortedSetLexRange(min: Bytes("(a"), max: Bytes("+"))?.min, .exclusive(Bytes("a")))
        for bad in ["", "a", "+x", "-x"] { XCTAssertNil(SortedSetLexRange(min: Bytes(bad), max: Bytes("+")), bad) }
    }
}
