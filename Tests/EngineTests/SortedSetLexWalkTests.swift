import XCTest
@testable import Engine

/// Lex ranges over members with different scores, walked as Redis 4.0 walks them.
/// Expected answers were read from a real Redis 4.0.14: the ziplist's exactly; for a
/// skiplist (zset-max-ziplist-entries 0) Redis's answer can depend on its nodes'
/// random levels, and the expected one is among the answers 20 copies gave.
final class SortedSetLexWalkTests: XCTestCase {
    private func set(_ pairs: [(String, Double)], packed: Bool) -> SortedSetValue {
        var limits = EncodingLimits()
        if !packed { limits.zsetMaxPackedEntries = 0 }
        let z = SortedSetValue(entries: pairs.map { SortedSetEntry(member: Bytes($0.0), score: $0.1) }, limits: limits)
        XCTAssertEqual(z.isPacked, packed)
        return z
    }

    private func range(_ min: String, _ max: String) -> SortedSetLexRange {
        SortedSetLexRange(min: Bytes(min), max: Bytes(max))!
    }

    private func members(_ z: SortedSetValue, _ r: Range<Int>, reverse: Bool = false) -> [String] {
        z.entries(ranks: r, reverse: reverse).map { $0.member.text }
    }

    /// Order a x b foo zz: "in range" is not one interval of ranks.
    private let mixed: [(String, Double)] = [("a", 1), ("x", 2), ("b", 3), ("foo", 4), ("zz", 5)]

    func testWalksStopAtTheFirstElementOutsideTheRange() {
        for packed in [true, false] {
            let z = set(mixed, packed: packed)
            // The first element above "foo" is "x", which is not below "x": nothing.
            XCTAssertEqual(z.lexRemovalRanks(range("(foo", "(x")).count, 0, "packed \(packed)")
            XCTAssertEqual(members(z, z.lexRangeRanks(range("[b", "[y"), reverse: false)), ["x", "b", "foo"])
            XCTAssertEqual(z.lexCount(range("[b", "[y")), 3)
            // LIMIT's offset skips without testing: "x" and "b" skipped, then "foo".
            XCTAssertEqual(members(z, z.lexRangeRanks(range("[a", "[y"), reverse: false, offset: 2, limit: 5)), ["b", "foo"])
        }
    }

    func testReverseStartDiffersBetweenEncodings() {
        // Order b a z bb; "<= bb" holds for b, a, not z, then bb again.
        let pairs: [(String, Double)] = [("b", 1), ("a", 2), ("z", 3), ("bb", 4)]
        // Packed: from the tail, the first element "<= bb" is bb; walking back while
        // ">= a" takes everything.
        let p = set(pairs, packed: true)
        XCTAssertEqual(members(p, p.lexRangeRanks(range("[a", "[bb"), reverse: true), reverse: true), ["bb", "z", "a", "b"])
        XCTAssertEqual(p.lexCount(range("[a", "[bb")), 2)
        // Tree: the leading run b, a ends at a; walking back gives a, b (one of the
        // answers a Redis skiplist gives, depending on its nodes' levels).
        let t = set(pairs, packed: false)
        XCTAssertEqual(members(t, t.lexRangeRanks(range("[a", "[bb"), reverse: true), reverse: true), ["a", "b"])
        XCTAssertEqual(t.lexCount(range("[a", "[bb")), 2)
    }

    func testRemovalOnTheTreeSkipsTheAnyInRangeTest() {
        // Order a zz b: the tail "b" is below "[c", so the packed form removes nothing,
        // while a skiplist descent lands on "zz" and removes zz and b.
        let pairs: [(String, Double)] = [("a", 1), ("zz", 2), ("b", 3)]
        XCTAssertEqual(set(pairs, packed: true).lexRemovalRanks(range("[c", "[zz")), 0..<0)
        XCTAssertEqual(set(pairs, packed: false).lexRemovalRanks(range("[c", "[zz")), 1..<3)
    }

    func testTreeCountIsRankDifference() {
        // Order b a z: first in range b (rank 0); the leading run of "<= y" ends at a,
        // which is below "[b", so Redis counts from b to the end: 3.
        let pairs: [(String, Double)] = [("b", 1), ("a", 2), ("z", 3)]
        XCTAssertEqual(set(pairs, packed: false).lexCount(range("[b", "[y")), 3)
        XCTAssertEqual(set(pairs, packed: true).lexCount(range("[b", "[y")), 2)
    }

    func testEmptyBoundsAndEqualScoresAgreeWithRankIntervals() {
        let z = set((0..<50).map { (String(format: "m%02d", $0), 0) }, packed: false)
        XCTAssertEqual(z.lexCount(range("[m10", "(m20")), 10)
        XCTAssertEqual(z.lexRangeRanks(range("[m10", "(m20"), reverse: true, offset: 2, limit: 3), 15..<18)
        XCTAssertEqual(z.lexCount(range("(m10", "[m10")), 0)
        XCTAssertEqual(z.lexCount(range("+", "-")), 0)
        XCTAssertEqual(z.lexCount(range("-", "+")), 50)
        for packed in [true, false] {
            let m = set(mixed, packed: packed)
            XCTAssertEqual(m.lexCount(range("[x", "[b")), 0, "min above max")
            XCTAssertEqual(m.lexCount(range("(b", "[b")), 0)
            XCTAssertEqual(m.lexRangeRanks(range("-", "+"), reverse: false, offset: -1), 0..<0)
            XCTAssertEqual(m.lexRangeRanks(range("-", "+"), reverse: false, offset: 1, limit: 0), 0..<0)
        }
    }

    func testPlusAndMinusFollowedByNulAreInfinities() {
        XCTAssertEqual(SortedSetLexRange.parseBound([UInt8(ascii: "+"), 0, 65]), .plusInfinity)
        XCTAssertNil(SortedSetLexRange.parseBound(Bytes("+a")))
    }
}
