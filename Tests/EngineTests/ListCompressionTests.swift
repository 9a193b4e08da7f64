// ListCompressionTests: list-compress-depth. Which nodes are compressed at
// depths 1 and 2 (and none in lists of at most 2*depth nodes, or in nodes too
// small or too random to gain), that reads and writes on compressed interior
// nodes (LINDEX, LSET, LINSERT, LREM, LTRIM, pops across the boundary) give the
// uncompressed answers, that a shared copy is never changed, and random
// operations against an array model. Also LZF itself, now in Engine.
import XCTest
import CairnTestSupport
@testable import Engine

final class ListCompressionTests: XCTestCase {
    /// A compressible value: 60 bytes of one letter and a number.
    private func v(_ i: Int) -> Bytes { Bytes(repeating: UInt8(97 + i % 3), count: 60) + bytesOf(i) }

    /// A list of `n` elements `v(0..<n)`, `perNode` per node.
    private func list(_ n: Int, perNode: Int, depth: Int) -> ListValue {
        ListValue((0..<n).map { v($0) }, fill: perNode, depth: depth)
    }

    /// Which nodes are compressed, head first.
    private func pattern(_ l: ListValue) -> [Bool] {
        guard case .nodes(let q) = l.storage else { return l.nodeCount == 1 ? [false] : [] }
        return (0..<q.nodes).map { q.slot($0).pointee.isCompressed }
    }

    func testDepthOneAndTwoLeaveTheEndsRaw() {
        let one = list(40, perNode: 4, depth: 1)
        XCTAssertEqual(pattern(one), [false] + Array(repeating: true, count: 8) + [false])
        XCTAssertEqual(one.compressedNodeCount, 8)
        XCTAssertTrue(one.isConsistent)
        XCTAssertEqual(one.elements, (0..<40).map { v($0) })
        let two = list(40, perNode: 4, depth: 2)
        XCTAssertEqual(pattern(two), [false, false] + Array(repeating: true, count: 6) + [false, false])
        XCTAssertTrue(two.isConsistent)
        XCTAssertEqual(two.elements, (0..<40).map { v($0) })
        XCTAssertEqual(list(40, perNode: 4, depth: 0).compressedNodeCount, 0)
        XCTAssertEqual(two.encodingName, "quicklist")
    }

    func testShortListsStayRaw() {
        // depth d compresses nothing until there are 2d+1 nodes.
        for (depth, nodes) in [(1, 2), (2, 4), (3, 6)] {
            XCTAssertEqual(list(nodes * 4, perNode: 4, depth: depth).compressedNodeCount, 0, "depth \(depth)")
            let longer = list((nodes + 1) * 4, perNode: 4, depth: depth)
            XCTAssertEqual(pattern(longer)[depth], true, "depth \(depth)")
            XCTAssertEqual(longer.compressedNodeCount, 1, "depth \(depth)")
        }
    }

