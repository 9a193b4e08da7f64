// FixtureTests: files written by real redis-server 7.0 (tools/make-rdb-fixtures.py)
// read back to exactly the dataset in the JSON sidecar.
import XCTest
import Foundation
import Engine
@testable import RDB

final class FixtureTests: XCTestCase {
    struct Expected { var db: Int; var key: Bytes; var value: RDBValue; var expire: Int64?; var encoding: String }

    func expected() throws -> [Expected] {
        let data = try Data(contentsOf: fixturesDir.appendingPathComponent("redis7-all.json"))
        let list = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return list.map { d in
            let v: RDBValue
            switch d["type"] as! String {
            case "string": v = .string(unhex(d["value"] as! String))
            case "list": v = .list((d["value"] as! [String]).map(unhex))
            case "set": v = .set((d["value"] as! [String]).map(unhex))
            case "zset": v = .zset((d["value"] as! [[String]]).map { ZMember(unhex($0[0]), Double($0[1])!) })
            default: v = .hash((d["value"] as! [[String]]).map { HashField(unhex($0[0]), unhex($0[1])) })
            }
            return Expected(db: d["db"] as! Int, key: unhex(d["key"] as! String), value: v,
                            expire: (d["expire_ms"] as? NSNumber)?.int64Value, encoding: d["encoding"] as! String)
        }
    }

    func check(_ file: String, wantChecksum: Bool) throws {
        let bytes = try fixture(file)
        let evs = try events(bytes)
        XCTAssertEqual(evs.first, .header(version: 10))
        guard case .end(let sum, let verified)? = evs.last else { return XCTFail("no end event") }
        XCTAssertEqual(verified, wantChecksum)
        XCTAssertEqual(sum == 0, !wantChecksum)
        let (_, aux, entries) = try readAll(bytes)
        XCTAssertTrue(aux.contains { $0.0 == Bytes("redis-ver") && $0.1.text.hasPrefix("7.0") })
        let want = try expected()
        XCTAssertEqual(entries.count, want.count)
        var byKey: [String: RDBEntry] = [:]
        for e in entries { byKey["\(e.db):\(e.key.hex)"] = e }
        var typesSeen = Set<RDBType>()
        for w in want {
            guard let got = byKey["\(w.db):\(w.key.hex)"] else { XCTFail("missing \(printableKey(w.key))"); continue }
            XCTAssertEqual(canonical(got.value), canonical(w.value), printableKey(w.key))
            XCTAssertEqual(got.expireMs, w.expire, printableKey(w.key))
            if let t = got.type { typesSeen.insert(t) }
        }
        // Both the compact and the big encodings of every type occur.
        let needed: Set<RDBType> = [.string, .listQuicklist2, .setIntset, .set, .zsetListpack, .zset2, .hashListpack, .hash]
        XCTAssertTrue(needed.isSubset(of: typesSeen), "types seen: \(typesSeen)")
    }

    func testRedis7FileWithChecksumAndCompression() throws { try check("redis7-all.rdb", wantChecksum: true) }
    func testRedis7FileWithoutChecksumOrCompression() throws { try check("redis7-nochecksum.rdb", wantChecksum: false) }

    func testUnsupportedTypesAreSkippedAndNamed() throws {
        let evs = try events(try fixture("redis7-unsupported.rdb"))
        var keys: [String] = [], unsupported: [(String, Int)] = [], functions = 0
        for e in evs {
            switch e {
            case .entry(let en):
                keys.append(en.key.text)
                if case .unsupported(let name, _, _) = en.value { unsupported.append((name, en.offset)) }
            case .function(let code, _):
                functions += 1
                XCTAssertTrue(code.text.contains("mylib"))
            default: break
            }
        }
        XCTAssertEqual(keys.sorted(), ["after", "before", "stream"])
        XCTAssertEqual(unsupported.map { $0.0 }, ["stream"])
        XCTAssertGreaterThan(unsupported[0].1, 9)
        XCTAssertEqual(functions, 1)
        // What a server load does with it: an error naming key, type and offset.
        let (_, _, entries) = try readAll(try fixture("redis7-unsupported.rdb"))
        XCTAssertNoThrow(try entries[0].requireSupported())
        let stream = entries.first { $0.key == Bytes("stream") }!
        XCTAssertThrowsError(try stream.requireSupported()) { e in
            let err = e as! RDBError
            XCTAssertEqual(err.key, Bytes("stream"))
            XCTAssertEqual(err.offset, stream.offset)
            XCTAssertTrue(err.description.contains("stream"), err.description)
        }
    }
}
