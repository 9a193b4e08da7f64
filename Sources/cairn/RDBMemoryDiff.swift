// RDBMemoryDiff: `cairn rdb memory` (the biggest keys, or every key as CSV)
// and `cairn rdb diff A B` (keys and values that differ between two files).
//
// Contract: memory measures each key by its serialized size in the file (the
// bytes from its first opcode to the next item), plus element count and the
// longest element; --top N keeps the N biggest (a bounded heap, so memory
// stays small), --csv prints every key. diff prints "- db key" (only in A),
// "+ db key" (only in B), "~ db key: what" (different), exit 1 if any.
// Tricky bit: diff compares collections as sets/maps (stored order of sets and
// hashes is not meaningful), lists in order, and expiry times exactly.
import ArgumentParser
import Engine
import RDB

struct RDBMemory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory", abstract: "Report the biggest keys by serialized size.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String
    @Option(help: "How many keys to list.") var top: Int = 20
    @Flag(help: "Print every key as CSV instead.") var csv = false
    @OptionGroup var filter: KeyFilter

    struct Row { var db: Int; var key: Bytes; var type: String; var encoding: String; var size: Int; var count: Int; var largest: Int; var expire: Int64? }

    func run() throws {
        var rows: [Row] = []
        var total = 0, keys = 0
        if csv { writeOut("database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry\n") }
        try reportingDamage(file) {
            try scanRDB(file) { ev, end in
                guard case .entry(let e) = ev, filter.accepts(e) else { return true }
                let size = end - e.offset
                var largest = 0
                switch e.value {
                case .string(let s): largest = s.count
                case .list(let l), .set(let l): largest = l.map { $0.count }.max() ?? 0
                case .zset(let z): largest = z.map { $0.member.count }.max() ?? 0
                case .hash(let h): largest = h.map { Swift.max($0.field.count, $0.value.count) }.max() ?? 0
                case .module, .unsupported: break
                case .engine: preconditionFailure(engineModeUnused)
                }
                let row = Row(db: e.db, key: e.key, type: e.value.typeName, encoding: e.type?.encodingName ?? "",
                              size: size, count: e.value.count, largest: largest, expire: e.expireMs)
                total += size; keys += 1
                if csv {
                    writeOut("\(row.db),\(row.type),\(csvField(row.key)),\(row.size),\(row.encoding),\(row.count),\(row.largest),\(row.expire.map(String.init) ?? "")\n")
                } else {
                    rows.append(row)
                    if rows.count > top * 2 + 64 { rows.sort { $0.size > $1.size }; rows.removeLast(rows.count - top) }
                }
                return true
            }
        }
        if csv { return }
        rows.sort { $0.size > $1.size }
        writeOut("\(keys) keys, \(total) bytes serialized\n")
        for r in rows.prefix(top) {
            writeOut("\(r.size)\tdb\(r.db)\t\(r.type)\t\(r.encoding)\t\(r.count) elements\t\(printableKey(r.key))\n")
        }
    }
}

func csvField(_ b: Bytes) -> String {
    let s = printableKey(b)
    guard s.contains(",") else { return s }
    return "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
}

struct RDBDiff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare the datasets of two RDB files.")
    @Argument(help: "The first RDB file.") var a: String
    @Argument(help: "The second RDB file.") var b: String

    struct Key: Hashable { var db: Int; var key: Bytes }

    func run() throws {
        // File A is held as fingerprints (a few words a key), not values, so the
        // memory is bounded by the key count, not the data.
        var left: [Key: ValueFingerprint] = [:]
        try reportingDamage(a) {
            try scanRDB(a) { ev, _ in
                if case .entry(let e) = ev { left[Key(db: e.db, key: e.key)] = ValueFingerprint(e) }
                return true
            }
        }
        var differences = 0
        try reportingDamage(b) {
            try scanRDB(b) { ev, _ in
                guard case .entry(let e) = ev else { return true }
                let k = Key(db: e.db, key: e.key)
                guard let l = left.removeValue(forKey: k) else {
                    writeOut("+ db\(e.db) \(printableKey(e.key))\n"); differences += 1; return true
                }
                if let what = l.difference(to: ValueFingerprint(e)) {
                    writeOut("~ db\(e.db) \(printableKey(e.key)): \(what)\n"); differences += 1
                }
                return true
            }
        }
        let gone = left.keys.sorted { $0.db != $1.db ? $0.db < $1.db : $0.key.lexicographicallyPrecedes($1.key) }
        for k in gone {
            writeOut("- db\(k.db) \(printableKey(k.key))\n"); differences += 1
        }
        writeOut(differences == 0 ? "same dataset\n" : "\(differences) differences\n")
        if differences > 0 { throw ExitCode(1) }
    }
}

