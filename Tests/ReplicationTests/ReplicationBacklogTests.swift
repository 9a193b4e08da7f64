// ReplicationBacklogTests: the ring buffer against a model that keeps every
// byte ever appended, with random append sizes (seeded), every wrap-around
// position of a small ring, resizing, and the edges of `covers`.
import XCTest
import CairnTestSupport
@testable import Replication

final class ReplicationBacklogTests: XCTestCase {
    /// Checks every observable of `backlog` against `model` (all bytes ever, the first at `base`).
    private func check(_ backlog: ReplicationBacklog, model: [UInt8], base: Int64, _ context: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let end = base + Int64(model.count) - 1
        let held = min(model.count, backlog.capacity)
        XCTAssertEqual(backlog.endOffset, end, context, file: file, line: line)
        XCTAssertEqual(backlog.historyLength, held, context, file: file, line: line)
        XCTAssertEqual(backlog.firstByteOffset, end + 1 - Int64(held), context, file: file, line: line)
        XCTAssertFalse(backlog.covers(backlog.firstByteOffset - 1), context, file: file, line: line)
        XCTAssertFalse(backlog.covers(end + 2), context, file: file, line: line)
        XCTAssertEqual(backlog.bytes(from: end + 1), [], context, file: file, line: line)
        for offset in backlog.firstByteOffset...(end + 1) {
            let expected = Array(model[Int(offset - base)...])
            XCTAssertEqual(backlog.bytes(from: offset), expected, "\(context) from \(offset)", file: file, line: line)
        }
    }

    func testRandomAppendsMatchTheModel() {
        for seed in UInt64(1)...40 {
            var rng = SplitMix64(seed: seed)
            let capacity = Int.random(in: 1...64, using: &rng)
            let base = Int64.random(in: 0...1_000_000, using: &rng)
            var backlog = ReplicationBacklog(capacity: capacity, nextOffset: base)
            var model: [UInt8] = []
            for step in 0..<60 {
                let count = Int.random(in: 0...(capacity * 2 + 3), using: &rng)
                let chunk = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if step % 2 == 0 { backlog.append(chunk) } else { chunk.withUnsafeBytes { backlog.append($0) } }
                model += chunk
                check(backlog, model: model, base: base, "seed \(seed) step \(step) capacity \(capacity)")
            }
        }
    }

    func testEveryWrapAroundPosition() {
        let capacity = 7
        for start in 0..<capacity {
            for count in 0...(capacity + 2) {
                var backlog = ReplicationBacklog(capacity: capacity, nextOffset: 1)
                var model = (0..<start).map { UInt8($0 + 100) }
                backlog.append(model)
                let chunk = (0..<count).map { UInt8($0) }
                backlog.append(chunk)
                model += chunk
                check(backlog, model: model, base: 1, "write index \(start), append \(count)")
            }
        }
    }

    func testEmptyBacklogCoversOnlyTheNextByte() {
        let backlog = ReplicationBacklog(capacity: 16, nextOffset: 101)
        XCTAssertEqual(backlog.endOffset, 100)
        XCTAssertEqual(backlog.firstByteOffset, 101)
        XCTAssertTrue(backlog.covers(101))
        XCTAssertFalse(backlog.covers(100))
        XCTAssertFalse(backlog.covers(102))
        XCTAssertEqual(backlog.bytes(from: 101), [])
        XCTAssertNil(backlog.bytes(from: 102))
    }

    func testResizeKeepsTheNewestBytes() {
        for seed in UInt64(1)...20 {
            var rng = SplitMix64(seed: seed)
            var backlog = ReplicationBacklog(capacity: Int.random(in: 1...32, using: &rng), nextOffset: 1)
            var model: [UInt8] = []
            for step in 0..<30 {
                let chunk = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                backlog.append(chunk)
                model += chunk
                if step % 3 == 0 {
                    let kept = backlog.historyLength
                    let newCapacity = Int.random(in: 1...48, using: &rng)
                    backlog.resize(capacity: newCapacity)
                    XCTAssertEqual(backlog.capacity, newCapacity)
                    XCTAssertEqual(backlog.historyLength, min(kept, newCapacity), "seed \(seed)")
                    XCTAssertEqual(backlog.bytes(from: backlog.firstByteOffset),
                                   Array(model.suffix(backlog.historyLength)), "seed \(seed) step \(step)")
                }
                XCTAssertEqual(backlog.endOffset, Int64(model.count), "seed \(seed)")
            }
        }
    }

    func testCapacityBelowOneIsOne() {
        var backlog = ReplicationBacklog(capacity: 0, nextOffset: 1)
        XCTAssertEqual(backlog.capacity, 1)
        backlog.append(bytes("abc"))
        XCTAssertEqual(backlog.bytes(from: 3), bytes("c"))
        XCTAssertNil(backlog.bytes(from: 2))
    }
}
