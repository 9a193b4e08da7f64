// Tests for ByteStringTable, the general form behind hashes and sets: lookups
// after many inserts and removals (removal moves the last entry), bucket growth
// and shrinking, and SCAN's promise across resizes.
import XCTest
import CairnTestSupport
@testable import Engine

final class HashByteStringTableTests: XCTestCase {
    func b(_ s: String) -> Bytes { Bytes(s) }

    func testInsertRemoveAgainstModel() {
        var rng = SplitMix64(seed: 3)
        var t = ByteStringTable<Int>()
        var model: [Bytes: Int] = [:]
        for step in 0..<20000 {
            // Keys of 2 to 24 bytes: inside the entry up to 14, boxed past that.
            let n = Int(rng.next() % 3000)
            let key = b("k\(n)" + String(repeating: "x", count: n % 21))
            switch rng.next() % 5 {
            case 0, 1, 2:
                XCTAssertEqual(t.set(key, step), model.updateValue(step, forKey: key) == nil)
            case 3:
                XCTAssertEqual(t.remove(key), model.removeValue(forKey: key))
            default:
                if let i = t.randomIndex(using: &rng) {
                    let (k, p) = t.remove(at: i)
                    XCTAssertEqual(model.removeValue(forKey: k), p)
                }
            }
        }
        XCTAssertEqual(t.count, model.count)
        for (k, v) in model { XCTAssertEqual(t.payload(for: k), v) }
        var seen = 0
        t.forEach { k, v in
            seen += 1
            XCTAssertEqual(model[k], v)
        }
        XCTAssertEqual(seen, model.count)
        XCTAssertFalse(t.insertIfAbsent(model.keys.first!, -1))
    }

    func testBucketsGrowAndShrink() {
        var t = ByteStringTable<Void>()
        XCTAssertEqual(t.bucketCount, 4)
        for i in 0..<1000 { t.insertNew(b("\(i)"), ()) }
        XCTAssertEqual(t.bucketCount, 1024)
        for i in 0..<990 { t.remove(b("\(i)")) }
        XCTAssertLessThanOrEqual(t.bucketCount, 64, "shrinks below 10% fill")
        XCTAssertLessThan(t.entries.capacity, 100, "and gives back the entry array's slack")
        for i in 990..<1000 { XCTAssertTrue(t.contains(b("\(i)"))) }
        for i in 990..<1000 { t.remove(b("\(i)")) }
        XCTAssertEqual(t.count, 0)
        XCTAssertEqual(t.bucketCount, 4)
    }

    func testScanSurvivesResizes() {
        var t = ByteStringTable<Void>()
        let stable = (0..<200).map { b("stable\($0)") }
        for k in stable { t.insertNew(k, ()) }
        var cursor: UInt64 = 0
        var seen = Set<Bytes>()
        var step = 0
        repeat {
            cursor = t.scan(cursor: cursor) { seen.insert(t.key(at: $0)) }
            step += 1
            // Grow, then shrink, while the walk is under way.
            if step == 5 { for i in 0..<2000 { t.insertNew(b("extra\(i)"), ()) } }
            if step == 40 { for i in 0..<2000 { t.remove(b("extra\(i)")) } }
        } while cursor != 0
        for k in stable { XCTAssertTrue(seen.contains(k), "every key present throughout is returned") }
    }
}
