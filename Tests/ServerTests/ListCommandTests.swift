// ListCommandTests: the list commands through the dispatcher: replies and errors
// as Redis 4.0, argument-check order, empty lists deleted, keyspace events,
// propagation, WRONGTYPE across types, and OBJECT ENCODING / config.
import XCTest
import RESP
@testable import Engine
@testable import Server

final class ListCommandTests: XCTestCase {
    private let wrongType = RESPValue.error("WRONGTYPE Operation against a key holding the wrong kind of value")
    private let notInteger = RESPValue.error("ERR value is not an integer or out of range")

    /// A harness recording keyspace events as "event key" lines.
    private func harness() -> (Harness, () -> [String]) {
        let h = Harness()
        let recorder = EventRecorder(h)
        return (h, recorder.take)
    }

    func testPushPopAndLength() {
        let (h, events) = harness()
        XCTAssertEqual(h.run("RPUSH", "l", "a", "b", "c"), .int(3))
        XCTAssertEqual(h.run("LPUSH", "l", "x", "y"), .int(5))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["y", "x", "a", "b", "c"]))
        XCTAssertEqual(h.run("LLEN", "l"), .int(5))
        XCTAssertEqual(h.run("LPOP", "l"), .str("y"))
        XCTAssertEqual(h.run("RPOP", "l"), .str("c"))
        XCTAssertEqual(events(), ["rpush l", "lpush l", "lpop l", "rpop l"])
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH l a b c", "0: LPUSH l x y", "0: LPOP l", "0: RPOP l"])
        XCTAssertEqual(h.server.keyspace.dirty, 7)
        XCTAssertEqual(h.run("RPOP", "l"), .str("b"))
        XCTAssertEqual(h.run("LPOP", "l"), .str("x"))
        XCTAssertEqual(h.run("LPOP", "l"), .str("a"))
        XCTAssertEqual(events(), ["rpop l", "lpop l", "lpop l", "del l"])
        XCTAssertEqual(h.run("EXISTS", "l"), .int(0))
        XCTAssertEqual(h.run("LPOP", "l"), .null)
        XCTAssertEqual(h.run("RPOP", "l"), .null)
        XCTAssertEqual(h.run("LLEN", "l"), .int(0))
        XCTAssertEqual(h.run("LPUSH", "l"), .error("ERR wrong number of arguments for 'lpush' command"))
    }

    func testPushxOnlyOnExistingLists() {
        let (h, events) = harness()
        XCTAssertEqual(h.run("LPUSHX", "l", "a"), .int(0))
        XCTAssertEqual(h.run("RPUSHX", "l", "a", "b"), .int(0))
        XCTAssertEqual(h.run("EXISTS", "l"), .int(0))
        XCTAssertEqual(h.takePropagated(), [])
        h.run("RPUSH", "l", "m")
        XCTAssertEqual(h.run("LPUSHX", "l", "a", "b"), .int(3))
        XCTAssertEqual(h.run("RPUSHX", "l", "z"), .int(4))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["b", "a", "m", "z"]))
        XCTAssertEqual(events(), ["rpush l", "lpush l", "rpush l"])
    }

    func testIndexAndSet() {
        let (h, events) = harness()
        h.run("RPUSH", "l", "a", "b", "c")
        XCTAssertEqual(h.run("LINDEX", "l", "0"), .str("a"))
        XCTAssertEqual(h.run("LINDEX", "l", "-1"), .str("c"))
        XCTAssertEqual(h.run("LINDEX", "l", "3"), .null)
        XCTAssertEqual(h.run("LINDEX", "l", "-4"), .null)
        XCTAssertEqual(h.run("LINDEX", "l", "x"), notInteger)
        XCTAssertEqual(h.run("LINDEX", "missing", "x"), .null, "key before index, as Redis")
        XCTAssertEqual(h.run("LSET", "l", "1", "B"), .ok)
        XCTAssertEqual(h.run("LSET", "l", "-1", "12345"), .ok)
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["a", "B", "12345"]))
        XCTAssertEqual(h.run("LSET", "l", "3", "x"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("LSET", "l", "-4", "x"), .error("ERR index out of range"))
        XCTAssertEqual(h.run("LSET", "l", "x", "x"), notInteger)
        XCTAssertEqual(h.run("LSET", "missing", "x", "x"), .error("ERR no such key"))
        XCTAssertEqual(events(), ["rpush l", "lset l", "lset l"])
    }

    func testRangeArithmetic() {
        let h = Harness()
        h.run("RPUSH", "l", "0", "1", "2", "3", "4", "5")
        XCTAssertEqual(h.run("LRANGE", "l", "1", "3"), .strs(["1", "2", "3"]))
        XCTAssertEqual(h.run("LRANGE", "l", "-2", "100"), .strs(["4", "5"]))
        XCTAssertEqual(h.run("LRANGE", "l", "-100", "0"), .strs(["0"]))
        XCTAssertEqual(h.run("LRANGE", "l", "4", "2"), .array([]))
        XCTAssertEqual(h.run("LRANGE", "l", "6", "10"), .array([]))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-7"), .array([]))
        XCTAssertEqual(h.run("LRANGE", "missing", "0", "-1"), .array([]))
        XCTAssertEqual(h.run("LRANGE", "missing", "a", "-1"), notInteger, "indexes before the key, as Redis")
        XCTAssertEqual(h.run("LRANGE", "l", "0", "9223372036854775807"), .strs(["0", "1", "2", "3", "4", "5"]))
        XCTAssertEqual(h.run("LRANGE", "l", "-9223372036854775808", "1"), .strs(["0", "1"]))
    }

    func testTrim() {
        let (h, events) = harness()
        h.run("RPUSH", "l", "0", "1", "2", "3", "4", "5")
        XCTAssertEqual(h.run("LTRIM", "l", "1", "-2"), .ok)
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["1", "2", "3", "4"]))
        XCTAssertEqual(h.run("LTRIM", "l", "0", "100"), .ok)
        XCTAssertEqual(h.run("LLEN", "l"), .int(4))
        XCTAssertEqual(h.run("LTRIM", "l", "x", "1"), notInteger)
        XCTAssertEqual(h.run("LTRIM", "missing", "0", "1"), .ok)
        XCTAssertEqual(h.run("LTRIM", "l", "3", "1"), .ok)
        XCTAssertEqual(h.run("EXISTS", "l"), .int(0))
        XCTAssertEqual(events(), ["rpush l", "ltrim l", "ltrim l", "ltrim l", "del l"])
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH l 0 1 2 3 4 5", "0: LTRIM l 1 -2", "0: LTRIM l 0 100", "0: LTRIM l 3 1"])
    }

    func testRemove() {
        let (h, events) = harness()
        h.run("RPUSH", "l", "a", "b", "a", "c", "a", "1", "01")
        XCTAssertEqual(h.run("LREM", "l", "-2", "a"), .int(2))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["a", "b", "c", "1", "01"]))
        XCTAssertEqual(h.run("LREM", "l", "0", "1"), .int(1))
        XCTAssertEqual(h.run("LREM", "l", "1", "zzz"), .int(0))
        XCTAssertEqual(h.run("LREM", "l", "x", "a"), notInteger)
        XCTAssertEqual(h.run("LREM", "missing", "0", "a"), .int(0))
        XCTAssertEqual(events(), ["rpush l", "lrem l", "lrem l"])
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH l a b a c a 1 01", "0: LREM l -2 a", "0: LREM l 0 1"])
        XCTAssertEqual(h.run("LREM", "l", "0", "a"), .int(1))
        XCTAssertEqual(h.run("LREM", "l", "0", "b"), .int(1))
        XCTAssertEqual(h.run("LREM", "l", "-9223372036854775808", "c"), .int(1))
        XCTAssertEqual(h.run("LREM", "l", "0", "01"), .int(1))
        XCTAssertEqual(h.run("EXISTS", "l"), .int(0))
        XCTAssertEqual(events().suffix(2), ["lrem l", "del l"])
    }

    func testInsert() {
        let (h, events) = harness()
        h.run("RPUSH", "l", "a", "c")
        XCTAssertEqual(h.run("LINSERT", "l", "BEFORE", "c", "b"), .int(3))
        XCTAssertEqual(h.run("LINSERT", "l", "after", "c", "d"), .int(4))
        XCTAssertEqual(h.run("LINSERT", "l", "after", "zz", "d"), .int(-1))
        XCTAssertEqual(h.run("LINSERT", "l", "middle", "c", "d"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("LINSERT", "missing", "middle", "c", "d"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("LINSERT", "missing", "before", "c", "d"), .int(0))
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["a", "b", "c", "d"]))
        XCTAssertEqual(events(), ["rpush l", "linsert l", "linsert l"])
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH l a c", "0: LINSERT l BEFORE c b", "0: LINSERT l after c d"])
    }

    func testRpoplpush() {
        let (h, events) = harness()
        h.run("RPUSH", "src", "a", "b")
        XCTAssertEqual(h.run("RPOPLPUSH", "src", "dst"), .str("b"))
        XCTAssertEqual(h.run("RPOPLPUSH", "src", "dst"), .str("a"))
        XCTAssertEqual(h.run("EXISTS", "src"), .int(0))
        XCTAssertEqual(h.run("LRANGE", "dst", "0", "-1"), .strs(["a", "b"]))
        XCTAssertEqual(h.run("RPOPLPUSH", "src", "dst"), .null)
        // Same key: a rotation.
        XCTAssertEqual(h.run("RPOPLPUSH", "dst", "dst"), .str("b"))
        XCTAssertEqual(h.run("LRANGE", "dst", "0", "-1"), .strs(["b", "a"]))
        h.run("RPUSH", "one", "x")
        XCTAssertEqual(h.run("RPOPLPUSH", "one", "one"), .str("x"))
        XCTAssertEqual(h.run("LRANGE", "one", "0", "-1"), .strs(["x"]))
        XCTAssertEqual(events(), ["rpush src", "lpush dst", "rpop src", "lpush dst", "rpop src", "del src",
                                  "lpush dst", "rpop dst", "rpush one", "lpush one", "rpop one"])
        XCTAssertEqual(h.takePropagated(), ["0: RPUSH src a b", "0: RPOPLPUSH src dst", "0: RPOPLPUSH src dst",
                                            "0: RPOPLPUSH dst dst", "0: RPUSH one x", "0: RPOPLPUSH one one"])
        // A wrong destination type changes nothing.
        h.put("str", "v")
        XCTAssertEqual(h.run("RPOPLPUSH", "dst", "str"), wrongType)
        XCTAssertEqual(h.run("LLEN", "dst"), .int(2))
        XCTAssertEqual(h.run("RPOPLPUSH", "missing", "str"), .null, "a missing source answers first")
        XCTAssertEqual(h.takePropagated(), [])
    }

    func testWrongTypeEverywhere() {
        let h = Harness()
        h.put("s", "text")
        h.run("RPUSH", "l", "a")
        let commands: [[String]] = [
            ["LPUSH", "s", "a"], ["RPUSH", "s", "a"], ["LPUSHX", "s", "a"], ["RPUSHX", "s", "a"],
            ["LPOP", "s"], ["RPOP", "s"], ["LLEN", "s"], ["LINDEX", "s", "0"], ["LSET", "s", "0", "a"],
            ["LRANGE", "s", "0", "-1"], ["LTRIM", "s", "0", "1"], ["LREM", "s", "0", "a"],
            ["LINSERT", "s", "before", "a", "b"], ["RPOPLPUSH", "s", "l"], ["RPOPLPUSH", "l", "s"],
            ["BLPOP", "s", "0"], ["BRPOP", "missing", "s", "0"], ["BRPOPLPUSH", "s", "l", "0"],
            ["BRPOPLPUSH", "l", "s", "0"],
        ]
        for argv in commands {
            XCTAssertEqual(h.run(argv.map { Bytes($0) }), wrongType, argv.joined(separator: " "))
        }
        XCTAssertEqual(h.run("GET", "l"), wrongType)
        XCTAssertEqual(h.run("APPEND", "l", "x"), wrongType)
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs(["a"]))
        XCTAssertEqual(h.stored("s"), "text")
    }

    func testEncodingTypeAndDigestCommands() {
        let h = Harness()
        h.run("RPUSH", "l", "1", "two", "3")
        XCTAssertEqual(h.run("TYPE", "l"), .simple("list"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "l"), .str("quicklist"))
        let d1 = h.run("DEBUG", "DIGEST")
        h.run("LSET", "l", "0", "one")
        XCTAssertNotEqual(h.run("DEBUG", "DIGEST"), d1)
        h.run("LSET", "l", "0", "1")
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), d1)
    }

    func testConfigFillAppliesToNextWrite() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "GET", "list-max-ziplist-size"), .strs(["list-max-ziplist-size", "-2"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "list-max-ziplist-size", "4"), .ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "list-compress-depth", "1"), .ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "list-compress-depth"), .strs(["list-compress-depth", "1"]))
        h.run(["RPUSH", "l"].map { Bytes($0) } + (0..<10).map { bytesOf($0) })
        guard let i = h.server.keyspace.peek(0, Bytes("l")), case .list(let list) = h.server.keyspace.value(0, i) else {
            return XCTFail("no list")
        }
        XCTAssertEqual(list.nodeCount, 3)
        XCTAssertEqual(h.run("LRANGE", "l", "0", "-1"), .strs((0..<10).map { String($0) }))
    }

    /// The list at `key` in db 0.
    private func storedList(_ h: Harness, _ key: String) -> ListValue? {
        guard let i = h.server.keyspace.peek(0, Bytes(key)), case .list(let l) = h.server.keyspace.value(0, i) else { return nil }
        return l
    }

    func testCompressDepthAppliesToListsCreatedAfterwards() {
        let h = Harness()
        let items = (0..<30).map { String(repeating: "v", count: 50) + String($0) }
        XCTAssertEqual(h.run("CONFIG", "SET", "list-max-ziplist-size", "4"), .ok)
        h.run(["RPUSH", "plain"].map { Bytes($0) } + items.map { Bytes($0) })
        XCTAssertEqual(h.run("CONFIG", "SET", "list-compress-depth", "1"), .ok)
        h.run(["RPUSH", "packed"].map { Bytes($0) } + items.map { Bytes($0) })
        h.run("RPUSH", "plain", "tail")
        h.run("RPUSH", "packed", "tail")
        XCTAssertEqual(storedList(h, "plain")?.compressedNodeCount, 0, "made before the CONFIG SET")
        XCTAssertEqual(storedList(h, "packed")?.compressedNodeCount, 6)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "packed"), .str("quicklist"))
        // Reads and writes on the compressed interior answer as on the plain list.
        for cmd in [["LINDEX", "K", "13"], ["LSET", "K", "13", "set"], ["LINSERT", "K", "BEFORE", items[17], "ins"],
                    ["LREM", "K", "0", items[21]], ["LRANGE", "K", "5", "25"], ["LTRIM", "K", "1", "-2"],
                    ["LPOP", "K"], ["RPOP", "K"], ["LRANGE", "K", "0", "-1"], ["LLEN", "K"]] {
            let plain = h.run(cmd.map { Bytes($0 == "K" ? "plain" : $0) })
            XCTAssertEqual(h.run(cmd.map { Bytes($0 == "K" ? "packed" : $0) }), plain, "\(cmd)")
        }
        XCTAssertGreaterThan(storedList(h, "packed")?.compressedNodeCount ?? 0, 0)
        XCTAssertEqual(storedList(h, "packed")?.isConsistent, true)
        // Same contents, same digest: compression is invisible to DEBUG DIGEST.
        h.run("DEL", "plain")
        let d1 = h.run("DEBUG", "DIGEST")
        let elements = storedList(h, "packed")!.elements
        XCTAssertEqual(h.run("CONFIG", "SET", "list-compress-depth", "0"), .ok)
        h.run("DEL", "packed")
        h.run([Bytes("RPUSH"), Bytes("packed")] + elements)
        XCTAssertEqual(storedList(h, "packed")?.compressedNodeCount, 0)
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), d1)
    }

    func testCommandsMutateInPlace() {
        // Four elements per node and 40 elements: the list is a QuickList of ten nodes, so a
        // command that copied it would show in the stored QuickList's copy generation.
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "list-max-ziplist-size", "4"), .ok)
        h.run([Bytes("RPUSH"), Bytes("l")] + (0..<40).map { Bytes("e\($0)") })
        func stored() -> (nodes: Int, generation: Int)? {
            guard let i = h.server.keyspace.peek(0, Bytes("l")), case .list(let list) = h.server.keyspace.value(0, i),
                  case .nodes(let q) = list.storage else { return nil }
            return (q.nodes, q.copyGeneration)
        }
        guard let before = stored() else { return XCTFail("40 elements at 4 per node must be a QuickList") }
        XCTAssertGreaterThanOrEqual(before.nodes, 10)
        for cmd in [["LPUSH", "l", "b"], ["RPUSH", "l", "c"], ["LPOP", "l"], ["LSET", "l", "0", "x"],
                    ["LSET", "l", "20", "mid"], ["LINSERT", "l", "after", "mid", "y"], ["LREM", "l", "1", "y"],
                    ["LTRIM", "l", "0", "-3"], ["RPOPLPUSH", "l", "l"], ["BLPOP", "l", "0"], ["RPUSHX", "l", "z"]] {
            h.run(cmd.map { Bytes($0) })
            guard let now = stored() else { return XCTFail("\(cmd) left the list a single node") }
            XCTAssertGreaterThan(now.nodes, 1, "\(cmd)")
            XCTAssertEqual(now.generation, before.generation, "\(cmd) copied the list")
        }
    }

    func testBinarySafeAndLargeElements() {
        let h = Harness()
        let big = Bytes(repeating: 0, count: 70000) + [255, 13, 10]
        XCTAssertEqual(h.run([Bytes("RPUSH"), Bytes("l"), big, [], Bytes("-9223372036854775808")]), .int(3))
        XCTAssertEqual(h.run("LINDEX", "l", "0"), .bulk(big))
        XCTAssertEqual(h.run("LINDEX", "l", "1"), .bulk([]))
        XCTAssertEqual(h.run("LINDEX", "l", "2"), .str("-9223372036854775808"))
        XCTAssertEqual(h.run([Bytes("LREM"), Bytes("l"), Bytes("0"), big]), .int(1))
        XCTAssertEqual(h.run("LLEN", "l"), .int(2))
    }
}

/// Records keyspace events through a client subscribed to every keyevent channel.
final class EventRecorder {
    let h: Harness
    let subscriber: Client

    init(_ h: Harness) {
        self.h = h
        h.server.notificationClasses = [.keyevent, .all]
        subscriber = h.newClient()
        h.run("PSUBSCRIBE", "__keyevent@*__:*", as: subscriber)
    }

    /// The events since the last call, as "event key".
    func take() -> [String] {
        var out: [String] = []
        while case .array(let parts) = h.takeReply(subscriber) {
            guard parts.count == 4, case .bulk(let channel) = parts[2], case .bulk(let key) = parts[3] else { continue }
            let event = channel.text.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
            out.append("\(event) \(key.text)")
        }
        return out
    }
}
