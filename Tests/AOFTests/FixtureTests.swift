// FixtureTests: the multi-part AOF directories real redis-server 7.0 wrote
// (tools/make-aof-fixtures.py) read back, applied to a small model of the
// commands they hold, give exactly the dataset Redis held
// (fixtures/aof/redis7-dataset.json). Also the Redis 4.0 single-file form:
// the preamble base and the incremental log concatenated.
import Foundation
import XCTest
import Engine
import RDB
@testable import AOF

/// A tiny model of the dataset, enough for the commands in the fixtures.
struct Model {
    enum V: Equatable { case string(Bytes), list([Bytes]), set(Set<Bytes>), zset([Bytes: Double]), hash([Bytes: Bytes]) }
    struct Key: Hashable { var db: Int; var key: Bytes }
    var data: [Key: V] = [:]
    var expires: [Key: Int64] = [:]

    mutating func apply(_ e: RDBEntry) {
        let k = Key(db: e.db, key: e.key)
        switch e.value {
        case .string(let s): data[k] = .string(s)
        case .list(let l): data[k] = .list(l)
        case .set(let s): data[k] = .set(Set(s))
        case .zset(let z): data[k] = .zset(Dictionary(z.map { ($0.member, $0.score) }, uniquingKeysWith: { $1 }))
        case .hash(let h): data[k] = .hash(Dictionary(h.map { ($0.field, $0.value) }, uniquingKeysWith: { $1 }))
        case .module, .unsupported: XCTFail("unsupported entry")
        case .engine: XCTFail("engine-mode entry from a neutral reader")
        }
        expires[k] = e.expireMs
    }

    mutating func apply(_ c: AOFCommand) {
        let name = c.argv[0].text.uppercased(), a = c.argv
        let k = a.count > 1 ? Key(db: c.db, key: a[1]) : Key(db: c.db, key: [])
        switch name {
        case "SELECT", "MULTI", "EXEC": break
        case "SET":
            data[k] = .string(a[2])
            let opts = a.dropFirst(3).map { $0.text.uppercased() }
            if let i = opts.firstIndex(of: "PXAT") { expires[k] = Int64(a[3 + i + 1].text)! } else if !opts.contains("KEEPTTL") { expires[k] = nil }
        case "RPUSH":
            guard case .list(let l)? = data[k] ?? .list([]) else { return XCTFail("RPUSH on another type") }
            data[k] = .list(l + a.dropFirst(2))
        case "LPOP":
            guard case .list(var l)? = data[k] else { return XCTFail("LPOP on a missing list") }
            l.removeFirst()
            data[k] = .list(l)
        case "SADD", "SREM":
            guard case .set(var s)? = data[k] ?? .set([]) else { return XCTFail("\(name) on another type") }
            for m in a.dropFirst(2) { if name == "SADD" { s.insert(m) } else { s.remove(m) } }
            data[k] = .set(s)
        case "ZADD":
            guard case .zset(var z)? = data[k] ?? .zset([:]) else { return XCTFail("ZADD on another type") }
            for i in stride(from: 2, to: a.count, by: 2) { z[a[i + 1]] = a[i].parseDouble() ?? (a[i].text == "inf" ? .infinity : -.infinity) }
            data[k] = .zset(z)
        case "HSET", "HMSET":
            guard case .hash(var h)? = data[k] ?? .hash([:]) else { return XCTFail("\(name) on another type") }
            for i in stride(from: 2, to: a.count, by: 2) { h[a[i]] = a[i + 1] }
            data[k] = .hash(h)
        case "DEL":
            for key in a.dropFirst() { data[Key(db: c.db, key: key)] = nil; expires[Key(db: c.db, key: key)] = nil }
        case "PEXPIREAT":
            expires[k] = Int64(a[2].text)!
        default:
            XCTFail("command \(name) not in the model")
        }
    }

