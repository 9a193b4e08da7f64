// ValueAndAccessTests: string encodings as OBJECT ENCODING reports them, and the
// LRU clock / LFU counter arithmetic of AccessTracking.
//
// The tricky bits: only a canonical integer (what string2ll accepts) becomes
// "int"; the LRU clock wraps at 2^24 seconds and LFU minutes at 2^16.
import XCTest
@testable import Engine

final class ValueAndAccessTests: XCTestCase {
    func testStringEncodings() {
        XCTAssertEqual(StringValue(encoding: Array("123".utf8)), .int(123))
        XCTAssertEqual(StringValue(encoding: Array("-9223372036854775808".utf8)), .int(Int64.min))
        for text in ["0123", "-0", "+1", " 1", "1.5", "9223372036854775808", ""] {
            XCTAssertEqual(StringValue(encoding: Array(text.utf8)), .bytes(Array(text.utf8), raw: false), text)
        }
        XCTAssertEqual(StringValue(encoding: Array("12".utf8)).encodingName, "int")
        XCTAssertEqual(StringValue(encoding: Bytes(repeating: 97, count: 44)).encodingName, "embstr")
        XCTAssertEqual(StringValue(encoding: Bytes(repeating: 97, count: 45)).encodingName, "raw")
        XCTAssertEqual(StringValue.bytes(Array("ab".utf8), raw: true).encodingName, "raw")
        XCTAssertEqual(StringValue.int(-42).bytes, Array("-42".utf8))
        XCTAssertEqual(StringValue.int(-42).length, 3)
        XCTAssertEqual(StringValue.bytes([0, 1], raw: false).length, 2)
        XCTAssertEqual(Value.string(.int(1)).typeName, "string")
        XCTAssertEqual(Value.string(.int(1)).encodingName, "int")
    }

    func testShortStringsAreBoxedAndReadBackWhole() {
        for n in 0...60 {
            let text = (0..<n).map { UInt8(ascii: "a") &+ UInt8($0 % 26) }
            let s = StringValue(encoding: text)
            if case .embedded(_, let count) = s {
                XCTAssertLessThanOrEqual(n, embstrSizeLimit)
                XCTAssertEqual(Int(count), n)
                // One block: the 16-byte object header and the bytes, in the size class they need.
                XCTAssertEqual(Value.string(s).heapBytes(samples: 1), HeapBlock.sizeClass(16 + n), "length \(n)")
            } else {
                XCTAssertGreaterThan(n, embstrSizeLimit, "length \(n) is not boxed")
            }
            XCTAssertEqual(s.bytes, text, "length \(n)")
            XCTAssertEqual(s.withBytes { Bytes($0) }, text, "length \(n)")
            XCTAssertEqual(s.length, n)
            XCTAssertEqual(s.encodingName, n <= embstrSizeLimit ? "embstr" : "raw")
            // Equal to the same text however stored; not to the same text modified in place, nor to another text.
            XCTAssertEqual(s, .bytes(text, raw: false))
            XCTAssertNotEqual(s, .bytes(text, raw: true))
            XCTAssertNotEqual(s, StringValue(encoding: text + [0]))
            if n > 0 {
                var other = text
                other[n - 1] ^= 1
                XCTAssertNotEqual(s, StringValue(encoding: other))
            }
        }
        XCTAssertEqual(StringValue.int(-42).withBytes { Bytes($0) }, Array("-42".utf8))
        XCTAssertEqual(StringValue.int(Int64.min).withBytes { Bytes($0) }, Array("\(Int64.min)".utf8))
        XCTAssertNotEqual(StringValue.int(7), StringValue(encoding: Array("07".utf8)))
    }

    func testDecimalLength() {
        for v: Int64 in [0, 9, 10, -1, -9, -10, 99, 100, Int64.max, Int64.min, 1_000_000_000_000_000_000] {
            XCTAssertEqual(decimalLength(v), String(v).count, "\(v)")
        }
    }

    func testLRUClock() {
        let lru = AccessPolicy.lru
        let t: Int64 = 1_700_000_000_000
        let field = lru.fresh(nowMs: t)
        XCTAssertEqual(lru.idleSeconds(field, nowMs: t), 0)
        XCTAssertEqual(lru.idleSeconds(field, nowMs: t + 61_999), 61)
        XCTAssertEqual(lru.touched(field, nowMs: t + 5000), lru.fresh(nowMs: t + 5000))
        // Across the 24-bit wrap of the seconds clock.
        let beforeWrap: Int64 = (Int64(1) << 24) * 1000 - 10_000
        let old = lru.fresh(nowMs: beforeWrap)
        // Redis's estimateObjectIdleTime adds (LRU_CLOCK_MAX - lru) + clock across the
        // wrap, one second short of the true 30; Cairn keeps the same arithmetic.
        XCTAssertEqual(lru.idleSeconds(old, nowMs: beforeWrap + 30_000), 29, "wraps and still counts forward")
        XCTAssertFalse(lru.isLFU)
    }

    func testLFUCounter() {
        let lfu = AccessPolicy.lfu(logFactor: 10, decayMinutes: 1)
        XCTAssertTrue(lfu.isLFU)
        let t: Int64 = 1_700_000_000_000
        let field = lfu.fresh(nowMs: t)
        XCTAssertEqual(lfu.decayedCounter(field, nowMs: t), 5, "LFU_INIT_VAL")
        XCTAssertEqual(lfu.decayedCounter(field, nowMs: t + 3 * 60_000), 2, "one per decay period")
        XCTAssertEqual(lfu.decayedCounter(field, nowMs: t + 60 * 60_000), 0, "never below zero")
        XCTAssertEqual(AccessPolicy.lfu(logFactor: 10, decayMinutes: 0).decayedCounter(field, nowMs: t + 600_000), 5,
                       "decay time 0 never decays")
        XCTAssertEqual(AccessPolicy.lru.decayedCounter(field, nowMs: t), 0)
        // With log factor 0 every access counts, up to 255.
        let eager = AccessPolicy.lfu(logFactor: 0, decayMinutes: 1)
        var f = eager.fresh(nowMs: t)
        for _ in 0..<300 { f = eager.touched(f, nowMs: t) }
        XCTAssertEqual(eager.decayedCounter(f, nowMs: t), 255)
        // With the default factor 10, a counter grows ever more slowly.
        var slow = lfu.fresh(nowMs: t)
        for _ in 0..<1000 { slow = lfu.touched(slow, nowMs: t) }
        let counter = lfu.decayedCounter(slow, nowMs: t)
        XCTAssertGreaterThan(counter, 5)
        XCTAssertLessThan(counter, 40)
    }
}
