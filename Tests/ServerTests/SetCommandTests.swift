// Tests for the set commands: replies and errors, WRONGTYPE across types,
// encodings at set-max-intset-entries, SMOVE, the algebra commands and their
// STORE forms, SPOP/SRANDMEMBER reply shapes and SPOP's propagation (SREM per
// member, DEL for the whole set), SSCAN, keyspace events and dirty counts.
import XCTest
import RESP
@testable import Engine
@testable import Server

final class SetCommandTests: XCTestCase {
    /// The members of an array reply, sorted (sets have no order to compare).
    func sorted(_ v: RESPValue) -> [String] {
        guard case .array(let items) = v else { return ["not an array: \(v)"] }
        return items.map { item -> String in
            if case .bulk(let b) = item { return b.text }
            return "\(item)"
        }.sorted()
    }

    func testBasics() {
        let h = Harness()
        XCTAssertEqual(h.run("SADD", "s", "3", "1", "2", "1"), .int(3))
        XCTAssertEqual(h.run("SADD", "s", "2", "4"), .int(1))
        XCTAssertEqual(h.run("SMEMBERS", "s"), .strs(["1", "2", "3", "4"]), "an intset is sorted")
        XCTAssertEqual(h.run("SCARD", "s"), .int(4))
        XCTAssertEqual(h.run("SCARD", "nokey"), .int(0))
        XCTAssertEqual(h.run("SISMEMBER", "s", "3"), .int(1))
        XCTAssertEqual(h.run("SISMEMBER", "s", "03"), .int(0))
        XCTAssertEqual(h.run("SISMEMBER", "nokey", "3"), .int(0))
        XCTAssertEqual(h.run("SMEMBERS", "nokey"), .array([]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("intset"))
        XCTAssertEqual(h.run("SREM", "s", "9"), .int(0))
        XCTAssertEqual(h.run("SREM", "s", "1", "2", "9"), .int(2))
        XCTAssertEqual(h.run("SADD", "s", "x"), .int(1))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("hashtable"))
        XCTAssertEqual(sorted(h.run("SMEMBERS", "s")), ["3", "4", "x"])
        XCTAssertEqual(h.run("SREM", "s", "3", "4", "x", "y"), .int(3))
        XCTAssertEqual(h.run("EXISTS", "s"), .int(0), "an emptied set is deleted")
        XCTAssertEqual(h.run("SADD", "w", "a", "1"), .int(2))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "w"), .str("hashtable"), "a non-integer first member")
    }

    func testEncodingThresholdFromConfig() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "set-max-intset-entries", "3"), .ok)
        h.run("SADD", "s", "1", "2", "3")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("intset"))
        h.run("SADD", "s", "4")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("hashtable"))
        h.run("SREM", "s", "1", "2")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("hashtable"), "never converts back")
        h.run("SADD", "t", "-9223372036854775808", "9223372036854775807")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "t"), .str("intset"))
        XCTAssertEqual(h.run("SMEMBERS", "t"), .strs(["-9223372036854775808", "9223372036854775807"]))
        h.run("SADD", "u", "9223372036854775808")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "u"), .str("hashtable"), "past int64 is a string")
    }

    func testErrorsAndWrongType() {
        let h = Harness()
        let wrong = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        h.run("SET", "str", "x")
        h.run("HSET", "hash", "f", "v")
        h.run("SADD", "set", "1")
        for key in ["str", "hash"] {
            XCTAssertEqual(h.run("SADD", key, "1"), wrong)
            XCTAssertEqual(h.run("SREM", key, "1"), wrong)
            XCTAssertEqual(h.run("SISMEMBER", key, "1"), wrong)
            XCTAssertEqual(h.run("SCARD", key), wrong)
            XCTAssertEqual(h.run("SMEMBERS", key), wrong)
            XCTAssertEqual(h.run("SPOP", key), wrong)
            XCTAssertEqual(h.run("SPOP", key, "2"), wrong)
            XCTAssertEqual(h.run("SRANDMEMBER", key), wrong)
            XCTAssertEqual(h.run("SRANDMEMBER", key, "2"), wrong)
            XCTAssertEqual(h.run("SSCAN", key, "0"), wrong)
            XCTAssertEqual(h.run("SMOVE", key, "set", "1"), wrong)
            XCTAssertEqual(h.run("SMOVE", "set", key, "1"), wrong)
            XCTAssertEqual(h.run("SINTER", "set", key), wrong)
            XCTAssertEqual(h.run("SUNION", "set", key), wrong)
            XCTAssertEqual(h.run("SDIFF", "set", key), wrong)
            XCTAssertEqual(h.run("SINTERSTORE", "d", "set", key), wrong)
            XCTAssertEqual(h.run("SUNIONSTORE", "d", "set", key), wrong)
            XCTAssertEqual(h.run("SDIFFSTORE", "d", "set", key), wrong)
        }
        XCTAssertEqual(h.run("SMOVE", "nokey", "str", "1"), .int(0), "a missing source answers 0 first")
        XCTAssertEqual(h.run("SINTER", "nokey", "str"), .array([]), "SINTER stops at the first missing key")
        XCTAssertEqual(h.run("SUNION", "nokey", "str"), wrong)
        XCTAssertEqual(h.run("SPOP", "set", "1", "2"), .error("ERR syntax error"))
        // 4.0's shared.outofrangeerr (7.0 says "ERR value is out of range, must be positive"),
        // checked before the key is looked up.
        XCTAssertEqual(h.run("SPOP", "set", "-1"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("SPOP", "nokey", "-1"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("SPOP", "str", "-5"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("SPOP", "set", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SRANDMEMBER", "set", "1", "2"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("SRANDMEMBER", "set", "x"), .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SADD", "set"), .error("ERR wrong number of arguments for 'sadd' command"))
        XCTAssertEqual(h.run("SMEMBERS", "set"), .strs(["1"]), "nothing changed")
    }

    func testSmove() {
        let h = Harness()
        h.run("SADD", "a", "1", "2")
        h.run("SADD", "b", "x")
        XCTAssertEqual(h.run("SMOVE", "a", "b", "9"), .int(0))
        XCTAssertEqual(h.run("SMOVE", "a", "b", "1"), .int(1))
        XCTAssertEqual(sorted(h.run("SMEMBERS", "b")), ["1", "x"])
        XCTAssertEqual(h.run("SMOVE", "a", "a", "2"), .int(1), "same key: membership only")
        XCTAssertEqual(h.run("SMOVE", "a", "a", "9"), .int(0))
        XCTAssertEqual(h.run("SMOVE", "a", "c", "2"), .int(1))
        XCTAssertEqual(h.run("EXISTS", "a"), .int(0), "the emptied source is deleted")
        XCTAssertEqual(h.run("SMEMBERS", "c"), .strs(["2"]))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("intset"))
        XCTAssertEqual(h.run("SMOVE", "b", "c", "x"), .int(1))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "c"), .str("hashtable"))
        h.run("SADD", "d", "2")
        XCTAssertEqual(h.run("SMOVE", "c", "d", "2"), .int(1), "already in the destination")
        XCTAssertEqual(h.run("SMEMBERS", "d"), .strs(["2"]))
    }

    func testAlgebra() {
        let h = Harness()
        h.run("SADD", "a", "1", "2", "3", "4")
        h.run("SADD", "b", "3", "4", "5", "x")
        h.run("SADD", "c", "4", "x", "y")
        XCTAssertEqual(sorted(h.run("SINTER", "a", "b")), ["3", "4"])
        XCTAssertEqual(sorted(h.run("SINTER", "a", "b", "c")), ["4"])
        XCTAssertEqual(h.run("SINTER", "a", "nokey"), .array([]))
        XCTAssertEqual(sorted(h.run("SINTER", "a")), ["1", "2", "3", "4"])
        XCTAssertEqual(sorted(h.run("SUNION", "a", "b", "nokey")), ["1", "2", "3", "4", "5", "x"])
        XCTAssertEqual(h.run("SUNION", "a", "a"), .strs(["1", "2", "3", "4"]), "an all-integer result is an intset: sorted")
        XCTAssertEqual(sorted(h.run("SDIFF", "a", "b")), ["1", "2"])
        XCTAssertEqual(sorted(h.run("SDIFF", "b", "a", "c")), ["5"])
        XCTAssertEqual(h.run("SDIFF", "nokey", "a"), .array([]))
        XCTAssertEqual(h.run("SDIFF", "a", "a"), .array([]))
        XCTAssertEqual(sorted(h.run("SDIFF", "a", "nokey")), ["1", "2", "3", "4"])

        XCTAssertEqual(h.run("SINTERSTORE", "d", "b", "c"), .int(2))
        XCTAssertEqual(sorted(h.run("SMEMBERS", "d")), ["4", "x"])
        XCTAssertEqual(h.run("SINTERSTORE", "d", "a", "b"), .int(2))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "d"), .str("intset"), "the result starts as an intset")
        XCTAssertEqual(h.run("SUNIONSTORE", "d", "a", "c"), .int(6))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "d"), .str("hashtable"))
        XCTAssertEqual(h.run("SDIFFSTORE", "d", "a", "b"), .int(2))
        XCTAssertEqual(h.run("SMEMBERS", "d"), .strs(["1", "2"]))

        h.run("SET", "t", "x")
        h.run("EXPIRE", "d", "100")
        XCTAssertEqual(h.run("SUNIONSTORE", "d", "a"), .int(4))
        XCTAssertEqual(h.run("TTL", "d"), .int(-1), "the destination is replaced, TTL dropped")
        XCTAssertEqual(h.run("SINTERSTORE", "d", "a", "nokey"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "d"), .int(0), "an empty result deletes the destination")
        XCTAssertEqual(h.run("SDIFFSTORE", "t", "a", "a"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "t"), .int(0), "even one of another type")
        XCTAssertEqual(h.run("SUNIONSTORE", "e", "a", "b"), .int(6))
        XCTAssertEqual(h.run("SUNIONSTORE", "e", "e", "c"), .int(7), "the destination may be a source")
    }

    func testSdiffSecondAlgorithmKeepsHashtable() {
        // Many small sets to subtract: Redis adds all of the first set, then removes;
        // the result keeps the hashtable form its non-integer member caused.
        let h = Harness()
        h.run("SADD", "first", "1", "2", "3", "4", "x")
        h.run("SADD", "o1", "x")
        h.run("SADD", "o2", "y")
        h.run("SADD", "o3", "z")
        XCTAssertEqual(h.run("SDIFFSTORE", "d", "first", "o1", "o2", "o3"), .int(4))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "d"), .str("hashtable"))
        // One large set to subtract: Redis probes, so only integers are added.
        h.run("SADD", "first2", "1", "2", "x", "q")
        h.run("SADD", "one", "x", "q")
        XCTAssertEqual(h.run("SDIFFSTORE", "d2", "first2", "one"), .int(2))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "d2"), .str("intset"))
    }

    func testSpopAndItsPropagation() {
        let h = Harness()
        h.run("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
        _ = h.takePropagated()
        guard case .bulk(let one) = h.run("SPOP", "s") else { return XCTFail() }
        XCTAssertEqual(h.takePropagated(), ["0: SREM s \(one.text)"])
        XCTAssertEqual(h.run("SISMEMBER", "s", one.text), .int(0))

        let popped = sorted(h.run("SPOP", "s", "2"))
        XCTAssertEqual(popped.count, 2)
        XCTAssertEqual(Set(h.takePropagated()), Set(popped.map { "0: SREM s \($0)" }), "one SREM per popped member")
        XCTAssertEqual(h.run("SCARD", "s"), .int(7))

        // Most of the set: the survivors are rebuilt, the popped ones still SREMs.
        let many = sorted(h.run("SPOP", "s", "6"))
        XCTAssertEqual(many.count, 6)
        XCTAssertEqual(Set(h.takePropagated()), Set(many.map { "0: SREM s \($0)" }))
        guard case .array(let rest) = h.run("SMEMBERS", "s"), rest.count == 1, case .bulk(let last) = rest[0] else { return XCTFail() }
        XCTAssertFalse(many.contains(last.text) || popped.contains(last.text) || last == one)

        h.run("SADD", "s", "a")
        _ = h.takePropagated()
        XCTAssertEqual(sorted(h.run("SPOP", "s", "5")), [last.text, "a"].sorted())
        XCTAssertEqual(h.takePropagated(), ["0: DEL s"], "the whole set is replayed as DEL")
        XCTAssertEqual(h.run("EXISTS", "s"), .int(0))
        XCTAssertEqual(h.run("SPOP", "s"), .null)
        XCTAssertEqual(h.run("SPOP", "s", "3"), .array([]))
        h.run("SADD", "s", "z")
        XCTAssertEqual(h.run("SPOP", "s", "0"), .array([]))
        XCTAssertEqual(h.takePropagated(), ["0: SADD s z"], "SPOP of nothing propagates nothing")
        XCTAssertEqual(h.run("SPOP", "s"), .str("z"))
        XCTAssertEqual(h.run("EXISTS", "s"), .int(0))
    }

    func testSpopRebuildReencodes() {
        let h = Harness()
        h.run("SADD", "s", "x")
        for i in 0..<20 { h.run("SADD", "s", "\(i)") }
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("hashtable"))
        // Pop until only integers can survive: the survivors are rebuilt from scratch.
        h.run("SREM", "s", "x")
        h.run("SPOP", "s", "18")
        XCTAssertEqual(h.run("SCARD", "s"), .int(2))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "s"), .str("intset"))
    }

    func testSrandmemberShapes() {
        let h = Harness()
        let members = (1...20).map { "m\($0)" }
        h.run(["SADD", "s"].map { Bytes($0) } + members.map { Bytes($0) })
        guard case .bulk(let one) = h.run("SRANDMEMBER", "s") else { return XCTFail() }
        XCTAssertTrue(members.contains(one.text))
        for count in [1, 5, 7, 19] {
            let got = sorted(h.run("SRANDMEMBER", "s", "\(count)"))
            XCTAssertEqual(got.count, count)
            XCTAssertEqual(Set(got).count, count, "distinct")
            XCTAssertTrue(Set(got).isSubset(of: members))
        }
        XCTAssertEqual(sorted(h.run("SRANDMEMBER", "s", "20")), members.sorted())
        XCTAssertEqual(sorted(h.run("SRANDMEMBER", "s", "100")), members.sorted(), "capped at the set")
        let repeats = sorted(h.run("SRANDMEMBER", "s", "-100"))
        XCTAssertEqual(repeats.count, 100, "a negative count may repeat")
        XCTAssertTrue(Set(repeats).isSubset(of: members))
        XCTAssertEqual(h.run("SRANDMEMBER", "s", "0"), .array([]))
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey"), .null)
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "3"), .array([]))
        XCTAssertEqual(h.run("SCARD", "s"), .int(20), "nothing removed")
        h.run("SADD", "i", "5", "6")
        XCTAssertEqual(h.run("SRANDMEMBER", "i", "-3").arrayCount, 3)
        XCTAssertEqual(h.takePropagated().count, 2, "only the two SADDs")
    }

    func testSscan() {
        let h = Harness()
        h.run("SADD", "s", "3", "1", "2")
        XCTAssertEqual(h.run("SSCAN", "s", "0"), .array([.str("0"), .strs(["1", "2", "3"])]))
        XCTAssertEqual(h.run("SSCAN", "s", "0", "MATCH", "[12]"), .array([.str("0"), .strs(["1", "2"])]))
        XCTAssertEqual(h.run("SSCAN", "nokey", "0"), .array([.str("0"), .array([])]))
        XCTAssertEqual(h.run("SSCAN", "s", "x"), .error("ERR invalid cursor"))
        XCTAssertEqual(h.run("SSCAN", "s", "0", "COUNT", "0"), .error("ERR syntax error"))
        for i in 0..<500 { h.run("SADD", "big", "member\(i)") }
        var cursor = "0"
        var seen = Set<String>()
        repeat {
            guard case .array(let parts) = h.run("SSCAN", "big", cursor, "MATCH", "member1*"),
                  case .bulk(let next) = parts[0] else { return XCTFail() }
            cursor = next.text
            seen.formUnion(sorted(parts[1]))
        } while cursor != "0"
        XCTAssertEqual(seen, Set((0..<500).map { "member\($0)" }.filter { $0.hasPrefix("member1") }))
    }

    func testEventsAndDirty() {
        let h = Harness()
        let events = EventLog(h)
        let before = h.server.keyspace.dirty
        h.run("SADD", "a", "1", "2", "3")   // +3
        h.run("SADD", "a", "1")             // +0
        h.run("SREM", "a", "9")             // +0
        h.run("SREM", "a", "1")             // +1
        h.run("SMOVE", "a", "b", "2")       // +2
        h.run("SPOP", "a")                  // +1, empties a
        h.run("SINTERSTORE", "c", "b", "b") // +1
        h.run("SUNIONSTORE", "c", "b")      // +1
        h.run("SDIFFSTORE", "c", "b", "b")  // +1, deletes c
        XCTAssertEqual(events.take(), ["sadd a", "srem a", "srem a", "sadd b", "spop a", "del a",
                                "sinterstore c", "sunionstore c", "del c"])
        XCTAssertEqual(h.server.keyspace.dirty - before, 3 + 1 + 2 + 1 + 1 + 1 + 1)
    }

    func testEditsInPlace() {
        let h = Harness()
        h.run("SADD", "s", "a", "b", "c", "d", "e", "f", "g", "h")
        h.run("SADD", "t", "x")
        let ks = h.server.keyspace
        func identity() -> ObjectIdentifier? {
            guard let i = ks.peek(0, Bytes("s")), case .set(let value) = ks.value(0, i) else { return nil }
            return value.tableIdentity
        }
        let box = identity()
        XCTAssertNotNil(box)
        // Every editing command works on the stored table itself, never on a copy.
        for argv in [["SADD", "s", "i"], ["SADD", "s", "i"], ["SREM", "s", "i"], ["SREM", "s", "zz"], ["SMOVE", "s", "t", "a"],
                     ["SMOVE", "t", "s", "x"], ["SPOP", "s"], ["SPOP", "s", "2"]] {
            h.run(argv.map { Bytes($0) })
            XCTAssertEqual(identity(), box, "\(argv)")
        }
        XCTAssertEqual(h.run("SCARD", "s"), .int(5))
        let i = ks.peek(0, Bytes("s"))!
        guard case .set(var value) = ks.take(0, i) else { return XCTFail() }
        XCTAssertTrue(value.storageIsUnique(), "commands leave no extra reference behind")
        ks.replace(0, i, with: .set(value))
    }
}

extension RESPValue {
    var arrayCount: Int {
        if case .array(let items) = self { return items.count }
        return -1
    }
}
