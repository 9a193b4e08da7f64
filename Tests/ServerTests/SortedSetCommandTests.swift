// Tests for the sorted-set commands: replies and errors as Redis 4.0 gives them,
// WRONGTYPE, encodings and their config, keyspace events, and propagation.
import XCTest
import RESP
import Engine
@testable import Server

final class SortedSetCommandTests: XCTestCase {
    /// Subscribes a client to every key event (classes g and z); the closure returns
    /// the "event:key" pairs published since it was last called.
    private func events(_ h: Harness) -> () -> [String] {
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "Egz"), .ok)
        let sub = h.newClient()
        h.run("PSUBSCRIBE", "__keyevent@0__:*", as: sub)
        return {
            var out: [String] = []
            while case .array(let parts) = h.takeReply(sub), parts.count == 4,
                  case .bulk(let channel) = parts[2], case .bulk(let key) = parts[3] {
                out.append(String(channel.text.dropFirst("__keyevent@0__:".count)) + ":" + key.text)
            }
            return out
        }
    }

    func testZaddOptionsAndReplies() {
        let h = Harness()
        XCTAssertEqual(h.run("ZADD", "z", "1", "a", "2", "b"), .int(2))
        XCTAssertEqual(h.run("ZADD", "z", "1", "a", "3", "b", "4", "c"), .int(1))
        XCTAssertEqual(h.run("ZADD", "z", "CH", "5", "a", "3", "b", "6", "d"), .int(2), "CH counts changed and added")
        XCTAssertEqual(h.run("ZADD", "z", "NX", "9", "a", "7", "e"), .int(1))
        XCTAssertEqual(h.run("ZSCORE", "z", "a"), .str("5"))
        XCTAssertEqual(h.run("ZADD", "z", "XX", "10", "a", "1", "nope"), .int(0))
        XCTAssertEqual(h.run("ZSCORE", "z", "a"), .str("10"))
        XCTAssertEqual(h.run("ZSCORE", "z", "nope"), .null)
        XCTAssertEqual(h.run("ZADD", "z", "INCR", "0.5", "a"), .str("10.5"))
        XCTAssertEqual(h.run("ZADD", "z", "NX", "INCR", "1", "a"), .null, "NX INCR on an existing member")
        XCTAssertEqual(h.run("ZADD", "z", "xx", "incr", "1", "zz"), .null)
        XCTAssertEqual(h.run("ZINCRBY", "z", "-0.5", "a"), .str("10"))
        XCTAssertEqual(h.run("ZINCRBY", "z", "0.1", "new"), .str("0.10000000000000001"))
        XCTAssertEqual(h.run("ZADD", "z", "+inf", "big", "-inf", "small"), .int(2))
        XCTAssertEqual(h.run("ZSCORE", "z", "big"), .str("inf"))
        XCTAssertEqual(h.run("ZINCRBY", "z", "-inf", "big"), .error("ERR resulting score is not a number (NaN)"))
        XCTAssertEqual(h.run("ZSCORE", "z", "big"), .str("inf"))
        XCTAssertEqual(h.run("ZCARD", "z"), .int(8))
        XCTAssertEqual(h.run("ZCARD", "missing"), .int(0))
    }

    func testZaddErrors() {
        let h = Harness()
        XCTAssertEqual(h.run("ZADD", "z", "NX", "XX", "1", "a"), .error("ERR XX and NX options at the same time are not compatible"))
        XCTAssertEqual(h.run("ZADD", "z", "INCR", "1", "a", "2", "b"), .error("ERR INCR option supports a single increment-element pair"))
        XCTAssertEqual(h.run("ZADD", "z", "1", "a", "2"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZADD", "z", "NX", "CH"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZADD", "z", "GT", "1", "a"), .error("ERR syntax error"), "no GT/LT in 4.0")
        XCTAssertEqual(h.run("ZADD", "z", "1", "a", "x", "b"), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("ZADD", "z", "nan", "a"), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("ZADD", "z"), .error("ERR wrong number of arguments for 'zadd' command"))
        XCTAssertEqual(h.run("EXISTS", "z"), .int(0), "nothing was created")
        XCTAssertEqual(h.run("ZADD", "z", "XX", "1", "a"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "z"), .int(0), "XX on a missing key creates nothing")
        XCTAssertEqual(h.run("ZINCRBY", "z", "x", "a"), .error("ERR value is not a valid float"))
    }

    func testWrongType() {
        let h = Harness()
        h.run("SET", "s", "v")
        let wrong = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        let commands: [[String]] = [
            ["ZADD", "s", "1", "a"], ["ZINCRBY", "s", "1", "a"], ["ZREM", "s", "a"], ["ZCARD", "s"],
            ["ZSCORE", "s", "a"], ["ZRANK", "s", "a"], ["ZREVRANK", "s", "a"], ["ZCOUNT", "s", "0", "1"],
            ["ZLEXCOUNT", "s", "-", "+"], ["ZRANGE", "s", "0", "-1"], ["ZREVRANGE", "s", "0", "-1"],
            ["ZRANGEBYSCORE", "s", "0", "1"], ["ZREVRANGEBYSCORE", "s", "1", "0"], ["ZRANGEBYLEX", "s", "-", "+"],
            ["ZREVRANGEBYLEX", "s", "+", "-"], ["ZREMRANGEBYRANK", "s", "0", "1"], ["ZREMRANGEBYSCORE", "s", "0", "1"],
            ["ZREMRANGEBYLEX", "s", "-", "+"], ["ZUNIONSTORE", "d", "1", "s"], ["ZINTERSTORE", "d", "1", "s"],
            ["ZSCAN", "s", "0"], ["GEOADD", "s", "1", "1", "a"], ["GEOPOS", "s", "a"], ["GEOHASH", "s", "a"],
            ["GEODIST", "s", "a", "b"], ["GEORADIUS", "s", "1", "1", "1", "km"], ["GEORADIUSBYMEMBER", "s", "a", "1", "km"],
        ]
        for c in commands {
            XCTAssertEqual(h.run(c.map { Bytes($0) }), wrong, c.joined(separator: " "))
        }
        XCTAssertEqual(h.run("GET", "s"), .str("v"))
    }

    func testRanksAndRankRanges() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        XCTAssertEqual(h.run("ZRANK", "z", "c"), .int(2))
        XCTAssertEqual(h.run("ZREVRANK", "z", "c"), .int(1))
        XCTAssertEqual(h.run("ZRANK", "z", "x"), .null)
        XCTAssertEqual(h.run("ZRANK", "nokey", "x"), .null)
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1"), .strs(["a", "b", "c", "d"]))
        XCTAssertEqual(h.run("ZRANGE", "z", "1", "2", "WITHSCORES"), .strs(["b", "2", "c", "3"]))
        XCTAssertEqual(h.run("ZREVRANGE", "z", "0", "1", "withscores"), .strs(["d", "4", "c", "3"]))
        XCTAssertEqual(h.run("ZREVRANGE", "z", "-2", "100"), .strs(["b", "a"]))
        XCTAssertEqual(h.run("ZRANGE", "z", "-100", "-4"), .strs(["a"]))
        XCTAssertEqual(h.run("ZRANGE", "z", "3", "1"), .array([]))
        XCTAssertEqual(h.run("ZRANGE", "z", "5", "10"), .array([]))
        XCTAssertEqual(h.run("ZRANGE", "nokey", "0", "-1"), .array([]))
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1", "WITHSCORES", "x"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1", "BYSCORE"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZRANGE", "z", "a", "-1"), .error("ERR value is not an integer or out of range"))
    }

    func testScoreRanges() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "-inf", "lo", "inf", "hi")
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "(1", "3"), .strs(["b", "c"]))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"), .strs(["a", "b"]))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "1", "-1"), .strs(["c", "3", "d", "4"]))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"), .array([]), "negative offset")
        XCTAssertEqual(h.run("ZREVRANGEBYSCORE", "z", "+inf", "(2", "LIMIT", "1", "2"), .strs(["d", "c"]))
        XCTAssertEqual(h.run("ZREVRANGEBYSCORE", "z", "3", "1", "WITHSCORES"), .strs(["c", "3", "b", "2", "a", "1"]))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "3", "1"), .array([]))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "(2", "(2"), .array([]))
        XCTAssertEqual(h.run("ZCOUNT", "z", "-inf", "inf"), .int(6))
        XCTAssertEqual(h.run("ZCOUNT", "z", "(1", "(4"), .int(2))
        XCTAssertEqual(h.run("ZCOUNT", "z", "", " 2"), .int(2), "strtod reads \"\" as 0 and skips leading spaces")
        XCTAssertEqual(h.run("ZCOUNT", "z", "1x", "2"), .error("ERR min or max is not a float"))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "1", "nan"), .error("ERR min or max is not a float"))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "x", "1"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("ZRANGEBYSCORE", "nokey", "1", "2"), .array([]))
        XCTAssertEqual(h.run("ZCOUNT", "nokey", "1", "2"), .int(0))
    }

    func testLexRanges() {
        let h = Harness()
        h.run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
        XCTAssertEqual(h.run("ZRANGEBYLEX", "z", "-", "[c"), .strs(["a", "b", "c"]))
        XCTAssertEqual(h.run("ZRANGEBYLEX", "z", "(a", "(d"), .strs(["b", "c"]))
        XCTAssertEqual(h.run("ZRANGEBYLEX", "z", "[b", "+", "LIMIT", "1", "2"), .strs(["c", "d"]))
        XCTAssertEqual(h.run("ZREVRANGEBYLEX", "z", "+", "[b", "LIMIT", "0", "2"), .strs(["e", "d"]))
        XCTAssertEqual(h.run("ZREVRANGEBYLEX", "z", "(d", "-"), .strs(["c", "b", "a"]))
        XCTAssertEqual(h.run("ZLEXCOUNT", "z", "-", "+"), .int(5))
        XCTAssertEqual(h.run("ZLEXCOUNT", "z", "[b", "(d"), .int(2))
        XCTAssertEqual(h.run("ZLEXCOUNT", "z", "+", "-"), .int(0))
        let bad = RESPValue.error("ERR min or max not valid string range item")
        XCTAssertEqual(h.run("ZRANGEBYLEX", "z", "a", "+"), bad)
        XCTAssertEqual(h.run("ZLEXCOUNT", "z", "-", "+x"), bad)
        XCTAssertEqual(h.run("ZREMRANGEBYLEX", "z", "", "+"), bad)
        XCTAssertEqual(h.run("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZREMRANGEBYLEX", "z", "[b", "[c"), .int(2))
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1"), .strs(["a", "d", "e"]))
    }

    func testRemovalAndEvents() {
        let h = Harness()
        let taken = events(h)
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
        XCTAssertEqual(taken(), ["zadd:z"])
        XCTAssertEqual(h.run("ZADD", "z", "1", "a"), .int(0))
        XCTAssertEqual(taken(), [], "no change, no event")
        h.run("ZINCRBY", "z", "1", "a")
        XCTAssertEqual(taken(), ["zincr:z"])
        XCTAssertEqual(h.run("ZREM", "z", "a", "x"), .int(1))
        XCTAssertEqual(taken(), ["zrem:z"])
        XCTAssertEqual(h.run("ZREM", "z", "x"), .int(0))
        XCTAssertEqual(h.run("ZREMRANGEBYRANK", "z", "0", "0"), .int(1))
        XCTAssertEqual(taken(), ["zremrangebyrank:z"])
        XCTAssertEqual(h.run("ZREMRANGEBYSCORE", "z", "(3", "4"), .int(1))
        XCTAssertEqual(taken(), ["zremrangebyscore:z"])
        XCTAssertEqual(h.run("ZREMRANGEBYRANK", "z", "5", "10"), .int(0))
        XCTAssertEqual(h.run("ZREMRANGEBYRANK", "z", "x", "1"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("ZREMRANGEBYSCORE", "z", "x", "1"), .error("ERR min or max is not a float"))
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"), .strs(["c", "3", "e", "5"]))
        XCTAssertEqual(h.run("ZREM", "z", "c", "e", "more"), .int(2))
        XCTAssertEqual(taken(), ["zrem:z", "del:z"])
        XCTAssertEqual(h.run("EXISTS", "z"), .int(0), "an emptied set is deleted")
        h.run("ZADD", "z", "0", "a", "0", "b")
        _ = taken()
        XCTAssertEqual(h.run("ZREMRANGEBYLEX", "z", "-", "+"), .int(2))
        XCTAssertEqual(taken(), ["zremrangebylex:z", "del:z"])
        XCTAssertEqual(h.run("ZREMRANGEBYSCORE", "z", "0", "1"), .int(0))
    }

    func testEncodingsFollowConfig() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "z"), .str("ziplist"))
        XCTAssertEqual(h.run("CONFIG", "SET", "zset-max-ziplist-entries", "2"), .ok)
        h.run("ZADD", "z", "2", "b")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "z"), .str("ziplist"))
        h.run("ZADD", "z", "3", "c")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "z"), .str("skiplist"))
        XCTAssertEqual(h.run("CONFIG", "SET", "zset-max-ziplist-value", "3"), .ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "zset-max-ziplist-value"), .strs(["zset-max-ziplist-value", "3"]))
        h.run("ZADD", "y", "1", "abcd")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "y"), .str("skiplist"))
        h.run("ZADD", "w", "1", "abc")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "w"), .str("ziplist"))
        XCTAssertEqual(h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"), .strs(["a", "1", "b", "2", "c", "3"]))
    }

    func testUnionAndIntersection() {
        let h = Harness()
        h.run("ZADD", "a", "1", "x", "2", "y", "3", "z")
        h.run("ZADD", "b", "10", "y", "20", "z", "30", "w")
        XCTAssertEqual(h.run("ZUNIONSTORE", "u", "2", "a", "b"), .int(4))
        XCTAssertEqual(h.run("ZRANGE", "u", "0", "-1", "WITHSCORES"), .strs(["x", "1", "y", "12", "z", "23", "w", "30"]))
        XCTAssertEqual(h.run("ZINTERSTORE", "i", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"), .int(2))
        XCTAssertEqual(h.run("ZRANGE", "i", "0", "-1", "WITHSCORES"), .strs(["y", "5", "z", "10"]))
        XCTAssertEqual(h.run("ZUNIONSTORE", "m", "3", "a", "b", "nokey", "AGGREGATE", "min"), .int(4))
        XCTAssertEqual(h.run("ZSCORE", "m", "z"), .str("3"))
        XCTAssertEqual(h.run("ZINTERSTORE", "i", "2", "a", "nokey"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "i"), .int(0), "an empty result deletes the destination")
        h.run("SET", "str", "v")
        h.run("EXPIRE", "u", "100")
        XCTAssertEqual(h.run("ZUNIONSTORE", "u", "1", "a", "WEIGHTS", "inf"), .int(3))
        XCTAssertEqual(h.run("TTL", "u"), .int(-1), "the destination is replaced, TTL dropped")
        XCTAssertEqual(h.run("ZUNIONSTORE", "str", "1", "a"), .int(3), "any destination type is replaced")
        XCTAssertEqual(h.run("TYPE", "str"), .simple("zset"))
        h.run("ZADD", "p", "inf", "k")
        h.run("ZADD", "q", "-inf", "k")
        XCTAssertEqual(h.run("ZUNIONSTORE", "s", "2", "p", "q"), .int(1))
        XCTAssertEqual(h.run("ZSCORE", "s", "k"), .str("0"), "inf + -inf is 0")
        XCTAssertEqual(h.run("ZUNIONSTORE", "s", "1", "p", "WEIGHTS", "0"), .int(1))
        XCTAssertEqual(h.run("ZSCORE", "s", "k"), .str("0"), "inf * 0 is 0")
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "0", "a"), .error("ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE"))
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "3", "a", "b"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "x", "a"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "x"), .error("ERR weight value is not a float"))
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "1", "a", "AGGREGATE", "avg"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "1", "2"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"), .strs(["d", "a", "b"]))
    }

    func testStoredResultIsPackedWhenSmall() {
        let h = Harness()
        h.run("CONFIG", "SET", "zset-max-ziplist-entries", "2")
        h.run("ZADD", "a", "1", "x", "2", "y", "3", "z")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "a"), .str("skiplist"))
        XCTAssertEqual(h.run("ZINTERSTORE", "i", "1", "a", "WEIGHTS", "1"), .int(3))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "i"), .str("skiplist"))
        h.run("ZREM", "a", "z")
        XCTAssertEqual(h.run("ZUNIONSTORE", "u", "1", "a"), .int(2))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "u"), .str("ziplist"))
    }

    func testZscan() {
        let h = Harness()
        h.run("ZADD", "small", "1", "a", "2.5", "b", "3", "c")
        XCTAssertEqual(h.run("ZSCAN", "small", "0"), .array([.str("0"), .strs(["a", "1", "b", "2.5", "c", "3"])]))
        XCTAssertEqual(h.run("ZSCAN", "small", "0", "MATCH", "b*"), .array([.str("0"), .strs(["b", "2.5"])]))
        XCTAssertEqual(h.run("ZSCAN", "nokey", "0"), .array([.str("0"), .array([])]))
        XCTAssertEqual(h.run("ZSCAN", "small", "x"), .error("ERR invalid cursor"))
        XCTAssertEqual(h.run("ZSCAN", "small", "0", "COUNT", "0"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("ZSCAN", "small", "0", "FOO"), .error("ERR syntax error"))
        var argv = ["ZADD", "big"]
        for i in 0..<300 { argv += ["\(i)", "m\(i)"] }
        h.run(argv.map { Bytes($0) })
        var seen: [String: String] = [:]
        var cursor = "0"
        repeat {
            guard case .array(let parts) = h.run("ZSCAN", "big", cursor, "COUNT", "20"),
                  case .bulk(let next) = parts[0], case .array(let items) = parts[1] else { return XCTFail("bad reply") }
            cursor = next.text
            for k in stride(from: 0, to: items.count, by: 2) {
                guard case .bulk(let m) = items[k], case .bulk(let s) = items[k + 1] else { return XCTFail("bad item") }
                seen[m.text] = s.text
            }
        } while cursor != "0"
        XCTAssertEqual(seen.count, 300)
        XCTAssertEqual(seen["m42"], "42")
    }

    func testNoOpWritesKeepWatches() {
        let h = Harness()
        let other = h.newClient()
        h.run("ZADD", "z", "1", "a", "2", "b")
        XCTAssertEqual(h.run("WATCH", "z"), .ok)
        h.run(["ZADD", "z", "1", "a"].map { Bytes($0) }, as: other)
        h.run(["ZADD", "z", "XX", "5", "nope"].map { Bytes($0) }, as: other)
        h.run(["ZREM", "z", "nope"].map { Bytes($0) }, as: other)
        h.run(["ZREMRANGEBYSCORE", "z", "10", "20"].map { Bytes($0) }, as: other)
        h.run("MULTI")
        h.run("ZCARD", "z")
        XCTAssertEqual(h.run("EXEC"), .array([.int(2)]), "writes that changed nothing do not touch the watch")
        XCTAssertEqual(h.run("WATCH", "z"), .ok)
        h.run(["ZINCRBY", "z", "1", "a"].map { Bytes($0) }, as: other)
        h.run("MULTI")
        h.run("ZCARD", "z")
        XCTAssertEqual(h.run("EXEC"), .nullArray)
    }

    func testPropagation() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a")
        XCTAssertEqual(h.takePropagated(), ["0: ZADD z 1 a"])
        h.run("ZADD", "z", "1", "a")
        h.run("ZADD", "z", "XX", "1", "b")
        h.run("ZREM", "z", "nope")
        h.run("ZINCRBY", "z", "0", "a")
        XCTAssertEqual(h.takePropagated(), [], "commands that change nothing propagate nothing")
        h.run("ZINCRBY", "z", "2", "a")
        h.run("ZREMRANGEBYSCORE", "z", "-inf", "+inf")
        XCTAssertEqual(h.takePropagated(), ["0: ZINCRBY z 2 a", "0: ZREMRANGEBYSCORE z -inf +inf"])
        h.run("ZADD", "a", "1", "x")
        _ = h.takePropagated()
        h.run("ZUNIONSTORE", "d", "1", "a")
        h.run("ZINTERSTORE", "nothing", "2", "a", "missing")
        XCTAssertEqual(h.takePropagated(), ["0: ZUNIONSTORE d 1 a"])
        h.run("ZINTERSTORE", "d", "2", "a", "missing")
        XCTAssertEqual(h.takePropagated(), ["0: ZINTERSTORE d 2 a missing"], "deleting the destination is a change")
    }
}
