// Keyspace: every database, expiry, and the change stream that writes produce.
//
// Contract: one thread owns a Keyspace (DESIGN.md, "One keyspace owner"); every
// method runs on it. Reads and writes look keys up through `lookupRead` and
// `lookupWrite`, which apply lazy expiry: a key found past its deadline is
// deleted and a `DEL` propagation record is appended before the command's own,
// so an AOF or a replica replays the same history. On a replica
// (`expireOnLookup == false`) an expired key reads as missing but is kept until
// the master's DEL arrives, as Redis 4.0 does. A key is expired once `now` is
// past its deadline (now > deadline, as Redis's expireIfNeeded): at the deadline
// millisecond itself it still exists.

/// One entry of the change stream: a command as it must be replayed elsewhere.
public struct PropagationRecord: Equatable, Sendable {
    public var db: Int
    public var argv: [Bytes]
    /// For the replicas' stream only, never the AOF (PUBLISH, as Redis propagates it).
    public var replicasOnly: Bool
    /// For the AOF only, never the replicas (a script's effects under redis.set_repl(REPL_AOF)).
    public var aofOnly: Bool
    public init(db: Int, argv: [Bytes], replicasOnly: Bool = false, aofOnly: Bool = false) {
        self.db = db
        self.argv = argv
        self.replicasOnly = replicasOnly
        self.aofOnly = aofOnly
    }
}

/// Counters that INFO stats reports.
public struct KeyspaceStats: Sendable {
    public var keyspaceHits: Int64 = 0
    public var keyspaceMisses: Int64 = 0
    public var expiredKeys: Int64 = 0
    public var expiredStalePercent: Double = 0
    public var expiredTimeCapReached: Int64 = 0
    public init() {}
}

/// What `Keyspace.onModified` reports.
public enum KeyspaceChange {
    /// One key is written, deleted, or has its TTL changed.
    case key(db: Int, Bytes)
    /// One key reached its deadline and is being removed (lazily or by the active cycle).
    case expired(db: Int, Bytes)
    /// Database `db` is about to be emptied (FLUSHDB, FLUSHALL, a load); its keys are still there.
    case flush(db: Int)
    /// Databases `a` and `b` are about to exchange their contents (SWAPDB); neither has moved yet.
    case swap(Int, Int)
}

public final class Keyspace {
    /// The databases' tables, in memory the keyspace owns (freed in deinit). Not an Array:
    /// a table method called through a class's Array property copied the table first (five
    /// retains and releases) whenever the method was not inlined, as the optimiser cannot
    /// prove the array unchanged during the call; a buffer pointer's element is used in place.
    public internal(set) var databases: UnsafeMutableBufferPointer<KeyTable>
    /// Propagation records not yet taken by the server.
    public var changes: [PropagationRecord] = []
    /// Changes since the last save (Redis's `server.dirty`).
    public var dirty: Int64 = 0
    public var stats = KeyspaceStats()
    /// The time commands see, in ms; the server refreshes it before each command.
    public var now: Int64 = wallClockMilliseconds()
    /// False on a replica: expired keys read as missing but stay until the master deletes them.
    public var expireOnLookup = true
    public var accessPolicy = AccessPolicy.lru {
        didSet { if accessPolicy != oldValue { evictionPool.removeAll() } }  // scores of the old kind mean nothing now
    }
    /// When compact collections convert (from the config's *-max-ziplist-* directives).
    public var encodingLimits = EncodingLimits()
    /// Called on any change to a key (writes, deletes, expiry, TTL changes) or to a
    /// whole database (flushes, SWAPDB); for a whole database before anything moves,
    /// so its keys can still be looked up. WATCH attaches here, so no command can
    /// forget to invalidate a watch. Nil when nobody watches: no cost.
    public var onModified: ((KeyspaceChange) -> Void)? = nil
    /// Keys added, set, deleted, expired or given a TTL, and databases flushed or swapped, so
    /// far, so a debug check can tell that a command which changed the keyspace also recorded
    /// a propagation record. In-place edits (`replace`) are not counted: a handler puts a value
    /// back the same way whether it changed it or not.
    public internal(set) var modifications: UInt64 = 0
    /// Called when a key is added holding a list (Redis's dbAdd signalling a list as ready),
    /// so clients blocked on that key get served. Nil until a client first blocks.
    public var onListAdded: ((Int, Bytes) -> Void)? = nil
    /// Called after a key was deleted because its TTL passed (lazily or actively).
    public var onExpired: ((Int, Bytes) -> Void)? = nil
    /// Draws for commands (RANDOMKEY, SPOP, SRANDMEMBER) and the expire cycle: these need
    /// speed, not secrecy (the kernel generator is a system call per draw).
    public var random = FastRandom()
    /// The cheap generator for per-access and eviction draws (FastRandom.swift).
    var fastRandom = FastRandom()
    /// The best eviction candidates seen so far (EvictionPool.swift, Eviction.swift).
    public var evictionPool = EvictionPool()
    /// What eviction's touching loads read, kept so the compiler cannot drop them.
    var evictionSink: UInt64 = 0
    /// The database the random policies look at next.
    var nextEvictionDB = 0
    /// The snapshot a background writer is serializing, if any (KeyspaceSnapshot.swift).
    public internal(set) var activeSnapshot: KeyspaceSnapshot? = nil
    /// Which implicit deletions free big values in the background (LazyFree.swift).
    public var lazyFreePolicy = LazyFreePolicy()
    /// Values and tables waiting to be handed to the server's free thread (LazyFree.swift).
    public internal(set) var lazyFreeOutbox: [LazyFreeItem] = []

