// ActiveDefragTests: the step logic of active defrag (Server/ActiveDefrag.swift,
// Engine/Defragment.swift) with a stand-in allocator: thresholds to effort, the
// time budget per tick, the cursor resuming across ticks, what moves and that
// contents do not change, and no work while a snapshot is active. The real
// allocator's hint is exercised by tools/tests/test_active_defrag.py.
import XCTest
import CairnCSystem
import Engine
@testable import Server

final class ActiveDefragTests: XCTestCase {
    func testEffortIsInterpolatedBetweenTheThresholdsAndClamped() {
        func effort(_ frag: Double) -> Int {
            DefragEffort.cpuPercent(fragmentation: frag, lower: 10, upper: 100, cycleMin: 25, cycleMax: 75)
        }
        XCTAssertEqual(effort(5), 25)
        XCTAssertEqual(effort(10), 25)
        XCTAssertEqual(effort(55), 50)
        XCTAssertEqual(effort(100), 75)
        XCTAssertEqual(effort(400), 75)
        // Equal thresholds: all or nothing rather than a division by zero.
        XCTAssertEqual(DefragEffort.cpuPercent(fragmentation: 50, lower: 20, upper: 20, cycleMin: 1, cycleMax: 99), 99)
        XCTAssertEqual(DefragEffort.budgetMicroseconds(cpuPercent: 25, hz: 10), 25_000)
        XCTAssertEqual(DefragEffort.budgetMicroseconds(cpuPercent: 75, hz: 500), 1_500)
        XCTAssertEqual(DefragEffort.budgetMicroseconds(cpuPercent: 1, hz: 500_000), 1)
    }

    func testABlockMovesOnlyOutOfASlabEmptierThanItsClassAverage() {
        // A slab of 64 regions, 48 free (25% used), against a class 60% used.
        XCTAssertTrue(DefragEffort.shouldMove(nfree: 48, nregs: 64, binFree: 400, binRegions: 1000, isCurrent: false))
        XCTAssertFalse(DefragEffort.shouldMove(nfree: 48, nregs: 64, binFree: 400, binRegions: 1000, isCurrent: true))
        XCTAssertFalse(DefragEffort.shouldMove(nfree: 10, nregs: 64, binFree: 400, binRegions: 1000, isCurrent: false))
        XCTAssertFalse(DefragEffort.shouldMove(nfree: 0, nregs: 64, binFree: 400, binRegions: 1000, isCurrent: false))
        XCTAssertFalse(DefragEffort.shouldMove(nfree: 0, nregs: 1, binFree: 0, binRegions: 0, isCurrent: false))
        // Exactly average: staying costs nothing, moving costs a copy.
        XCTAssertFalse(DefragEffort.shouldMove(nfree: 32, nregs: 64, binFree: 500, binRegions: 1000, isCurrent: false))
    }

    func testTheAllocatorHintAnswersForHeapBlocksAndRefusesStaticData() {
        // An address in the binary's read-only data must never reach jemalloc's page map.
        let literal: StaticString = "not on the heap"
        XCTAssertFalse(ActiveDefrag.slabHint(UnsafeRawPointer(literal.utf8Start)))
        // A heap block: the answer depends on the heap's state; asking must simply work.
        let bytes = Bytes(repeating: 7, count: 100)
        _ = bytes.withUnsafeBufferPointer { ActiveDefrag.slabHint(UnsafeRawPointer($0.baseAddress!)) }
        // A block too big for a slab is never moved.
        let big = Bytes(repeating: 1, count: 1 << 20)
        XCTAssertFalse(big.withUnsafeBufferPointer { ActiveDefrag.slabHint(UnsafeRawPointer($0.baseAddress!)) })
        // The thread cache switch reports the state it replaces, so a step can restore it.
        XCTAssertEqual(cairn_thread_cache_swap(0), 1)
        XCTAssertEqual(cairn_thread_cache_swap(0), 0)
        XCTAssertEqual(cairn_thread_cache_swap(1), 0)
    }

    /// A keyspace of `n` strings (every third an integer, which has no heap block; the others
    /// boxed up to 44 bytes, arrays past that) and one packed hash.
    private func keyspace(_ n: Int) -> Keyspace {
        let ks = Keyspace(databases: 2)
        for i in 0..<n {
            let value: StringValue = i % 3 == 0 ? .int(Int64(i)) : StringValue(encoding: Bytes("value-\(i)-" + String(repeating: "x", count: i % 50)))
            ks.add(i % 2, Bytes("key:\(i)"), .string(value))
        }
        ks.add(1, Bytes("a-key-longer-than-fourteen-bytes"),
               .hash(HashValue(pairs: [(Bytes("f"), Bytes("v"))], limits: EncodingLimits())))
        return ks
    }

    private func digest(_ ks: Keyspace) -> Bytes { DatasetDigest.of(ks) }

