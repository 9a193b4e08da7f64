// Tests for BITFIELD: subcommand parsing and errors, overflow modes in order,
// #N offsets, key creation rules, encodings and propagation. Expected replies
// were taken from redis-server 7.0, which answers these as 4.0 does.
import XCTest
import RESP
import Engine
@testable import Server

final class BitfieldTests: XCTestCase {
    private func run(_ h: Harness, _ line: String) -> RESPValue {
        h.run(line.split(separator: " ").map { Bytes(String($0)) })
    }

    func testOperationsAndOverflow() {
        let h = Harness()
        XCTAssertEqual(run(h, "BITFIELD bf SET i8 0 -100 GET u8 0 INCRBY i8 0 -100 INCRBY i8 0 -100"),
                       .array([.int(0), .int(156), .int(56), .int(-44)]))
        XCTAssertEqual(run(h, "BITFIELD bf OVERFLOW SAT INCRBY i8 0 -200 OVERFLOW FAIL INCRBY i8 0 -1 overflow wrap incrby u8 0 -1 get u4 #1"),
                       .array([.int(-128), .null, .int(127), .int(15)]))
        XCTAssertEqual(run(h, "BITFIELD bf GET u63 0"), .array([.int(4_575_657_221_408_423_936)]))
        XCTAssertEqual(run(h, "BITFIELD bf set u8 0 300 get u8 0"), .array([.int(127), .int(44)]))
        XCTAssertEqual(run(h, "BITFIELD bf overflow sat set u8 0 -1 set i8 0 300 get i8 0"),
                       .array([.int(44), .int(-1), .int(127)]))
        XCTAssertEqual(run(h, "BITFIELD bf overflow fail set u8 0 256"), .array([.null]))
        XCTAssertEqual(run(h, "BITFIELD bf"), .array([]))
        XCTAssertEqual(run(h, "BITFIELD big set i64 0 9223372036854775807 incrby i64 0 1 overflow sat incrby i64 0 -1 incrby i64 0 -9223372036854775808"),
                       .array([.int(0), .int(Int64.min), .int(Int64.min), .int(Int64.min)]))
        XCTAssertEqual(run(h, "BITFIELD big overflow wrap set u63 0 9223372036854775807 incrby u63 0 1 incrby u63 0 -1"),
                       .array([.int(4_611_686_018_427_387_904), .int(0), .int(Int64.max)]))
        XCTAssertEqual(run(h, "BITFIELD big overflow fail incrby i5 3 15 incrby i5 3 1 incrby i5 3 -32 incrby i5 3 -31 get i5 3 set i5 3 16 set i5 3 -16 set i5 3 -17"),
                       .array([.int(14), .int(15), .null, .int(-16), .int(-16), .null, .int(-16), .null]))
        XCTAssertEqual(run(h, "BITFIELD big overflow wrap incrby u1 0 1 incrby u1 0 1 incrby i1 0 1 incrby i1 0 -1 set i1 0 1 get i1 0 set i1 0 -2 get i1 0"),
                       .array([.int(0), .int(1), .int(0), .int(-1), .int(-1), .int(-1), .int(-1), .int(0)]))
        XCTAssertEqual(run(h, "BITFIELD bf GET u8 0 Set u8 0 1 INCRBY u8 0 1 OVERFLOW SAT"),
                       .array([.int(127), .int(127), .int(2)]), "a trailing OVERFLOW is accepted")
    }

    func testErrors() {
        let h = Harness()
        let typeError = RESPValue.error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
        let offsetError = RESPValue.error("ERR bit offset is not an integer or out of range")
        for type in ["i65", "u64", "I8", "i0", "i", "u-1"] {
            XCTAssertEqual(run(h, "BITFIELD bf get \(type) 0"), typeError, type)
        }
        for offset in ["-1", "#-1", "4294967296", "#536870912", "#", "9223372036854775807", "x"] {
            XCTAssertEqual(run(h, "BITFIELD bf get u8 \(offset)"), offsetError, offset)
        }
        XCTAssertEqual(run(h, "BITFIELD bf get u8 4294967295"), .array([.int(0)]))
        XCTAssertEqual(run(h, "BITFIELD bf get u8 #536870911"), .array([.int(0)]))
        XCTAssertEqual(run(h, "BITFIELD bf overflow bad"), .error("ERR Invalid OVERFLOW type specified"))
        for line in ["BITFIELD bf overflow", "BITFIELD bf foo", "BITFIELD bf get u8", "BITFIELD bf set u8 0"] {
            XCTAssertEqual(run(h, line), .error("ERR syntax error"), line)
        }
        XCTAssertEqual(run(h, "BITFIELD bf set u8 0 x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(run(h, "BITFIELD bf set u8 0 1 get u9 0 get u64 0"), typeError)
        XCTAssertEqual(h.run("EXISTS", "bf"), .int(0), "an error anywhere runs nothing")
        XCTAssertEqual(h.takePropagated(), [])
    }

    func testKeyCreationAndEncodings() {
        let h = Harness()
        XCTAssertEqual(run(h, "BITFIELD newkey get u8 0 get i8 100"), .array([.int(0), .int(0)]))
        XCTAssertEqual(h.run("EXISTS", "newkey"), .int(0), "only GETs: nothing created")
        XCTAssertEqual(run(h, "BITFIELD failkey overflow fail set u8 100 256"), .array([.null]))
        XCTAssertEqual(h.run("STRLEN", "failkey"), .int(14), "a write op grows the string even when it fails")
        XCTAssertEqual(run(h, "BITFIELD k3 set u8 #2 255 get u16 #0 get u16 8"), .array([.int(0), .int(0), .int(255)]))
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("k3")]), .bulk([0, 0, 0xFF]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "k3"), .str("raw"))
        h.run("SET", "num", "1234")
        XCTAssertEqual(run(h, "BITFIELD num get u8 0 get u16 8"), .array([.int(0x31), .int(0x3233)]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "num"), .str("int"), "GETs leave the value alone")
        XCTAssertEqual(run(h, "BITFIELD num incrby u8 0 1"), .array([.int(0x32)]))
        XCTAssertEqual(h.run("GET", "num"), .str("2234"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "num"), .str("raw"))
        h.run("SET", "t", "x", "EX", "100")
        _ = run(h, "BITFIELD t set u8 8 1")
        XCTAssertEqual(h.run("TTL", "t"), .int(100), "BITFIELD keeps the TTL")
    }

    func testPropagationAndDirty() {
        let h = Harness()
        let ks = h.server.keyspace
        _ = run(h, "BITFIELD k get u8 0")
        XCTAssertEqual(h.takePropagated(), [], "read-only BITFIELD propagates nothing")
        let dirty = ks.dirty
        _ = run(h, "BITFIELD k set u8 0 1 get u8 0 overflow fail incrby u8 0 255")
        XCTAssertEqual(ks.dirty, dirty + 2, "each SET/INCRBY counts, even a failed one")
        XCTAssertEqual(h.takePropagated(), ["0: BITFIELD k set u8 0 1 get u8 0 overflow fail incrby u8 0 255"])
    }
}
