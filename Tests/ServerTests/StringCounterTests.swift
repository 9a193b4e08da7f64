// Tests for INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT: overflow, strict integer
// parsing, encodings, TTLs kept, and INCRBYFLOAT's propagation as SET (+ PEXPIREAT).
import XCTest
import RESP
import Engine
@testable import Server

final class StringCounterTests: XCTestCase {
    func testIntegerCounters() {
        let h = Harness()
        XCTAssertEqual(h.run("INCR", "c"), .int(1))
        XCTAssertEqual(h.run("INCRBY", "c", "9"), .int(10))
        XCTAssertEqual(h.run("DECR", "c"), .int(9))
        XCTAssertEqual(h.run("DECRBY", "c", "100"), .int(-91))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("int"))
        XCTAssertEqual(h.run("DECRBY", "fresh", "5"), .int(-5))
        XCTAssertEqual(h.run("INCRBY", "c", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("INCR", "c", "x"), .error("ERR wrong number of arguments for 'incr' command"))
        h.run("SET", "r", "1")
        h.run("APPEND", "r", "0")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "r"), .str("raw"))
        XCTAssertEqual(h.run("INCR", "r"), .int(11), "a raw string holding an integer counts")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "r"), .str("int"))
    }

    func testIntegerErrors() {
        let h = Harness()
        let notInt = RESPValue.error("ERR value is not an integer or out of range")
        let overflow = RESPValue.error("ERR increment or decrement would overflow")
        for text in ["01", " 1", "1.5", "", "abc", "12345678901234567890", "+1", "-0"] {
            h.run("SET", "s", text)
            XCTAssertEqual(h.run("INCR", "s"), notInt, text)
        }
        h.run("SET", "n", "9223372036854775807")
        XCTAssertEqual(h.run("INCR", "n"), overflow)
        XCTAssertEqual(h.run("INCRBY", "n", "-9223372036854775808"), .int(-1))
        h.run("SET", "n", "-9223372036854775808")
        XCTAssertEqual(h.run("DECR", "n"), overflow)
        XCTAssertEqual(h.run("INCRBY", "n", "-1"), overflow)
        XCTAssertEqual(h.run("GET", "n"), .str("-9223372036854775808"), "unchanged after an error")
        XCTAssertEqual(h.run("INCRBY", "n", "9223372036854775808"), notInt)
        // Redis 4.0 negates -2^63 to itself: DECRBY adds -2^63 (overflow only below 0).
        XCTAssertEqual(h.run("DECRBY", "z", "-9223372036854775808"), .int(Int64.min))
        h.run("SET", "z", "-5")
        XCTAssertEqual(h.run("DECRBY", "z", "-9223372036854775808"), overflow)
        h.run("DEL", "z")
        _ = h.takePropagated()
        h.run("INCR", "n")
        h.run("INCR", "s")
        XCTAssertEqual(h.takePropagated(), ["0: INCR n"], "failed increments propagate nothing")
    }

    func testCountersKeepTTL() {
        let h = Harness()
        h.run("SET", "c", "5", "EX", "100")
        XCTAssertEqual(h.run("INCR", "c"), .int(6))
        XCTAssertEqual(h.run("TTL", "c"), .int(100))
        XCTAssertEqual(h.run("INCRBYFLOAT", "c", "1.5"), .str("7.5"))
        XCTAssertEqual(h.run("TTL", "c"), .int(100))
    }

    func testIncrbyfloat() {
        let h = Harness()
        h.run("SET", "x", "1")
        XCTAssertEqual(h.run("INCRBYFLOAT", "x", "2"), .str("3"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "x"), .str("embstr"), "stored as text, as Redis does")
        XCTAssertEqual(h.run("INCRBYFLOAT", "x", "1.5e3"), .str("1503"))
        h.run("SET", "y", "10.50")
        XCTAssertEqual(h.run("INCRBYFLOAT", "y", "0"), .str("10.5"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "y", "-10.5"), .str("0"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k6", "0.1"), .str("0.1"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k6", "0.2"), .str("0.3"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k10", "-1.5e-3"), .str("-0.0015"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k5", "1e-20"), .str("0"))
        // 1e400 fits a long double; the text is its exact %.17Lf rendering, as redis-server prints it.
        guard case .bulk(let big) = h.run("INCRBYFLOAT", "huge", "1e400") else { return XCTFail() }
        XCTAssertEqual(big.count, 401)
        XCTAssert(big.text.hasPrefix("10000000000000000000281880683947586514586453433629"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "nx", "inf"), .error("ERR increment would produce NaN or Infinity"))
        XCTAssertEqual(h.run("EXISTS", "nx"), .int(0))
        h.run("SET", "z", "  1")
        XCTAssertEqual(h.run("INCRBYFLOAT", "z", "1"), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k7", "1 "), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k7", ""), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k7", "nan"), .error("ERR value is not a valid float"))
    }

    func testIncrbyfloatPropagatesSetAndTheDeadline() {
        let h = Harness()
        h.run("INCRBYFLOAT", "f", "0.1")
        h.run("INCRBYFLOAT", "f", "2.0e1")
        h.run("INCRBYFLOAT", "f", "x")
        h.run("SELECT", "2")
        h.run("INCRBY", "g", "3")
        h.run("DECR", "g")
        XCTAssertEqual(h.takePropagated(), ["0: SET f 0.1", "0: SET f 20.1", "2: INCRBY g 3", "2: DECR g"])
        h.run("PEXPIREAT", "g", "99999999999999")
        _ = h.takePropagated()
        h.run("INCRBYFLOAT", "g", "0.5")
        XCTAssertEqual(h.takePropagated(), ["2: SET g 2.5", "2: PEXPIREAT g 99999999999999"],
                       "the TTL replays with the value, in commands Redis 4.0 reads")
    }
}