    public init(databases: Int = 16) {
        precondition(databases >= 1)
        self.databases = .allocate(capacity: databases)
        self.databases.initialize(repeating: KeyTable())
    }

    deinit {
        _ = databases.deinitialize()
        databases.deallocate()
    }

    /// Runs `body` on database `db`'s table, passed by address with exclusive access. For
    /// the hot paths: a non-mutating table method called straight on `databases[db]` copies
    /// the table first (five retains and releases) unless it is inlined whole, as the
    /// optimiser cannot prove the pointee unchanged across an opaque call (a memcmp, an
    /// allocation); through an inout parameter it can.
    @inline(__always) func withTable<R>(_ db: Int, _ body: (inout KeyTable) -> R) -> R { body(&databases[db]) }

    public var databaseCount: Int { databases.count }
    public func keyCount(_ db: Int) -> Int { databases[db].count }
    public func expiringCount(_ db: Int) -> Int { databases[db].expiringCount }
    public var totalKeys: Int { databases.reduce(0) { $0 + $1.count } }

    // MARK: lookup

    /// Finds a key for reading: lazy expiry, access tracking, hit/miss counting.
    /// On a replica an expired key reads as missing (it stays in the table).
    /// `touch: false` leaves the access time alone (TYPE, TTL: Redis's LOOKUP_NOTOUCH).
    public func lookupRead(_ db: Int, _ key: Bytes, touch: Bool = true) -> Int? {
        guard let i = lookupWrite(db, key, hash: hashKey(key)), !isLogicallyExpired(db, i) else {
            stats.keyspaceMisses += 1
            return nil
        }
        stats.keyspaceHits += 1
        if touch { self.touch(db, i) }
        return i
    }

    /// Finds a key for writing: lazy expiry, and access tracking unless `touch` is false
    /// (OBJECT), as Redis 4.0's lookupKeyWrite. On a replica an expired key is
    /// still found (as Redis 4.0's lookupKeyWrite does), so the master's writes and
    /// DELs reach it and an insert after a miss never duplicates a key.
    public func lookupWrite(_ db: Int, _ key: Bytes, touch: Bool = true) -> Int? {
        guard let i = lookupWrite(db, key, hash: hashKey(key)) else { return nil }
        if touch { self.touch(db, i) }
        return i
    }

    /// One more access to the key at `i` (the LRU clock, or the LFU counter and its decay).
    @inline(__always) private func touch(_ db: Int, _ i: Int) {
        databases[db].setAccess(accessPolicy.touched(databases[db].access(at: i), nowMs: now, using: &fastRandom), at: i)
    }

    private func lookupWrite(_ db: Int, _ key: Bytes, hash: UInt64) -> Int? {
        guard let i = withTable(db, { $0.find(key, hash: hash) }) else { return nil }
        let deadline = databases[db].expireAt(at: i)
        if deadline != noExpire && deadline < now && expireOnLookup {
            expire(db, at: i)
            return nil
        }
        return i
    }

