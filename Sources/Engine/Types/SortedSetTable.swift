// SortedSetTable: member -> score index of a large sorted set (Redis's zset dict).
//
// Contract: a chained hash table whose slots live in one array and chain through
// Int32 indices from a power-of-two bucket array; a member is hashed once with
// `hasher.combine(bytes:)` (never byte by byte) and its hash kept in the slot, so
// resizing never rehashes bytes. The member buffer is shared with the tree (one
// copy of the bytes, two references).
//
// The tricky bit: ZSCAN. A member always sits in bucket `hash & mask` and the
// table only doubles or halves, so the reverse-binary cursor of Redis's dictScan
// keeps its promise here: every member present for the whole scan is returned.
// Free slots are marked by a NaN score (no stored score is ever NaN).

struct SortedSetTable {
    struct Slot {
        var member: Bytes
        var score: Double
        var hash: UInt32
        var next: Int32
    }

    private(set) var slots: [Slot] = []
    var buckets: [Int32] = [-1, -1, -1, -1]
    private var freeHead: Int32 = -1
    private var freeCount = 0
    private(set) var count = 0

    init() {}

    init(capacity: Int) {
        buckets = Array(repeating: -1, count: Swift.max(4, capacity.nextPowerOfTwo))
        slots.reserveCapacity(capacity)
    }

    @inline(__always) static func hash(_ member: Bytes) -> UInt32 {
        UInt32(truncatingIfNeeded: hashKey(member))
    }

    /// The slot holding `member`, or nil.
    func find(_ member: Bytes) -> Int? {
        let h = Self.hash(member)
        var i = buckets[Int(h & UInt32(buckets.count - 1))]
        while i >= 0 {
            let s = slots[Int(i)]
            if s.hash == h && s.member == member { return Int(i) }
            i = s.next
        }
        return nil
    }

    func score(at i: Int) -> Double { slots[i].score }
    func member(at i: Int) -> Bytes { slots[i].member }
    mutating func setScore(_ score: Double, at i: Int) { slots[i].score = score }

    /// Adds a member known to be absent.
    mutating func insert(_ member: Bytes, _ score: Double) {
        if count + 1 > buckets.count { relinkBuckets(size: buckets.count * 2) }
        let h = Self.hash(member)
        let b = Int(h & UInt32(buckets.count - 1))
        let slot = Slot(member: member, score: score, hash: h, next: buckets[b])
        let i: Int
        if freeHead >= 0 {
            i = Int(freeHead)
            freeHead = slots[i].next
            freeCount -= 1
            slots[i] = slot
        } else {
            i = slots.count
            slots.append(slot)
        }
        buckets[b] = Int32(i)
        count += 1
    }

    /// Removes the member at slot `i`.
    mutating func remove(at i: Int) {
        unlinkSlot(i)
        slots[i] = Slot(member: [], score: .nan, hash: 0, next: freeHead)
        freeHead = Int32(i)
        freeCount += 1
        count -= 1
        if count == 0 {
            self = SortedSetTable()
        } else if freeCount > 64 && freeCount > count {
            compact()
        } else if buckets.count > 4 && count * 10 < buckets.count {
            relinkBuckets(size: Swift.max(4, (count * 2).nextPowerOfTwo))
        }
    }

    /// Calls `body` for every (member, score), in storage order.
    func forEach(_ body: (Bytes, Double) -> Void) {
        for s in slots where !s.score.isNaN { body(s.member, s.score) }
    }

    /// Visits the slots of the bucket at `cursor`; returns the next cursor (0 at the end).
    func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        scanBucket(cursor: cursor, visit)
    }

    private mutating func compact() {
        slots = slots.filter { !$0.score.isNaN }
        freeHead = -1
        freeCount = 0
        relinkBuckets(size: Swift.max(4, count.nextPowerOfTwo))
    }
}

extension SortedSetTable: ChainedBuckets {
    var slotCount: Int { slots.count }
    func slotIsLive(_ i: Int) -> Bool { !slots[i].score.isNaN }
    func slotHash(_ i: Int) -> UInt64 { UInt64(slots[i].hash) }
    func slotNext(_ i: Int) -> Int32 { slots[i].next }
    mutating func setSlotNext(_ i: Int, _ next: Int32) { slots[i].next = next }
}
