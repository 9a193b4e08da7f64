// KeyTable: the hash table behind one database.
//
// Entries live in one contiguous array and chain through `next` indices from a
// power-of-two bucket array, so a lookup touches no per-key node object. A key
// always sits in bucket `hash & mask`; the table only ever doubles or halves, so
// SCAN can walk buckets with Redis's reverse-binary cursor and keep its promise
// (every key present for the whole scan is returned, across resizes).
//
// Keys with a time to live are also listed densely in `expiring`, so the active
// expire cycle samples only keys that can expire, and RANDOMKEY samples entries
// uniformly. Entries sit in a SegmentedArray, so growing never moves or copies
// them. Their deadlines sit beside that list (`expiringAt`), not in every
// entry, and an entry keeps only 16 bits of its key's hash (a resize hashes the key
// again): each key
// costs 40 bytes of entry, which with the array's growth slack is what decides
// how many keys fit under maxmemory. Contract: an entry index is valid until the next insert or remove;
// callers never keep one across a mutation.

@usableFromInline let noExpire: Int64 = -1
@usableFromInline let freeMarker: Int32 = -2

/// The 16 bits of a key's hash an entry keeps: the top ones, which bucket indices
/// (the low bits) never use.
@inlinable func fingerprint(_ hash: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: hash >> 48) }

/// A key's hash (ByteHash.swift): the bucket is its low bits, the fingerprint its top ones.
@inlinable public func hashKey(_ key: Bytes) -> UInt64 { key.withUnsafeBytes { byteHash($0) } }

/// `hashKey` of a key still in a receive buffer (the same value for the same bytes).
@inlinable public func hashKey(_ key: UnsafeRawBufferPointer) -> UInt64 { byteHash(key) }

public struct KeyTable {
    /// One key. The field order packs it into 40 bytes: the 4-byte fields fill the gap
    /// after the value, and a key of up to 14 bytes lives inside it (InlineBytes.swift).
    @usableFromInline struct Entry {
        @usableFromInline var key: InlineBytes
        @usableFromInline var value: Value
        /// 16 bits of the key's hash (`fingerprint`), in the padding after the value: a
        /// lookup compares keys only where these match.
        @usableFromInline var tag: UInt16
        @usableFromInline var next: Int32
        /// Position in `expiring`, -1 without a TTL, `freeMarker` for a free slot.
        @usableFromInline var expireSlot: Int32
        /// LRU clock or LFU data, see AccessTracking.
        @usableFromInline var access: UInt32

        @usableFromInline init(key: Bytes, value: Value, tag: UInt16, next: Int32, expireSlot: Int32, access: UInt32) {
            self.key = InlineBytes(key)
            self.value = value
            self.tag = tag
            self.next = next
            self.expireSlot = expireSlot
            self.access = access
        }
    }

    @usableFromInline var entries = SegmentedArray<Entry>()
    @usableFromInline var buckets: [Int32] = Array(repeating: -1, count: 4)
    @usableFromInline var freeHead: Int32 = -1
    @usableFromInline var freeCount = 0
    @usableFromInline var expiring: [Int32] = []
    /// The deadline of the key at `expiring[k]`, at `expiringAt[k]`.
    @usableFromInline var expiringAt: [Int64] = []
    public private(set) var count = 0
    /// The active snapshot's state for this table (KeyspaceSnapshot.swift), nil when none.
    @usableFromInline var snapshot: TableSnapshot? = nil

    public init() {}

    public var expiringCount: Int { expiring.count }
    public var bucketCount: Int { buckets.count }

    /// Bytes the table's own structure reserves, keys and values apart from what sits
    /// inline in an entry: the entry slots (free ones too), the buckets, the TTL index.
    /// INFO memory's per-key overhead, as Redis counts its dict entries and buckets.
    public var overheadBytes: Int {
        entries.capacity * MemoryLayout<Entry>.stride + buckets.capacity * MemoryLayout<Int32>.stride
            + expiring.capacity * MemoryLayout<Int32>.stride + expiringAt.capacity * MemoryLayout<Int64>.stride
    }

    // MARK: lookup

    @inlinable public func find(_ key: Bytes) -> Int? { find(key, hash: hashKey(key)) }

    /// Finds `key` whose hash (`hashKey`) the caller already computed.
    @inlinable public func find(_ key: Bytes, hash h: UInt64) -> Int? {
        let tag = fingerprint(h)
        var i = Int(buckets[Int(h & UInt64(buckets.count - 1))])
        while i >= 0 {
            // Nested, not `&&`: its autoclosure would capture a copy of the table.
            if entries[i].tag == tag { if entries[i].key == key { return i } }
            i = Int(entries[i].next)
        }
        return nil
    }

