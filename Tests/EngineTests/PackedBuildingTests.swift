// PackedBuildingTests: a packed form built whole from element views
// (PackedBuilding.swift and PackedStaging.swift, what an RDB load uses) is
// byte for byte the form the same elements added one at a time give.
import XCTest
import CairnTestSupport
@testable import Engine

final class PackedBuildingTests: XCTestCase {
    /// Random element texts: integers (some at the encodings' edges), short and long strings.
    func randomTexts(_ g: inout SplitMix64, _ n: Int) -> [Bytes] {
        let edges: [Int64] = [0, 12, 13, -1, 127, 128, -129, 32767, 32768, 8_388_607, 8_388_608, Int64(Int32.max) + 1, .min, .max]
        return (0..<n).map { _ in
            switch g.next() % 6 {
            case 0: return bytesOf(edges[Int(g.next() % UInt64(edges.count))])
            case 1: return bytesOf(Int64(bitPattern: g.next()) >> Int64(g.next() % 64))
            case 2: return Bytes(repeating: UInt8(ascii: "x"), count: Int(g.next() % 300))  // prevlens past 254
            case 3: return Bytes(repeating: UInt8(ascii: "y"), count: 16380 + Int(g.next() % 8))
            case 4: return Bytes("0\(g.next() % 100)")  // integer-looking, not canonical
            default: return Bytes("e\(g.next() % 1000)")
            }
        }
    }

    /// `texts` as views, some integers as `.int` (as a listpack holds them), for `body`.
    func withElements<R>(_ texts: [Bytes], _ body: ([ListElement]) -> R) -> R {
        func go(_ i: Int, _ acc: [ListElement]) -> R {
            if i == texts.count { return body(acc) }
            if let v = texts[i].parseInt64(), i % 2 == 0 { return go(i + 1, acc + [.int(v)]) }
            return texts[i].withUnsafeBytes { go(i + 1, acc + [.bytes($0)]) }
        }
        return go(0, [])
    }

    /// A staging area holding `elements` (each with its score, if any), reused to show `reset` forgets.
    let staging = PackedStaging()
    func staged(_ elements: [ListElement], scores: [Double]? = nil) -> PackedStaging {
        staging.reset()
        staging.append(.int(99))
        staging.reset()
        for (i, e) in elements.enumerated() {
            if let scores { staging.append(member: e, score: scores[i]) } else { staging.append(e) }
        }
        return staging
    }

    func testStagingTexts() {
        // Past the first capacities: a 20,000-byte text, 600 elements, 600 scores.
        var texts: [Bytes] = [Bytes("a"), Bytes("-12"), Bytes(repeating: 7, count: 20000), [], Bytes("x")]
        texts += (0..<595).map { Bytes("m\($0)") }
        let s = withElements(texts) { staged($0, scores: texts.indices.map(Double.init)) }
        XCTAssertEqual((0..<s.count).map { Bytes(s.text($0)) }, texts)
        XCTAssertEqual((0..<s.count).map { s.score($0) }, texts.indices.map(Double.init))
        XCTAssertEqual(s.longest, 20000)
    }

    func testZiplistFromElements() {
        var g = SplitMix64(seed: 0x21B)
        for round in 0..<200 {
            let texts = randomTexts(&g, Int(g.next() % 40))
            let built = withElements(texts) { Ziplist(elements: $0) }
            XCTAssertEqual(built.bytes, Ziplist(texts).bytes, "\(g) round \(round)")
            XCTAssertTrue(Ziplist.isValid(built.bytes), "\(g) round \(round)")
        }
    }

    /// One builder for many ziplists, as a load reuses it from node to node: each starts
    /// afresh, and growing past its first storage (texts up to 20,000 bytes) loses nothing.
    func testOneBuilderForManyZiplists() {
        var g = SplitMix64(seed: 0x5E1)
        let builder = ZiplistBuilder(capacity: 64)
        for round in 0..<200 {
            let texts = randomTexts(&g, Int(g.next() % 40))
            builder.start()
            let built: Ziplist = withElements(texts) { elements in
                for e in elements { builder.append(e) }
                return builder.finish()
            }
            XCTAssertEqual(built.bytes, Ziplist(texts).bytes, "\(g) round \(round)")
        }
    }

    func testPackedHashFromElements() {
        var g = SplitMix64(seed: 0x4A5)
        for round in 0..<200 {
            let n = Int(g.next() % 30)
            var texts: [Bytes] = []
            for i in 0..<n { texts.append(Bytes("f\(i)")); texts += randomTexts(&g, 1).map { Array($0.prefix(64)) } }
            let built = withElements(texts) { staged($0).packedHash() }
            var added = HashValue()
            for i in stride(from: 0, to: texts.count, by: 2) { added.set(texts[i], texts[i + 1], limits: EncodingLimits()) }
            XCTAssertEqual(built.packedPairs?.encoded, added.packedPairs?.encoded, "\(g) round \(round)")
            XCTAssertEqual(built.count, n)
        }
    }

    func testPackedSortedSetFromElements() {
        var g = SplitMix64(seed: 0x25E7)
        for round in 0..<200 {
            let n = Int(g.next() % 40)
            var entries = (0..<n).map { i in
                SortedSetEntry(member: Bytes("m\(i)"), score: [0, -0.0, 1.5, 239, 240, -1, 1e300, .infinity, -.infinity, 3][Int(g.next() % 10)])
            }
            entries.sort { $0.score != $1.score ? $0.score < $1.score : $0.member.lexicographicallyPrecedes($1.member) }
            let expected = SortedSetValue(entries: entries, limits: EncodingLimits())
            let built = withElements(entries.map(\.member)) { staged($0, scores: entries.map(\.score)).packedSortedSet() }
            XCTAssertEqual(built, expected, "\(g) round \(round)")
            XCTAssertEqual(built.allEntries.map(\.score).map(\.bitPattern), entries.map(\.score).map(\.bitPattern), "\(g) round \(round)")
            XCTAssertEqual(built.encodingName, "ziplist")
        }
    }

    func testScoreLengthIsTheNarrowestInteger() {
        // The reference: the first of 1...7 signed little-endian widths that holds v.
        func expected(_ v: Int64) -> Int {
            if v >= 0 && v < 0xF0 { return 1 }
            for n in 1...7 where v >= -(Int64(1) << (8 * n - 1)) && v < Int64(1) << (8 * n - 1) { return 1 + n }
            return 8
        }
        var values: [Int64] = [0, 239, 240, -1, -128, -129, 127, 128, 255, 256, 32767, 32768, -32768, -32769]
        for bits in 8...55 { values += [Int64(1) << (bits - 1), -(Int64(1) << (bits - 1)), (Int64(1) << (bits - 1)) - 1, -(Int64(1) << (bits - 1)) - 1] }
        for v in values where abs(v) < 1 << 55 {
            XCTAssertEqual(SortedSetPacked.scoreLength(Double(v)), expected(v), "\(v)")
        }
        XCTAssertEqual(SortedSetPacked.scoreLength(1.5), 9)
        XCTAssertEqual(SortedSetPacked.scoreLength(-0.0), 9)
        XCTAssertEqual(SortedSetPacked.scoreLength(Double(Int64(1) << 55)), 9)
    }
}
