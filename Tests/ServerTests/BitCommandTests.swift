// Tests for SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP, with replies checked by
// hand against redis-server 7.0 (where 4.0 answers the same) and 4.0's argument
// order (key looked up before BITCOUNT/BITPOS ranges are parsed).
import XCTest
import RESP
import Engine
@testable import Server

final class BitCommandTests: XCTestCase {
    private func set(_ h: Harness, _ key: String, _ bytes: Bytes) {
        XCTAssertEqual(h.run([Bytes("SET"), Bytes(key), bytes]), .ok)
    }

    func testSetbitGetbit() {
        let h = Harness()
        let offsetError = RESPValue.error("ERR bit offset is not an integer or out of range")
        let bitError = RESPValue.error("ERR bit is not an integer or out of range")
        XCTAssertEqual(h.run("SETBIT", "b", "7", "1"), .int(0))
        XCTAssertEqual(h.run("GET", "b"), .str("\u{1}"))
        XCTAssertEqual(h.run("SETBIT", "b", "7", "1"), .int(1))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "b"), .str("raw"))
        XCTAssertEqual(h.run("SETBIT", "b", "7", "2"), bitError)
        XCTAssertEqual(h.run("SETBIT", "b", "1", "x"), bitError)
        XCTAssertEqual(h.run("SETBIT", "b", "1", "-1"), bitError)
        for bad in ["-1", "4294967296", "x", "#1", "01"] {
            XCTAssertEqual(h.run("SETBIT", "b", bad, "1"), offsetError, bad)
            XCTAssertEqual(h.run("GETBIT", "b", bad), offsetError, bad)
        }
        XCTAssertEqual(h.run("GETBIT", "b", "4294967295"), .int(0))
        XCTAssertEqual(h.run("GETBIT", "b", "7"), .int(1))
        XCTAssertEqual(h.run("GETBIT", "missing", "3"), .int(0))
        XCTAssertEqual(h.run("SETBIT", "b", "100", "1"), .int(0))
        XCTAssertEqual(h.run("STRLEN", "b"), .int(13))
        XCTAssertEqual(h.run("SETBIT", "b", "100", "0"), .int(1))
        XCTAssertEqual(h.run("STRLEN", "b"), .int(13), "clearing does not shrink")
        // An int is its decimal text: "12" is 0x31 0x32.
        h.run("SET", "i", "12")
        XCTAssertEqual(h.run("GETBIT", "i", "2"), .int(1))
        XCTAssertEqual(h.run("GETBIT", "i", "3"), .int(1))
        XCTAssertEqual(h.run("SETBIT", "i", "0", "0"), .int(0))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "i"), .str("raw"))
        XCTAssertEqual(h.run("GET", "i"), .str("12"))
        h.run("SET", "t", "x", "EX", "100")
        h.run("SETBIT", "t", "0", "1")
        XCTAssertEqual(h.run("TTL", "t"), .int(100), "SETBIT keeps the TTL")
        _ = h.takePropagated()
        h.run("SETBIT", "t", "0", "1")
        h.run("GETBIT", "t", "0")
        XCTAssertEqual(h.takePropagated(), ["0: SETBIT t 0 1"], "SETBIT counts even when the bit was set")
    }

    func testBitcount() {
        let h = Harness()
        h.run("SET", "s", "foobar")
        let cases: [([String], Int64)] = [
            ([], 26), (["0", "0"], 4), (["1", "1"], 6), (["-2", "-1"], 7), (["-1", "-2"], 0),
            (["-100", "-50"], 4), (["5", "100"], 4), (["6", "100"], 0), (["0", "-100"], 4),
        ]
        for (range, expected) in cases {
            XCTAssertEqual(h.run(["BITCOUNT", "s"].map { Bytes($0) } + range.map { Bytes($0) }), .int(expected), "\(range)")
        }
        XCTAssertEqual(h.run("BITCOUNT", "s", "0"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("BITCOUNT", "s", "0", "1", "2"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("BITCOUNT", "s", "0", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("BITCOUNT", "nokey", "0"), .int(0), "missing key answers before the range is parsed")
        XCTAssertEqual(h.run("BITCOUNT", "nokey", "0", "x"), .int(0))
        h.run("SET", "e", "")
        XCTAssertEqual(h.run("BITCOUNT", "e"), .int(0))
        XCTAssertEqual(h.run("BITCOUNT", "e", "0", "0"), .int(0))
        h.run("SET", "i", "12345")
        XCTAssertEqual(h.run("BITCOUNT", "i"), .int(17))
    }

    func testBitpos() {
        let h = Harness()
        set(h, "p", [0xFF, 0xF0, 0x00])
        XCTAssertEqual(h.run("BITPOS", "p", "0"), .int(12))
        XCTAssertEqual(h.run("BITPOS", "p", "1"), .int(0))
        XCTAssertEqual(h.run("BITPOS", "p", "1", "2"), .int(-1))
        XCTAssertEqual(h.run("BITPOS", "p", "0", "1"), .int(12))
        XCTAssertEqual(h.run("BITPOS", "p", "0", "-1"), .int(16))
        XCTAssertEqual(h.run("BITPOS", "p", "1", "-3", "-2"), .int(0))
        XCTAssertEqual(h.run("BITPOS", "p", "0", "-100", "-50"), .int(-1), "clamped to byte 0, which is 0xFF")
        XCTAssertEqual(h.run("BITPOS", "p", "0", "5", "1"), .int(-1))
        set(h, "ff", [0xFF, 0xFF])
        XCTAssertEqual(h.run("BITPOS", "ff", "0"), .int(16), "no end given: the right side reads as zeros")
        XCTAssertEqual(h.run("BITPOS", "ff", "0", "0"), .int(16))
        XCTAssertEqual(h.run("BITPOS", "ff", "0", "0", "-1"), .int(-1), "an explicit end: not found")
        XCTAssertEqual(h.run("BITPOS", "ff", "1", "-1", "-2"), .int(-1))
        XCTAssertEqual(h.run("BITPOS", "ff", "0", "5"), .int(-1))
        XCTAssertEqual(h.run("BITPOS", "ff", "2"), .error("ERR The bit argument must be 1 or 0."))
        XCTAssertEqual(h.run("BITPOS", "ff", "1", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("BITPOS", "ff", "1", "0", "1", "2"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("BITPOS", "nokey", "1"), .int(-1))
        XCTAssertEqual(h.run("BITPOS", "nokey", "0"), .int(0))
        XCTAssertEqual(h.run("BITPOS", "nokey", "2"), .error("ERR The bit argument must be 1 or 0."))
        XCTAssertEqual(h.run("BITPOS", "nokey", "1", "x"), .int(-1))
        h.run("SET", "e", "")
        XCTAssertEqual(h.run("BITPOS", "e", "0"), .int(-1))
        XCTAssertEqual(h.run("BITPOS", "e", "1"), .int(-1))
        set(h, "long", Bytes(repeating: 0, count: 17) + [1])
        XCTAssertEqual(h.run("BITPOS", "long", "1"), .int(143))
        XCTAssertEqual(h.run("BITPOS", "long", "1", "3"), .int(143))
        XCTAssertEqual(h.run("BITPOS", "long", "1", "3", "10"), .int(-1))
        set(h, "long2", Bytes(repeating: 0xFF, count: 17) + [0xFE])
        XCTAssertEqual(h.run("BITPOS", "long2", "0"), .int(143))
        XCTAssertEqual(h.run("BITPOS", "long2", "0", "1", "-2"), .int(-1))
        h.run("SET", "i", "12345")
        XCTAssertEqual(h.run("BITPOS", "i", "1", "1"), .int(10))
    }

    func testBitop() {
        let h = Harness()
        h.run("SET", "a", "abc")
        h.run("SET", "b", "a")
        XCTAssertEqual(h.run("BITOP", "AND", "d", "a", "b"), .int(3))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("d")]), .bulk([0x61, 0, 0]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "d"), .str("raw"))
        XCTAssertEqual(h.run("BITOP", "or", "d", "a", "b"), .int(3))
        XCTAssertEqual(h.run("GET", "d"), .str("abc"))
        XCTAssertEqual(h.run("BITOP", "Xor", "d", "a", "b", "nokey"), .int(3))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("d")]), .bulk([0, 0x62, 0x63]))
        XCTAssertEqual(h.run("BITOP", "NOT", "d", "a", "b"), .error("ERR BITOP NOT must be called with a single source key."))
        XCTAssertEqual(h.run("BITOP", "not", "d", "a"), .int(3))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("d")]), .bulk([0x9E, 0x9D, 0x9C]))
        XCTAssertEqual(h.run("BITOP", "nand", "d", "a"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("BITOP", "or", "d"), .error("ERR wrong number of arguments for 'bitop' command"))
        XCTAssertEqual(h.run("BITOP", "and", "d", "n1", "n2"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "d"), .int(0), "an empty result deletes the target")
        h.run("SET", "i", "12")
        XCTAssertEqual(h.run("BITOP", "or", "d", "i"), .int(2))
        XCTAssertEqual(h.run("GET", "d"), .str("12"))
        h.run("SET", "d", "5", "EX", "100")
        h.run("BITOP", "or", "d", "a")
        XCTAssertEqual(h.run("TTL", "d"), .int(-1), "the target is replaced, TTL dropped")
        _ = h.takePropagated()
        h.run("BITOP", "and", "d", "a", "b")
        XCTAssertEqual(h.takePropagated(), ["0: BITOP and d a b"])
    }
}