    /// Reads the buckets the key hashes `hashes` fall in and the entries they lead to
    /// (overwriting `hashes`), and returns a word of them: a load touches a whole
    /// batch of keys this way before inserting them, so the cache misses of many keys
    /// overlap instead of coming one insert at a time.
    /// Two passes: the buckets first (independent reads), then the entries they name.
    public func warm(hashes: UnsafeMutableBufferPointer<UInt64>) -> UInt64 {
        let mask = UInt64(buckets.count - 1)
        buckets.withUnsafeBufferPointer { b in
            for k in hashes.indices { hashes[k] = UInt64(bitPattern: Int64(b[Int(hashes[k] & mask)])) }
        }
        var touched: UInt64 = 0
        for k in hashes.indices where Int64(bitPattern: hashes[k]) >= 0 { touched ^= UInt64(entries[Int(hashes[k])].tag) }
        return touched
    }

    /// `warm` for lookups rather than inserts, a pipelined batch's keys: follows each chain
    /// to the entry whose fingerprint matches (a third of lookups pass the head first) and
    /// touches the bytes of its long key (which a lookup compares next) and of its string
    /// value (whose reference count a read or an overwrite changes). Three passes, each of
    /// independent reads across the batch: buckets, entries, keys and values.
    public func warmLookups(hashes: UnsafeMutableBufferPointer<UInt64>) -> UInt64 {
        let mask = UInt64(buckets.count - 1)
        // Each hash keeps its fingerprint (the top 16 bits) and takes the chain's head below.
        buckets.withUnsafeBufferPointer { b in
            for k in hashes.indices {
                let h = hashes[k]
                hashes[k] = (h & Self.fingerprintBits) | UInt64(UInt32(bitPattern: b[Int(h & mask)]))
            }
        }
        var touched: UInt64 = 0
        for k in hashes.indices {
            let tag = fingerprint(hashes[k])
            var i = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: hashes[k])))
            var steps = 0
            var match = -1
            while i >= 0 && steps < Self.warmChainSteps {
                if entries[i].tag == tag {
                    match = i
                    break
                }
                i = Int(entries[i].next)
                steps += 1
            }
            hashes[k] = UInt64(bitPattern: Int64(match))
        }
        for k in hashes.indices where Int64(bitPattern: hashes[k]) >= 0 { touched ^= touchKeyAndValue(Int(hashes[k])) }
        return touched
    }

    @usableFromInline static let fingerprintBits: UInt64 = 0xFFFF_0000_0000_0000
    /// How far down a chain warming looks for a key's entry (chains are short: load factor <= 1).
    static let warmChainSteps = 4

    /// Reads the bytes of entry `i`'s key when it is on the heap, and of its value when
    /// that is a string: what a lookup compares and a write or a deletion releases.
    /// Returns a word of them, for the caller to keep so the loads are not dropped.
    public func touchKeyAndValue(_ i: Int) -> UInt64 {
        // The entry's last field too: a 40-byte entry often spans two cache lines, and a
        // lookup reads its TTL slot and access word after the key.
        var touched = UInt64(entries[i].access)
        if case .heap(let b, _) = entries[i].key { touched ^= b.address.load(as: UInt64.self) }
        switch entries[i].value {
        case .string(.bytes(let b, _)): touched ^= UInt64(b.count)
        case .string(.embedded(let box, _)): touched ^= box.address.load(as: UInt64.self)
        default: break
        }
        return touched
    }

    /// `touchKeyAndValue`, and the bucket the key hangs from: what removing entry `i` reads.
    public func touchForRemoval(_ i: Int) -> UInt64 {
        touchKeyAndValue(i) ^ UInt64(bitPattern: Int64(buckets[bucket(ofSlot: i)]))
    }

    /// True when slot `i` exists and holds a key (not a free slot).
    @inlinable public func isLive(_ i: Int) -> Bool {
        guard i >= 0, i < entries.count else { return false }
        return entries[i].expireSlot != freeMarker
    }

    @inlinable public func key(at i: Int) -> Bytes { entries[i].key.bytes }
    @inlinable public func value(at i: Int) -> Value { entries[i].value }
    @inlinable public func expireAt(at i: Int) -> Int64 {
        let slot = Int(entries[i].expireSlot)
        return slot >= 0 ? expiringAt[slot] : noExpire
    }
    @inlinable public func access(at i: Int) -> UInt32 { entries[i].access }
    @inlinable public mutating func setValue(_ v: Value, at i: Int) {
        preserve(i)
        entries[i].value = v
    }
    @inlinable public mutating func setAccess(_ a: UInt32, at i: Int) { entries[i].access = a }

    /// Moves the value out (leaving a placeholder) so it can be mutated without a copy.
    @inlinable public mutating func takeValue(at i: Int) -> Value {
        preserve(i)
        let v = entries[i].value
        entries[i].value = placeholder
        return v
    }

    @usableFromInline var placeholder: Value { .string(.int(0)) }

    // MARK: insert and remove

    /// Inserts a key known to be absent; returns its index.
    @discardableResult
    public mutating func insert(_ key: Bytes, _ value: Value, expireAt: Int64 = noExpire, access: UInt32 = 0) -> Int {
        insert(key, hash: hashKey(key), value, expireAt: expireAt, access: access)
    }

    /// Inserts a key known to be absent, whose hash the caller already computed.
    @discardableResult
    public mutating func insert(_ key: Bytes, hash h: UInt64, _ value: Value, expireAt: Int64 = noExpire, access: UInt32 = 0) -> Int {
        if count + 1 > buckets.count { relinkBuckets(size: buckets.count * 2) }
        let b = Int(h & UInt64(buckets.count - 1))
        let entry = Entry(key: key, value: value, tag: fingerprint(h), next: buckets[b], expireSlot: -1, access: access)
        let i: Int
        if freeHead >= 0 {
            i = Int(freeHead)
            freeHead = entries[i].next
            freeCount -= 1
            entries[i] = entry
        } else {
            i = entries.count
            entries.append(entry)
        }
        snapshot?.markDone(i)
        buckets[b] = Int32(i)
        count += 1
        if expireAt != noExpire { setExpire(expireAt, at: i) }
        return i
    }

    /// Inserts `key` unless it is present (hashing it once); nil when it was there.
    public mutating func insertIfAbsent(_ key: Bytes, _ value: Value, expireAt: Int64 = noExpire, access: UInt32 = 0) -> Int? {
        insertIfAbsent(key, hash: hashKey(key), value, expireAt: expireAt, access: access)
    }

    /// `insertIfAbsent` with the key's hash (`hashKey`) computed by the caller.
    public mutating func insertIfAbsent(_ key: Bytes, hash h: UInt64, _ value: Value, expireAt: Int64 = noExpire,
                                        access: UInt32 = 0) -> Int? {
        if find(key, hash: h) != nil { return nil }
        return insert(key, hash: h, value, expireAt: expireAt, access: access)
    }

    /// Makes room for `n` keys in all (a load's size hint): the buckets a table of
    /// `n` keys would have grown to, and the entry storage.
    public mutating func reserveCapacity(_ n: Int) {
        guard n > count else { return }
        entries.reserveCapacity(n)
        let size = Swift.max(4, n.nextPowerOfTwo)
        if size > buckets.count { relinkBuckets(size: size) }
    }

    /// Removes the entry at `i`; returns its value.
    @discardableResult
    public mutating func remove(at i: Int) -> Value {
        preserve(i)
        unlinkSlot(i)
        removeExpire(at: i)
        var old = placeholder
        swap(&old, &entries[i].value)  // moved out: no retain of the value and release of the slot's copy
        entries[i].key = []
        entries[i].expireSlot = freeMarker
        entries[i].next = freeHead
        freeHead = Int32(i)
        freeCount += 1
        count -= 1
        if count == 0 {
            let s = snapshot
            self = KeyTable()
            snapshot = s
        } else if freeCount > 64 && freeCount > count && snapshot == nil {
            compact()
        } else if buckets.count > 4 && count * 10 < buckets.count {
            relinkBuckets(size: max(4, (count * 2).nextPowerOfTwo))
        }
        return old
    }

    public mutating func removeAll() {
        preserveAll()
        let s = snapshot
        self = KeyTable()
        snapshot = s
    }

    // MARK: expiry index

    public mutating func setExpire(_ at: Int64, at i: Int) {
        if at == noExpire { removeExpire(at: i); return }
        preserve(i)
        if entries[i].expireSlot < 0 {
            entries[i].expireSlot = Int32(expiring.count)
            expiring.append(Int32(i))
            expiringAt.append(at)
        } else {
            expiringAt[Int(entries[i].expireSlot)] = at
        }
    }

    public mutating func removeExpire(at i: Int) {
        let slot = Int(entries[i].expireSlot)
        guard slot >= 0 else { return }
        preserve(i)
        let last = expiring.removeLast()
        let lastAt = expiringAt.removeLast()
        if slot < expiring.count {
            expiring[slot] = last
            expiringAt[slot] = lastAt
            entries[Int(last)].expireSlot = Int32(slot)
        }
        entries[i].expireSlot = -1
    }

    // MARK: sampling and iteration

    /// A uniformly chosen live entry, or nil when empty.
    public func randomIndex<G: RandomNumberGenerator>(using g: inout G) -> Int? {
        if count == 0 { return nil }
        while true {
            let i = Int.random(in: 0..<entries.count, using: &g)
            if entries[i].expireSlot != freeMarker { return i }
        }
    }

    /// A uniformly chosen entry that has a TTL, or nil when none has.
    public func randomExpiringIndex<G: RandomNumberGenerator>(using g: inout G) -> Int? {
        if expiring.isEmpty { return nil }
        return Int(expiring[Int.random(in: 0..<expiring.count, using: &g)])
    }

    /// The most picks `drawPicks` makes at once.
    public static let maxPicks = 16

    /// `n` (at most `maxPicks`) uniformly drawn live entries, only ones with a TTL when
    /// `expiringOnly`, with repeats; the table must hold some. Eviction's sampling.
    /// Each pick is a cache miss: drawn together, their independent loads overlap instead
    /// of queueing. (The picks are returned on the stack: a visiting closure would capture
    /// a copy of the table.)
    public func drawPicks<G: RandomNumberGenerator>(_ n: Int, expiringOnly: Bool,
                                                    using g: inout G) -> InlineArray<16, Int> {
        var picks = InlineArray<16, Int>(repeating: -1)
        for k in 0..<Swift.min(n, Self.maxPicks) {
            let i = expiringOnly ? Int(expiring[Int.random(in: 0..<expiring.count, using: &g)])
                                 : Int.random(in: 0..<entries.count, using: &g)
            picks[k] = entries[i].expireSlot == freeMarker ? -1 : i
        }
        // A free slot (all-keys picks only) is drawn again, one at a time.
        for k in 0..<Swift.min(n, Self.maxPicks) where picks[k] < 0 { picks[k] = randomIndex(using: &g) ?? -1 }
        return picks
    }

    /// Every live entry index, in storage order. Do not mutate while iterating.
    public var indices: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<entries.count where entries[i].expireSlot != freeMarker { out.append(i) }
        return out
    }

    /// Visits the keys of the bucket(s) at `cursor` and returns the next cursor
    /// (0 when the scan is complete), as Redis's dictScan does for one table.
    public func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        scanBucket(cursor: cursor, visit)
    }

    // MARK: maintenance

    /// Drops free slots so sampling stays uniform and memory follows the key count.
    @usableFromInline mutating func compact() {
        var packed = SegmentedArray<Entry>()
        packed.reserveCapacity(count)
        var deadlines: [Int64] = []
        for j in 0..<entries.count where entries[j].expireSlot != freeMarker {
            let e = entries[j]
            packed.append(e)
            deadlines.append(e.expireSlot >= 0 ? expiringAt[Int(e.expireSlot)] : noExpire)
        }
        entries = packed
        freeHead = -1
        freeCount = 0
        expiring.removeAll(keepingCapacity: true)
        expiringAt.removeAll(keepingCapacity: true)
        for i in 0..<entries.count where entries[i].expireSlot >= 0 {
            entries[i].expireSlot = Int32(expiring.count)
            expiring.append(Int32(i))
            expiringAt.append(deadlines[i])
        }
        relinkBuckets(size: max(4, count.nextPowerOfTwo))
    }
}

extension KeyTable: ChainedBuckets {
    var slotCount: Int { entries.count }
    func slotIsLive(_ i: Int) -> Bool { entries[i].expireSlot != freeMarker }
    func slotHash(_ i: Int) -> UInt64 { entries[i].key.hash }
    func slotNext(_ i: Int) -> Int32 { entries[i].next }
    mutating func setSlotNext(_ i: Int, _ next: Int32) { entries[i].next = next }
}

@inlinable func reverseBits(_ v: UInt64) -> UInt64 {
    var x = v
    x = ((x >> 1) & 0x5555_5555_5555_5555) | ((x & 0x5555_5555_5555_5555) << 1)
    x = ((x >> 2) & 0x3333_3333_3333_3333) | ((x & 0x3333_3333_3333_3333) << 2)
    x = ((x >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((x & 0x0F0F_0F0F_0F0F_0F0F) << 4)
    return x.byteSwapped
}

extension Int {
    /// The smallest power of two not below self (1 for 0).
    @inlinable var nextPowerOfTwo: Int {
        if self <= 1 { return 1 }
        return 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
