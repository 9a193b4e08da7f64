// DatasetDiff: when two nodes' digests differ, which keys differ, so that a
// violation says what went wrong and not only that something did.
//
// Contract: read-only, through commands (SELECT, KEYS, TYPE, the type's read
// command, PTTL as "ttl"/"none"), on the observer client of each node; the
// observer's database is put back to 0. Only the workload's databases are
// compared; at most `limit` keys are reported.
import Engine

extension SimNode {
    /// A printable rendering of every key in `db`: name -> type, value, whether it has a TTL.
    func dump(db: Int) -> [String: String] {
        command(["SELECT", "\(db)"])
        defer { command(["SELECT", "0"]) }
        var result: [String: String] = [:]
        for key in Self.bulkStrings(command(["KEYS", "*"])) {
            let type = String(decoding: command(["TYPE", key]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let read: [String]
            switch type {
            case "+string": read = ["GET", key]
            case "+list": read = ["LRANGE", key, "0", "-1"]
            case "+hash": read = ["HGETALL", key]
            case "+set": read = ["SMEMBERS", key]
            case "+zset": read = ["ZRANGE", key, "0", "-1", "WITHSCORES"]
            default: read = ["TYPE", key]
            }
            var value = String(decoding: command(read), as: UTF8.self)
            if type == "+set" || type == "+hash" { value = Self.bulkStrings(Array(value.utf8)).sorted().joined(separator: ",") }
            let ttl = String(decoding: command(["PTTL", key]), as: UTF8.self).hasPrefix(":-1") ? "none" : "ttl"
            result[key] = "\(type) \(ttl) \(value.replacingOccurrences(of: "\r\n", with: " "))"
        }
        return result
    }

    /// The bulk strings of a RESP array reply, crudely (enough for KEYS and SMEMBERS).
    static func bulkStrings(_ reply: [UInt8]) -> [String] {
        let lines = String(decoding: reply, as: UTF8.self).components(separatedBy: "\r\n")
        var out: [String] = []
        var i = 0
        while i < lines.count {
            if lines[i].hasPrefix("$"), i + 1 < lines.count { out.append(lines[i + 1]); i += 2 } else { i += 1 }
        }
        return out
    }
}

extension SimWorld {
    /// The first keys that differ between two nodes, one line each.
    func differences(_ a: SimNode, _ b: SimNode, limit: Int = 4) -> String {
        var lines: [String] = []
        for db in 0..<Workload.databases {
            let x = a.dump(db: db), y = b.dump(db: db)
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                guard lines.count < limit else { break }
                lines.append("db\(db) \(key): node\(a.index) \(x[key].map { String($0.prefix(120)) } ?? "(none)") | node\(b.index) \(y[key].map { String($0.prefix(120)) } ?? "(none)")")
            }
        }
        return lines.isEmpty ? "no key differs in dbs 0..\(Workload.databases - 1)" : lines.joined(separator: "; ")
    }
}
