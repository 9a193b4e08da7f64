// DefragmentTests: what active defrag moves in each kind of value
// (Engine/DefragmentValues.swift): with a hint that moves everything, every
// encoding comes back equal (DEBUG DIGEST, element order, a list's node
// structure) with the blocks it owns counted; with one that moves nothing, no
// storage changes; a value whose storage another holder shares keeps it.
import XCTest
@testable import Engine

final class DefragmentTests: XCTestCase {
    /// One key of every encoding, and the blocks a full move relocates in each.
    private func everyEncoding() -> (Keyspace, blocks: Int64) {
        let ks = Keyspace(databases: 1)
        let limits = EncodingLimits()
        let members = (0..<200).map { Bytes("member-\($0)") }
        ks.add(0, Bytes("string"), .string(.bytes(Bytes("some bytes"), raw: true)))
        ks.add(0, Bytes("int"), .string(.int(42)))
        ks.add(0, Bytes("small-list"), .list(ListValue([Bytes("a"), Bytes("b")])))
        // 200 elements of ~10 bytes in nodes of at most 8 elements, interior ones compressed: 25 nodes.
        ks.add(0, Bytes("long-list"), .list(ListValue(members, fill: 8, depth: 1)))
        ks.add(0, Bytes("packed-hash"), .hash(HashValue(pairs: [(Bytes("f"), Bytes("v"))], limits: limits)))
        // Values over hash-max-ziplist-value (64) make it a table.
        ks.add(0, Bytes("table-hash"), .hash(HashValue(pairs: members.map { ($0, $0 + Bytes(repeating: 0x76, count: 70)) }, limits: limits)))
        ks.add(0, Bytes("intset"), .set(SetValue(members: [Bytes("1"), Bytes("2")], limits: limits)))
        // Members of up to 14 bytes live inside the table's entries; only the one longer member has a block.
        ks.add(0, Bytes("table-set"), .set(SetValue(members: members + [Bytes(repeating: 0x6C, count: 40)], limits: limits)))
        ks.add(0, Bytes("packed-zset"), .zset(SortedSetValue(entries: [SortedSetEntry(member: Bytes("m"), score: 1)], limits: limits)))
        ks.add(0, Bytes("general-zset"), .zset(SortedSetValue(entries: members.enumerated().map {
            SortedSetEntry(member: $1, score: Double($0)) }, limits: limits)))
        // string 1, small list 1, long list 25 nodes, packed hash 1, table hash 200 (its values; the fields
        // are inline), intset 1, table set 1, packed zset 1, general zset 200 members; the integer has nothing that moves.
        return (ks, 1 + 1 + 25 + 1 + 200 + 1 + 1 + 1 + 200)
    }

    private func walk(_ ks: Keyspace, _ d: inout Defragmenter) {
        var cursor: DefragCursor? = DefragCursor()
        while let c = cursor { cursor = ks.defragStep(from: c, slots: 3, &d) }
    }

    private func encodings(_ ks: Keyspace) -> [String] {
        ks.allIndices(0).map { ks.key(0, $0).text + ":" + ks.value(0, $0).encodingName }.sorted()
    }

    func testEveryEncodingComesBackEqualWithItsBlocksMoved() {
        let (ks, blocks) = everyEncoding()
        let digest = DatasetDigest.of(ks)
        let shapes = encodings(ks)
        let list = ks.value(0, ks.peek(0, Bytes("long-list"))!)
        guard case .list(let before) = list else { return XCTFail() }
        XCTAssertEqual(before.nodeCount, 25)
        XCTAssertGreaterThan(before.compressedNodeCount, 0)
        var d = Defragmenter(hint: { _ in true })
        walk(ks, &d)
        XCTAssertEqual(d.hits, blocks)
        XCTAssertEqual(d.misses, 0)
        XCTAssertEqual(d.keyHits, 9)
        XCTAssertEqual(d.keyMisses, 1)
        XCTAssertEqual(DatasetDigest.of(ks), digest)
        XCTAssertEqual(encodings(ks), shapes)
        guard case .list(let after) = ks.value(0, ks.peek(0, Bytes("long-list"))!) else { return XCTFail() }
        XCTAssertEqual(after.elements, before.elements)
        XCTAssertEqual(after.packedNodes, before.packedNodes)
        XCTAssertEqual(after.compressedNodeCount, before.compressedNodeCount)
        XCTAssertTrue(after.isConsistent)
        guard case .zset(let zset) = ks.value(0, ks.peek(0, Bytes("general-zset"))!) else { return XCTFail() }
        XCTAssertEqual(zset.encodingName, "skiplist")
        XCTAssertEqual(zset.rank(Bytes("member-150")), 150, "the rebuilt set answers by rank")
        XCTAssertEqual(zset.score(Bytes("member-7")), 7, "and by member")
        // The moved list is a new ring: the old value (still held here) is untouched.
        XCTAssertEqual(list, .list(before))
    }

    func testAHintThatMovesNothingCountsMissesAndChangesNoStorage() {
        let (ks, blocks) = everyEncoding()
        let i = ks.peek(0, Bytes("table-set"))!
        guard case .set(var before) = ks.value(0, i) else { return XCTFail() }
        var d = Defragmenter(hint: { _ in false })
        walk(ks, &d)
        XCTAssertEqual(d.hits, 0)
        XCTAssertEqual(d.misses, blocks)
        XCTAssertEqual(d.keyHits, 0)
        guard case .set(let after) = ks.value(0, i) else { return XCTFail() }
        XCTAssertEqual(before.tableIdentity, after.tableIdentity, "the table box was not replaced")
        XCTAssertFalse(before.storageIsUnique(), "the keyspace still holds the same box")
    }
}