    /// Finds a key without expiry or access side effects (DEBUG, SCAN filtering).
    public func peek(_ db: Int, _ key: Bytes) -> Int? { withTable(db) { $0.find(key) } }

    public func value(_ db: Int, _ i: Int) -> Value { databases[db].value(at: i) }
    public func key(_ db: Int, _ i: Int) -> Bytes { databases[db].key(at: i) }
    public func access(_ db: Int, _ i: Int) -> UInt32 { databases[db].access(at: i) }

    /// The deadline of the key at `i` in ms, or nil without a TTL.
    public func expireAt(_ db: Int, _ i: Int) -> Int64? {
        let at = databases[db].expireAt(at: i)
        return at == noExpire ? nil : at
    }

    /// True when the key at `i` is past its deadline (only on a replica can such a key be seen).
    public func isLogicallyExpired(_ db: Int, _ i: Int) -> Bool {
        let at = databases[db].expireAt(at: i)
        return at != noExpire && at < now
    }

    // MARK: writes

    /// Stores `value` at `key`, dropping any TTL (Redis's setKey), unless `keepTTL`.
    @discardableResult
    public func set(_ db: Int, _ key: Bytes, _ value: Value, keepTTL: Bool = false) -> Int {
        store(db, key, keepTTL: keepTTL, { value }) { i in
            if case .string(.bytes(let bytes, let raw)) = value {
                overwriteString(db, i, with: bytes, raw: raw)
                return true
            }
            return false
        }
    }

    /// Stores `text` set whole at `key` (SET, MSET: `set` of `.string(StringValue(encoding: text))`),
    /// dropping any TTL unless `keepTTL`. Over a short string nothing else holds, a short text is
    /// written into the old one's box when both need the same block: nothing allocated, nothing freed.
    @discardableResult
    public func set(_ db: Int, _ key: Bytes, text: Bytes, keepTTL: Bool = false) -> Int {
        store(db, key, keepTTL: keepTTL, { .string(StringValue(encoding: text)) }) { i in
            let n = text.count
            if n > embstrSizeLimit {
                overwriteString(db, i, with: text, raw: false)
                return true
            }
            if n <= 20, let v = text.parseInt64() {
                databases[db].setValue(.string(.int(v)), at: i)
                return true
            }
            var old = databases[db].takeValue(at: i)  // snapshot preserved first, as setValue does
            if case .string(.embedded(var box, let m)) = old {
                old = .string(.int(0))  // `box` the only holder now, unless someone else has it
                if text.withUnsafeBytes({ box.overwrite(with: $0, replacing: Int(m)) }) {
                    databases[db].setValue(.string(.embedded(box, count: UInt8(n))), at: i)
                    return true
                }
            }
            databases[db].setValue(.string(StringValue(encoding: text)), at: i)
            return true
        }
    }

    /// What both `set`s share: an existing key's value is replaced (by `overwrite`, which may
    /// reuse the old value's storage and returns false to leave it to `value()`), else the key is added.
    @inline(__always) private func store(_ db: Int, _ key: Bytes, keepTTL: Bool, _ value: () -> Value,
                                         overwrite: (Int) -> Bool) -> Int {
        modifications &+= 1
        onModified?(.key(db: db, key))
        let h = hashKey(key)
        if let i = lookupWrite(db, key, hash: h) {
            if lazyFreePolicy.serverDelete {
                // The old value is an implicit delete (lazyfree-lazy-server-del).
                let old = databases[db].value(at: i)
                databases[db].setValue(value(), at: i)
                dispose(old, lazily: true)
            } else if !overwrite(i) {
                databases[db].setValue(value(), at: i)
            }
            if !keepTTL { databases[db].removeExpire(at: i) }
            databases[db].setAccess(accessPolicy.fresh(nowMs: now), at: i)
            return i
        }
        let fresh = value()
        if case .list = fresh, let hook = onListAdded { hook(db, key) }
        // An expired key found on the way was removed; the table is unchanged otherwise, so the hash still holds.
        return databases[db].insert(key, hash: h, fresh, access: accessPolicy.fresh(nowMs: now))
    }

