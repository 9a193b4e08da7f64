// Tests for APPEND, GETRANGE, SUBSTR and SETRANGE: ranges (negative, huge,
// reversed), the 512 MB limit, encodings after in-place changes, TTLs kept, and
// no-ops that must not count as changes.
import XCTest
import RESP
import Engine
@testable import Server

final class StringRangeTests: XCTestCase {
    func testGetrange() {
        let h = Harness()
        h.run("SET", "s", "This is a string")
        let cases: [(String, String, String)] = [
            ("0", "3", "This"), ("-3", "-1", "ing"), ("0", "-1", "This is a string"), ("10", "100", "string"),
            ("-100", "-50", "T"), ("5", "2", ""), ("100", "200", ""), ("-1", "-3", ""),
            ("0", "9223372036854775807", "This is a string"),
            ("-9223372036854775808", "-9223372036854775807", "T"), ("-9223372036854775808", "2", "Thi"),
        ]
        for (start, end, expected) in cases {
            XCTAssertEqual(h.run("GETRANGE", "s", start, end), .str(expected), "\(start) \(end)")
        }
        XCTAssertEqual(h.run("SUBSTR", "s", "0", "2"), .str("Thi"))
        XCTAssertEqual(h.run("GETRANGE", "nokey", "0", "1"), .str(""))
        XCTAssertEqual(h.run("GETRANGE", "nokey", "x", "1"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("GETRANGE", "s", "0", "9223372036854775808"), .error("ERR value is not an integer or out of range"))
        h.run("SET", "n", "12345")
        XCTAssertEqual(h.run("GETRANGE", "n", "1", "2"), .str("23"))
        XCTAssertEqual(h.run("GETRANGE", "n", "-2", "-1"), .str("45"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("int"), "reading keeps the encoding")
        h.run("SET", "e", "")
        XCTAssertEqual(h.run("GETRANGE", "e", "0", "-1"), .str(""))
    }

    func testAppend() {
        let h = Harness()
        XCTAssertEqual(h.run("APPEND", "new", "abc"), .int(3))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "new"), .str("embstr"))
        XCTAssertEqual(h.run("APPEND", "new2", "123"), .int(3))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "new2"), .str("int"), "a new key is stored as SET would")
        XCTAssertEqual(h.run("APPEND", "new2", "4"), .int(4))
        XCTAssertEqual(h.run("GET", "new2"), .str("1234"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "new2"), .str("raw"))
        XCTAssertEqual(h.run("APPEND", "new", ""), .int(3))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "new"), .str("raw"), "even an empty append unshares")
        h.run("SET", "k", "v", "EX", "100")
        XCTAssertEqual(h.run("APPEND", "k", "x"), .int(2))
        XCTAssertEqual(h.run("TTL", "k"), .int(100), "APPEND keeps the TTL")
        XCTAssertEqual(h.run([Bytes("APPEND"), Bytes("k"), [0, 0xFF]]), .int(4))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("k")]), .bulk(Bytes("vx") + [0, 0xFF]))
        _ = h.takePropagated()
        h.run("APPEND", "k", "")
        XCTAssertEqual(h.takePropagated(), ["0: APPEND k "], "Redis counts any APPEND as a change")
    }

    func testAppendLimit() {
        let h = Harness()
        let ks = h.server.keyspace
        ks.set(0, Bytes("big"), .string(.bytes(Bytes(repeating: 0x61, count: maxStringLength - 1), raw: true)))
        XCTAssertEqual(h.run("APPEND", "big", "x"), .int(Int64(maxStringLength)))
        XCTAssertEqual(h.run("APPEND", "big", "y"), .error("ERR string exceeds maximum allowed size (512MB)"))
        XCTAssertEqual(h.run("STRLEN", "big"), .int(Int64(maxStringLength)))
        XCTAssertEqual(h.run("SETRANGE", "big", String(maxStringLength - 1), "z"), .int(Int64(maxStringLength)))
        XCTAssertEqual(h.run("SETRANGE", "big", String(maxStringLength), "z"),
                       .error("ERR string exceeds maximum allowed size (512MB)"))
        XCTAssertEqual(h.run("GETRANGE", "big", "-2", "-1"), .str("az"))
        h.run("DEL", "big")
    }

    func testSetrange() {
        let h = Harness()
        XCTAssertEqual(h.run("SETRANGE", "sr", "5", "ab"), .int(7))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("sr")]), .bulk([0, 0, 0, 0, 0, 0x61, 0x62]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "sr"), .str("raw"))
        XCTAssertEqual(h.run("SETRANGE", "sr", "0", "xyzw"), .int(7))
        XCTAssertEqual(h.run("GETRANGE", "sr", "0", "3"), .str("xyzw"))
        XCTAssertEqual(h.run("SETRANGE", "sr2", "0", ""), .int(0))
        XCTAssertEqual(h.run("EXISTS", "sr2"), .int(0), "nothing to set on a missing key creates nothing")
        XCTAssertEqual(h.run("SETRANGE", "sr", "-1", "x"), .error("ERR offset is out of range"))
        XCTAssertEqual(h.run("SETRANGE", "sr", "x", "a"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SETRANGE", "sr", "9223372036854775807", ""), .int(7), "empty value: the length")
        XCTAssertEqual(h.run("SETRANGE", "sr", "9223372036854775807", "x"),
                       .error("ERR string exceeds maximum allowed size (512MB)"))
        XCTAssertEqual(h.run("SETRANGE", "none", "536870912", "x"),
                       .error("ERR string exceeds maximum allowed size (512MB)"))
        XCTAssertEqual(h.run("EXISTS", "none"), .int(0))
        h.run("SET", "n", "12345")
        XCTAssertEqual(h.run("SETRANGE", "n", "0", "9"), .int(5))
        XCTAssertEqual(h.run("GET", "n"), .str("92345"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("raw"))
        XCTAssertEqual(h.run("SETRANGE", "n", "7", "zz"), .int(9))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("n")]), .bulk(Bytes("92345") + [0, 0] + Bytes("zz")))
        h.run("SET", "t", "v", "EX", "100")
        XCTAssertEqual(h.run("SETRANGE", "t", "0", "y"), .int(1))
        XCTAssertEqual(h.run("TTL", "t"), .int(100), "SETRANGE keeps the TTL")
        _ = h.takePropagated()
        h.run("SETRANGE", "t", "0", "")
        h.run("SETRANGE", "missing", "3", "")
        XCTAssertEqual(h.takePropagated(), [], "empty SETRANGEs change nothing")
        h.run("SETRANGE", "t", "2", "q")
        XCTAssertEqual(h.takePropagated(), ["0: SETRANGE t 2 q"])
    }

    func testInPlaceEditsDoNotCopyTheValue() {
        // APPEND, SETRANGE, SETBIT and BITFIELD move the stored bytes out, edit them
        // and put them back: with spare capacity the buffer must stay the same one
        // (a copy per edit would make repeated edits of a big string quadratic).
        let h = Harness()
        let ks = h.server.keyspace
        func address() -> UInt {
            guard let i = ks.peek(0, Bytes("big")), case .string(.bytes(let b, _)) = ks.value(0, i) else { return 0 }
            return b.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        }
        var initial = Bytes(repeating: 0x61, count: 1000)
        initial.reserveCapacity(4096)
        ks.set(0, Bytes("big"), .string(.bytes(initial, raw: true)))
        initial = []
        let before = address()
        XCTAssertEqual(h.run("APPEND", "big", "x"), .int(1001))
        XCTAssertEqual(h.run("SETRANGE", "big", "1001", "yz"), .int(1003))
        XCTAssertEqual(h.run("SETBIT", "big", "8100", "1"), .int(0))
        XCTAssertEqual(h.run("BITFIELD", "big", "SET", "u8", "#1100", "7"), .array([.int(0)]))
        XCTAssertEqual(h.run("STRLEN", "big"), .int(1101))
        XCTAssertEqual(address(), before)
    }
}