    /// The model in the sidecar's form: db, key hex -> (type, canonical value, expiry).
    var normalized: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in data {
            let text: String
            switch v {
            case .string(let s): text = "string " + s.hexString
            case .list(let l): text = "list " + l.map { $0.hexString }.joined(separator: ",")
            case .set(let s): text = "set " + s.map { $0.hexString }.sorted().joined(separator: ",")
            case .zset(let z): text = "zset " + z.map { "\($0.key.hexString)=\($0.value)" }.sorted().joined(separator: ",")
            case .hash(let h): text = "hash " + h.map { "\($0.key.hexString)=\($0.value.hexString)" }.sorted().joined(separator: ",")
            }
            out["\(k.db)/\(k.key.hexString)"] = text + " exp=\(expires[k].map(String.init) ?? "-")"
        }
        return out
    }
}

final class FixtureTests: XCTestCase {
    func expected() throws -> [String: String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: aofFixturesDir.appendingPathComponent("redis7-dataset.json"))) as! [String: Any]
        var out: [String: String] = [:]
        for k in json["keys"] as! [[String: Any]] {
            let type = k["type"] as! String
            let text: String
            switch type {
            case "string": text = k["value"] as! String
            case "list": text = (k["value"] as! [String]).joined(separator: ",")
            case "set": text = (k["value"] as! [String]).sorted().joined(separator: ",")
            case "zset": text = (k["value"] as! [[String]]).map { "\($0[0])=\(Double($0[1])!)" }.sorted().joined(separator: ",")
            default: text = (k["value"] as! [[String]]).map { "\($0[0])=\($0[1])" }.sorted().joined(separator: ",")
            }
            let exp = (k["expire_ms"] as? NSNumber).map { String($0.int64Value) } ?? "-"
            out["\(k["db"] as! Int)/\(k["key"] as! String)"] = "\(type) \(text) exp=\(exp)"
        }
        return out
    }

    func assertSame(_ got: [String: String], _ want: [String: String], _ what: String, line: UInt = #line) {
        for k in Set(got.keys).union(want.keys) where got[k] != want[k] {
            XCTFail("\(what): key \(k): got \(got[k]?.prefix(120) ?? "nothing"), want \(want[k]?.prefix(120) ?? "nothing")", line: line)
        }
    }

    func load<S: ByteSource>(_ source: S, into model: inout Model) throws -> ReadOutcome {
        let out = readOutcome(source)
        XCTAssertNil(out.error)
        for item in out.items {
            switch item {
            case .preamble(.entry(let e)): model.apply(e)
            case .command(let c): model.apply(c)
            default: break
            }
        }
        return out
    }

    func testEachRedis7DirectoryHoldsTheDataset() throws {
        let want = try expected()
        XCTAssertEqual(want.count, 29)
        for name in ["redis7-preamble", "redis7-plain", "redis7-annotated"] {
            let set = try AOFFileSet.resolve(aofFixturesDir.appendingPathComponent(name).path)
            var model = Model()
            for f in set.files { _ = try load(try FileSource(path: f), into: &model) }
            assertSame(model.normalized, want, name)
        }
    }

    func testPreambleAndTailInOneFileAsRedis4WritesIt() throws {
        let base = try fixtureBytes("redis7-preamble/appendonly.aof.2.base.rdb")
        let tail = try fixtureBytes("redis7-preamble/appendonly.aof.2.incr.aof")
        for step in [100_000, 5] {
            var model = Model()
            let out = try load(DribbleSource(base + tail, step: step), into: &model)
            assertSame(model.normalized, try expected(), "mixed file, step \(step)")
            XCTAssertEqual(out.commands.first?.offset, base.count)
            XCTAssertEqual(out.commands.last?.end, base.count + tail.count)
            XCTAssertTrue(out.items.contains { if case .preamble(.aux(let k, _)) = $0 { return k == Bytes("aof-base") } else { return false } })
        }
    }
}
