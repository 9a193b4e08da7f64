// RDBCheckInfo: `cairn rdb check` (validate the whole file, like
// redis-check-rdb) and `cairn rdb info` (summarise it).
//
// Contract: both print the version, the aux fields and counts per database
// and type; check also says whether the checksum was verified, reports a
// damaged file's offset, key and fault (exit 1), and lists keys of types
// Cairn cannot load (exit 3). Tricky bit: counts printed before the damage
// are still useful, so the summary is printed for damaged files too.
import ArgumentParser
import Engine
import RDB

/// What a pass over a file found.
struct RDBSummary {
    var version = 0
    var aux: [(Bytes, Bytes)] = []
    var keys: [Int: Int] = [:], expires: [Int: Int] = [:]
    var types: [Int: [String: Int]] = [:]
    var encodings: [String: Int] = [:]
    /// Per database, keys counted by RDB type byte (names are looked up at the end:
    /// hashing a type and an encoding name per key made the check slow).
    var typeBytes: [Int: [Int]] = [:]
    var lastDB = -1, lastCounts: [Int] = []
    var unsupported: [(RDBEntry)] = []
    var functions = 0, moduleAux = 0
    var end: RDBEvent?
    var bytes = 0

    mutating func add(_ ev: RDBEvent, _ offset: Int) {
        bytes = offset
        switch ev {
        case .header(let v): version = v
        case .aux(let k, let v): aux.append((k, v))
        case .function: functions += 1
        case .moduleAux: moduleAux += 1
        case .end: end = ev
        case .entry(let e):
            keys[e.db, default: 0] += 1
            if e.expireMs != nil { expires[e.db, default: 0] += 1 }
            if e.value.isModuleOrUnsupported {
                unsupported.append(e)
                types[e.db, default: [:]][e.value.typeName, default: 0] += 1
                if let t = e.type { encodings[t.encodingName, default: 0] += 1 }
            } else if let t = e.type {
                if e.db != lastDB { flushCounts(); lastDB = e.db; lastCounts = typeBytes.removeValue(forKey: e.db) ?? Array(repeating: 0, count: 256) }
                lastCounts[Int(t.rawValue)] += 1
            } else {
                types[e.db, default: [:]][e.value.typeName, default: 0] += 1
            }
        default: break
        }
    }

    /// Moves the current database's type-byte counts back into `typeBytes`.
    mutating func flushCounts() {
        if lastDB >= 0 { typeBytes[lastDB] = lastCounts }
        lastDB = -1; lastCounts = []
    }

    /// Folds the type-byte counts into the named tallies (before printing).
    mutating func finish() {
        flushCounts()
        for (db, counts) in typeBytes {
            for (raw, n) in counts.enumerated() where n > 0 {
                guard let t = RDBType(rawValue: UInt8(raw)) else { continue }
                types[db, default: [:]][t.typeName, default: 0] += n
                encodings[t.encodingName, default: 0] += n
            }
        }
        typeBytes = [:]
    }

    mutating func print() {
        finish()
        writeOut("RDB version: \(version)\n")
        for (k, v) in aux { writeOut("aux \(printableKey(k)) = \(printableKey(v))\n") }
        for db in keys.keys.sorted() {
            let t = (types[db] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            writeOut("db\(db): keys=\(keys[db] ?? 0) expires=\(expires[db] ?? 0) \(t)\n")
        }
        if !encodings.isEmpty {
            writeOut("encodings: " + encodings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "\n")
        }
        if functions > 0 { writeOut("function libraries: \(functions)\n") }
        if moduleAux > 0 { writeOut("module aux records: \(moduleAux)\n") }
    }
}

struct RDBCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a whole RDB file.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String

    func run() throws {
        var s = RDBSummary()
        do {
            try scanRDB(file) { ev, off in s.add(ev, off); return true }
        } catch let e as RDBError {
            s.print()
            writeOut("checked \(s.keys.values.reduce(0, +)) keys before the damage\n")
            writeOut("DAMAGED at offset \(e.offset)\(e.key.map { ", key " + printableKey($0) } ?? ""): \(e.message)\n")
            throw ToolExit.damaged
        }
        s.print()
        if case .end(let sum, let verified)? = s.end {
            writeOut(sum == nil ? "checksum: none (version < 5)\n" : verified ? "checksum: OK\n" : "checksum: disabled (zero)\n")
        }
        for e in s.unsupported {
            writeOut("unsupported: db \(e.db) key \(printableKey(e.key)) type \(e.value.describedType) at offset \(e.offset)\n")
        }
        writeOut("RDB file OK: \(s.keys.values.reduce(0, +)) keys, \(s.bytes) bytes\n")
        if !s.unsupported.isEmpty || s.functions > 0 || s.moduleAux > 0 { throw ToolExit.unsupported }
    }
}

struct RDBInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Summarise an RDB file: version, aux fields, keys per database and type.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String

    func run() throws {
        var s = RDBSummary()
        try reportingDamage(file) { try scanRDB(file) { ev, off in s.add(ev, off); return true } }
        s.print()
        writeOut("total: \(s.keys.values.reduce(0, +)) keys, \(s.bytes) bytes of RDB\n")
    }
}
