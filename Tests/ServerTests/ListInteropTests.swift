// ListInteropTests: lists next to real redis-server 7.0. The same list commands
// get the same replies and leave the same DEBUG DIGEST; and Redis loads Cairn's
// quicklist nodes, written as an RDB quicklist (type 14) of ziplists, with deep
// payload sanitization on, reading back every element.
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import NIOCore
import RESP
import Engine
import CairnTestSupport
@testable import Server

final class ListInteropTests: XCTestCase {
    private func startRedis(_ dir: TempDir, _ extra: [String] = []) throws -> (RedisServer, SocketClient)? {
        guard let redis = RedisServer(directory: dir.path, extra: ["--enable-debug-command", "yes"] + extra) else {
            XCTFail("redis-server (Debian's 7.0) is a test peer and must be installed")
            return nil
        }
        return (redis, try connectWhenReady(redis.port))
    }

    func testSameRepliesAndDigestAsRedis() throws {
        let dir = TempDir()
        defer { dir.remove() }
        guard let (redis, client) = try startRedis(dir) else { return }
        defer { redis.stop() }
        let h = Harness()
        var rng = SplitMix64(seed: 7)
        let keys = ["a", "b", "c"]
        let values = ["x", "y", "1", "-5", "300", "70000", "9999999999", "01", "", String(repeating: "z", count: 300)]
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func index() -> String { String(Int(rng.next() % 14) - 7) }
        for step in 0..<1500 {
            let k = pick(keys)
            let argv: [String]
            switch rng.next() % 14 {
            case 0, 1: argv = ["RPUSH", k] + (0..<(1 + Int(rng.next() % 4))).map { _ in pick(values) }
            case 2, 3: argv = ["LPUSH", k] + (0..<(1 + Int(rng.next() % 4))).map { _ in pick(values) }
            case 4: argv = [pick(["LPOP", "RPOP"]), k]
            case 5: argv = ["LSET", k, index(), pick(values)]
            case 6: argv = ["LINSERT", k, pick(["BEFORE", "after", "sideways"]), pick(values), pick(values)]
            case 7: argv = ["LREM", k, index(), pick(values)]
            case 8: argv = ["LTRIM", k, index(), index()]
            case 9: argv = ["LINDEX", k, pick([index(), "x"])]
            case 10: argv = ["LRANGE", k, index(), index()]
            case 11: argv = ["RPOPLPUSH", k, pick(keys)]
            case 12: argv = [pick(["LPUSHX", "RPUSHX"]), k, pick(values)]
            default: argv = rng.next() % 3 == 0 ? ["SET", k, "string"] : ["LLEN", k]
            }
            let theirs = try client.command(argv)
            let ours = h.run(argv.map { Bytes($0) })
            XCTAssertEqual(ours, theirs, "\(rng) step \(step): \(argv)")
            if step % 100 == 99 {
                XCTAssertEqual(h.run("DEBUG", "DIGEST"), try client.command(["DEBUG", "DIGEST"]), "\(rng) step \(step)")
            }
        }
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), try client.command(["DEBUG", "DIGEST"]))
    }

    func testRedisLoadsCairnNodes() throws {
        let lists: [(String, [Bytes], Int)] = [
            ("ints", ["0", "12", "13", "-128", "127", "300", "-32768", "40000", "-8388608", "8388608",
                      "2147483647", "-2147483649", "9223372036854775807", "-9223372036854775808"].map { Bytes($0) }, -2),
            ("strings", [Bytes(), Bytes("01"), Bytes(repeating: 97, count: 63), Bytes(repeating: 98, count: 64),
                         Bytes(repeating: 99, count: 16383), Bytes(repeating: 100, count: 16384), [0, 255, 13, 10]], -2),
            ("prevlens", (0..<40).map { Bytes(repeating: UInt8(65 + $0 % 26), count: 240 + $0 % 30) }, -2),
            ("nodes", (0..<100).map { bytesOf($0 * 7919) }, 3),
            ("big", (0..<5000).map { Bytes("element:\($0)".utf8) }, -1),
        ]
        var rdb = Bytes("REDIS0009".utf8)
        rdb += [0xFE, 0x00]
        var edited: [(String, ListValue)] = []
        for (key, elements, fill) in lists {
            var list = ListValue()
            for (i, e) in elements.enumerated() { list.push(e, atHead: i % 2 == 0, fill: fill) }
            // Some edits in the middle, so nodes are not only built by pushes.
            _ = list.insert(Bytes("inserted"), pivot: list.element(at: list.count / 2)!, after: true, fill: fill)
            _ = list.replace(at: 1, with: Bytes(repeating: 120, count: 260))
            _ = list.remove(list.element(at: list.count - 2)!, limit: -1)
            XCTAssertTrue(list.isConsistent, key)
            edited.append((key, list))
            rdb += [14]
            rdb += rdbString(Bytes(key.utf8))
            rdb += rdbLength(list.nodeCount)
            for node in list.packedNodes { rdb += rdbString(node) }
        }
        rdb += [0xFF] + [UInt8](repeating: 0, count: 8)
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("lists.rdb", rdb)
        guard let (redis, client) = try startRedis(dir, ["--dbfilename", "lists.rdb", "--sanitize-dump-payload", "yes"]) else { return }
        defer { redis.stop() }
        let h = Harness()
        for (key, list) in edited {
            let theirs = try client.command(["LRANGE", key, "0", "-1"])
            XCTAssertEqual(theirs, .array(list.elements.map { .bulk($0) }), key)
            h.server.keyspace.add(0, Bytes(key.utf8), .list(list))
        }
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), try client.command(["DEBUG", "DIGEST"]))
    }

    private func rdbLength(_ n: Int) -> Bytes {
        if n < 64 { return [UInt8(n)] }
        if n < 16384 { return [0x40 | UInt8(n >> 8), UInt8(n & 0xFF)] }
        return [0x80, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    private func rdbString(_ b: Bytes) -> Bytes { rdbLength(b.count) + b }
}

extension SocketClient {
    /// Sends one command given as an array and reads its reply.
    func command(_ args: [String]) throws -> RESPValue {
        var b = ByteBuffer()
        b.writeCommand(args.map { Array($0.utf8) })
        send(Array(b.readableBytesView))
        return try reply()
    }
}
