// ListValueTests: the quicklist: node limits for both kinds of list-max-ziplist-size,
// splits and merges, copy-on-write, digests, packed nodes, and random operations
// against an array model for several fills.
import XCTest
import CairnTestSupport
@testable import Engine

final class ListValueTests: XCTestCase {
    private func b(_ s: String) -> Bytes { Bytes(s) }

    private func filled(_ n: Int, value: Bytes, fill: Int, atHead: Bool = false) -> ListValue {
        var l = ListValue()
        for _ in 0..<n { l.push(value, atHead: atHead, fill: fill) }
        return l
    }

    func testPositiveFillCountsEntriesPerNode() {
        for atHead in [false, true] {
            let l = filled(10, value: b("x"), fill: 3, atHead: atHead)
            XCTAssertEqual(l.nodeCount, 4)
            XCTAssertEqual(l.packedNodes.map { Ziplist(validating: $0)!.count }, atHead ? [1, 3, 3, 3] : [3, 3, 3, 1])
            XCTAssertTrue(l.isConsistent)
        }
        // fill 1: a node per element.
        XCTAssertEqual(filled(5, value: b("x"), fill: 1).nodeCount, 5)
    }

    func testPositiveFillStopsAtEightKilobytes() {
        // A 100-byte value is a 103-byte entry: 11 + 103k + 103 <= 8192 allows 79 per node.
        let l = filled(81, value: Bytes(repeating: 97, count: 100), fill: 10000)
        XCTAssertEqual(l.packedNodes.map { Ziplist(validating: $0)!.count }, [79, 2])
    }

    func testNegativeFillLimitsNodeBytes() {
        // "xxx" is a 5-byte entry; a node of k entries is 11 + 5k bytes.
        for (fill, perNode) in [(-1, 817), (-2, 1636), (-3, 3274), (-4, 6551), (-5, 13105)] {
            XCTAssertEqual(filled(perNode, value: b("xxx"), fill: fill).nodeCount, 1, "fill \(fill)")
            let l = filled(perNode + 1, value: b("xxx"), fill: fill)
            XCTAssertEqual(l.nodeCount, 2, "fill \(fill)")
            XCTAssertLessThanOrEqual(l.packedNodes[0].count, 4096 << (-fill - 1))
        }
        // Out-of-range fills are clamped as Redis does (-5 and below are 64 KiB).
        XCTAssertEqual(filled(13106, value: b("xxx"), fill: -100).nodeCount, 2)
        // A value bigger than a node's limit still gets a node of its own.
        let big = filled(3, value: Bytes(repeating: 98, count: 10000), fill: -1)
        XCTAssertEqual(big.nodeCount, 3)
        XCTAssertTrue(big.isConsistent)
    }

    func testInsertIntoFullNodeSplitsAndMerges() {
        var l = ListValue((0..<9).map { bytesOf($0) }, fill: 3)
        XCTAssertEqual(l.nodeCount, 3)
        // Inside a full node: split at the seam.
        XCTAssertTrue(l.insert(b("a"), pivot: b("4"), after: false, fill: 3))
        XCTAssertEqual(l.elements, ["0", "1", "2", "3", "a", "4", "5", "6", "7", "8"].map { b($0) })
        XCTAssertTrue(l.isConsistent)
        XCTAssertTrue(l.packedNodes.allSatisfy { Ziplist(validating: $0)!.count <= 3 })
        // At a full node's edge: a neighbour or a new node takes it.
        XCTAssertTrue(l.insert(b("z"), pivot: b("8"), after: true, fill: 3))
        XCTAssertTrue(l.insert(b("y"), pivot: b("0"), after: false, fill: 3))
        XCTAssertEqual(l.elements.first, b("y"))
        XCTAssertEqual(l.elements.last, b("z"))
        XCTAssertTrue(l.isConsistent)
        XCTAssertFalse(l.insert(b("q"), pivot: b("missing"), after: true, fill: 3))
        // A half left small by a split merges with its neighbour when the fill allows:
        // [0 1 2] [3] [6 7 8], insert after 0 -> [0 a] [1 2] [3] ... -> [0 a] [1 2 3] [6 7 8].
        var m = ListValue((0..<9).map { bytesOf($0) }, fill: 3)
        XCTAssertEqual(m.remove(b("4"), limit: 0) + m.remove(b("5"), limit: 0), 2)
        XCTAssertTrue(m.insert(b("a"), pivot: b("0"), after: true, fill: 3))
        XCTAssertEqual(m.packedNodes.map { Ziplist(validating: $0)!.count }, [2, 3, 3])
        XCTAssertEqual(m.elements, ["0", "a", "1", "2", "3", "6", "7", "8"].map { b($0) })
    }

