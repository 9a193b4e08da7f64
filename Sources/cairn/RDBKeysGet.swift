// RDBKeysGet: `cairn rdb keys` (list keys, filtered by db, glob and type) and
// `cairn rdb get KEY` (one key's value, as JSON).
//
// Contract: keys prints each key raw, one per line (add --quoted for escaped
// output); get prints the matching entry (every db unless --db) as a JSON
// object, exit 1 if absent. Tricky bit: get must read to the end: a key may
// exist in several databases.
import ArgumentParser
import Engine
import RDB

struct RDBKeys: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "List the keys of an RDB file.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String
    @OptionGroup var filter: KeyFilter
    @Flag(help: "Print keys quoted, with non-printable bytes escaped.") var quoted = false
    @Flag(help: "Prefix each key with its database number and type.") var long = false

    func run() throws {
        try reportingDamage(file) {
            try scanRDB(file) { ev, _ in
                guard case .entry(let e) = ev, filter.accepts(e) else { return true }
                if long { writeOut("\(e.db)\t\(e.value.typeName)\t") }
                if quoted { writeOut(printableKey(e.key)) } else { writeOut(e.key) }
                writeOut("\n")
                return true
            }
        }
    }
}

struct RDBGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one key's value as JSON.")
    @Argument(help: "The RDB file (may be gzip-compressed).") var file: String
    @Argument(help: "The key.") var key: String
    @Option(help: "Only this database.") var db: Int?

    func run() throws {
        var found = 0
        let k = Bytes(key)
        try reportingDamage(file) {
            try scanRDB(file) { ev, _ in
                guard case .entry(let e) = ev, e.key == k, db == nil || db == e.db else { return true }
                writeOut(entryJSON(e) + "\n")
                found += 1
                return true
            }
        }
        if found == 0 {
            writeErr("key \(printableKey(k)) not found\n")
            throw ExitCode(1)
        }
    }
}