    /// Sets the string value at `i` to `bytes`, writing them over the old string's storage
    /// when nothing else holds it (not a snapshot, not a reply) and it is the size a fresh
    /// value would get: the old value is not freed, and the argument that carried the new
    /// bytes is left to the request parser to reuse (a SET overwriting a key allocates and
    /// frees nothing). Otherwise the value is replaced.
    @inline(__always) private func overwriteString(_ db: Int, _ i: Int, with bytes: Bytes, raw: Bool) {
        var old = databases[db].takeValue(at: i)  // snapshot preserved first, as setValue does
        let n = bytes.count
        if case .string(.bytes(var storage, _)) = old, n > 0, storage.capacity >= n,
           storage.capacity - n < Self.overwriteSlack {
            old = .string(.int(0))  // `storage` the only holder now, unless someone else has it
            if storage.count == n {
                storage.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
            } else {
                storage.removeAll(keepingCapacity: true)
                storage.append(contentsOf: bytes)
            }
            databases[db].setValue(.string(.bytes(storage, raw: raw)), at: i)
        } else {
            databases[db].setValue(.string(.bytes(bytes, raw: raw)), at: i)
        }
    }

    /// How much larger than a value its reused storage may be: within one small malloc
    /// size class, what a fresh array of that length would get.
    static let overwriteSlack = 16

    /// Replaces the value at `i` in place, keeping its TTL.
    /// Not counted in `modifications`: handlers put values back unchanged after a no-op.
    public func replace(_ db: Int, _ i: Int, with value: Value) {
        if let hook = onModified { hook(.key(db: db, databases[db].key(at: i))) }
        databases[db].setValue(value, at: i)
    }

    /// Puts back a value whose contents did not change, only its representation (a conversion
    /// to the general encoding): no change is reported, as Redis signals none.
    public func reencode(_ db: Int, _ i: Int, with value: Value) {
        databases[db].setValue(value, at: i)
    }

    /// Moves the value at `i` out for in-place mutation; put it back with `replace`.
    public func take(_ db: Int, _ i: Int) -> Value { databases[db].takeValue(at: i) }

    /// Adds a key known to be absent (after a lookupWrite miss).
    @discardableResult
    public func add(_ db: Int, _ key: Bytes, _ value: Value, expireAt: Int64? = nil) -> Int {
        modifications &+= 1
        onModified?(.key(db: db, key))
        if case .list = value, let hook = onListAdded { hook(db, key) }
        return databases[db].insert(key, value, expireAt: expireAt ?? noExpire, access: accessPolicy.fresh(nowMs: now))
    }

    /// Adds `key` unless it is present, hashing it once (a dataset load); false when present.
    public func addIfAbsent(_ db: Int, _ key: Bytes, _ value: Value, expireAt: Int64? = nil) -> Bool {
        addIfAbsent(db, key, hash: hashKey(key), value, expireAt: expireAt)
    }

    /// `addIfAbsent` with the key's hash (`hashKey`) computed by the caller (a loader's reader thread).
    public func addIfAbsent(_ db: Int, _ key: Bytes, hash: UInt64, _ value: Value, expireAt: Int64? = nil) -> Bool {
        guard databases[db].insertIfAbsent(key, hash: hash, value, expireAt: expireAt ?? noExpire,
                                           access: accessPolicy.fresh(nowMs: now)) != nil else { return false }
        modifications &+= 1
        onModified?(.key(db: db, key))
        if case .list = value, let hook = onListAdded { hook(db, key) }
        return true
    }

    /// Touches where the key hashes `hashes` would go in database `db` (KeyTable.warm).
    public func warm(_ db: Int, hashes: UnsafeMutableBufferPointer<UInt64>) -> UInt64 { databases[db].warm(hashes: hashes) }

    /// Touches where the keys of a batch of lookups sit in database `db` (KeyTable.warmLookups).
    public func warmLookups(_ db: Int, hashes: UnsafeMutableBufferPointer<UInt64>) -> UInt64 {
        databases[db].warmLookups(hashes: hashes)
    }

