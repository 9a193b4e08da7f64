import XCTest
import RESP
import Engine
@testable import Server

final class SortCommandTests: XCTestCase {
    func testNumericAlphaLimitDesc() {
        let h = Harness()
        h.run("RPUSH", "l", "3", "10", "1", "2.5", "-4")
        XCTAssertEqual(h.run("SORT", "l"), .strs(["-4", "1", "2.5", "3", "10"]))
        XCTAssertEqual(h.run("SORT", "l", "DESC", "LIMIT", "1", "2"), .strs(["3", "2.5"]))
        XCTAssertEqual(h.run("SORT", "l", "ALPHA"), .strs(["-4", "1", "10", "2.5", "3"]))
        XCTAssertEqual(h.run("SORT", "l", "LIMIT", "-5", "2"), .strs(["-4", "1"]))
        XCTAssertEqual(h.run("SORT", "l", "LIMIT", "3", "-1"), .strs(["3", "10"]))
        h.run("RPUSH", "words", "b", "a")
        XCTAssertEqual(h.run("SORT", "words"), .error("ERR One or more scores can't be converted into double"))
        XCTAssertEqual(h.run("SORT", "nope"), .array([]))
        h.run("SET", "s", "x")
        XCTAssertEqual(h.run("SORT", "s"), .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        XCTAssertEqual(h.run("SORT", "l", "LIMIT", "1"), .error("ERR syntax error"))
    }

    func testNumericWeightsParseAsStrtodWithAnEndCheck() {
        // Redis's sortCommand: strtod, refused only for trailing bytes before a NUL,
        // ERANGE or NaN (order checked against redis-server 7.0, same code as 4.0).
        let h = Harness()
        h.run("RPUSH", "l", " 2", "\t3", "\n4", "  -7", "", "0x10", "0x1p3", "inf", "-inf", "1\u{0}zz", "1e-300")
        XCTAssertEqual(h.run("SORT", "l"), .strs(["-inf", "  -7", "", "1e-300", "1\u{0}zz", " 2", "\t3", "\n4",
                                                  "0x1p3", "0x10", "inf"]))
        let refused = RESPValue.error("ERR One or more scores can't be converted into double")
        for bad in ["2 ", "3abc", "nan", "1e400", "1e-310", "0x", "1e", "  "] {
            h.run("DEL", "b")
            h.run("RPUSH", "b", "1", bad)
            XCTAssertEqual(h.run("SORT", "b"), refused, "element \(bad.debugDescription)")
            h.run("SET", "w_1", bad)
            XCTAssertEqual(h.run("SORT", "b", "BY", "w_*"), refused, "weight \(bad.debugDescription)")
        }
    }

    func testTiesBreakByElementBytes() {
        let h = Harness()
        h.run("RPUSH", "l", "b", "a", "c")
        h.run("MSET", "w_a", "1", "w_b", "1", "w_c", "0")
        XCTAssertEqual(h.run("SORT", "l", "BY", "w_*"), .strs(["c", "a", "b"]))
    }

    func testByGetNosortAndStore() {
        let h = Harness()
        h.run("RPUSH", "ids", "1", "2", "3")
        h.run("MSET", "weight_1", "30", "weight_2", "10", "weight_3", "20", "name_1", "one", "name_3", "three")
        XCTAssertEqual(h.run("SORT", "ids", "BY", "weight_*"), .strs(["2", "3", "1"]))
        XCTAssertEqual(h.run("SORT", "ids", "BY", "weight_*", "GET", "#", "GET", "name_*"),
                       .array([.str("2"), .null, .str("3"), .str("three"), .str("1"), .str("one")]))
        XCTAssertEqual(h.run("SORT", "ids", "BY", "nosort"), .strs(["1", "2", "3"]))
        h.takePropagated()
        XCTAssertEqual(h.run("SORT", "ids", "BY", "weight_*", "GET", "name_*", "STORE", "out"), .int(3))
        XCTAssertEqual(h.run("LRANGE", "out", "0", "-1"), .strs(["", "three", "one"]))
        XCTAssertEqual(h.takePropagated(), ["0: SORT ids BY weight_* GET name_* STORE out"])
        XCTAssertEqual(h.run("SORT", "empty", "STORE", "out"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "out"), .int(0), "an empty result deletes the destination")
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "SORT", "ids", "BY", "w_*", "STORE", "dst"), .strs(["ids", "dst"]))
    }

    /// Redis 4.0's sortGetKeys: only the last STORE's key, and the word after STORE is read as an option.
    func testSortKeysNameTheLastStore() {
        func keys(_ words: String) -> [Int] { sortKeys(words.split(separator: " ").map { Bytes(String($0)) }) }
        XCTAssertEqual(keys("SORT k STORE a STORE b"), [1, 5])
        XCTAssertEqual(keys("SORT k LIMIT 0 1 STORE d"), [1, 6])
        XCTAssertEqual(keys("SORT k STORE GET STORE x"), [1, 3])
        XCTAssertEqual(keys("SORT k STORE"), [1])
        XCTAssertEqual(keys("SORT k GET STORE"), [1])
    }

    func testSortedSetInput() {
        let h = Harness()
        h.run("ZADD", "z", "1", "c", "2", "a", "3", "b")
        XCTAssertEqual(h.run("SORT", "z", "ALPHA"), .strs(["a", "b", "c"]))
        XCTAssertEqual(h.run("SORT", "z", "BY", "nosort"), .strs(["c", "a", "b"]), "score order without sorting")
        XCTAssertEqual(h.run("SORT", "z", "BY", "nosort", "DESC"), .strs(["b", "a", "c"]))
    }
}

final class SortSetAndHashTests: XCTestCase {
    func testSetInputAndHashFieldPatterns() {
        let h = Harness()
        h.run("SADD", "s", "3", "1", "2")
        XCTAssertEqual(h.run("SORT", "s"), .strs(["1", "2", "3"]))
        h.run("HSET", "obj_1", "rank", "9")
        h.run("HSET", "obj_2", "rank", "7")
        h.run("HSET", "obj_3", "rank", "8")
        h.run("HSET", "obj_2", "name", "two")
        XCTAssertEqual(h.run("SORT", "s", "BY", "obj_*->rank", "GET", "obj_*->name", "GET", "#"),
                       .array([.str("two"), .str("2"), .null, .str("3"), .null, .str("1")]))
        // A set stored without sorting is sorted ALPHA, so every replica stores the same list.
        XCTAssertEqual(h.run("SORT", "s", "BY", "nosort", "STORE", "dst"), .int(3))
        XCTAssertEqual(h.run("LRANGE", "dst", "0", "-1"), .strs(["1", "2", "3"]))
        h.run("HSET", "hash", "f", "v")
        XCTAssertEqual(h.run("SORT", "hash"), .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }
}
