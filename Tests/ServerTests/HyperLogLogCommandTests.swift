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
}
