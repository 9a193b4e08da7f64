// Tests for the hash commands: replies and Redis 4.0's errors, WRONGTYPE across
// types, encodings at the CONFIG thresholds, HINCRBY/HINCRBYFLOAT (and the
// latter's propagation as HSET), HSCAN, keyspace events and dirty counts.
import XCTest
import RESP
@testable import Engine
@testable import Server

final class HashCommandTests: XCTestCase {
    func testSetGetAndFriends() {
        let h = Harness()
        XCTAssertEqual(h.run("HSET", "h", "a", "1"), .int(1))
        XCTAssertEqual(h.run("HSET", "h", "a", "2", "b", "3", "c", "4"), .int(2), "variadic; counts new fields")
        XCTAssertEqual(h.run("HMSET", "h", "d", "5", "a", "1"), .ok)
        XCTAssertEqual(h.run("HGET", "h", "a"), .str("1"))
        XCTAssertEqual(h.run("HGET", "h", "zz"), .null)
        XCTAssertEqual(h.run("HGET", "nokey", "a"), .null)
        XCTAssertEqual(h.run("HMGET", "h", "a", "zz", "d"), .array([.str("1"), .null, .str("5")]))
        XCTAssertEqual(h.run("HMGET", "nokey", "a", "b"), .array([.null, .null]))
        XCTAssertEqual(h.run("HLEN", "h"), .int(4))
        XCTAssertEqual(h.run("HLEN", "nokey"), .int(0))
        XCTAssertEqual(h.run("HSTRLEN", "h", "a"), .int(1))
        XCTAssertEqual(h.run("HSTRLEN", "h", "zz"), .int(0))
        XCTAssertEqual(h.run("HEXISTS", "h", "b"), .int(1))
        XCTAssertEqual(h.run("HEXISTS", "h", "zz"), .int(0))
        XCTAssertEqual(h.run("HKEYS", "h"), .strs(["a", "b", "c", "d"]), "the packed form keeps insertion order")
        XCTAssertEqual(h.run("HVALS", "h"), .strs(["1", "3", "4", "5"]))
        XCTAssertEqual(h.run("HGETALL", "h"), .strs(["a", "1", "b", "3", "c", "4", "d", "5"]))
        XCTAssertEqual(h.run("HGETALL", "nokey"), .array([]))
        XCTAssertEqual(h.run("HSETNX", "h", "a", "x"), .int(0))
        XCTAssertEqual(h.run("HSETNX", "h", "e", "x"), .int(1))
        XCTAssertEqual(h.run("HSETNX", "new", "f", "v"), .int(1))
        XCTAssertEqual(h.run("TYPE", "new"), .simple("hash"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "h"), .str("ziplist"))
    }

    func testDeleteRemovesEmptyKey() {
        let h = Harness()
        h.run("HSET", "h", "a", "1", "b", "2")
        XCTAssertEqual(h.run("HDEL", "h", "x"), .int(0))
        XCTAssertEqual(h.run("HDEL", "h", "a", "a", "x"), .int(1))
        XCTAssertEqual(h.run("HDEL", "h", "b", "c"), .int(1))
        XCTAssertEqual(h.run("EXISTS", "h"), .int(0))
        XCTAssertEqual(h.run("HDEL", "h", "b"), .int(0))
    }

    func testErrors() {
        let h = Harness()
        XCTAssertEqual(h.run("HSET", "h", "a", "1", "b"), .error("ERR wrong number of arguments for HMSET"))
        XCTAssertEqual(h.run("HMSET", "h", "a"), .error("ERR wrong number of arguments for 'hmset' command"))
        XCTAssertEqual(h.run("HSET", "h", "a"), .error("ERR wrong number of arguments for 'hset' command"))
        XCTAssertEqual(h.run("HGET", "h"), .error("ERR wrong number of arguments for 'hget' command"))
        XCTAssertEqual(h.run("EXISTS", "h"), .int(0), "a refused HSET creates nothing")
        let wrong = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        h.run("SET", "str", "x")
        h.run("SADD", "set", "1")
        for key in ["str", "set"] {
            XCTAssertEqual(h.run("HSET", key, "a", "1"), wrong)
            XCTAssertEqual(h.run("HMSET", key, "a", "1"), wrong)
            XCTAssertEqual(h.run("HSETNX", key, "a", "1"), wrong)
            XCTAssertEqual(h.run("HGET", key, "a"), wrong)
            XCTAssertEqual(h.run("HMGET", key, "a"), wrong)
            XCTAssertEqual(h.run("HDEL", key, "a"), wrong)
            XCTAssertEqual(h.run("HLEN", key), wrong)
            XCTAssertEqual(h.run("HSTRLEN", key, "a"), wrong)
            XCTAssertEqual(h.run("HEXISTS", key, "a"), wrong)
            XCTAssertEqual(h.run("HKEYS", key), wrong)
            XCTAssertEqual(h.run("HVALS", key), wrong)
            XCTAssertEqual(h.run("HGETALL", key), wrong)
            XCTAssertEqual(h.run("HINCRBY", key, "a", "1"), wrong)
            XCTAssertEqual(h.run("HINCRBYFLOAT", key, "a", "1"), wrong)
            XCTAssertEqual(h.run("HSCAN", key, "0"), wrong)
        }
        h.run("HSET", "h", "a", "1")
        XCTAssertEqual(h.run("GET", "h"), wrong)
        XCTAssertEqual(h.run("SADD", "h", "x"), wrong)
    }

