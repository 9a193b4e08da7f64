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
                case .unsupported: break
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
        var left: [Key: RDBEntry] = [:]
        try reportingDamage(a) {
            try scanRDB(a) { ev, _ in
                if case .entry(let e) = ev { left[Key(db: e.db, key: e.key)] = e }
                return true
            }
        }
        var differences = 0
        var seen = Set<Key>()
        try reportingDamage(b) {
            try scanRDB(b) { ev, _ in
                guard case .entry(let e) = ev else { return true }
                let k = Key(db: e.db, key: e.key)
                seen.insert(k)
                guard let l = left[k] else {
                    writeOut("+ db\(e.db) \(printableKey(e.key))\n"); differences += 1; return true
                }
                left[k] = nil
                if let what = difference(l, e) { writeOut("~ db\(e.db) \(printableKey(e.key)): \(what)\n"); differences += 1 }
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

/// What differs between two versions of a key, or nil when they hold the same data.
func difference(_ x: RDBEntry, _ y: RDBEntry) -> String? {
    if x.value.typeName != y.value.typeName { return "type \(x.value.typeName) -> \(y.value.typeName)" }
    if x.expireMs != y.expireMs { return "expiry \(x.expireMs.map(String.init) ?? "none") -> \(y.expireMs.map(String.init) ?? "none")" }
    switch (x.value, y.value) {
    case (.set(let a), .set(let b)): return Set(a) == Set(b) ? nil : "members differ (\(a.count) -> \(b.count))"
    case (.hash(let a), .hash(let b)):
        let da = Dictionary(a.map { ($0.field, $0.value) }, uniquingKeysWith: { p, _ in p })
        let db = Dictionary(b.map { ($0.field, $0.value) }, uniquingKeysWith: { p, _ in p })
        return da == db ? nil : "fields differ (\(a.count) -> \(b.count))"
    case (.zset(let a), .zset(let b)):
        let da = Dictionary(a.map { ($0.member, $0.score.bitPattern) }, uniquingKeysWith: { p, _ in p })
        let db = Dictionary(b.map { ($0.member, $0.score.bitPattern) }, uniquingKeysWith: { p, _ in p })
        return da == db ? nil : "members or scores differ (\(a.count) -> \(b.count))"
    case (.list(let a), .list(let b)): return a == b ? nil : "elements differ (\(a.count) -> \(b.count))"
    case (.string(let a), .string(let b)): return a == b ? nil : "value differs (\(a.count) -> \(b.count) bytes)"
    default: return x.value == y.value ? nil : "values differ"
    }
}
