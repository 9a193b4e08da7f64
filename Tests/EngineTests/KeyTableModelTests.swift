// KeyTableModelTests: KeyTable against a Swift Dictionary model.
//
// Thousands of random inserts, removes, lookups, value and deadline changes, with
// the target size swinging between large and tiny so the table grows, shrinks,
// compacts its free slots and empties. After every operation the touched key is
// compared with the model; every so often the whole table is, with the full
// invariant check of EngineTestSupport.
import XCTest
import CairnTestSupport
@testable import Engine

final class KeyTableModelTests: XCTestCase {
    struct ModelEntry: Equatable {
        var value: Value
        var expireAt: Int64?
    }

    func check(_ table: KeyTable, _ model: [Bytes: ModelEntry], _ context: String) -> Bool {
        if let violation = keyTableViolation(table) {
            XCTFail("\(context): \(violation)")
            return false
        }
        guard table.count == model.count else {
            XCTFail("\(context): count \(table.count), model \(model.count)")
            return false
        }
        for (key, want) in model {
            guard let i = table.find(key) else {
                XCTFail("\(context): \(key.text) missing")
                return false
            }
            let deadline = table.expireAt(at: i)
            guard table.key(at: i) == key, table.value(at: i) == want.value,
                  (deadline == noExpire ? nil : deadline) == want.expireAt else {
                XCTFail("\(context): \(key.text) differs")
                return false
            }
        }
        guard table.expiringCount == model.values.filter({ $0.expireAt != nil }).count else {
            XCTFail("\(context): expiringCount")
            return false
        }
        guard Set(table.indices.map { table.key(at: $0) }) == Set(model.keys), table.indices.count == model.count else {
            XCTFail("\(context): indices")
            return false
        }
        return true
    }