    func testAPassResumesFromItsCursorWithinEachTicksBudgetAndKeepsTheData() {
        let ks = keyspace(600)
        let before = digest(ks)
        var now: UInt64 = 0
        // Each clock read advances 1 ms: a tick of 25 ms budget walks about 25 steps of 4 slots.
        let defrag = ActiveDefrag(hint: { _ in true }, fragmentation: { Fragmentation(allocated: 100 << 20, active: 150 << 20) },
                                  clock: { now += 1_000_000; return now }, slotsPerStep: 4)
        var settings = DefragSettings(ServerConfig())
        settings.ignoreBytes = 1 << 20
        var lines: [String] = []
        defrag.cycle(ks, settings, nowMs: 0) { lines.append($0) }
        XCTAssertEqual(lines, ["Starting active defrag, frag=50%, frag_bytes=52428800, cpu=47%"])
        XCTAssertEqual(defrag.running, DefragEffort.cpuPercent(fragmentation: 50, lower: 10, upper: 100, cycleMin: 25, cycleMax: 75))
        let firstStop = defrag.cursor
        XCTAssertEqual(firstStop.db, 0)
        XCTAssertGreaterThan(firstStop.slot, 0)
        XCTAssertLessThan(firstStop.slot, 300, "the budget stops the walk before the end of the database")
        defrag.cycle(ks, settings, nowMs: 100)
        XCTAssertTrue(defrag.cursor.db > firstStop.db || defrag.cursor.slot > firstStop.slot, "the next tick resumes further on")
        var ticks = 2
        while defrag.running > 0 && ticks < 100 {
            defrag.cycle(ks, settings, nowMs: Int64(100 * ticks)) { lines.append($0) }
            ticks += 1
        }
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.last?.hasPrefix("Active defrag done in \(100 * (ticks - 1))ms, reallocated=402, frag=50%"), true, lines.last ?? "")
        XCTAssertEqual(defrag.passes, 1)
        XCTAssertEqual(defrag.cursor, DefragCursor())
        // 400 byte strings, one long key, one packed hash: each moved once; 200 integers have nothing.
        XCTAssertEqual(defrag.defragmenter.hits, 402)
        XCTAssertEqual(defrag.defragmenter.misses, 0)
        XCTAssertEqual(defrag.defragmenter.keyHits, 401)
        XCTAssertEqual(defrag.defragmenter.keyMisses, 200)
        XCTAssertEqual(digest(ks), before)
    }

    func testMovedValuesAreFreshCopiesAndAMissLeavesTheBlock() {
        let ks = keyspace(3)
        let i = ks.databases[1].find(Bytes("key:1"))!
        func address() -> UnsafeRawPointer? {
            switch ks.databases[1].value(at: i) {
            case .string(.embedded(let box, _)): return box.withBytes(0) { UnsafeRawPointer($0.baseAddress) }
            case .string(.bytes(let b, _)): return b.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            default: return nil
            }
        }
        let old = address()
        var keep = Defragmenter(hint: { _ in false })
        var cursor: DefragCursor? = DefragCursor()
        while let c = cursor { cursor = ks.defragStep(from: c, slots: 1, &keep) }
        XCTAssertEqual(address(), old)
        XCTAssertEqual(keep.hits, 0)
        XCTAssertEqual(keep.misses, 4, "two strings, the long key and the hash's buffer; the integer has no block")
        let held = ks.databases[1].value(at: i)  // keeps the old block alive, so its address cannot be reused
        var move = Defragmenter(hint: { _ in true })
        cursor = DefragCursor()
        while let c = cursor { cursor = ks.defragStep(from: c, slots: 1, &move) }
        XCTAssertNotEqual(address(), old)
        XCTAssertEqual(ks.databases[1].value(at: i), held)
    }

    func testNothingMovesWhileASnapshotIsActiveOrBelowTheThresholds() {
        let ks = keyspace(50)
        var frag = Fragmentation(allocated: 100 << 20, active: 150 << 20)
        let defrag = ActiveDefrag(hint: { _ in true }, fragmentation: { frag })
        var settings = DefragSettings(ServerConfig())
        settings.ignoreBytes = 1 << 20
        let snapshot = ks.beginSnapshot()
        XCTAssertNotNil(snapshot)
        defrag.cycle(ks, settings, nowMs: 0)
        XCTAssertEqual(defrag.defragmenter.hits + defrag.defragmenter.misses, 0)
        ks.endSnapshot()
        settings.ignoreBytes = 100 << 20  // 50 MB wasted is below it
        defrag.cycle(ks, settings, nowMs: 0)
        XCTAssertEqual(defrag.running, 0)
        settings.ignoreBytes = 1 << 20
        frag = Fragmentation(allocated: 100 << 20, active: 105 << 20)  // 5%, below threshold-lower 10
        defrag.cycle(ks, settings, nowMs: 5000)
        XCTAssertEqual(defrag.running, 0)
        XCTAssertEqual(defrag.defragmenter.hits, 0)
    }
}
