// Tests for PackedBuffer, the single-allocation byte buffer behind packed hashes
// and intsets: copy-on-write, exact growth, reshaping ranges, the tag word.
import XCTest
@testable import Engine

final class HashPackedBufferTests: XCTestCase {
    func testCopyOnWrite() {
        var a = PackedBuffer()
        XCTAssertEqual(a.capacity, 0)
        Bytes("hello").withUnsafeBytes { a.append($0) }
        a.setTag(7)
        var b = a
        Bytes(" world").withUnsafeBytes { b.append($0) }
        b.setTag(8)
        XCTAssertEqual(a.bytes, Bytes("hello"))
        XCTAssertEqual(a.tag, 7)
        XCTAssertEqual(b.bytes, Bytes("hello world"))
        XCTAssertEqual(b.tag, 8)
        var c = b
        c.withUnsafeMutableBytes { $0[0] = UInt8(ascii: "j") }
        XCTAssertEqual(b.bytes, Bytes("hello world"), "an in-place edit copies a shared buffer first")
        XCTAssertEqual(c.bytes, Bytes("jello world"))
        XCTAssertNotEqual(b, c)
        c.withUnsafeMutableBytes { $0[0] = UInt8(ascii: "h") }
        XCTAssertEqual(b, c)
    }

    func testExactGrowthAndReshape() {
        var a = PackedBuffer()
        for i in 0..<100 {
            [UInt8(i)].withUnsafeBytes { a.append($0) }
            XCTAssertLessThan(a.capacity, a.count + 32, "grows by what is needed, not by doubling")
        }
        a.reshape(10..<20, to: 2)
        XCTAssertEqual(a.count, 92)
        XCTAssertEqual(Array(a.bytes[8..<14]), [8, 9, 10, 11, 20, 21])
        a.reshape(0..<0, to: 3)
        XCTAssertEqual(a.count, 95)
        XCTAssertEqual(Array(a.bytes[3..<5]), [0, 1], "the tail moved up")
        Bytes("xy").withUnsafeBytes { a.replaceSubrange(0..<3, with: $0) }
        XCTAssertEqual(Array(a.bytes[0..<4]), [UInt8(ascii: "x"), UInt8(ascii: "y"), 0, 1])
        a.removeSubrange(0..<a.count)
        XCTAssertEqual(a.count, 0)
        a.removeAll()
        XCTAssertEqual(a.capacity, 0)
    }
}
