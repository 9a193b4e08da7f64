import XCTest
import RESP
import Engine
@testable import Server

final class HyperLogLogCommandTests: XCTestCase {
    func testPfaddPfcountPfmerge() {
        let h = Harness()
        XCTAssertEqual(h.run("PFADD", "h"), .int(1), "creating the key counts as a change")
        XCTAssertEqual(h.run("PFADD", "h"), .int(0))
        XCTAssertEqual(h.run("PFADD", "h", "a", "b", "c"), .int(1))
        XCTAssertEqual(h.run("PFADD", "h", "a"), .int(0))
        h.takePropagated()
        XCTAssertEqual(h.run("PFCOUNT", "h"), .int(3))
        XCTAssertEqual(h.takePropagated(), ["0: PFCOUNT h"], "refreshing the cached count is a write")
        XCTAssertEqual(h.run("PFCOUNT", "h"), .int(3))
        XCTAssertEqual(h.takePropagated(), [], "a valid cache changes nothing")
        h.run("PFADD", "g", "c", "d")
        XCTAssertEqual(h.run("PFCOUNT", "h", "g", "missing"), .int(4))
        XCTAssertEqual(h.run("PFMERGE", "m", "h", "g"), .ok)
        XCTAssertEqual(h.run("PFCOUNT", "m"), .int(4))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "m"), .str("raw"))
        h.run("SET", "s", "plain")
        XCTAssertEqual(h.run("PFADD", "s", "x"), .error("WRONGTYPE Key is not a valid HyperLogLog string value."))
        XCTAssertEqual(h.run("PFCOUNT", "s"), .error("WRONGTYPE Key is not a valid HyperLogLog string value."))
        XCTAssertEqual(h.run("PFCOUNT", "nope"), .int(0))
    }

    func testOtherTypesGetTheStandardWrongType() {
        let h = Harness()
        let wrongType = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        h.run("RPUSH", "l", "a")
        h.run("SADD", "st", "a")
        h.run("PFADD", "hll", "a")
        XCTAssertEqual(h.run("PFADD", "l", "x"), wrongType)
        XCTAssertEqual(h.run("PFCOUNT", "st"), wrongType)
        XCTAssertEqual(h.run("PFCOUNT", "hll", "l"), wrongType)
        XCTAssertEqual(h.run("PFMERGE", "hll", "st"), wrongType, "a source of another type")
        XCTAssertEqual(h.run("PFMERGE", "l", "hll"), wrongType, "a target of another type")
        h.run("SET", "s", "plain")
        XCTAssertEqual(h.run("PFMERGE", "hll", "s"), .error("WRONGTYPE Key is not a valid HyperLogLog string value."))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .array([.str("a")]))
    }

    /// Bytes as Redis 4.0.14 leaves them (captured with GET).
    func testBytesFollowRedis40() {
        let h = Harness()
        // A new key is an update: its cached count is marked stale.
        h.run("PFADD", "e")
        XCTAssertEqual(h.run("GET", "e"), .bulk(Bytes("HYLL\u{1}") + [0, 0, 0] + [UInt8](repeating: 0, count: 7) + [0x80, 0x7F, 0xFF]))
        // PFMERGE of sparse sources stays sparse.
        h.run("PFADD", "a", "a", "b")
        h.run("PFADD", "b", "c")
        XCTAssertEqual(h.run("PFMERGE", "m", "a", "b"), .ok)
        XCTAssertEqual(h.run("PFDEBUG", "ENCODING", "m"), .simple("sparse"))
        XCTAssertEqual(h.run("PFDEBUG", "DECODE", "m"), .bulk(Bytes("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603")))
        XCTAssertEqual(h.run("PFCOUNT", "m"), .int(3))
        _ = h.takePropagated()
        // TODENSE converts once and is a write; a dense source makes PFMERGE dense.
        XCTAssertEqual(h.run("PFDEBUG", "TODENSE", "b"), .int(1))
        XCTAssertEqual(h.takePropagated(), ["0: PFDEBUG TODENSE b"])
        XCTAssertEqual(h.run("PFDEBUG", "TODENSE", "b"), .int(0))
        XCTAssertEqual(h.takePropagated(), [])
        XCTAssertEqual(h.run("PFMERGE", "m2", "a", "b"), .ok)
        XCTAssertEqual(h.run("PFDEBUG", "ENCODING", "m2"), .simple("dense"))
        XCTAssertEqual(h.run("PFDEBUG", "DECODE", "m2"), .error("ERR HLL encoding is not sparse"))
        XCTAssertEqual(h.run("PFDEBUG", "GETREG", "nope"), .error("ERR The specified key does not exist"))
        XCTAssertEqual(h.run("PFDEBUG", "what", "m"), .error("ERR Unknown PFDEBUG subcommand 'what'"))
        XCTAssertEqual(h.run("PFDEBUG", "Decode", "m", "x"), .error("ERR Wrong number of arguments for the 'Decode' subcommand"))
        guard case .array(let regs) = h.run("PFDEBUG", "GETREG", "m") else { return XCTFail("GETREG") }
        XCTAssertEqual(regs.count, 16384)
        XCTAssertEqual(regs[8436], .integer(1))
    }
}