    func testRemoveAndTrimDropEmptyNodes() {
        var l = ListValue(["a", "b", "a", "a", "c", "a", "d"].map { b($0) }, fill: 2)
        XCTAssertEqual(l.remove(b("a"), limit: -2), 2)
        XCTAssertEqual(l.elements, ["a", "b", "a", "c", "d"].map { b($0) })
        XCTAssertEqual(l.remove(b("a"), limit: 0), 2)
        XCTAssertEqual(l.elements, ["b", "c", "d"].map { b($0) })
        XCTAssertTrue(l.isConsistent)
        var t = ListValue((0..<20).map { bytesOf($0) }, fill: 4)
        t.trim(front: 6, back: 9)
        XCTAssertEqual(t.elements, (6..<11).map { bytesOf($0) })
        XCTAssertTrue(t.isConsistent)
        t.trim(front: 5, back: 0)
        XCTAssertTrue(t.isEmpty)
        XCTAssertEqual(t.nodeCount, 0)
    }

    func testIntegerElementsCompareAsText() {
        var l = ListValue(["1", "01", "1", "-0", "100000000000"].map { b($0) })
        XCTAssertEqual(l.remove(b("1"), limit: 0), 2)
        XCTAssertEqual(l.elements, ["01", "-0", "100000000000"].map { b($0) })
        XCTAssertTrue(l.insert(b("x"), pivot: b("100000000000"), after: true, fill: -2))
        XCTAssertEqual(l.element(at: 3), b("x"))
    }

    func testCopyOnWrite() {
        let a = ListValue(["1", "2", "3"].map { b($0) })
        var c = a
        c.push(b("4"), atHead: false, fill: -2)
        _ = c.pop(atHead: true)
        XCTAssertEqual(a.elements, ["1", "2", "3"].map { b($0) })
        XCTAssertEqual(c.elements, ["2", "3", "4"].map { b($0) })
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a, ListValue(["1", "2", "3"].map { b($0) }, fill: 1))
    }

    func testSmallListIsOneAllocation() {
        XCTAssertEqual(MemoryLayout<ListValue>.size, 8)
        var l = ListValue()
        XCTAssertTrue(l.isConsistent)
        var addresses = Set<UnsafeRawPointer>()
        var changes = 0
        var last: UnsafeRawPointer? = nil
        for i in 0..<200 {
            l.push(bytesOf(i), atHead: i % 2 == 0, fill: -2)
            let a = l.packedNodes[0].withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
            if a != last { changes += 1 }
            last = a
            addresses.insert(a)
        }
        // Growth reallocates now and then; a copy per push would change it every time.
        XCTAssertLessThan(changes, 100)
        if case .single = l.storage {} else { XCTFail("one node should be stored as a bare ziplist") }
        // Past one node it becomes a quicklist, and back when it shrinks to one.
        for i in 0..<2000 { l.push(bytesOf(i), atHead: false, fill: -2) }
        if case .nodes = l.storage {} else { XCTFail("several nodes need a quicklist") }
        XCTAssertTrue(l.isConsistent)
        l.trim(front: 0, back: 2100)
        if case .single = l.storage {} else { XCTFail("one node again") }
        XCTAssertEqual(l.count, 100)
        XCTAssertTrue(l.isConsistent)
    }

    func testDigestMixesElementsInOrder() {
        let l = ListValue(["a", "12", "-7"].map { b($0) })
        var d = [UInt8](repeating: 0, count: 20)
        l.mixDigest(into: &d)
        var expected = [UInt8](repeating: 0, count: 20)
        for e in ["a", "12", "-7"] { DatasetDigest.mix(&expected, b(e)) }
        XCTAssertEqual(d, expected)
    }

    func testPackedNodesRoundTrip() {
        let l = ListValue((0..<50).map { bytesOf($0 * 1000) + (Bool.random() ? [] : b("s")) }, fill: 7)
        let back = ListValue(packedNodes: l.packedNodes)
        XCTAssertEqual(back?.elements, l.elements)
        XCTAssertEqual(back?.nodeCount, l.nodeCount)
        XCTAssertNil(ListValue(packedNodes: [[1, 2, 3]]))
        XCTAssertEqual(ListValue(packedNodes: [Ziplist().bytes])?.count, 0)
    }

    func testForEachRanges() {
        let l = ListValue((0..<100).map { bytesOf($0) }, fill: 7)
        var seen: [Bytes] = []
        l.forEach(from: 95, count: 10) { seen.append($0.bytesValue) }
        XCTAssertEqual(seen, (95..<100).map { bytesOf($0) })
        var reversed: [Bytes] = []
        l.forEachReversed { reversed.append($0.bytesValue) }
        XCTAssertEqual(reversed, (0..<100).reversed().map { bytesOf($0) })
        XCTAssertEqual(l.element(at: 50), bytesOf(50))
        XCTAssertNil(l.element(at: 100))
    }

    func testRandomOperationsMatchArrayModel() {
        for fill in [1, 2, 5, 64, -1, -2] {
            _ = runListModel(fill: fill, depth: 0, seed: UInt64(100 + fill), value: randomValue)
        }
    }

    private func randomValue(_ rng: inout SplitMix64) -> Bytes {
        switch rng.next() % 5 {
        case 0: return bytesOf(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 1: return bytesOf(Int(rng.next() % 8))
        case 2: return Bytes(repeating: 97, count: 200 + Int(rng.next() % 100))
        default: return Bytes("e\(rng.next() % 16)".utf8)
        }
    }
}
