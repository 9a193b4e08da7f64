// ChainedBuckets: what the engine's three hash tables (the keyspace's KeyTable,
// ByteStringTable for hash fields and set members, SortedSetTable for members'
// scores) share: slots in one array, chained through Int32 `next` indices from a
// power-of-two bucket array, a slot always in bucket `hash & mask`.
//
// Contract: a conforming table exposes its buckets and, per slot, whether it is
// live, its stored hash and its chain link; these operations do the rest. Because
// placement is always `hash & mask` and sizes are powers of two, `scanBucket`
// gives Redis's dictScan promise (every element present for a whole scan is
// visited) across grows and shrinks.

protocol ChainedBuckets {
    var buckets: [Int32] { get set }
    /// Live elements.
    var count: Int { get }
    /// Slots in use or free, live or not.
    var slotCount: Int { get }
    func slotIsLive(_ i: Int) -> Bool
    func slotHash(_ i: Int) -> UInt64
    func slotNext(_ i: Int) -> Int32
    mutating func setSlotNext(_ i: Int, _ next: Int32)
}

extension ChainedBuckets {
    /// The bucket slot `i` belongs to.
    @inline(__always) func bucket(ofSlot i: Int) -> Int { Int(slotHash(i) & UInt64(buckets.count - 1)) }

    /// Takes slot `i` out of its bucket's chain (the slot itself is left as it is).
    mutating func unlinkSlot(_ i: Int) {
        let b = bucket(ofSlot: i)
        if buckets[b] == Int32(i) {
            buckets[b] = slotNext(i)
            return
        }
        var p = Int(buckets[b])
        while slotNext(p) != Int32(i) { p = Int(slotNext(p)) }
        setSlotNext(p, slotNext(i))
    }

    /// Visits the slots of the bucket at `cursor` and returns the next cursor (0 when
    /// the walk is complete), as Redis's dictScan does for one table.
    func scanBucket(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        if count == 0 { return 0 }
        let mask = UInt64(buckets.count - 1)
        var i = buckets[Int(cursor & mask)]
        while i >= 0 {
            visit(Int(i))
            i = slotNext(Int(i))
        }
        var v = cursor | ~mask
        v = reverseBits(v)
        v &+= 1
        return reverseBits(v)
    }

    /// Re-chains every live slot into `size` (a power of two) fresh buckets.
    mutating func relinkBuckets(size: Int) {
        var fresh = [Int32](repeating: -1, count: size)
        let mask = UInt64(size - 1)
        for i in 0..<slotCount where slotIsLive(i) {
            let b = Int(slotHash(i) & mask)
            setSlotNext(i, fresh[b])
            fresh[b] = Int32(i)
        }
        buckets = fresh
    }
}
