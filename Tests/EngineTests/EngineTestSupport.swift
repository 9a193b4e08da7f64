// EngineTestSupport: a KeyTable invariant checker shared by the engine tests
// (the seeded generator is CairnTestSupport's SplitMix64).
//
// The checker reads KeyTable's internals (through @testable) and states what must
// hold after every operation: live and free slots add up, every live entry sits in
// the chain of bucket `hash & mask` exactly once, the free list is exactly the free
// slots, and `expiring` lists exactly the entries with a deadline, each knowing
// its own slot.
import XCTest
@testable import Engine

func stringValue(_ s: String) -> Value { .string(.bytes(Array(s.utf8), raw: false)) }

/// Checks every structural invariant of `table`; returns the first violation, or nil.
func keyTableViolation(_ table: KeyTable) -> String? {
    let entries = table.entries
    let buckets = table.buckets
    guard buckets.count >= 4, buckets.count & (buckets.count - 1) == 0 else { return "bucket count \(buckets.count)" }
    guard table.count <= buckets.count else { return "load factor: \(table.count) keys in \(buckets.count) buckets" }
    let live = entries.indices.filter { entries[$0].expireSlot != freeMarker }
    guard live.count == table.count else { return "count \(table.count) but \(live.count) live entries" }
    guard entries.count - live.count == table.freeCount else { return "freeCount \(table.freeCount)" }

    // Free list: exactly the free slots, no cycle.
    var free = Set<Int>()
    var f = table.freeHead
    while f >= 0 {
        guard free.insert(Int(f)).inserted else { return "free list cycle at \(f)" }
        guard entries[Int(f)].expireSlot == freeMarker else { return "live entry \(f) on the free list" }
        f = entries[Int(f)].next
    }
    guard free.count == table.freeCount else { return "free list has \(free.count), freeCount \(table.freeCount)" }

    // Chains: every live entry once, in its own bucket.
    var seen = Set<Int>()
    let mask = UInt64(buckets.count - 1)
    for b in 0..<buckets.count {
        var i = buckets[b]
        while i >= 0 {
            let e = entries[Int(i)]
            guard e.expireSlot != freeMarker else { return "free entry \(i) in bucket \(b)" }
            let h = hashKey(e.key.bytes)
            guard Int(h & mask) == b else { return "entry \(i) in bucket \(b), belongs in \(h & mask)" }
            guard seen.insert(Int(i)).inserted else { return "entry \(i) chained twice" }
            i = e.next
        }
    }
    guard seen.count == live.count else { return "\(live.count - seen.count) live entries unreachable" }

    // Expiry index.
    guard table.expiring.count == live.filter({ entries[$0].expireSlot >= 0 }).count else { return "expiring count" }
    guard table.expiringAt.count == table.expiring.count else { return "deadlines and expiring keys differ in number" }
    for (slot, index) in table.expiring.enumerated() {
        let e = entries[Int(index)]
        guard e.expireSlot == Int32(slot) else { return "expiring[\(slot)] = \(index) but its slot is \(e.expireSlot)" }
        guard table.expiringAt[slot] != noExpire else { return "entry \(index) listed as expiring without a deadline" }
    }
    // Keys are unique.
    guard Set(live.map { entries[$0].key.bytes }).count == live.count else { return "duplicate keys" }
    return nil
}