    func testEncodingThresholdsFromConfig() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "hash-max-ziplist-entries", "3"), .ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "hash-max-ziplist-value", "5"), .ok)
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "h"), .str("ziplist"))
        h.run("HSET", "h", "d", "4")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "h"), .str("hashtable"))
        h.run("HDEL", "h", "a", "b", "c")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "h"), .str("hashtable"), "never converts back")

        h.run("HSET", "v", "f", "12345")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "v"), .str("ziplist"))
        h.run("HSET", "v", "f", "123456")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "v"), .str("hashtable"), "a value past hash-max-ziplist-value")
        h.run("HSET", "k", "longfield", "1")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "k"), .str("hashtable"), "a field past the limit too")

        // HSETNX converts on length even when the field exists (Redis's order).
        h.run("HSET", "n", "f", "1")
        XCTAssertEqual(h.run("HSETNX", "n", "f", "toolong"), .int(0))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "n"), .str("hashtable"))
        XCTAssertEqual(h.run("HGET", "n", "f"), .str("1"))

        // The counters do not check lengths.
        h.run("HSET", "c", "f", "1")
        XCTAssertEqual(h.run("HINCRBY", "c", "f", "1000000"), .int(1_000_001))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("ziplist"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "c", "g", "0.125"), .str("0.125"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("ziplist"))
        XCTAssertEqual(h.run("HGETALL", "c"), .strs(["f", "1000001", "g", "0.125"]))
    }

    func testIncrby() {
        let h = Harness()
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "5"), .int(5))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "-10"), .int(-5))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "x"), .error("ERR value is not an integer or out of range"))
        h.run("HSET", "h", "s", "abc", "z", "01", "big", "9223372036854775807")
        XCTAssertEqual(h.run("HINCRBY", "h", "s", "1"), .error("ERR hash value is not an integer"))
        XCTAssertEqual(h.run("HINCRBY", "h", "z", "1"), .error("ERR hash value is not an integer"))
        XCTAssertEqual(h.run("HINCRBY", "h", "big", "1"), .error("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("HINCRBY", "h", "big", "-1"), .int(9_223_372_036_854_775_806))
        h.run("HSET", "h", "small", "-9223372036854775808")
        XCTAssertEqual(h.run("HINCRBY", "h", "small", "-1"), .error("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("EXISTS", "fresh"), .int(0))
        XCTAssertEqual(h.run("HINCRBY", "fresh", "f", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("EXISTS", "fresh"), .int(0), "a refused increment creates nothing")
    }

    func testIncrbyfloatAndItsPropagation() {
        let h = Harness()
        _ = h.takePropagated()
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "10.5"), .str("10.5"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "0.1"), .str("10.6"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "-5.6"), .str("5"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "2.0e2"), .str("205"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "x", "0x10"), .str("16"), "strtold's hex, as Redis")
        XCTAssertEqual(h.takePropagated(), ["0: HSET h f 10.5", "0: HSET h f 10.6", "0: HSET h f 5", "0: HSET h f 205", "0: HSET h x 16"])
        h.run("HSET", "h", "s", "abc", "n", "5.0e3")
        _ = h.takePropagated()
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "s", "1"), .error("ERR hash value is not a float"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "n", "1"), .str("5001"))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "1"), .int(5002))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "n", "x"), .error("ERR value is not a valid float"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "n", " 1"), .error("ERR value is not a valid float"))
        h.run("HSET", "h", "huge", "1e4932", "e", "")
        // Redis 4.0 stores an infinite sum as "inf", and reads an empty field as 0.
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "huge", "1e4932"), .str("inf"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "huge", "-inf"), .str("-nan"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "e", "-2"), .str("-2"))
        XCTAssertEqual(h.takePropagated(), ["0: HSET h n 5001", "0: HINCRBY h n 1", "0: HSET h huge 1e4932 e ",
                                            "0: HSET h huge inf", "0: HSET h huge -nan", "0: HSET h e -2"])
    }

    func testScan() {
        let h = Harness()
        XCTAssertEqual(h.run("HSCAN", "nokey", "0"), .array([.str("0"), .array([])]))
        XCTAssertEqual(h.run("HSCAN", "nokey", "x"), .error("ERR invalid cursor"))
        h.run("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
        XCTAssertEqual(h.run("HSCAN", "h", "0"), .array([.str("0"), .strs(["a1", "1", "b1", "2", "a2", "3"])]))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "MATCH", "a*"), .array([.str("0"), .strs(["a1", "1", "a2", "3"])]))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "COUNT", "0"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "MATCH"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "COUNT", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("HSCAN", "h", " 0"), .error("ERR invalid cursor"))
        XCTAssertEqual(h.run("HSCAN", "h", "18446744073709551616"), .error("ERR invalid cursor"))
        XCTAssertEqual(h.run("HSCAN", "h", "+0"), .array([.str("0"), .strs(["a1", "1", "b1", "2", "a2", "3"])]), "strtoul accepts a sign")

        for i in 0..<1000 { h.run("HSET", "big", "field\(i)", "value\(i)") }
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "big"), .str("hashtable"))
        var cursor = "0"
        var seen: [String: String] = [:]
        var steps = 0
        repeat {
            guard case .array(let parts) = h.run("HSCAN", "big", cursor, "COUNT", "20"),
                  case .bulk(let next) = parts[0], case .array(let items) = parts[1] else { return XCTFail() }
            cursor = next.text
            XCTAssertEqual(items.count % 2, 0)
            for j in stride(from: 0, to: items.count, by: 2) {
                guard case .bulk(let f) = items[j], case .bulk(let v) = items[j + 1] else { return XCTFail() }
                seen[f.text] = v.text
            }
            steps += 1
        } while cursor != "0"
        XCTAssertEqual(seen.count, 1000)
        XCTAssertEqual(seen["field7"], "value7")
        XCTAssertGreaterThan(steps, 20)
    }

    func testEventsAndDirty() {
        let h = Harness()
        let events = EventLog(h)
        let before = h.server.keyspace.dirty
        h.run("HSET", "h", "a", "1", "b", "2")
        h.run("HMSET", "h", "c", "3")
        h.run("HSETNX", "h", "c", "3")
        h.run("HSETNX", "h", "d", "4")
        h.run("HINCRBY", "h", "n", "1")
        h.run("HINCRBYFLOAT", "h", "n", "1")
        h.run("HDEL", "h", "zz")
        h.run("HDEL", "h", "a", "b")
        h.run("HDEL", "h", "c", "d", "n")
        XCTAssertEqual(events.take(), ["hset h", "hset h", "hset h", "hincrby h", "hincrbyfloat h", "hdel h", "hdel h", "del h"])
        XCTAssertEqual(h.server.keyspace.dirty - before, 1 + 1 + 1 + 1 + 1 + 2 + 3)
        XCTAssertEqual(h.takePropagated().count, 7, "the no-op HSETNX and HDEL propagate nothing")
    }

    func testEditsInPlace() {
        let h = Harness()
        h.run("CONFIG", "SET", "hash-max-ziplist-entries", "2")
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3", "n", "1")
        let ks = h.server.keyspace
        func identity() -> ObjectIdentifier? {
            guard let i = ks.peek(0, Bytes("h")), case .hash(let value) = ks.value(0, i) else { return nil }
            return value.tableIdentity
        }
        let box = identity()
        XCTAssertNotNil(box)
        // Every editing command works on the stored table itself, never on a copy.
        for argv in [["HSET", "h", "a", "9"], ["HMSET", "h", "d", "4"], ["HSETNX", "h", "e", "5"], ["HSETNX", "h", "e", "6"],
                     ["HDEL", "h", "d"], ["HDEL", "h", "zz"], ["HINCRBY", "h", "n", "2"], ["HINCRBYFLOAT", "h", "n", "0.5"]] {
            h.run(argv.map { Bytes($0) })
            XCTAssertEqual(identity(), box, "\(argv)")
        }
        XCTAssertEqual(h.run("HGET", "h", "n"), .str("3.5"))
        let i = ks.peek(0, Bytes("h"))!
        guard case .hash(var value) = ks.take(0, i) else { return XCTFail() }
        XCTAssertTrue(value.storageIsUnique(), "commands leave no extra reference behind")
        ks.replace(0, i, with: .hash(value))
    }
}

/// Keyspace events as "event key" lines, read by a client subscribed to every key event of db 0.
final class EventLog {
    let h: Harness
    let sub: Client
    init(_ h: Harness) {
        self.h = h
        h.run("CONFIG", "SET", "notify-keyspace-events", "EA")
        sub = h.newClient()
        h.run("PSUBSCRIBE", "__keyevent@0__:*", as: sub)
    }

    /// The events delivered since the last call.
    func take() -> [String] {
        var out: [String] = []
        while case .array(let parts) = h.takeReply(sub), parts.count == 4,
              case .bulk(let channel) = parts[2], case .bulk(let key) = parts[3] {
            out.append("\(channel.text.dropFirst("__keyevent@0__:".count)) \(key.text)")
        }
        return out
    }
}