    /// Touches where the keys at `first`, `first + step`, ... (up to `last`, at most
    /// `warmBatchLimit` of them) of one command sit in database `db`, before the command
    /// looks them up one by one. Why: each lookup in a large keyspace is a few dependent
    /// cache misses; made back to back they cost a multi-key command (MSET, MGET, DEL of
    /// ten keys) ten times that, where touched together first they overlap. Returns how
    /// many keys it touched (none for a single key: nothing to overlap).
    @discardableResult
    public func warmKeys(_ db: Int, _ argv: [Bytes], first: Int, last: Int, step: Int) -> Int {
        warmScratch.removeAll(keepingCapacity: true)
        var j = first
        while j <= last && warmScratch.count < Self.warmBatchLimit {
            warmScratch.append(hashKey(argv[j]))
            j += step
        }
        guard warmScratch.count > 1 else { return 0 }
        warmSink ^= warmScratch.withUnsafeMutableBufferPointer { databases[db].warmLookups(hashes: $0) }
        return warmScratch.count
    }

    /// The most keys of one command warmed at once: enough for the usual multi-key
    /// commands, few enough that the first are still in cache when the command reaches them.
    public static let warmBatchLimit = 64
    private var warmScratch: [UInt64] = []
    /// What the warming loads read, kept so the compiler cannot drop them.
    private var warmSink: UInt64 = 0

    /// Sizes database `db` for `keys` keys (RESIZEDB's hint when loading).
    public func reserve(_ db: Int, keys: Int) { databases[db].reserveCapacity(keys) }

    /// Deletes `key` if it exists (and is not expired; on a replica an expired key
    /// is deleted too, as the master's DEL requires); true when it did. `lazily`: a
    /// big value is freed in the background (UNLINK; LazyFree.swift).
    @discardableResult
    public func delete(_ db: Int, _ key: Bytes, lazily: Bool = false) -> Bool {
        guard let i = lookupWrite(db, key, hash: hashKey(key)) else { return false }
        modifications &+= 1
        onModified?(.key(db: db, key))
        dispose(databases[db].remove(at: i), lazily: lazily)
        return true
    }

    /// Removes the entry at `i`, dropping its value (in the background when `lazily` and big).
    public func discard(_ db: Int, at i: Int, lazily: Bool) {
        dispose(remove(db, at: i), lazily: lazily)
    }

    /// Removes the entry at `i` and returns its value.
    @discardableResult
    public func remove(_ db: Int, at i: Int) -> Value {
        modifications &+= 1
        if let hook = onModified { hook(.key(db: db, databases[db].key(at: i))) }
        return databases[db].remove(at: i)
    }

    public func setExpire(_ db: Int, _ i: Int, at deadline: Int64?) {
        modifications &+= 1
        if let hook = onModified { hook(.key(db: db, databases[db].key(at: i))) }
        if let deadline { databases[db].setExpire(deadline, at: i) } else { databases[db].removeExpire(at: i) }
    }

    public func flush(_ db: Int) {
        if databases[db].count > 0 { modifications &+= 1 }  // emptying an empty database changes nothing
        onModified?(.flush(db: db))
        databases[db].removeAll()
    }

    public func flushAll() {
        for db in 0..<databases.count { flush(db) }
    }

    public func swap(_ a: Int, _ b: Int) {
        guard a != b else { return }
        modifications &+= 1
        onModified?(.swap(a, b))
        databases.swapAt(a, b)
    }

    /// Changes the number of databases (only while empty beyond the kept ones).
    public func resize(databases n: Int) {
        guard n != databases.count else { return }
        let resized = UnsafeMutableBufferPointer<KeyTable>.allocate(capacity: n)
        let kept = min(n, databases.count)
        _ = resized.moveInitialize(fromContentsOf: databases[0..<kept])
        if n > kept { _ = resized[kept...].initialize(repeating: KeyTable()) }
        _ = databases[kept...].deinitialize()
        databases.deallocate()
        databases = resized
    }

    // MARK: expiry

    /// Deletes an expired key and records the DEL that replays it.
    func expire(_ db: Int, at i: Int) {
        let key = removeRecordingDelete(db, at: i, lazily: lazyFreePolicy.expire)
        stats.expiredKeys += 1
        onExpired?(db, key)
    }

