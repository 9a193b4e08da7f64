// RDBDump: `cairn rdb dump --format json|resp`: the whole dataset as JSON
// (one object per key per line), or as the RESP commands that recreate it
// (SELECT, SET/RPUSH/SADD/ZADD/HSET, PEXPIREAT), for `redis-cli --pipe`.
//
// Contract: JSON byte strings are JSON strings when valid UTF-8, else
// {"hex": "..."}; hashes are [field, value] pairs; scores are numbers, or "inf"/"-inf"/"nan" strings. RESP
// output batches big collections 1000 elements per command. Unsupported
// types are reported on stderr and skipped. Tricky bit: Swift String would
// normalise text; JSON is built byte by byte from the raw bytes.
import ArgumentParser
import Engine
import RDB

enum DumpFormat: String, ExpressibleByArgument { case json, resp }

struct RDBDump: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dump", abstract: "Print the dataset as JSON or as RESP commands.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String
    @Option(help: "json or resp.") var format: DumpFormat = .json
    @OptionGroup var filter: KeyFilter

    func run() throws {
        var currentDB = -1
        var skipped = 0
        try reportingDamage(file) {
            try scanRDB(file) { ev, _ in
                guard case .entry(let e) = ev, filter.accepts(e) else { return true }
                if e.value.isModuleOrUnsupported && (format == .resp || e.value.typeName == "stream") {
                    writeErr("skipped: db \(e.db) key \(printableKey(e.key)) type \(e.value.describedType) at offset \(e.offset)\n")
                    skipped += 1
                    return true
                }
                switch format {
                case .json: writeOut(entryJSON(e) + "\n")
                case .resp:
                    if e.db != currentDB { writeOut(resp([Bytes("SELECT"), bytesOf(Int64(e.db))])); currentDB = e.db }
                    for c in commands(for: e) { writeOut(resp(c)) }
                }
                return true
            }
        }
        if skipped > 0 { writeErr("\(skipped) keys of unsupported types skipped\n") }
    }
}

/// The commands that recreate an entry.
func commands(for e: RDBEntry) -> [[Bytes]] {
    var out: [[Bytes]] = []
    func batched(_ cmd: String, _ items: [[Bytes]]) {
        var i = 0
        while i < items.count {
            let chunk = items[i..<Swift.min(i + 1000, items.count)]
            out.append([Bytes(cmd), e.key] + chunk.flatMap { $0 })
            i += 1000
        }
    }
    switch e.value {
    case .string(let s): out.append([Bytes("SET"), e.key, s])
    case .list(let l): batched("RPUSH", l.map { [$0] })
    case .set(let s): batched("SADD", s.map { [$0] })
    case .zset(let z): batched("ZADD", z.map { [formatDouble($0.score), $0.member] })
    case .hash(let h): batched("HSET", h.map { [$0.field, $0.value] })
    case .module, .unsupported: return []
    case .engine: preconditionFailure(engineModeUnused)
    }
    if let ms = e.expireMs { out.append([Bytes("PEXPIREAT"), e.key, bytesOf(ms)]) }
    return out
}

/// A command as a RESP multibulk.
func resp(_ args: [Bytes]) -> Bytes {
    var b = Bytes("*\(args.count)\r\n")
    for a in args { b += Bytes("$\(a.count)\r\n"); b += a; b += [13, 10] }
    return b
}

/// A byte string as JSON: a string when valid UTF-8, else {"hex": ...}.
func jsonBytes(_ b: Bytes) -> String {
    guard String(validatingUTF8: b.map { CChar(bitPattern: $0) } + [0]) != nil, !b.contains(0) else {
        return "{\"hex\":\"" + b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + "\"}"
    }
    var s = "\""
    for u in String(decoding: b, as: UTF8.self).unicodeScalars {
        switch u {
        case "\"": s += "\\\""
        case "\\": s += "\\\\"
        case "\n": s += "\\n"
        case "\r": s += "\\r"
        case "\t": s += "\\t"
        default:
            if u.value < 0x20 { s += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16) } else { s.unicodeScalars.append(u) }
        }
    }
    return s + "\""
}

func jsonScore(_ d: Double) -> String {
    if d.isNaN { return "\"nan\"" }
    if d.isInfinite { return d > 0 ? "\"inf\"" : "\"-inf\"" }
    return String(decoding: formatDouble(d), as: UTF8.self)
}

/// One entry as a JSON object on one line.
func entryJSON(_ e: RDBEntry) -> String {
    var s = "{\"db\":\(e.db),\"key\":\(jsonBytes(e.key)),\"type\":\"\(e.value.typeName)\""
    if let t = e.type { s += ",\"encoding\":\"\(t.encodingName)\"" }
    if let ms = e.expireMs { s += ",\"expire_ms\":\(ms)" }
    s += ",\"value\":"
    switch e.value {
    case .string(let b): s += jsonBytes(b)
    case .list(let l), .set(let l): s += "[" + l.map(jsonBytes).joined(separator: ",") + "]"
    case .zset(let z): s += "[" + z.map { "[\(jsonBytes($0.member)),\(jsonScore($0.score))]" }.joined(separator: ",") + "]"
    case .hash(let h): s += "[" + h.map { "[\(jsonBytes($0.field)),\(jsonBytes($0.value))]" }.joined(separator: ",") + "]"
    case .module(let id, let fields):
        s += "{\"module_type\":\"\(ModuleTypes.name(ofID: id))\",\"id\":\(id),\"encoding_version\":\(id & 1023),\"fields\":["
        s += fields.map(fieldJSON).joined(separator: ",") + "]}"
    case .unsupported: s += "null"
    case .engine: preconditionFailure(engineModeUnused)
    }
    return s + "}"
}

/// One field of a module value as JSON: {"unsigned": n}, {"double": x}, {"string": ...}.
func fieldJSON(_ f: ModuleField) -> String {
    switch f {
    case .signed(let v): return "{\"signed\":\(v)}"
    case .unsigned(let v): return "{\"unsigned\":\(v)}"
    case .float(let v): return "{\"float\":\(jsonScore(Double(v)))}"
    case .double(let v): return "{\"double\":\(jsonScore(v))}"
    case .string(let b): return "{\"string\":\(jsonBytes(b))}"
    }
}

extension RDBValue {
    /// A module value or a type Cairn cannot hold: what a tool reports instead of converting.
    var isModuleOrUnsupported: Bool {
        switch self {
        case .module, .unsupported: return true
        default: return false
        }
    }

    /// The type for a report: a module value's type name with its id and encoding version.
    var describedType: String {
        if case .module(let id, _) = self {
            return "module \(ModuleTypes.name(ofID: id)) (id \(id), encoding version \(id & 1023))"
        }
        return typeName
    }
}
