// ByteStringTable: a hash table keyed by byte strings, the general ("hashtable")
// form behind large hashes and sets (and reusable by sorted sets).
//
// Contract: keys are distinct byte strings, held inside their entries up to 14
// bytes (InlineBytes); each carries a `Payload` (the value of a hash field,
// itself InlineBytes, nothing for a set member, a score for a sorted set). It is a
// value type: copies share storage until one of them is mutated (the arrays it
// holds are copy-on-write).
//
// Layout: entries sit densely in one array (so a random entry is one random
// index, and iteration is cheap), chained from a power-of-two bucket array by
// `next` indices. A key always lives in bucket `hash & mask` and the bucket
// array only doubles or halves, so `scan` can walk it with Redis's
// reverse-binary cursor and keep SCAN's promise (every entry present for the
// whole iteration is returned at least once, across resizes).
//
// The tricky bit: removal moves the last entry into the hole to stay dense, so
// the chain link that pointed at the last entry must be redirected. Entry
// indices are therefore only valid until the next insert or remove.


@usableFromInline func byteStringHash(_ key: Bytes) -> UInt32 {
    UInt32(truncatingIfNeeded: key.withUnsafeBytes { byteHash($0) })
}


public struct ByteStringTable<Payload> {
    @usableFromInline struct Entry {
        @usableFromInline var key: InlineBytes
        @usableFromInline var payload: Payload
        @usableFromInline var hash: UInt32
        @usableFromInline var next: Int32
    }

    @usableFromInline var entries: [Entry] = []
    @usableFromInline var buckets: [Int32] = Array(repeating: -1, count: 4)

    /// An empty table with room for `capacity` entries before its buckets grow.
    public init(capacity: Int = 0) {
        if capacity > 0 {
            entries.reserveCapacity(capacity)
            buckets = Array(repeating: -1, count: max(4, capacity.nextPowerOfTwo))
        }
    }

    /// Number of entries.
    public var count: Int { entries.count }
    /// Number of buckets (a power of two), for tests and SCAN.
    public var bucketCount: Int { buckets.count }

    // MARK: lookup

    /// The index of `key`'s entry, or nil.
    public func find(_ key: Bytes) -> Int? {
        find(key, hash: byteStringHash(key))
    }

    @usableFromInline func find(_ key: Bytes, hash h: UInt32) -> Int? {
        var i = buckets[Int(h) & (buckets.count - 1)]
        while i >= 0 {
            let idx = Int(i)
            if entries[idx].hash == h && entries[idx].key == key { return idx }
            i = entries[idx].next
        }
        return nil
    }

    public func contains(_ key: Bytes) -> Bool { find(key) != nil }
    public func key(at i: Int) -> Bytes { entries[i].key.bytes }
    public func payload(at i: Int) -> Payload { entries[i].payload }
    public mutating func setPayload(_ p: Payload, at i: Int) { entries[i].payload = p }

    /// The payload stored for `key`, or nil.
    public func payload(for key: Bytes) -> Payload? {
        guard let i = find(key) else { return nil }
        return entries[i].payload
    }

    // MARK: insert and remove

    /// Inserts `key` known to be absent; returns its index.
    @discardableResult
    public mutating func insertNew(_ key: Bytes, _ payload: Payload) -> Int {
        insertNew(key, payload, hash: byteStringHash(key))
    }

    @discardableResult
    @usableFromInline mutating func insertNew(_ key: Bytes, _ payload: Payload, hash h: UInt32) -> Int {
        if entries.count + 1 > buckets.count { relinkBuckets(size: buckets.count * 2) }
        let b = Int(h) & (buckets.count - 1)
        let i = entries.count
        entries.append(Entry(key: InlineBytes(key), payload: payload, hash: h, next: buckets[b]))
        buckets[b] = Int32(i)
        return i
    }

    /// Stores `payload` at `key`, adding the key if needed. True when the key is new.
    @discardableResult
    public mutating func set(_ key: Bytes, _ payload: Payload) -> Bool {
        let h = byteStringHash(key)
        if let i = find(key, hash: h) {
            entries[i].payload = payload
            return false
        }
        insertNew(key, payload, hash: h)
        return true
    }

