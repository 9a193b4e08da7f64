// DatasetLoader: loads an RDB stream into the keyspace, a bounded number of
// keys per step, so the event loop can answer -LOADING in between.
//
// Contract: every key is checked and converted (RDB/EngineValueDecoding);
// anything the server cannot hold exactly stops the load with an error naming
// the key and the offset: a type Cairn does not hold, a database past
// `databases`, a key present twice. On a master, keys whose TTL has already
// passed are skipped, as Redis's loader does; a replica keeps them for its
// master's DEL. The aux fields are kept for replication (repl-id, repl-offset).
// Tricky bit: the keyspace is filled directly (no notifications, no WATCH,
// no propagation): loading is not a write.
import Engine
import RDB

/// An error that stops a load; the message is what the log says.
struct LoadError: Error, CustomStringConvertible {
    var description: String
}

final class DatasetLoader<Source: ByteSource> {
    private var reader: RDBReader<Source>
    let totalBytes: Int
    private(set) var keysLoaded = 0
    private(set) var expiredSkipped = 0
    private(set) var aux: [String: Bytes] = [:]
    private(set) var finished = false
    private var db = 0
    let keepExpired: Bool
    let limits: EncodingLimits

    init(source: Source, totalBytes: Int, limits: EncodingLimits, keepExpired: Bool, strictEnd: Bool = true) {
        reader = RDBReader(source)
        reader.strictEnd = strictEnd
        self.totalBytes = totalBytes
        self.limits = limits
        self.keepExpired = keepExpired
    }

    /// Bytes read so far.
    var loadedBytes: Int { reader.offset }

    /// Loads up to `budget` keys into `ks`; true once the stream has ended.
    func step(into ks: Keyspace, budget: Int) throws -> Bool {
        var left = budget
        while left > 0, let event = try reader.next() {
            switch event {
            case .aux(let name, let value):
                aux[String(decoding: name, as: UTF8.self)] = value
            case .selectDB(let db):
                guard db < ks.databaseCount else {
                    throw LoadError(description: "FATAL: Data file was created with a Redis server configured to handle more than \(ks.databaseCount) databases. Exiting\n")
                }
                self.db = db
            case .resizeDB(let size, _):
                // Size the table up front (no rehash while loading), as far as the
                // bytes left could hold keys: a corrupt hint cannot reserve much.
                let plausible = UInt64(max(0, totalBytes - reader.offset) / 8)
                ks.reserve(db, keys: Int(min(size, plausible)))
            case .entry(let entry):
                left -= 1
                try load(entry, into: ks)
            case .moduleAux(let name, let offset):
                throw LoadError(description: "The RDB file contains AUX module data of module \(name) at offset \(offset) that Cairn cannot load (no such module is loaded)")
            case .function(_, let offset):
                throw LoadError(description: "The RDB file contains a function library at offset \(offset); Cairn has no functions")
            case .end:
                finished = true
                return true
            case .header:
                break
            }
        }
        if !finished, left > 0 { finished = true }
        return finished
    }

    private func load(_ entry: RDBEntry, into ks: Keyspace) throws {
        switch try Self.insert(entry, into: ks, limits: limits, keepExpired: keepExpired) {
        case .inserted: keysLoaded += 1
        case .expired: expiredSkipped += 1
        case .empty: break
        }
    }

    enum Insertion { case inserted, expired, empty }

    /// Converts and adds one entry (also the AOF preamble's); throws for anything Cairn cannot hold exactly.
    static func insert(_ entry: RDBEntry, into ks: Keyspace, limits: EncodingLimits, keepExpired: Bool) throws -> Insertion {
        try entry.requireSupported()
        let value = try entry.engineValue(limits: limits)
        if value.elementCount == 0 { return .empty }  // Redis skips empty collections too
        if let at = entry.expireMs, at < ks.now, !keepExpired { return .expired }
        guard entry.db < ks.databaseCount else {
            throw LoadError(description: "FATAL: Data file was created with a Redis server configured to handle more than \(ks.databaseCount) databases. Exiting\n")
        }
        guard ks.addIfAbsent(entry.db, entry.key, value, expireAt: entry.expireMs) else {
            throw RDBError(offset: entry.offset, key: entry.key, message: "duplicate key in the dataset")
        }
        return .inserted
    }
}
