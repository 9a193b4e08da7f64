// Support: helpers shared by the RDB tests (fixture paths, reading a buffer).
import Foundation
import Engine
@testable import RDB

let fixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/rdb")

func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: fixturesDir.appendingPathComponent(name)))
}

func readAll(_ bytes: [UInt8]) throws -> (version: Int, aux: [(Bytes, Bytes)], entries: [RDBEntry]) {
    var r = RDBReader(MemorySource(bytes))
    return try r.readAll()
}

func events(_ bytes: [UInt8]) throws -> [RDBEvent] {
    var r = RDBReader(MemorySource(bytes))
    var out: [RDBEvent] = []
    while let e = try r.next() { out.append(e) }
    return out
}

/// Writes entries (grouped by db) as an RDB 8 stream in memory.
func writeRDB(_ entries: [RDBEntry], compression: Bool = true, checksum: Bool = true) throws -> [UInt8] {
    var w = RDBWriter(MemorySink())
    w.compression = compression; w.checksum = checksum
    try w.header()
    try w.standardAux(ctime: 1_700_000_000, usedMem: 1_000_000, replStreamDB: 0,
                      replID: Array("0123456789abcdef0123456789abcdef01234567".utf8), replOffset: 42, aofPreamble: false)
    let dbs = Set(entries.map { $0.db }).sorted()
    for db in dbs {
        let es = entries.filter { $0.db == db }
        try w.selectDB(db)
        try w.resizeDB(dbSize: es.count, expiresSize: es.filter { $0.expireMs != nil }.count)
        for e in es { try w.entry(e) }
    }
    try w.finish()
    return w.sink.bytes
}

/// A value in a canonical order so collections compare regardless of stored order.
func canonical(_ v: RDBValue) -> RDBValue {
    switch v {
    case .set(let s): return .set(s.sorted { $0.lexicographicallyPrecedes($1) })
    case .hash(let h): return .hash(h.sorted { $0.field.lexicographicallyPrecedes($1.field) })
    case .zset(let z): return .zset(z.sorted { $0.score != $1.score ? $0.score < $1.score : $0.member.lexicographicallyPrecedes($1.member) })
    default: return v
    }
}

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}
