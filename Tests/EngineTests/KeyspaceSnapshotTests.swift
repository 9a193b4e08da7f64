// KeyspaceSnapshotTests: a snapshot captures exactly the keyspace as it was
// when it began, whatever writes, deletes, expiries, flushes and SWAPDBs run
// while the walk goes on in small steps.
import XCTest
import CairnTestSupport
@testable import Engine

final class KeyspaceSnapshotTests: XCTestCase {
    typealias State = [Int: [Bytes: (Value, Int64?)]]

    func state(_ ks: Keyspace) -> State {
        var out: State = [:]
        for db in 0..<ks.databaseCount {
            for i in ks.allIndices(db) { out[db, default: [:]][ks.key(db, i)] = (ks.value(db, i), ks.expireAt(db, i)) }
        }
        return out
    }

    func collected(_ items: [SnapshotItem]) -> State {
        var out: State = [:]
        for item in items {
            XCTAssertNil(out[item.db]?[item.key], "captured twice: \(item.key.text)")
            out[item.db, default: [:]][item.key] = (item.value, item.expireAt)
        }
        return out
    }

    func assertSame(_ a: State, _ b: State, _ context: String) {
        XCTAssertEqual(Set(a.keys.filter { !(a[$0]!.isEmpty) }), Set(b.keys.filter { !(b[$0]!.isEmpty) }), context)
        for (db, keys) in a {
            XCTAssertEqual(keys.count, b[db]?.count ?? 0, "\(context) db \(db) size")
            for (k, v) in keys {
                guard let w = b[db]?[k] else { XCTFail("\(context): db \(db) \(k.text) missing"); return }
                XCTAssertTrue(v.0 == w.0 && v.1 == w.1, "\(context): db \(db) \(k.text) differs")
            }
        }
    }

    func testSnapshotSeesTheStartStateUnderRandomWrites() {
        for seed in TestSeed.seeds(1...40 as ClosedRange<UInt64>) {
            var g = SplitMix64(seed: seed)
            let ks = Keyspace(databases: 3)
            ks.now = 1_000_000
            let keys = (0..<300).map { Bytes("k\($0)".utf8) }
            for _ in 0..<Int.random(in: 0...600, using: &g) {
                let db = Int.random(in: 0..<3, using: &g)
                let i = ks.set(db, keys.randomElement(using: &g)!, stringValue("v\(g.next() % 1000)"))
                if g.next() % 3 == 0 { ks.setExpire(db, i, at: 2_000_000 + Int64(g.next() % 1000)) }
            }
            let before = state(ks)
            guard let snap = ks.beginSnapshot() else { return XCTFail("no snapshot") }
            XCTAssertNil(ks.beginSnapshot(), "only one snapshot at a time")
            var items: [SnapshotItem] = []
            var steps = 0
            while !ks.snapshotStep(budget: Int.random(in: 1...20, using: &g)) {
                steps += 1
                for _ in 0..<Int.random(in: 0...15, using: &g) {
                    let db = Int.random(in: 0..<3, using: &g)
                    let key = keys.randomElement(using: &g)!
                    switch g.next() % 20 {
                    case 0...6: ks.set(db, key, stringValue("w\(g.next() % 1000)"))
                    case 7...9: ks.delete(db, key)
                    case 10, 11:
                        if let i = ks.lookupWrite(db, key) { ks.setExpire(db, i, at: g.next() % 2 == 0 ? nil : 3_000_000) }
                    case 12:
                        if let i = ks.lookupWrite(db, key) {
                            var v = ks.take(db, i)
                            if case .string = v { v = stringValue("taken") }
                            ks.replace(db, i, with: v)
                        }
                    case 13: if g.next() % 8 == 0 { ks.flush(db) }
                    case 14: if g.next() % 8 == 0 { ks.swap(0, 2) }
                    case 15:
                        if g.next() % 16 == 0 {
                            if g.next() % 2 == 0 { ks.flushAllLazily() } else { ks.flushLazily(db) }
                            var freed: [LazyFreeItem] = []
                            ks.moveLazyFree(into: &freed)
                        }
                    case 16:
                        ks.now = 2_000_500 // some keys expire on lookup
                        _ = ks.lookupWrite(db, key)
                        ks.now = 1_000_000
                    default:
                        // Delete many then add: the table empties, shrinks and reuses slots.
                        for k in keys.prefix(Int(g.next() % 300)) { ks.delete(db, k) }
                        ks.set(db, key, stringValue("fresh"))
                    }
                }
                if g.next() % 2 == 0 { items += snap.takePending() }
                if steps > 100_000 { return XCTFail("walk never ends") }
            }
            items += snap.takePending()
            ks.endSnapshot()
            assertSame(before, collected(items), "seed \(seed)")
            XCTAssertEqual(snap.captured, before.values.reduce(0) { $0 + $1.count }, "seed \(seed)")
            XCTAssertNil(keyTableViolation(ks.databases[0]))
        }
    }

    func testCompactionWaitsForTheSnapshot() {
        let ks = Keyspace(databases: 1)
        for n in 0..<500 { ks.set(0, Bytes("k\(n)".utf8), stringValue("v")) }
        let snap = ks.beginSnapshot()!
        for n in 0..<400 { ks.delete(0, Bytes("k\(n)".utf8)) }
        XCTAssertEqual(ks.databases[0].slotCount, 500, "no compaction while a snapshot is active")
        while !ks.snapshotStep(budget: 50) {}
        XCTAssertEqual(snap.takePending().count, 500)
        ks.endSnapshot()
        ks.delete(0, Bytes("k450".utf8))
        XCTAssertLessThan(ks.databases[0].slotCount, 500, "compaction resumes after the snapshot")
    }
}