/// What `diff` keeps of a value: its type, expiry, size and a 128-bit digest of
/// its contents. Sets, hashes and sorted sets digest order-insensitively (their
/// stored order means nothing), lists and strings in order; values Cairn does
/// not hold (streams, modules) by the CRC64 of their serialized bytes.
struct ValueFingerprint: Equatable {
    var typeName: String
    var expireMs: Int64?
    /// Elements, or bytes for a string.
    var size: Int
    var digest: (UInt64, UInt64)

    init(_ e: RDBEntry) {
        typeName = e.value.typeName
        expireMs = e.expireMs
        switch e.value {
        case .string(let s):
            size = s.count
            digest = Self.ordered([s])
        case .list(let l):
            size = l.count
            digest = Self.ordered(l)
        case .set(let members):
            size = members.count
            digest = Self.unordered(members.map { [$0] })
        case .hash(let fields):
            size = fields.count
            digest = Self.unordered(fields.map { [$0.field, $0.value] })
        case .zset(let members):
            size = members.count
            digest = Self.unordered(members.map { [$0.member, withUnsafeBytes(of: $0.score.bitPattern) { Bytes($0) }] })
        case .module(let id, let fields):
            size = fields.count
            digest = Self.ordered([bytesOf(Int64(bitPattern: id))] + fields.map { Bytes(String(describing: $0).utf8) })
        case .unsupported(_, _, let crc):
            size = 0
            digest = (crc, 0)
        case .engine:
            preconditionFailure(engineModeUnused)
        }
    }

    static func == (x: ValueFingerprint, y: ValueFingerprint) -> Bool {
        x.typeName == y.typeName && x.expireMs == y.expireMs && x.size == y.size && x.digest == y.digest
    }

    /// Two independent 64-bit hashes of `parts` (each part length-prefixed, so splits cannot collide).
    private static func hash(_ parts: [Bytes]) -> (UInt64, UInt64) {
        var h1 = Hasher(), h2 = Hasher()
        h2.combine(0x5EED)
        for p in parts {
            h1.combine(p.count); h1.combine(bytes: UnsafeRawBufferPointer(start: p, count: p.count))
            h2.combine(p.count); h2.combine(bytes: UnsafeRawBufferPointer(start: p, count: p.count))
        }
        return (UInt64(bitPattern: Int64(h1.finalize())), UInt64(bitPattern: Int64(h2.finalize())))
    }

    private static func ordered(_ items: [Bytes]) -> (UInt64, UInt64) { hash(items) }

    /// A sum of per-element hashes: the same whatever the order.
    private static func unordered(_ elements: [[Bytes]]) -> (UInt64, UInt64) {
        elements.reduce((0, 0)) { sum, parts in
            let h = hash(parts)
            return (sum.0 &+ h.0, sum.1 &+ h.1)
        }
    }

    /// What differs between this version of a key and `other`, or nil when they hold the same data.
    func difference(to other: ValueFingerprint) -> String? {
        if typeName != other.typeName { return "type \(typeName) -> \(other.typeName)" }
        if expireMs != other.expireMs {
            return "expiry \(expireMs.map(String.init) ?? "none") -> \(other.expireMs.map(String.init) ?? "none")"
        }
        if self == other { return nil }
        switch typeName {
        case "set": return "members differ (\(size) -> \(other.size))"
        case "hash": return "fields differ (\(size) -> \(other.size))"
        case "zset": return "members or scores differ (\(size) -> \(other.size))"
        case "list": return "elements differ (\(size) -> \(other.size))"
        case "string": return "value differs (\(size) -> \(other.size) bytes)"
        default: return "values differ"
        }
    }
}
