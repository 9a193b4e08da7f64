// SegmentedArrayTests: the keyspace's entry storage behaves as an Array (same
// indices, same contents under appends and in-place edits, with or without a size
// hint first), its segments fill one 160 KiB allocation each, and unused slots
// never exceed one segment past the first.
import XCTest
@testable import Engine

final class SegmentedArrayTests: XCTestCase {
    func testSegmentOfKeyspaceEntriesFillsOneAllocation() {
        let size = SegmentedArray<KeyTable.Entry>.segmentSize
        XCTAssertEqual(size, 4095)
        XCTAssertLessThanOrEqual(32 + size * MemoryLayout<KeyTable.Entry>.stride, 160 * 1024)
    }

    func testMatchesArrayUnderAppendsAndEdits() {
        for hint in [0, 10, 5000, 20_000] {
            var segmented = SegmentedArray<Int>()
            var model: [Int] = []
            if hint > 0 { segmented.reserveCapacity(hint) }
            var rng = SystemRandomNumberGenerator()
            for n in 0..<30_000 {
                segmented.append(n)
                model.append(n)
                if n % 7 == 0 {
                    let i = Int.random(in: 0..<model.count, using: &rng)
                    segmented[i] += 1_000_000
                    model[i] += 1_000_000
                }
            }
            XCTAssertEqual(segmented.count, model.count, "hint \(hint)")
            XCTAssertEqual(segmented.indices.map { segmented[$0] }, model, "hint \(hint)")
            let perSegment = SegmentedArray<Int>.segmentSize
            XCTAssertGreaterThanOrEqual(segmented.capacity, model.count)
            XCTAssertLessThan(segmented.capacity - model.count, perSegment, "hint \(hint): at most one segment unused")
        }
    }

    func testRemoveAllEmpties() {
        var s = SegmentedArray<Int>()
        for n in 0..<10_000 { s.append(n) }
        s.removeAll()
        XCTAssertTrue(s.isEmpty)
        XCTAssertEqual(s.capacity, 0)
        s.append(7)
        XCTAssertEqual(s[0], 7)
    }
}