    func testSmallOrRandomNodesAreNotCompressed() {
        // Nodes under 48 bytes stay raw.
        let small = ListValue((0..<30).map { bytesOf($0) }, fill: 3, depth: 1)
        XCTAssertEqual(small.nodeCount, 10)
        XCTAssertEqual(small.compressedNodeCount, 0)
        // Random bytes: LZF would not save 8 bytes.
        var rng = SplitMix64(seed: 7)
        let noise = (0..<20).map { _ in (0..<80).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let random = ListValue(noise, fill: 2, depth: 1)
        XCTAssertEqual(random.compressedNodeCount, 0)
        XCTAssertEqual(random.elements, noise)
        XCTAssertTrue(random.isConsistent)
    }

    func testReadsAndWritesOnCompressedInteriorNodes() {
        var l = list(40, perNode: 4, depth: 1)
        var model = (0..<40).map { v($0) }
        // LINDEX in the middle of a compressed node, and a read leaves it compressed.
        XCTAssertEqual(l.element(at: 21), model[21])
        XCTAssertEqual(l.compressedNodeCount, 8)
        // LSET there: the node is recompressed afterwards.
        XCTAssertTrue(l.replace(at: 21, with: Bytes("replaced".utf8)))
        model[21] = Bytes("replaced".utf8)
        XCTAssertEqual(l.compressedNodeCount, 8)
        XCTAssertEqual(l.elements, model)
        // LINSERT into a full compressed node splits it; the new nodes are compressed too.
        XCTAssertTrue(l.insert(v(99), pivot: model[14], after: false, fill: 4))
        model.insert(v(99), at: 14)
        XCTAssertTrue(l.isConsistent)
        XCTAssertEqual(l.elements, model)
        XCTAssertEqual(pattern(l).first, false)
        XCTAssertEqual(pattern(l).last, false)
        XCTAssertEqual(l.compressedNodeCount, l.nodeCount - 2)
        // LREM across several compressed nodes (every value of letter "b").
        let target = v(1)
        XCTAssertTrue(l.insert(target, pivot: model[30], after: true, fill: 4))
        model.insert(target, at: 31)
        XCTAssertEqual(l.remove(target, limit: 0), 2)
        model.removeAll { $0 == target }
        XCTAssertTrue(l.isConsistent)
        XCTAssertEqual(l.elements, model)
        // LREM of four neighbouring interior elements, one call each.
        for e in model[8..<12] { XCTAssertEqual(l.remove(e, limit: 1), 1) }
        model.removeSubrange(8..<12)
        XCTAssertTrue(l.isConsistent)
        XCTAssertEqual(l.elements, model)
        var reversed: [Bytes] = []
        l.forEachReversed { reversed.append($0.bytesValue) }
        XCTAssertEqual(reversed, model.reversed())
    }

    func testPopsAndTrimsMoveTheBoundary() {
        var l = list(40, perNode: 4, depth: 2)
        var model = (0..<40).map { v($0) }
        // Popping whole nodes brings compressed ones to the ends, where they must be raw.
        for step in 0..<30 {
            let head = step % 2 == 0
            XCTAssertEqual(l.pop(atHead: head), head ? model.removeFirst() : model.removeLast())
            XCTAssertTrue(l.isConsistent, "step \(step)")
            XCTAssertEqual(pattern(l).prefix(2).contains(true), false, "step \(step)")
            XCTAssertEqual(pattern(l).suffix(2).contains(true), false, "step \(step)")
        }
        XCTAssertEqual(l.elements, model)
        // Pushing grows it again and the nodes leaving the ends get compressed.
        for i in 0..<40 {
            l.push(v(i), atHead: i % 2 == 0, fill: 4, depth: 0)
            if i % 2 == 0 { model.insert(v(i), at: 0) } else { model.append(v(i)) }
        }
        XCTAssertTrue(l.isConsistent)
        XCTAssertEqual(l.compressedNodeCount, l.nodeCount - 4, "the list keeps the depth it was made with")
        l.trim(front: 9, back: 13)
        model.removeFirst(9)
        model.removeLast(13)
        XCTAssertTrue(l.isConsistent)
        XCTAssertEqual(l.elements, model)
    }

    func testDepthIsTakenWhenTheListGrowsPastOneNode() {
        var l = ListValue()
        for i in 0..<4 { l.push(v(i), atHead: false, fill: 4, depth: 0) }
        // The second node makes the QuickList: the depth of that write is the list's.
        for i in 4..<20 { l.push(v(i), atHead: false, fill: 4, depth: 1) }
        XCTAssertEqual(l.compressedNodeCount, 3)
        var m = ListValue((0..<20).map { v($0) }, fill: 4, depth: 0)
        m.push(v(20), atHead: false, fill: 4, depth: 1)
        XCTAssertEqual(m.compressedNodeCount, 0, "an existing quicklist keeps depth 0")
    }

    func testCopiesShareAndStayIntact() {
        let original = list(40, perNode: 4, depth: 1)
        var copy = original
        XCTAssertTrue(copy.replace(at: 20, with: Bytes("x".utf8)))
        XCTAssertEqual(copy.remove(v(5), limit: 0), 1)
        XCTAssertEqual(original.elements, (0..<40).map { v($0) })
        XCTAssertEqual(original.compressedNodeCount, 8)
        XCTAssertTrue(original.isConsistent)
        XCTAssertTrue(copy.isConsistent)
    }

    func testPackedNodesAreRawAndLoadCompressed() {
        let l = list(40, perNode: 4, depth: 1)
        let nodes = l.packedNodes
        XCTAssertEqual(nodes.count, 10)
        XCTAssertTrue(nodes.allSatisfy { Ziplist(validating: $0) != nil })
        let loaded = ListValue(packedNodes: nodes, depth: 1)!
        XCTAssertEqual(loaded.compressedNodeCount, 8)
        XCTAssertEqual(loaded.elements, l.elements)
        XCTAssertTrue(loaded.isConsistent)
    }

    func testRandomOperationsMatchArrayModel() {
        for (depth, fill) in [(1, 3), (2, 4), (3, 2), (1, -1)] {
            var sawCompressed = false
            let l = runListModel(fill: fill, depth: depth, seed: UInt64(depth * 31 + fill + 10), steps: 4000,
                                 value: { rng in self.v(Int(rng.next() % 12)) }) { l, step in
                sawCompressed = sawCompressed || l.compressedNodeCount > 0
                // Every interior node is compressed (all values here compress), whatever the last write was.
                let p = self.pattern(l)
                if p.count > 2 * depth {
                    XCTAssertFalse(p[depth..<(p.count - depth)].contains(false), "depth \(depth) fill \(fill) step \(step)")
                }
            }
            XCTAssertTrue(sawCompressed, "depth \(depth) fill \(fill)")
            XCTAssertEqual(pattern(l).prefix(depth).contains(true), false)
        }
    }

    func testLZFRoundTrip() {
        var rng = SplitMix64(seed: 3)
        for size in [1, 2, 3, 47, 48, 100, 1000, 8192, 70000] {
            let text = Array("list element number ".utf8)
            let runs = (0..<size).map { text[$0 % text.count] &+ UInt8($0 / 500 % 3) }
            let noise = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for data in [runs, noise] {
                if let c = LZF.compress(data, limit: size + size / 16 + 64) {
                    XCTAssertEqual(LZF.decompress(c, length: size), data, "size \(size)")
                    // Sized to its count, not to the limit: the allocator's size class for that count.
                    XCTAssertEqual(c.capacity, [UInt8](repeating: 0, count: c.count).capacity, "exact-size result")
                } else {
                    XCTFail("size \(size) did not fit its generous limit")
                }
            }
            if size >= 1000 { XCTAssertLessThan(LZF.compress(runs, limit: size)!.count, size / 4) }
        }
        XCTAssertNil(LZF.compress(Array(repeating: 1, count: 100), limit: 3))
        XCTAssertNil(LZF.decompress([0x01, 9], length: 2), "literal run past the input")
        XCTAssertEqual(LZF.decompress([], length: 0), [])
        XCTAssertNil(LZF.decompress([0x00, 1], length: 0))
    }
}
