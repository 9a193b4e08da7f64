// ByteHashTests: the engine's key hash and byte comparison (Engine/ByteHash.swift).
import XCTest
@testable import Engine

final class ByteHashTests: XCTestCase {
    func testTheSameBytesHashTheSameWhereverTheyAre() {
        for n in 0..<40 {
            let key = Bytes((0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            let fromArray = hashKey(key)
            let fromBuffer = key.withUnsafeBytes { hashKey($0) }
            XCTAssertEqual(fromArray, fromBuffer, "length \(n)")
            XCTAssertEqual(InlineBytes(key).hash, fromArray, "an entry's key hashes as its bytes, length \(n)")
        }
    }

    func testLengthAndEveryByteCount() {
        // Trailing zero bytes change the hash (the length is part of the last word).
        XCTAssertNotEqual(hashKey([]), hashKey([0]))
        XCTAssertNotEqual(hashKey([0]), hashKey([0, 0]))
        XCTAssertNotEqual(hashKey(Bytes(repeating: 0, count: 8)), hashKey(Bytes(repeating: 0, count: 9)))
        // A change of any one bit, in the full words or the tail, changes it.
        let base = Bytes((0..<21).map { UInt8($0) })
        let h = hashKey(base)
        for i in base.indices {
            for bit in 0..<8 {
                var other = base
                other[i] ^= UInt8(1 << bit)
                XCTAssertNotEqual(hashKey(other), h, "byte \(i) bit \(bit)")
            }
        }
    }

    func testBucketsFillEvenly() {
        // 64k keys of the usual shape into 1,024 buckets: every bucket near its mean of 64.
        var counts = [Int](repeating: 0, count: 1024)
        var full = Set<UInt64>()
        for n in 0..<65_536 {
            let h = hashKey(Bytes("key:\(n)".utf8))
            counts[Int(h & 1023)] += 1
            full.insert(h)
        }
        XCTAssertEqual(full.count, 65_536, "no two of these keys share a 64-bit hash")
        XCTAssertGreaterThan(counts.min()!, 25)
        XCTAssertLessThan(counts.max()!, 110)
    }

    func testEqualBytes() {
        for n in 0..<30 {
            let a = Bytes((0..<n).map { UInt8($0) })
            XCTAssertTrue(bytesEqual(a, a))
            for i in 0..<n {
                var b = a
                b[i] &+= 1
                XCTAssertFalse(bytesEqual(a, b), "length \(n), differing at \(i)")
            }
            XCTAssertFalse(bytesEqual(a, a + [0]))
        }
    }
}
