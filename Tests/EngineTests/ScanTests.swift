// ScanTests: SCAN's promise. A key present for the whole scan is returned at
// least once, even while other keys come and go between steps and the table
// doubles, halves and compacts under the cursor; and a scan always ends.
//
// The tricky bit: the churn must really resize the table mid-scan, so each seed
// alternates bursts of inserts and deletes far larger than the stable set, and
// the test asserts that resizes in both directions happened.
import XCTest
import CairnTestSupport
@testable import Engine

final class ScanTests: XCTestCase {
    func testScanWithoutChangesReturnsEachKeyOnce() {
        for size in [0, 1, 3, 4, 5, 100, 1000] {
            var table = KeyTable()
            for n in 0..<size { table.insert(Array("k\(n)".utf8), stringValue("v")) }
            var seen: [Bytes] = []
            var cursor: UInt64 = 0
            var steps = 0
            repeat {
                cursor = table.scan(cursor: cursor) { seen.append(table.key(at: $0)) }
                steps += 1
            } while cursor != 0
            XCTAssertEqual(seen.count, size, "size \(size)")
            XCTAssertEqual(Set(seen).count, size, "no duplicates without resizes")
            XCTAssertLessThanOrEqual(steps, max(table.bucketCount, 1), "one step per bucket at most")
        }
    }

    func testKeysPresentThroughoutAreReturnedDespiteResizes() {
        var grows = 0, shrinks = 0, compactions = 0
        for seed in TestSeed.seeds(1...60 as ClosedRange<UInt64>) {
            var g = SplitMix64(seed: seed)
            var table = KeyTable()
            let stableCount = Int.random(in: 1...200, using: &g)
            let stable = (0..<stableCount).map { Array("stable:\(seed):\($0)".utf8) }
            for key in stable { table.insert(key, stringValue("s")) }
            var churn: [Bytes] = []
            var next = 0
            var seen = Set<Bytes>()
            var cursor: UInt64 = 0
            var steps = 0
            repeat {
                cursor = table.scan(cursor: cursor) { seen.insert(table.key(at: $0)) }
                steps += 1
                // Between steps: a burst of inserts or of deletes of churn keys.
                let buckets = table.bucketCount, slots = table.entries.count
                if Bool.random(using: &g) {
                    for _ in 0..<Int.random(in: 0...(Bool.random(using: &g) ? 10 : 600), using: &g) {
                        let key = Array("churn:\(next)".utf8)
                        next += 1
                        table.insert(key, stringValue("c"))
                        churn.append(key)
                    }
                } else {
                    for _ in 0..<min(churn.count, Int.random(in: 0...600, using: &g)) {
                        let k = Int.random(in: 0..<churn.count, using: &g)
                        churn.swapAt(k, churn.count - 1)
                        table.remove(at: table.find(churn.removeLast())!)
                    }
                }
                if table.bucketCount > buckets { grows += 1 }
                if table.bucketCount < buckets { shrinks += 1 }
                if table.entries.count < slots { compactions += 1 }
            } while cursor != 0 && steps < 1_000_000
            XCTAssertEqual(cursor, 0, "seed \(seed): the scan ends")
            let missing = stable.filter { !seen.contains($0) }
            XCTAssertTrue(missing.isEmpty, "seed \(seed): \(missing.count) stable keys never returned")
            XCTAssertNil(keyTableViolation(table))
        }
        XCTAssertGreaterThan(grows, 50)
        XCTAssertGreaterThan(shrinks, 50)
        XCTAssertGreaterThan(compactions, 10)
    }

    func testKeyspaceScanWithCountAndChurn() {
        // The same promise through Keyspace.scan, which takes several buckets per call.
        for seed in TestSeed.seeds(1...20 as ClosedRange<UInt64>) {
            var g = SplitMix64(seed: seed)
            let ks = Keyspace(databases: 2)
            let stable = (0..<300).map { Array("s\($0)".utf8) }
            for key in stable { ks.add(1, key, stringValue("v")) }
            var churn = 0
            var seen = Set<Bytes>()
            var cursor: UInt64 = 0
            var calls = 0
            repeat {
                let count = Int.random(in: 1...50, using: &g)
                let step = ks.scan(1, cursor: cursor, count: count)
                cursor = step.next
                seen.formUnion(step.keys)
                calls += 1
                if Bool.random(using: &g) {
                    for _ in 0..<Int.random(in: 0...400, using: &g) {
                        ks.add(1, Array("c\(churn)".utf8), stringValue("v"))
                        churn += 1
                    }
                } else {
                    for key in ks.allIndices(1).map({ ks.key(1, $0) }) where key.first == UInt8(ascii: "c") && Bool.random(using: &g) {
                        ks.delete(1, key)
                    }
                }
            } while cursor != 0 && calls < 100_000
            XCTAssertEqual(cursor, 0)
            XCTAssertTrue(Set(stable).isSubset(of: seen), "seed \(seed)")
            XCTAssertEqual(ks.scan(0, cursor: 0, count: 10).keys, [], "empty database")
            XCTAssertEqual(ks.scan(0, cursor: 0, count: 10).next, 0)
        }
    }

    func testKeyspaceScanStepReturnsAtLeastCountWhenAvailable() {
        let ks = Keyspace(databases: 1)
        for n in 0..<1000 { ks.add(0, Array("k\(n)".utf8), stringValue("v")) }
        let step = ks.scan(0, cursor: 0, count: 100)
        XCTAssertGreaterThanOrEqual(step.keys.count, 100)
        XCTAssertNotEqual(step.next, 0)
    }
}
