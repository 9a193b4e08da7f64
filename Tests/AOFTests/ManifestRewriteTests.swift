// ManifestRewriteTests: the Redis 7 manifest parser (good lines, quoting,
// each refusal) and the rewrite encoding of every type (batches of 64,
// score text, PEXPIREAT), checked against the commands Redis 4.0 writes.
import XCTest
import Engine
import ChangeStream
import RDB
@testable import AOF

final class ManifestTests: XCTestCase {
    func testParsesBaseIncrementalsAndHistory() throws {
        let text = "file appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.base.rdb seq 2 type b\n"
            + "# a comment\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile \"odd name\\x41.aof\" seq 3 type i extra x\n"
        let m = try AOFManifest.parse(Bytes(text))
        XCTAssertEqual(m.filesToLoad.map { $0.name.text }, ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "odd nameA.aof"])
        XCTAssertEqual(m.history.map { $0.seq }, [1])
        XCTAssertEqual(m.base?.kind, .base)
    }

    func testRefusesWhatRedisRefuses() {
        let bad: [(String, Int)] = [
            ("", 0),
            ("file a seq 1\n", 1),
            ("file a seq 1 type b\n\n", 2),
            ("file a seq 1 type b\nfile b seq 2 type b\n", 2),
            ("file a seq 2 type i\nfile b seq 2 type i\n", 2),
            ("file a seq 1 type x\n", 1),
            ("file dir/a seq 1 type b\n", 1),
            ("file a seq 0 type b\n", 1),
            ("file \"a seq 1 type b\n", 1),
            ("file a seq 1 kind b extra\n", 1),
        ]
        for (text, line) in bad {
            XCTAssertThrowsError(try AOFManifest.parse(Bytes(text)), text) { e in
                XCTAssertEqual((e as? AOFManifestError)?.line, line, text)
            }
        }
    }

    func testResolvesTheFixtureDirectoryAndManifest() throws {
        let dir = aofFixturesDir.appendingPathComponent("redis7-preamble").path
        let set = try AOFFileSet.resolve(dir)
        XCTAssertEqual(set.files.map { $0.split(separator: "/").last! }, ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof"])
        XCTAssertEqual(set.isBase, [true, false])
        XCTAssertEqual(try AOFFileSet.resolve(set.manifestPath!), set)
        let single = try AOFFileSet.resolve(set.files[1])
        XCTAssertNil(single.manifestPath)
        XCTAssertEqual(single.files, [set.files[1]])
    }
}

final class RewriteTests: XCTestCase {
    func strings(_ cmds: [[Bytes]]) -> [[String]] { cmds.map { $0.map { $0.text } } }

    func testStringsAndExpiry() throws {
        XCTAssertEqual(strings(try AOFRewrite.commands(key: Bytes("k"), value: .string(.int(-42)), expireAtMs: 1_700_000_000_123)),
                       [["SET", "k", "-42"], ["PEXPIREAT", "k", "1700000000123"]])
        XCTAssertEqual(strings(try AOFRewrite.commands(key: Bytes("k"), value: .string(.bytes(Bytes("v"), raw: false)), expireAtMs: nil)),
                       [["SET", "k", "v"]])
    }

    func testListsAreBatchedBy64() throws {
        let items = (0..<130).map { bytesOf($0) } + [Bytes("text")]
        let cmds = try AOFRewrite.commands(key: Bytes("l"), value: .list(ListValue(items)), expireAtMs: nil)
        XCTAssertEqual(cmds.map { $0.count }, [66, 66, 5])
        XCTAssertTrue(cmds.allSatisfy { $0[0] == Bytes("RPUSH") && $0[1] == Bytes("l") })
        XCTAssertEqual(cmds.flatMap { $0.dropFirst(2) }, items)
    }

    func testSetsHashesAndSortedSets() throws {
        let members = (0..<70).map { Bytes("m\($0)") }
        let set = SetValue(members: members, limits: EncodingLimits())
        let sadd = try AOFRewrite.commands(key: Bytes("s"), value: .set(set), expireAtMs: nil)
        XCTAssertEqual(sadd.map { $0.count }, [66, 8])
        XCTAssertEqual(Set(sadd.flatMap { $0.dropFirst(2) }), Set(members))

        let pairs = (0..<65).map { (Bytes("f\($0)"), Bytes("v\($0)")) }
        let hash = HashValue(pairs: pairs, limits: EncodingLimits())
        let hmset = try AOFRewrite.commands(key: Bytes("h"), value: .hash(hash), expireAtMs: 5)
        XCTAssertEqual(hmset.map { $0.count }, [130, 4, 3])
        XCTAssertEqual(hmset[0][0], Bytes("HMSET"))
        XCTAssertEqual(strings([hmset[2]]), [["PEXPIREAT", "h", "5"]])

        let scores: [Double] = [3, 1.5, 0.1, -2.5e-7, 1e20, .infinity, -.infinity]
        let z = SortedSetValue(entries: scores.enumerated().map { SortedSetEntry(member: Bytes("m\($0.offset)"), score: $0.element) },
                               limits: EncodingLimits())
        let zadd = strings(try AOFRewrite.commands(key: Bytes("z"), value: .zset(z), expireAtMs: nil))
        XCTAssertEqual(zadd.count, 1)
        let byMember = Dictionary(uniqueKeysWithValues: stride(from: 2, to: zadd[0].count, by: 2).map { (zadd[0][$0 + 1], zadd[0][$0]) })
        XCTAssertEqual(byMember, ["m0": "3", "m1": "1.5", "m2": "0.10000000000000001", "m3": "-2.4999999999999999e-07",
                                  "m4": "1e+20", "m5": "inf", "m6": "-inf"])
    }

    func testRDBEntriesEncodeTheSameWay() {
        let entry = RDBEntry(db: 0, key: Bytes("z"), value: .zset([ZMember(Bytes("a"), 2)]), expireMs: 9)
        var e = CommandEncoder(selectedDB: 0)
        XCTAssertTrue(AOFRewrite.append(entry, to: &e))
        XCTAssertEqual(strings(splitCommands(e.buffer)), [["ZADD", "z", "2", "a"], ["PEXPIREAT", "z", "9"]])
        XCTAssertFalse(AOFRewrite.append(RDBEntry(db: 0, key: Bytes("s"), value: .unsupported(typeName: "stream", typeByte: 15, fingerprint: 0)), to: &e))
    }
}
