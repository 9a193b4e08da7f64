// LazyFreeTests: Redis 4.0's free-effort rule (elements of a hash table, skiplist
// or set table, nodes of a quicklist, 1 otherwise), the threshold of 64 above
// which a lazy delete hands its value over, which deletions are lazy under which
// lazyfree-lazy-* setting, and that a running snapshot still gets what it needs.
import XCTest
@testable import Engine

final class LazyFreeTests: XCTestCase {
    let limits = EncodingLimits()

    func members(_ n: Int, _ prefix: String = "m") -> [Bytes] { (0..<n).map { Bytes("\(prefix)\($0)".utf8) } }
    func tableSet(_ n: Int) -> Value { .set(SetValue(members: members(n), limits: limits)) }

    func testFreeEffortCountsAsRedisDoes() {
        XCTAssertEqual(stringValue(String(repeating: "x", count: 100_000)).freeEffort, 1, "a string is one block")
        let ints = SetValue(members: (0..<500).map { Bytes(String($0).utf8) }, limits: limits)
        XCTAssertTrue(ints.isIntset)
        XCTAssertEqual(Value.set(ints).freeEffort, 1, "an intset is one block")
        XCTAssertEqual(tableSet(10).freeEffort, 10)
        XCTAssertEqual(tableSet(1000).freeEffort, 1000)

        let smallHash = HashValue(pairs: members(10).map { ($0, $0) }, limits: limits)
        XCTAssertEqual(Value.hash(smallHash).freeEffort, 1, "a ziplist hash is one block")
        let bigHash = HashValue(pairs: members(600).map { ($0, $0) }, limits: limits)
        XCTAssertEqual(Value.hash(bigHash).encodingName, "hashtable")
        XCTAssertEqual(Value.hash(bigHash).freeEffort, 600)

        let entries = { (n: Int) in self.members(n).enumerated().map { SortedSetEntry(member: $1, score: Double($0)) } }
        XCTAssertEqual(Value.zset(SortedSetValue(entries: entries(10), limits: limits)).freeEffort, 1)
        XCTAssertEqual(Value.zset(SortedSetValue(entries: entries(300), limits: limits)).freeEffort, 300)

        // A list counts its quicklist nodes, not its elements.
        let list = ListValue(members(20_000), fill: -2)
        XCTAssertGreaterThan(list.nodeCount, 1)
        XCTAssertEqual(Value.list(list).freeEffort, list.nodeCount)
    }

    func testOnlyValuesAboveTheThresholdWaitForTheFreeThread() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("at"), tableSet(lazyFreeThreshold))
        ks.set(0, Bytes("above"), tableSet(lazyFreeThreshold + 1))
        XCTAssertTrue(ks.unlink(0, Bytes("at")))
        XCTAssertTrue(ks.lazyFreeOutbox.isEmpty, "64 allocations are freed inline")
        XCTAssertTrue(ks.unlink(0, Bytes("above")))
        XCTAssertEqual(ks.lazyFreeOutbox.map(\.objects), [1])
        XCTAssertFalse(ks.unlink(0, Bytes("above")), "gone")
        XCTAssertEqual(ks.totalKeys, 0)

        ks.set(0, Bytes("big"), tableSet(100))
        XCTAssertTrue(ks.delete(0, Bytes("big")))
        XCTAssertEqual(ks.lazyFreeOutbox.count, 1, "DEL frees inline")

        var queue: [LazyFreeItem] = []
        ks.moveLazyFree(into: &queue)
        XCTAssertTrue(ks.lazyFreeOutbox.isEmpty)
        XCTAssertEqual(queue.count, 1)
    }

    func testServerDeletesFollowLazyfreeLazyServerDel() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("k"), tableSet(100))
        ks.set(0, Bytes("k"), stringValue("v"))
        XCTAssertTrue(ks.lazyFreeOutbox.isEmpty, "off: an overwrite frees inline")
        ks.lazyFreePolicy.serverDelete = true
        ks.set(0, Bytes("k"), tableSet(100))
        ks.set(0, Bytes("k"), stringValue("v"))
        XCTAssertEqual(ks.lazyFreeOutbox.count, 1, "on: the overwritten set waits for the free thread")
        ks.set(0, Bytes("k"), tableSet(100))
        XCTAssertTrue(ks.serverDelete(0, Bytes("k")))
        XCTAssertEqual(ks.lazyFreeOutbox.count, 2)
    }

    func testExpiryAndEvictionFollowTheirDirectivesAndPropagateUnlink() {
        let ks = Keyspace(databases: 1)
        ks.now = 1_000_000
        ks.add(0, Bytes("a"), tableSet(100), expireAt: 999_000)
        ks.add(0, Bytes("b"), tableSet(100), expireAt: 999_000)
        XCTAssertNil(ks.lookupRead(0, Bytes("a")))
        XCTAssertTrue(ks.lazyFreeOutbox.isEmpty)
        XCTAssertEqual(ks.changes.last?.argv.first, Bytes("DEL"))
        ks.lazyFreePolicy.expire = true
        XCTAssertNil(ks.lookupRead(0, Bytes("b")))
        XCTAssertEqual(ks.lazyFreeOutbox.count, 1)
        XCTAssertEqual(ks.changes.last?.argv, [Bytes("UNLINK"), Bytes("b")], "4.0 propagates a lazy expiry as UNLINK")

        ks.add(0, Bytes("c"), tableSet(100))
        ks.lazyFreePolicy.eviction = true
        guard let (db, i) = ks.evictionCandidate(policy: .allkeysRandom, samples: 5) else { return XCTFail("no candidate") }
        XCTAssertEqual(ks.evict(db, at: i), Bytes("c"))
        XCTAssertEqual(ks.lazyFreeOutbox.count, 2)
        XCTAssertEqual(ks.changes.last?.argv, [Bytes("UNLINK"), Bytes("c")])
    }

    func testRunningSnapshotKeepsWhatALazyDeleteOrFlushGivesUp() {
        let ks = Keyspace(databases: 2)
        ks.set(0, Bytes("big"), tableSet(100))
        ks.set(1, Bytes("k1"), stringValue("1"))
        ks.set(1, Bytes("k2"), tableSet(200))
        guard let snap = ks.beginSnapshot() else { return XCTFail("no snapshot") }
        XCTAssertTrue(ks.unlink(0, Bytes("big")))
        ks.flushLazily(1)
        XCTAssertEqual(ks.lazyFreeOutbox.map(\.objects), [1, 2])
        // Everything was captured on this thread before it went to the outbox.
        let captured = snap.takePending()
        XCTAssertEqual(Set(captured.map(\.key)), [Bytes("big"), Bytes("k1"), Bytes("k2")])
        XCTAssertEqual(captured.first { $0.key == Bytes("big") }?.value, tableSet(100))
        XCTAssertTrue(ks.snapshotStep(budget: 100))
        XCTAssertTrue(snap.takePending().isEmpty)
        ks.set(1, Bytes("new"), stringValue("after"))
        XCTAssertTrue(ks.snapshotStep(budget: 100))
        XCTAssertTrue(snap.takePending().isEmpty, "keys added after the start are not captured")
        ks.endSnapshot()
    }
}