    /// Deletes the key at `i` on the keyspace's own initiative (expiry, eviction) and
    /// records the DEL that replays it elsewhere (UNLINK when freed lazily, as Redis 4.0's
    /// propagateExpire); returns the key.
    func removeRecordingDelete(_ db: Int, at i: Int, lazily: Bool) -> Bytes {
        let key = withTable(db) { $0.key(at: i) }
        modifications &+= 1
        onModified?(.expired(db: db, key))
        dispose(databases[db].remove(at: i), lazily: lazily)
        changes.append(PropagationRecord(db: db, argv: [lazily ? Self.unlinkName : Self.delName, key]))
        return key
    }
    // Shared, not built per record: eviction writes one of these for nearly every SET.
    private static let delName = Bytes("DEL")
    private static let unlinkName = Bytes("UNLINK")

    /// One active expire pass, as Redis 4.0's slow cycle: sample 20 keys with a TTL
    /// per database, delete the expired ones, repeat while over 25% were expired,
    /// stop at `budgetMicroseconds`. Returns the number of keys expired.
    @discardableResult
    public func activeExpireCycle(budgetMicroseconds: Int64) -> Int {
        guard expireOnLookup else { return 0 }
        let start = monotonicNanoseconds()
        let limitNs = UInt64(max(budgetMicroseconds, 1)) * 1000
        var expired = 0
        var sampled = 0
        var sampledExpired = 0
        var timedOut = false
        now = wallClockMilliseconds()
        outer: for db in 0..<databases.count {
            while databases[db].expiringCount > 0 {
                var found = 0
                let samples = min(20, databases[db].expiringCount)
                for _ in 0..<samples {
                    guard let i = databases[db].randomExpiringIndex(using: &random) else { break }
                    if databases[db].expireAt(at: i) < now {
                        expire(db, at: i)
                        found += 1
                    }
                }
                sampled += samples
                sampledExpired += found
                expired += found
                if monotonicNanoseconds() - start > limitNs {
                    timedOut = true
                    break outer
                }
                if found * 4 <= samples { break }
            }
        }
        if timedOut { stats.expiredTimeCapReached += 1 }
        if sampled > 0 {
            let ratio = Double(sampledExpired) / Double(sampled)
            stats.expiredStalePercent = stats.expiredStalePercent * 0.95 + ratio * 100 * 0.05
        }
        return expired
    }

    // MARK: iteration

    /// One SCAN step over database `db`: the keys of the visited buckets and the next cursor.
    public func scan(_ db: Int, cursor: UInt64, count: Int) -> (next: UInt64, keys: [Bytes]) {
        var keys: [Bytes] = []
        var cursor = cursor
        var steps = 0
        let maxSteps = max(count, 1) * 10
        repeat {
            cursor = databases[db].scan(cursor: cursor) { keys.append(databases[db].key(at: $0)) }
            steps += 1
        } while cursor != 0 && keys.count < count && steps < maxSteps
        return (cursor, keys)
    }

    /// A random live key of `db` (expired ones are skipped and reclaimed), or nil.
    /// On a replica expired keys are skipped but kept; when every key has a TTL
    /// the 100th expired pick is returned anyway, as Redis 4.0's dbRandomKey does,
    /// since all of them may be logically expired.
    public func randomKey(_ db: Int) -> Bytes? {
        var tries = 100
        while let i = databases[db].randomIndex(using: &random) {
            guard isLogicallyExpired(db, i) else { return databases[db].key(at: i) }
            if expireOnLookup {
                expire(db, at: i)
                continue
            }
            tries -= 1
            if tries == 0 && databases[db].expiringCount == databases[db].count {
                return databases[db].key(at: i)
            }
        }
        return nil
    }

    /// Every live key index of `db` (for KEYS and DEBUG DIGEST).
    public func allIndices(_ db: Int) -> [Int] { databases[db].indices }
}

extension Keyspace {
    /// Average remaining TTL in ms over a sample of keys that have one (INFO keyspace avg_ttl).
    public func averageTTL(_ db: Int) -> Int64 {
        let n = min(databases[db].expiringCount, 100)
        guard n > 0 else { return 0 }
        var total: Int64 = 0
        for _ in 0..<n {
            if let i = databases[db].randomExpiringIndex(using: &random) {
                total += max(databases[db].expireAt(at: i) - now, 0)
            }
        }
        return total / Int64(n)
    }
}
