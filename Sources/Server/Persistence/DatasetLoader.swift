// DatasetLoader: loads an RDB stream into the keyspace on two threads: a
// reader thread parses and converts (RDBReader, EngineValueDecoding) while the
// owner thread inserts, a bounded number of keys per step, so the event loop
// can answer -LOADING in between.
//
// Contract: every key is checked and converted; anything the server cannot
// hold exactly stops the load with an error naming the key and the offset: a
// type Cairn does not hold, a database past `databases`, a key present twice.
// On a master, keys whose TTL has already passed are skipped, as Redis's
// loader does; a replica keeps them for its master's DEL. The aux fields are
// kept for replication (repl-id, repl-offset).
// Module values are converted on the owner thread (their rdb_load is module
// code); the reader only checks that a loaded module has their type.
// Tricky bits: the keyspace is filled directly (no notifications, no WATCH,
// no propagation): loading is not a write. The reader thread touches no
// server state: it gets the limits, the clock and the database count up
// front, and hands over plain values (Engine values are Sendable).
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB
import Synchronization

/// An error that stops a load; the message is what the log says (Cairn's detail),
/// `redisLines` what Redis logs last for it (FatalLoadLog.swift).
struct LoadError: Error, CustomStringConvertible {
    var description: String
    var redisLines: [String] = []
}

/// What the reader thread hands the owner thread.
enum LoadItem {
    case aux(String, Bytes)
    case reserve(db: Int, keys: Int)
    /// `hash` is the key's `hashKey`, computed on the reader thread.
    case key(db: Int, key: Bytes, hash: UInt64, value: Value, expireAt: Int64?, offset: Int)
    /// A module value: its rdb_load runs on the owner thread (module code runs on the keyspace thread).
    case moduleKey(RDBEntry)
    case expired
}

/// What a load has put in so far: keys, skipped expired keys, aux fields.
struct LoadTally {
    var keysLoaded = 0
    var expiredSkipped = 0
    var aux: [String: Bytes] = [:]

    /// Applies one item to `ks`; a key present twice stops the load (`source` names the file kind).
    mutating func apply(_ item: LoadItem, to ks: Keyspace, source: String) throws {
        switch item {
        case .aux(let name, let value):
            aux[name] = value
        case .reserve(let db, let keys):
            ks.reserve(db, keys: keys)
        case .key(let db, let key, let hash, let value, let expireAt, let offset):
            guard ks.addIfAbsent(db, key, hash: hash, value, expireAt: expireAt) else {
                throw RDBError(offset: offset, key: key, message: "duplicate key in the \(source)")
            }
            keysLoaded += 1
        case .moduleKey(let entry):
            let value = try entry.engineValue(limits: ks.encodingLimits)
            guard ks.addIfAbsent(entry.db, entry.key, value, expireAt: entry.expireMs) else {
                throw RDBError(offset: entry.offset, key: entry.key, message: "duplicate key in the \(source)")
            }
            keysLoaded += 1
        case .expired:
            expiredSkipped += 1
        }
    }

    /// Touches the table slots a batch's keys go to, before any is inserted (KeyTable.warm).
    static func warm(_ items: [LoadItem], in ks: Keyspace) {
        warmTables(items, in: ks) { item in
            guard case .key(let db, _, let hash, _, _, _) = item else { return nil }
            return (db, hash)
        }
    }

    /// Touches the table slots of the keys `key` names in `items` (database, key hash;
    /// nil for an item without one), in runs of one database: a batch is nearly always one run.
    static func warmTables<Item>(_ items: [Item], in ks: Keyspace, _ key: (Item) -> (db: Int, hash: UInt64)?) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: items.count) { hashes in
            var touched: UInt64 = 0, n = 0, runDB = -1
            for item in items {
                guard let (db, hash) = key(item), db >= 0, db < ks.databaseCount else { continue }
                if db != runDB {
                    if n > 0 { touched ^= ks.warm(runDB, hashes: UnsafeMutableBufferPointer(rebasing: hashes[0..<n])) }
                    runDB = db; n = 0
                }
                hashes[n] = hash; n += 1
            }
            if n > 0 { touched ^= ks.warm(runDB, hashes: UnsafeMutableBufferPointer(rebasing: hashes[0..<n])) }
            warmSink = touched
        }
    }
}

/// Keeps the warming reads from being optimized away.
nonisolated(unsafe) private var warmSink: UInt64 = 0

final class DatasetLoader: StepLoader, @unchecked Sendable {
    let totalBytes: Int
    private(set) var tally = LoadTally()
    private let queue = BatchQueue<LoadItem>(maxQueued: 1 << 16)
    /// Set by the reader thread: bytes read so far, and what stopped it, if anything.
    private let progress = Mutex<(readBytes: Int, failure: Error?)>((0, nil))

