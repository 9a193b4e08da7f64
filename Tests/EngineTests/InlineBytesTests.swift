// InlineBytesTests: byte strings inside their entries (InlineBytes): inline up to 14 bytes, boxed beyond,
// every length round-trips and compares, lookups tell apart keys that differ only past
// the inline limit or only in length, a key's hash is hashKey of its bytes, and the entry
// stays 40 bytes.
import XCTest
@testable import Engine

final class InlineBytesTests: XCTestCase {
    func testLayout() {
        XCTAssertEqual(MemoryLayout<InlineBytes>.size, 16)
        XCTAssertEqual(MemoryLayout<KeyTable.Entry>.stride, 40)
    }

    func testEveryLengthRoundTripsAndCompares() {
        for n in 0...40 {
            let key = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 1) }
            let k = InlineBytes(key)
            if case .inline = k { XCTAssertLessThanOrEqual(n, 14) } else { XCTAssertGreaterThan(n, 14) }
            XCTAssertEqual(k.bytes, key, "length \(n)")
            XCTAssertTrue(k == key, "length \(n)")
            XCTAssertEqual(k.hash, hashKey(key), "length \(n)")
            XCTAssertFalse(k == key + [0], "length \(n)")
            if n > 0 {
                XCTAssertFalse(k == Array(key.dropLast()), "length \(n)")
                var other = key
                other[n - 1] ^= 1
                XCTAssertFalse(k == other, "length \(n)")
            }
        }
        for n in 0...100 {
            let text = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 11 + 3) }
            let k = InlineBytes(text)
            XCTAssertEqual(k.count, n)
            XCTAssertEqual(k.withBytes { Bytes($0) }, text, "length \(n)")
            // No block inline; past that one box: a 16-byte header and the bytes, in their size class.
            XCTAssertEqual(k.heapBytes, n <= 14 ? 0 : HeapBlock.sizeClass(16 + n), "length \(n)")
        }
        let empty: InlineBytes = []
        XCTAssertEqual(empty.bytes, [])
        XCTAssertTrue(empty == [])
        XCTAssertFalse(InlineBytes([0]) == [])
        XCTAssertFalse(InlineBytes([]) == [0])
    }

    func testTableKeepsShortAndLongKeysApart() {
        var table = KeyTable()
        var keys: [Bytes] = []
        for n in 0...30 {
            keys.append(Bytes(repeating: 120, count: n))
            keys.append(Bytes(repeating: 120, count: n) + [0])
            keys.append(Bytes(repeating: 0, count: n))
        }
        keys = Array(Set(keys))
        for (v, key) in keys.enumerated() { table.insert(key, stringValue("\(v)")) }
        for (v, key) in keys.enumerated() {
            guard let i = table.find(key) else { return XCTFail("\(key) missing") }
            XCTAssertEqual(table.key(at: i), key)
            XCTAssertEqual(table.value(at: i), stringValue("\(v)"))
        }
        for key in keys.prefix(keys.count / 2) { table.remove(at: table.find(key)!) }
        for key in keys.suffix(keys.count - keys.count / 2) { XCTAssertEqual(table.key(at: table.find(key)!), key) }
        XCTAssertNil(keyTableViolation(table))
    }
}