    /// Adds `key` with `payload` unless present. True when it was added.
    @discardableResult
    public mutating func insertIfAbsent(_ key: Bytes, _ payload: Payload) -> Bool {
        let h = byteStringHash(key)
        if find(key, hash: h) != nil { return false }
        insertNew(key, payload, hash: h)
        return true
    }

    /// Removes `key`; returns its payload, or nil when it was absent.
    @discardableResult
    public mutating func remove(_ key: Bytes) -> Payload? {
        guard let i = find(key) else { return nil }
        return remove(at: i).payload
    }

    /// Removes the entry at `i` (the last entry moves into its place).
    @discardableResult
    public mutating func remove(at i: Int) -> (key: Bytes, payload: Payload) {
        unlinkSlot(i)
        let last = entries.count - 1
        if i != last {
            // Redirect the link that points at the last entry, then move it into the hole.
            let lb = Int(entries[last].hash) & (buckets.count - 1)
            if buckets[lb] == Int32(last) {
                buckets[lb] = Int32(i)
            } else {
                var p = Int(buckets[lb])
                while entries[p].next != Int32(last) { p = Int(entries[p].next) }
                entries[p].next = Int32(i)
            }
            entries.swapAt(i, last)
        }
        let removed = entries.removeLast()
        if entries.isEmpty {
            self = ByteStringTable()
        } else if buckets.count > 4 && entries.count * 10 < buckets.count {
            // Redis shrinks a dict below 10% fill; halving keeps SCAN cursors valid.
            relinkBuckets(size: max(4, entries.count.nextPowerOfTwo))
            if entries.capacity > 2 * entries.count + 16 {
                // Give back the entry array's slack too (Array(entries) would share it).
                var fresh: [Entry] = []
                fresh.reserveCapacity(entries.count)
                fresh.append(contentsOf: entries)
                entries = fresh
            }
        }
        return (removed.key.bytes, removed.payload)
    }

    /// Takes entry `i` out of its bucket chain.
    public mutating func removeAll() { self = ByteStringTable() }

    // MARK: iteration and sampling

    /// Visits every entry in storage order. Do not mutate while iterating.
    @inlinable public func forEach(_ body: (Bytes, Payload) throws -> Void) rethrows {
        for e in entries { try body(e.key.bytes, e.payload) }
    }

    /// Visits every entry in storage order, its key as a view valid only during the
    /// call (no copy of an inline key). Do not mutate while iterating.
    @inlinable public func forEachView(_ body: (UnsafeRawBufferPointer, Payload) throws -> Void) rethrows {
        for e in entries { try e.key.withBytes { try body($0, e.payload) } }
    }

    /// Every key, in storage order.
    public var keys: [Bytes] { entries.map { $0.key.bytes } }

    /// A uniformly chosen entry index, or nil when empty.
    public func randomIndex<G: RandomNumberGenerator>(using g: inout G) -> Int? {
        entries.isEmpty ? nil : Int.random(in: 0..<entries.count, using: &g)
    }

    /// Visits the entries of the bucket at `cursor` and returns the next cursor
    /// (0 when the walk is complete), as Redis's dictScan does for one table.
    public func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        scanBucket(cursor: cursor, visit)
    }

    // MARK: maintenance

}

/// A shared, copy-on-write box around a table, so a collection's value is one
/// reference wide (the `Value` enum stays small). Mutators check uniqueness and
/// copy the box first when it is shared (a snapshot or another copy holds it).
public final class TableBox<Payload>: @unchecked Sendable {
    public var table: ByteStringTable<Payload>
    public init(_ table: ByteStringTable<Payload>) { self.table = table }
}

extension ByteStringTable: ChainedBuckets {
    var slotCount: Int { entries.count }
    func slotIsLive(_ i: Int) -> Bool { true }
    func slotHash(_ i: Int) -> UInt64 { UInt64(entries[i].hash) }
    func slotNext(_ i: Int) -> Int32 { entries[i].next }
    mutating func setSlotNext(_ i: Int, _ next: Int32) { entries[i].next = next }
}
