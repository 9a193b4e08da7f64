// Tests for Engine/StringOps.swift: range arithmetic, overwrite, increments and
// INCRBYFLOAT's long double text.
import XCTest
@testable import Engine

final class StringOpsTests: XCTestCase {
    func testInclusiveByteRange() {
        // "This is a string" is 16 bytes.
        XCTAssertEqual(inclusiveByteRange(start: 0, end: 3, length: 16), 0..<4)
        XCTAssertEqual(inclusiveByteRange(start: -3, end: -1, length: 16), 13..<16)
        XCTAssertEqual(inclusiveByteRange(start: 10, end: 100, length: 16), 10..<16)
        XCTAssertEqual(inclusiveByteRange(start: -100, end: -50, length: 16), 0..<1, "both clamp to 0")
        XCTAssertNil(inclusiveByteRange(start: 5, end: 2, length: 16))
        XCTAssertNil(inclusiveByteRange(start: 100, end: 200, length: 16))
        XCTAssertNil(inclusiveByteRange(start: -1, end: -3, length: 16))
        XCTAssertNil(inclusiveByteRange(start: -50, end: -100, length: 16), "reversed negatives are empty")
        XCTAssertEqual(inclusiveByteRange(start: -50, end: -100, length: 16, reversedNegativesEmpty: false), 0..<1)
        XCTAssertNil(inclusiveByteRange(start: 0, end: -1, length: 0))
        XCTAssertEqual(inclusiveByteRange(start: Int64.min, end: Int64.max, length: 16), 0..<16)
    }

    func testOverwriteAndGrow() {
        var b = Bytes()
        b.overwrite(at: 5, with: Bytes("ab"))
        XCTAssertEqual(b, [0, 0, 0, 0, 0, 0x61, 0x62])
        b.overwrite(at: 0, with: Bytes("xyz"))
        XCTAssertEqual(b, Bytes("xyz") + [0, 0, 0x61, 0x62])
        b.overwrite(at: 6, with: Bytes("QR"))
        XCTAssertEqual(b.count, 8)
        XCTAssertEqual(Array(b[5...]), Bytes("aQR"))
        b.overwrite(at: 100, with: [])
        XCTAssertEqual(b.count, 8, "an empty patch changes nothing")
        b.growZeroed(to: 3)
        XCTAssertEqual(b.count, 8)
        b.growZeroed(to: 10)
        XCTAssertEqual(b.suffix(2), [0, 0])
    }

    func testIntegers() {
        XCTAssertEqual(incrementedInteger(5, by: -10), -5)
        XCTAssertNil(incrementedInteger(Int64.max, by: 1))
        XCTAssertNil(incrementedInteger(Int64.min, by: -1))
        XCTAssertEqual(incrementedInteger(Int64.min, by: Int64.max), -1)
        XCTAssertEqual(StringValue.int(7).integerValue, 7)
        XCTAssertEqual(StringValue.bytes(Bytes("-12"), raw: true).integerValue, -12)
        XCTAssertNil(StringValue.bytes(Bytes("01"), raw: false).integerValue)
        XCTAssertNil(StringValue.bytes(Bytes(" 1"), raw: false).integerValue)
        XCTAssertNil(StringValue.bytes(Bytes("1.5"), raw: false).integerValue)
    }

    func testFloatIncrement() {
        func inc(_ current: StringValue?, _ by: String) -> String {
            switch incrementedFloatText(current, by: Bytes(by)) {
            case .success(let b): return b.text
            case .failure(let e): return "\(e)"
            }
        }
        XCTAssertEqual(inc(.int(1), "2"), "3")
        XCTAssertEqual(inc(.int(3), "1.5e3"), "1503")
        XCTAssertEqual(inc(.bytes(Bytes("10.50"), raw: false), "0"), "10.5")
        XCTAssertEqual(inc(.bytes(Bytes("10.50"), raw: false), "-10.5"), "0")
        XCTAssertEqual(inc(nil, "0.1"), "0.1")
        XCTAssertEqual(inc(.bytes(Bytes("0.1"), raw: false), "0.2"), "0.3", "long double keeps 0.1+0.2 tidy")
        XCTAssertEqual(inc(nil, "-1.5e-3"), "-0.0015")
        XCTAssertEqual(inc(nil, "1e-20"), "0")
        XCTAssertEqual(inc(.bytes(Bytes("-0.0"), raw: false), "0"), "0", "no negative zero")
        XCTAssertEqual(inc(nil, "10000000000000000000000"), "10000000000000000000000")
        XCTAssertEqual(inc(.bytes(Bytes("  1"), raw: false), "1"), "notFloat")
        XCTAssertEqual(inc(nil, "1 "), "notFloat")
        XCTAssertEqual(inc(nil, ""), "notFloat")
        XCTAssertEqual(inc(nil, "abc"), "notFloat")
        XCTAssertEqual(inc(nil, "inf"), "notFinite")
        XCTAssertEqual(inc(.bytes(Bytes("nan"), raw: false), "1"), "notFloat")
    }
}
