// KeyspaceSnapshot: a point-in-time view of the keyspace that a background
// writer (BGSAVE, AOF rewrite, full sync) serializes while commands go on.
//
// Contract: `Keyspace.beginSnapshot()` is O(number of databases). From then
// on every key that existed at that moment reaches `pending` exactly once,
// holding the value and TTL it had at that moment: either the owner's walk
// (`Keyspace.snapshotStep`) reaches its slot, or a write about to change or
// remove the key captures it first (Dragonfly's way, per key instead of per
// bucket). Keys added after the start are marked and never captured. Captured
// items are references to copy-on-write values, so capturing costs a retain;
// the consumer takes `pending` in batches (`takePending`) and serializes them
// on its own thread. Extra memory is bounded by the items not yet taken plus
// the old versions of values overwritten while still pending.
// Tricky bits: entries never move while a snapshot is active (KeyTable skips
// compaction), so a slot index names one key for the snapshot's whole life; a
// table emptied or flushed keeps its snapshot state; SWAPDB moves tables, and
// each table's state carries the database number it had at the start.

/// One key as it was when the snapshot began.
public struct SnapshotItem {
    public var db: Int
    public var key: Bytes
    public var value: Value
    /// Absolute deadline in ms, or nil without a TTL.
    public var expireAt: Int64?

    public init(db: Int, key: Bytes, value: Value, expireAt: Int64?) {
        self.db = db
        self.key = key
        self.value = value
        self.expireAt = expireAt
    }
}

/// The snapshot state of one table: which of its slots have been captured.
public final class TableSnapshot {
    /// The database number this table had when the snapshot began.
    public let db: Int
    /// Slots that existed at the start; higher ones were added later.
    @usableFromInline let limit: Int
    /// One bit per slot below `limit`: captured, walked, or added after the start.
    @usableFromInline var done: [UInt64]
    /// The walk's next slot.
    var cursor = 0
    unowned let owner: KeyspaceSnapshot

    init(db: Int, limit: Int, owner: KeyspaceSnapshot) {
        self.db = db
        self.limit = limit
        self.done = Array(repeating: 0, count: (limit + 63) / 64)
        self.owner = owner
    }

    @inlinable func isDone(_ i: Int) -> Bool { i >= limit || done[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    @inlinable func markDone(_ i: Int) { if i < limit { done[i >> 6] |= 1 << UInt64(i & 63) } }

    var walked: Bool { cursor >= limit }
}

/// The snapshot of a whole keyspace: its tables' states and the captured items.
public final class KeyspaceSnapshot {
    /// Captured items not yet taken by the consumer.
    public private(set) var pending: [SnapshotItem] = []
    /// Keys captured so far (walked or saved before a write).
    public private(set) var captured = 0
    /// Of those, keys captured because a write was about to change them.
    public private(set) var capturedBeforeWrite = 0
    /// When the snapshot began (the keyspace's `now`, ms).
    public let startedAt: Int64
    var tables: [TableSnapshot] = []
    /// Keys the snapshot will hold in all (the keyspace size at the start).
    public let totalKeys: Int
    /// Module values are serialized as they are captured (ModuleValue.swift): as the AOF
    /// commands of their aof_rewrite when set (a rewrite without RDB preamble), else as RDB fields.
    public var moduleValuesAsCommands = false

    init(startedAt: Int64, totalKeys: Int) {
        self.startedAt = startedAt
        self.totalKeys = totalKeys
    }

    /// True once every key of the snapshot has been captured.
    public var isComplete: Bool { tables.allSatisfy(\.walked) }

    /// Hands the captured items to the consumer.
    public func takePending() -> [SnapshotItem] {
        var out: [SnapshotItem] = []
        swap(&out, &pending)
        return out
    }

    func capture(_ db: Int, _ key: Bytes, _ value: Value, _ expireAt: Int64, beforeWrite: Bool) {
        var value = value
        // A module's object may only be read on this (the keyspace) thread: serialize it now.
        if case .module(let m) = value { value = .module(m.freeze(key: key, asCommands: moduleValuesAsCommands)) }
        pending.append(SnapshotItem(db: db, key: key, value: value, expireAt: expireAt == noExpire ? nil : expireAt))
        captured += 1
        if beforeWrite { capturedBeforeWrite += 1 }
    }
}

extension KeyTable {
    /// Captures slot `i` for the active snapshot unless already done; call before changing it.
    @inlinable mutating func preserve(_ i: Int) {
        guard let s = snapshot, !s.isDone(i) else { return }
        preserveSlow(i, s)
    }

    @usableFromInline mutating func preserveSlow(_ i: Int, _ s: TableSnapshot) {
        s.markDone(i)
        guard entries[i].expireSlot != freeMarker else { return }
        s.owner.capture(s.db, key(at: i), entries[i].value, expireAt(at: i), beforeWrite: true)
    }

    /// Captures every remaining slot (before the table is cleared or detached).
    mutating func preserveAll() {
        guard let s = snapshot else { return }
        var i = s.cursor
        while i < min(s.limit, entries.count) {
            if !s.isDone(i) { preserveSlow(i, s) }
            i += 1
        }
        s.cursor = s.limit
    }

    /// Walks up to `budget` slots; returns how many keys it captured.
    mutating func snapshotWalk(budget: Int) -> Int {
        guard let s = snapshot else { return 0 }
        var n = 0, steps = 0
        let end = min(s.limit, entries.count)
        while s.cursor < end && steps < budget {
            let i = s.cursor
            s.cursor += 1
            steps += 1
            if s.isDone(i) { continue }
            s.markDone(i)
            if entries[i].expireSlot == freeMarker { continue }
            s.owner.capture(s.db, key(at: i), entries[i].value, expireAt(at: i), beforeWrite: false)
            n += 1
        }
        // Slots past the current end were freed and captured already (the table shrank to empty).
        if s.cursor >= end { s.cursor = s.limit }
        return n
    }
}

extension Keyspace {
    /// Starts a snapshot of every database (one at a time: nil while one is active).
    public func beginSnapshot() -> KeyspaceSnapshot? {
        guard activeSnapshot == nil else { return nil }
        let snap = KeyspaceSnapshot(startedAt: now, totalKeys: totalKeys)
        for db in 0..<databases.count {
            let t = TableSnapshot(db: db, limit: databases[db].slotCount, owner: snap)
            snap.tables.append(t)
            databases[db].snapshot = t
        }
        activeSnapshot = snap
        return snap
    }

    /// Captures up to about `budget` more keys by walking the tables; true when the walk is complete.
    @discardableResult
    public func snapshotStep(budget: Int) -> Bool {
        guard let snap = activeSnapshot else { return true }
        var left = budget
        for db in 0..<databases.count where left > 0 {
            guard let t = databases[db].snapshot, t.owner === snap, !t.walked else { continue }
            let before = t.cursor
            _ = databases[db].snapshotWalk(budget: left)
            left -= max(t.cursor - before, 1)
        }
        return snap.isComplete
    }

    /// Captures the key at `i` for the active snapshot before its value changes in place
    /// without passing through the keyspace (a module writing its own object).
    public func preserveBeforeInPlaceWrite(_ db: Int, _ i: Int) {
        databases[db].preserve(i)
    }

    /// Ends the active snapshot (after it completed, or to abandon it).
    public func endSnapshot() {
        guard activeSnapshot != nil else { return }
        for db in 0..<databases.count { databases[db].snapshot = nil }
        activeSnapshot = nil
    }
}