    func testRandomOperationsAgainstModel() {
        for seed in TestSeed.seeds(1...6 as ClosedRange<UInt64>) {
            var g = SplitMix64(seed: seed)
            var table = KeyTable()
            var model: [Bytes: ModelEntry] = [:]
            let targets = [3000, 5, 700, 0, 2000, 40, 129, 1]
            var sawGrow = false, sawShrink = false, sawCompaction = false
            var step = 0
            for target in targets {
                let ops = target == 0 ? 4000 : max(3000, target * 3)
                for _ in 0..<ops {
                    step += 1
                    let context = "seed \(seed) step \(step)"
                    let bucketsBefore = table.bucketCount
                    let slotsBefore = table.entries.count
                    let key: Bytes
                    if Int.random(in: 0..<50, using: &g) == 0 {
                        key = (0..<Int.random(in: 0...6, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                    } else {
                        key = Array("k\(Int.random(in: 0..<6000, using: &g))".utf8)
                    }
                    let insertBias = model.count < target ? 6 : 2
                    let op = Int.random(in: 0..<12, using: &g)
                    if op < insertBias {
                        if model[key] == nil {
                            let value = stringValue("v\(step)")
                            let deadline: Int64? = Bool.random(using: &g) ? Int64.random(in: 0...1_000_000, using: &g) : nil
                            let i = table.insert(key, value, expireAt: deadline ?? noExpire, access: UInt32(step))
                            XCTAssertEqual(table.key(at: i), key, context)
                            XCTAssertEqual(table.access(at: i), UInt32(step), context)
                            model[key] = ModelEntry(value: value, expireAt: deadline)
                        }
                    } else if op < 8 {
                        // Remove: an existing key, mostly, so removes keep pace with inserts.
                        let victim = model.isEmpty || Int.random(in: 0..<4, using: &g) == 0 ? key : model.keys.randomElement(using: &g)!
                        if let i = table.find(victim) {
                            let old = table.remove(at: i)
                            XCTAssertEqual(old, model[victim]?.value, context)
                            model[victim] = nil
                        } else {
                            XCTAssertNil(model[victim], context)
                        }
                    } else if op == 8 {
                        XCTAssertEqual(table.find(key).map { table.value(at: $0) }, model[key]?.value, context)
                    } else if let existing = model.keys.randomElement(using: &g), let i = table.find(existing) {
                        switch op {
                        case 9:
                            let deadline = Int64.random(in: 0...1_000_000, using: &g)
                            table.setExpire(deadline, at: i)
                            model[existing]!.expireAt = deadline
                        case 10:
                            table.removeExpire(at: i)
                            model[existing]!.expireAt = nil
                        default:
                            let value = stringValue("w\(step)")
                            let old = table.takeValue(at: i)
                            XCTAssertEqual(old, model[existing]!.value, context)
                            table.setValue(value, at: i)
                            model[existing]!.value = value
                        }
                    }
                    if table.bucketCount > bucketsBefore { sawGrow = true }
                    if table.bucketCount < bucketsBefore && table.count > 0 { sawShrink = true }
                    if table.entries.count < slotsBefore && table.count > 0 { sawCompaction = true }
                    // The touched key always agrees with the model.
                    let found = table.find(key)
                    XCTAssertEqual(found != nil, model[key] != nil, context)
                    if step % 211 == 0 && !check(table, model, context) { return }
                }
                if !check(table, model, "seed \(seed) after target \(target)") { return }
                if target == 0 {
                    // Drain completely: the table resets to its initial shape.
                    for key in Array(model.keys) { table.remove(at: table.find(key)!) }
                    model.removeAll()
                    XCTAssertEqual(table.bucketCount, 4)
                    XCTAssertEqual(table.entries.count, 0)
                    if !check(table, model, "seed \(seed) drained") { return }
                }
            }
            XCTAssertTrue(sawGrow && sawShrink && sawCompaction, "seed \(seed): grow \(sawGrow) shrink \(sawShrink) compaction \(sawCompaction)")
        }
    }

    func testRemoveAllResets() {
        var table = KeyTable()
        for n in 0..<100 { table.insert(Array("k\(n)".utf8), stringValue("v"), expireAt: n % 2 == 0 ? Int64(n) : noExpire) }
        XCTAssertEqual(table.count, 100)
        XCTAssertEqual(table.expiringCount, 50)
        table.removeAll()
        XCTAssertEqual(table.count, 0)
        XCTAssertEqual(table.expiringCount, 0)
        XCTAssertNil(table.find(Array("k1".utf8)))
        XCTAssertNil(keyTableViolation(table))
    }

    func testBinaryKeysAreDistinct() {
        var table = KeyTable()
        // Canonically equivalent Unicode (é precomposed vs e + combining accent) stays two keys.
        let keys: [Bytes] = [[], [0], [0, 0], Array("é".utf8), Array("e\u{301}".utf8), [255], [0xC3], Array("k".utf8)]
        for (n, key) in keys.enumerated() { table.insert(key, stringValue("\(n)")) }
        XCTAssertEqual(table.count, keys.count)
        for (n, key) in keys.enumerated() { XCTAssertEqual(table.value(at: table.find(key)!), stringValue("\(n)")) }
        XCTAssertNil(keyTableViolation(table))
    }

    func testSetExpireWithNoExpireRemovesIt() {
        var table = KeyTable()
        let i = table.insert(Array("k".utf8), stringValue("v"), expireAt: 100)
        XCTAssertEqual(table.expiringCount, 1)
        table.setExpire(200, at: i)
        XCTAssertEqual(table.expiringCount, 1, "changing a deadline does not list the key twice")
        XCTAssertEqual(table.expireAt(at: i), 200)
        table.setExpire(noExpire, at: i)
        XCTAssertEqual(table.expiringCount, 0)
        XCTAssertEqual(table.expireAt(at: i), noExpire)
        XCTAssertNil(keyTableViolation(table))
    }

    // MARK: sampling

    func testRandomIndicesReturnOnlyLiveEntries() {
        var g = SplitMix64(seed: 42)
        var table = KeyTable()
        for n in 0..<400 { table.insert(Array("k\(n)".utf8), stringValue("v"), expireAt: n % 3 == 0 ? 1000 : noExpire) }
        // Remove enough to leave free slots but not trigger compaction (at most 64 free).
        for n in stride(from: 1, to: 400, by: 7) { table.remove(at: table.find(Array("k\(n)".utf8))!) }
        XCTAssertGreaterThan(table.freeCount, 0, "free slots present while sampling")
        let live = Set(table.indices)
        let expiring = Set(live.filter { table.expireAt(at: $0) != noExpire })
        var hits = Set<Int>(), expiringHits = Set<Int>()
        for _ in 0..<20000 {
            let i = table.randomIndex(using: &g)!
            XCTAssertTrue(live.contains(i))
            hits.insert(i)
            let e = table.randomExpiringIndex(using: &g)!
            XCTAssertTrue(expiring.contains(e))
            expiringHits.insert(e)
        }
        XCTAssertEqual(hits, live, "every live entry can be drawn")
        XCTAssertEqual(expiringHits, expiring)
        var empty = KeyTable()
        XCTAssertNil(empty.randomIndex(using: &g))
        XCTAssertNil(empty.randomExpiringIndex(using: &g))
        empty.insert(Array("p".utf8), stringValue("v"))
        XCTAssertNil(empty.randomExpiringIndex(using: &g), "no key has a TTL")
    }
}
