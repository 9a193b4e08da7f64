// Tests for GET, SET and its variants, GETSET, MGET, MSET, MSETNX, STRLEN: replies
// and errors as Redis 4.0 gives them (checked by hand against redis-server 7.0
// where the two agree), encodings, TTL handling and propagation records.
import XCTest
import RESP
import Engine
@testable import Server

final class StringCommandTests: XCTestCase {
    func testGetSetAndEncodings() {
        let h = Harness()
        XCTAssertEqual(h.run("GET", "k"), .null)
        XCTAssertEqual(h.run("SET", "k", "v"), .ok)
        XCTAssertEqual(h.run("GET", "k"), .str("v"))
        XCTAssertEqual(h.run("SET", "n", "-123"), .ok)
        XCTAssertEqual(h.run("GET", "n"), .str("-123"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("int"))
        XCTAssertEqual(h.run("SET", "n", "01"), .ok)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("embstr"))
        XCTAssertEqual(h.run("SET", "n", String(repeating: "x", count: 45)), .ok)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("raw"))
        XCTAssertEqual(h.run("SET", "z", "0"), .ok)
        XCTAssertEqual(h.run("GET", "z"), .str("0"))
        XCTAssertEqual(h.run("SET", "min", "-9223372036854775808"), .ok)
        XCTAssertEqual(h.run("GET", "min"), .str("-9223372036854775808"))
        let binary: Bytes = [0, 0xFF, 13, 10, 0x80]
        XCTAssertEqual(h.run([Bytes("SET"), Bytes("bin"), binary]), .ok)
        XCTAssertEqual(h.run([Bytes("GET"), Bytes("bin")]), .bulk(binary))
        XCTAssertEqual(h.run("SET", "empty", ""), .ok)
        XCTAssertEqual(h.run("GET", "empty"), .str(""))
        XCTAssertEqual(h.run("get"), .error("ERR wrong number of arguments for 'get' command"))
        XCTAssertEqual(h.run("SET", "k"), .error("ERR wrong number of arguments for 'set' command"))
    }

    func testSetOptions() {
        let h = Harness()
        XCTAssertEqual(h.run("SET", "a", "1", "nx"), .ok)
        XCTAssertEqual(h.run("SET", "a", "2", "NX"), .null)
        XCTAssertEqual(h.run("GET", "a"), .str("1"))
        XCTAssertEqual(h.run("SET", "a", "3", "xx"), .ok)
        XCTAssertEqual(h.run("SET", "b", "3", "XX"), .null)
        XCTAssertEqual(h.run("EXISTS", "b"), .int(0))
        XCTAssertEqual(h.run("SET", "a", "1", "nx", "nx"), .null, "a repeated flag is accepted")
        for bad in [["ex", "10", "px", "10"], ["nx", "xx"], ["ex"], ["keepttl", "ex", "10"], ["ex", "10", "keepttl"],
                    ["foo"], ["get"], ["exat", "10", "px", "5"]] {
            XCTAssertEqual(h.run(["SET", "a", "1"].map { Bytes($0) } + bad.map { Bytes($0) }), .error("ERR syntax error"), "\(bad)")
        }
        XCTAssertEqual(h.run("SET", "a", "1", "ex", "1.5"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SET", "a", "1", "ex", "0"), .error("ERR invalid expire time in set"))
        XCTAssertEqual(h.run("SET", "a", "1", "px", "-1"), .error("ERR invalid expire time in set"))
        XCTAssertEqual(h.run("SET", "a", "1", "ex", "9223372036854775807"), .error("ERR invalid expire time in set"))
        XCTAssertEqual(h.run("SET", "a", "1", "px", "9223372036854775807"), .error("ERR invalid expire time in set"))
        XCTAssertEqual(h.run("GET", "a"), .str("3"), "failed SETs change nothing")
        // EXAT/PXAT (Redis 6.2) are accepted: Redis 7.0 writes SET ... PXAT into its AOF.
        XCTAssertEqual(h.run("SET", "abs", "1", "PXAT", "\(wallClockMilliseconds() + 100_000)"), .ok)
        if case .integer(let pttl) = h.run("PTTL", "abs") { XCTAssertTrue(pttl > 99_000 && pttl <= 100_000) } else { XCTFail() }
        XCTAssertEqual(h.run("SET", "abs", "1", "EXAT", "10"), .ok)
        XCTAssertEqual(h.run("EXISTS", "abs"), .int(0), "a deadline in the past: gone at once")
        XCTAssertEqual(h.run("SET", "a", "1", "ex", "10", "ex", "20"), .ok, "the last EX wins")
        XCTAssertEqual(h.run("TTL", "a"), .int(20))
        XCTAssertEqual(h.run("SET", "a", "4", "px", "100000", "xx"), .ok)
        guard case .integer(let pttl) = h.run("PTTL", "a") else { return XCTFail() }
        XCTAssert(pttl > 99_000 && pttl <= 100_000)
        XCTAssertEqual(h.run("SET", "a", "5", "keepttl"), .ok)
        XCTAssertEqual(h.run("GET", "a"), .str("5"))
        XCTAssertNotEqual(h.run("TTL", "a"), .int(-1), "KEEPTTL keeps it")
        XCTAssertEqual(h.run("SET", "a", "6"), .ok)
        XCTAssertEqual(h.run("TTL", "a"), .int(-1), "a plain SET clears the TTL")
    }

    func testSetnxSetexPsetex() {
        let h = Harness()
        XCTAssertEqual(h.run("SETNX", "a", "1"), .int(1))
        XCTAssertEqual(h.run("SETNX", "a", "2"), .int(0))
        XCTAssertEqual(h.run("GET", "a"), .str("1"))
        XCTAssertEqual(h.run("SETEX", "a", "100", "v"), .ok)
        XCTAssertEqual(h.run("TTL", "a"), .int(100))
        XCTAssertEqual(h.run("GET", "a"), .str("v"))
        XCTAssertEqual(h.run("PSETEX", "a", "100000", "w"), .ok)
        guard case .integer(let pttl) = h.run("PTTL", "a") else { return XCTFail() }
        XCTAssert(pttl > 99_000 && pttl <= 100_000)
        XCTAssertEqual(h.run("SETEX", "a", "0", "v"), .error("ERR invalid expire time in setex"))
        XCTAssertEqual(h.run("PSETEX", "a", "-5", "v"), .error("ERR invalid expire time in psetex"))
        XCTAssertEqual(h.run("SETEX", "a", "x", "v"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SETEX", "a", "10"), .error("ERR wrong number of arguments for 'setex' command"))
    }

    func testGetsetMgetMsetStrlen() {
        let h = Harness()
        XCTAssertEqual(h.run("GETSET", "c", "10"), .null)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("int"))
        XCTAssertEqual(h.run("EXPIRE", "c", "100"), .int(1))
        XCTAssertEqual(h.run("GETSET", "c", "x"), .str("10"))
        XCTAssertEqual(h.run("TTL", "c"), .int(-1), "GETSET clears the TTL")
        XCTAssertEqual(h.run("MSET", "k1", "v1", "k2", "2"), .ok)
        XCTAssertEqual(h.run("MGET", "k1", "nokey", "k2", "k1"), .array([.str("v1"), .null, .str("2"), .str("v1")]))
        XCTAssertEqual(h.run("MSET", "a", "b", "c"), .error("ERR wrong number of arguments for MSET"))
        XCTAssertEqual(h.run("MSETNX", "a", "b", "c"), .error("ERR wrong number of arguments for MSET"))
        XCTAssertEqual(h.run("MSET", "a"), .error("ERR wrong number of arguments for 'mset' command"))
        XCTAssertEqual(h.run("MSETNX", "k1", "x", "k3", "y"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "k3"), .int(0), "MSETNX sets nothing when one key exists")
        XCTAssertEqual(h.run("MSETNX", "k3", "x", "k4", "y"), .int(1))
        XCTAssertEqual(h.run("MGET", "k3", "k4"), .strs(["x", "y"]))
        XCTAssertEqual(h.run("STRLEN", "k3"), .int(1))
        XCTAssertEqual(h.run("STRLEN", "nokey"), .int(0))
        XCTAssertEqual(h.run("SET", "i", "-123"), .ok)
        XCTAssertEqual(h.run("STRLEN", "i"), .int(4), "an int counts its decimal text")
        XCTAssertEqual(h.run("MSET", "d", "1", "d", "2"), .ok)
        XCTAssertEqual(h.run("GET", "d"), .str("2"), "the last pair wins")
    }

    func testExpiredKeysReadAsMissing() {
        let h = Harness()
        h.put("old", "v", expireAt: wallClockMilliseconds() - 1)
        XCTAssertEqual(h.run("GET", "old"), .null)
        XCTAssertEqual(h.takePropagated(), ["0: DEL old"])
        h.put("old", "v", expireAt: wallClockMilliseconds() - 1)
        XCTAssertEqual(h.run("SETNX", "old", "new"), .int(1))
        XCTAssertEqual(h.takePropagated(), ["0: DEL old", "0: SETNX old new"])
    }

    func testPropagation() {
        let h = Harness()
        h.run("SET", "k", "v")
        XCTAssertEqual(h.takePropagated(), ["0: SET k v"])
        h.run("SET", "k", "v2", "NX")
        XCTAssertEqual(h.takePropagated(), [], "a SET NX that did nothing propagates nothing")
        h.run("SET", "k", "v3", "XX")
        XCTAssertEqual(h.takePropagated(), ["0: SET k v3"], "the record reflects the effect, not the condition")
        h.run("SET", "k", "v4", "KEEPTTL")
        XCTAssertEqual(h.takePropagated(), ["0: SET k v4"], "no TTL to keep: a plain SET, which Redis 4.0 reads")
        h.run("PEXPIREAT", "k", "99999999999999")
        _ = h.takePropagated()
        h.run("SET", "k", "v4b", "KEEPTTL")
        XCTAssertEqual(h.takePropagated(), ["0: SET k v4b", "0: PEXPIREAT k 99999999999999"])
        h.run("PERSIST", "k")
        _ = h.takePropagated()
        let before = wallClockMilliseconds()
        h.run("SET", "k", "v5", "NX", "EX", "100")
        XCTAssertEqual(h.takePropagated(), [])
        h.run("SELECT", "3")
        h.run("SET", "k", "v5", "XX", "EX", "100")
        XCTAssertEqual(h.takePropagated(), [], "k does not exist in db 3")
        h.run("SET", "k", "v5", "EX", "100")
        let records = h.takePropagated()
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records.first, "3: SET k v5")
        let parts = records.last?.split(separator: " ") ?? []
        XCTAssertEqual(parts.prefix(3), ["3:", "PEXPIREAT", "k"])
        let at = Int64(parts.last ?? "") ?? 0
        XCTAssert(at >= before + 100_000 && at <= wallClockMilliseconds() + 100_000, "absolute deadline")
        XCTAssertEqual(h.server.keyspace.expireAt(3, h.server.keyspace.peek(3, Bytes("k"))!), at)

        h.run("PSETEX", "p", "5000", "x")
        let p = h.takePropagated()
        XCTAssertEqual(p.first, "3: SET p x")
        XCTAssert(p.last?.hasPrefix("3: PEXPIREAT p ") ?? false)
        h.run("SETEX", "p", "x", "y")
        XCTAssertEqual(h.takePropagated(), [])
        h.run("SETNX", "p", "z")
        h.run("SETNX", "q", "z")
        XCTAssertEqual(h.takePropagated(), ["3: SETNX q z"])
        h.run("GETSET", "q", "w")
        h.run("GET", "q")
        h.run("MGET", "q", "p")
        h.run("STRLEN", "q")
        XCTAssertEqual(h.takePropagated(), ["3: GETSET q w"])
        h.run("MSET", "a", "1", "b", "2")
        h.run("MSETNX", "a", "1", "c", "3")
        h.run("MSETNX", "c", "3", "d", "4")
        XCTAssertEqual(h.takePropagated(), ["3: MSET a 1 b 2", "3: MSETNX c 3 d 4"])
        let dirty = h.server.keyspace.dirty
        h.run("MSET", "a", "1", "b", "2", "c", "3")
        XCTAssertEqual(h.server.keyspace.dirty, dirty + 3, "one change per key")
    }
}