    /// Starts the reader thread on `source`.
    init(source: FileSource, totalBytes: Int, limits: EncodingLimits, keepExpired: Bool, databases: Int, now: Int64) {
        self.totalBytes = totalBytes
        BackgroundThread.start(name: "cairn-rdb-load") { [self] in
            read(source, limits: limits, keepExpired: keepExpired, databases: databases, now: now)
        }
    }

    var loadedBytes: Int { progress.withLock { $0.readBytes } }

    /// Stops the reader thread (a load abandoned midway).
    func cancel() { queue.cancel() }

    /// Inserts what the reader has produced, up to about `budget` keys; true once the stream has ended.
    func step(into ks: Keyspace, budget: Int) throws -> Bool {
        let finished = try queue.drain(budget: budget, prepare: { LoadTally.warm($0, in: ks) }) {
            try tally.apply($0, to: ks, source: "dataset")
        }
        if finished, let error = progress.withLock({ $0.failure }) { throw error }
        return finished
    }

    /// The reader thread: parse, check, convert, hand over in batches.
    private func read(_ source: FileSource, limits: EncodingLimits, keepExpired: Bool, databases: Int, now: Int64) {
        var reader = RDBReader(source)
        reader.engineLimits = limits  // compact blobs straight into engine values (PackedLoading.swift)
        var batch: [LoadItem] = []
        batch.reserveCapacity(1024)
        var db = 0
        do {
            while let event = try reader.next() {
                switch event {
                case .aux(let name, let value):
                    batch.append(.aux(String(decoding: name, as: UTF8.self), value))
                case .selectDB(let n):
                    guard n < databases else { throw Self.tooManyDatabases(databases) }
                    db = n
                case .resizeDB(let size, _):
                    // Size the table up front, as far as the bytes left could hold keys:
                    // a corrupt hint cannot reserve much.
                    let plausible = UInt64(max(0, totalBytes - reader.offset) / 8)
                    batch.append(.reserve(db: db, keys: Int(min(size, plausible))))
                case .entry(let entry):
                    if let item = try Self.convert(entry, limits: limits, keepExpired: keepExpired,
                                                   databases: databases, now: now) {
                        batch.append(item)
                    }
                case .moduleAux(let name, let offset):
                    throw LoadError(description: "The RDB file contains AUX module data of module \(name) at offset \(offset) that Cairn cannot load (no such module is loaded)")
                case .function(_, let offset):
                    throw LoadError(description: "The RDB file contains a function library at offset \(offset); Cairn has no functions")
                case .header, .end:
                    break
                }
                if batch.count >= 1024 {
                    queue.push(batch)
                    batch.removeAll(keepingCapacity: true)
                    setProgress(reader.offset)
                    if queue.isCancelled { return }
                }
            }
            queue.push(batch)
            setProgress(reader.offset)
        } catch {
            progress.withLock { $0.failure = error }
            queue.push(batch)  // what came before the damage is applied, then the error stops the load
        }
        queue.close()
    }

    private func setProgress(_ bytes: Int) { progress.withLock { $0.readBytes = bytes } }

    static func tooManyDatabases(_ n: Int) -> LoadError {
        LoadError(description: "the data file was created with a server configured to handle more than \(n) databases")
    }

    /// Checks and converts one entry; nil for an empty collection (Redis skips those too).
    static func convert(_ entry: RDBEntry, limits: EncodingLimits, keepExpired: Bool, databases: Int,
                        now: Int64) throws -> LoadItem? {
        try entry.requireSupported()
        if case .module(let id, _) = entry.value {
            // Refused here, before any of it loads, when no loaded module has the type.
            _ = try entry.requireModuleType(id)
            if let at = entry.expireMs, at < now, !keepExpired { return .expired }
            guard entry.db < databases else { throw tooManyDatabases(databases) }
            return .moduleKey(entry)
        }
        let value = try entry.engineValue(limits: limits)
        if value.elementCount == 0 { return nil }
        if let at = entry.expireMs, at < now, !keepExpired { return .expired }
        guard entry.db < databases else { throw tooManyDatabases(databases) }
        return .key(db: entry.db, key: entry.key, hash: hashKey(entry.key), value: value, expireAt: entry.expireMs,
                    offset: entry.offset)
    }

    /// Converts and adds one entry on the owner thread (the AOF preamble's); true when added.
    static func insert(_ entry: RDBEntry, into ks: Keyspace, limits: EncodingLimits, keepExpired: Bool) throws -> Bool {
        let item = try convert(entry, limits: limits, keepExpired: keepExpired, databases: ks.databaseCount, now: ks.now)
        switch item {
        case .key?, .moduleKey?:
            var tally = LoadTally()
            try tally.apply(item!, to: ks, source: "dataset")
            return true
        default:
            return false
        }
    }
}
