// MemoryUsage: the bytes a key costs the allocator, for MEMORY USAGE.
//
// Redis's objectComputeSize adds up its structures' sizes; Cairn's values are
// Swift arrays, ManagedBuffers and class instances, so the figure is what each
// of their heap blocks takes from jemalloc: the block's request (a Swift heap
// object's 16-byte header, an array's 32-byte header and its capacity, never
// just its count) rounded up to jemalloc's size class. Aggregates are sampled
// as Redis samples them: the table or node arrays are counted whole, `samples`
// elements' own blocks are averaged and multiplied by the count.
// Storage shared between two values (a copy not yet written, a tree item and
// its table slot) is counted once per key, as if the key held it alone.

/// Heap block sizes as jemalloc hands them out (64-bit, 16-byte quantum).
public enum HeapBlock {
    /// Header of a Swift heap object (metadata pointer and reference counts).
    public static let objectHeader = 16
    /// Header of a Swift array's buffer: the object header, count and capacity.
    public static let arrayHeader = 32

    /// jemalloc's size class for a request of `n` bytes: 8, then multiples of 16 up
    /// to 128, then four classes per doubling (160, 192, 224, 256, 320, ...).
    public static func sizeClass(_ n: Int) -> Int {
        if n <= 0 { return 0 }
        if n <= 8 { return 8 }
        if n <= 128 { return (n + 15) & ~15 }
        let lg = Int.bitWidth - 1 - (n - 1).leadingZeroBitCount
        let spacing = 1 << (lg - 2)
        return (n + spacing - 1) & ~(spacing - 1)
    }

    /// The block behind an array with `capacity` slots of `T` (none for an empty array).
    public static func array<T>(_ a: [T]) -> Int {
        a.capacity == 0 ? 0 : sizeClass(arrayHeader + a.capacity * MemoryLayout<T>.stride)
    }

    /// The block of a class instance whose stored fields are laid out as `Fields`.
    static func object<Fields>(fields: Fields.Type) -> Int {
        sizeClass(objectHeader + MemoryLayout<Fields>.size)
    }
}

/// Averages the costs of `samples` of `count` elements and scales to all of them. The
/// samples are spread evenly (Redis takes the first ones): a list's end nodes stay
/// uncompressed and a table's first slots are the first to be freed, so the first few
/// elements are the least typical.
@inline(__always) func sampled(count: Int, samples: Int, _ cost: (Int) -> Int) -> Int {
    let n = min(count, max(samples, 1))
    guard n > 0 else { return 0 }
    var total = 0
    for j in 0..<n { total += cost(n == count ? j : j * count / n + count / (2 * n)) }
    return n == count ? total : Int((Double(total) / Double(n) * Double(count)).rounded())
}

extension Value {
    /// Heap bytes this value holds; `samples` elements of an aggregate are measured
    /// (Int.max: all of them).
    public func heapBytes(samples: Int) -> Int {
        switch self {
        case .string(.int): return 0
        case .string(.bytes(let b, _)): return HeapBlock.array(b)
        case .string(.embedded(_, let n)): return HeapBlock.sizeClass(HeapBlock.objectHeader + Int(n))
        case .list(let l): return l.heapBytes(samples: samples)
        case .hash(let h): return h.heapBytes(samples: samples)
        case .set(let s): return s.heapBytes(samples: samples)
        case .zset(let z): return z.heapBytes(samples: samples)
        case .module(let m): return m.memoryUsage  // the type's mem_usage callback, as 4.0 asks
        }
    }
}

extension ListValue {
    func heapBytes(samples: Int) -> Int {
        switch storage {
        case .single(let z): return HeapBlock.array(z.bytes)
        case .nodes(let q):
            let node = { (i: Int) -> Int in
                let s = q.slot(i).pointee
                return HeapBlock.array(s.raw.bytes) + (s.packed.map(HeapBlock.array) ?? 0)
            }
            // The instance: ring pointer, capacity, head, node count, count, depth, flag, generation.
            let instance = HeapBlock.object(fields: (Int, Int32, Int32, Int32, Int, Int, Bool, Int).self)
            let ring = HeapBlock.sizeClass(q.ringCapacity * MemoryLayout<QuickNode>.stride)
            return instance + ring + sampled(count: q.nodes, samples: samples, node)
        }
    }
}

extension ByteStringTable {
    /// The entry and bucket arrays, plus each entry's key (and `payloadBytes`) sampled.
    func heapBytes(samples: Int, payloadBytes: (Payload) -> Int) -> Int {
        HeapBlock.array(entries) + HeapBlock.array(buckets)
            + sampled(count: entries.count, samples: samples) { i in
                entries[i].key.heapBytes + payloadBytes(entries[i].payload)
            }
    }
}

extension PackedBuffer {
    /// A ManagedBuffer's capacity is what the allocator gave it, so its block is exact.
    var heapBytes: Int {
        storage == nil ? 0 : HeapBlock.sizeClass(HeapBlock.objectHeader + MemoryLayout<PackedBufferHeader>.size + capacity)
    }
}

extension HashValue {
    func heapBytes(samples: Int) -> Int {
        switch storage {
        case .packed(let p): return p.storage.heapBytes
        case .table(let box):
            return HeapBlock.object(fields: ByteStringTable<InlineBytes>.self)
                + box.table.heapBytes(samples: samples) { $0.heapBytes }
        }
    }
}

extension SetValue {
    func heapBytes(samples: Int) -> Int {
        switch storage {
        case .intset(let s): return s.storage.heapBytes
        case .table(let box):
            return HeapBlock.object(fields: ByteStringTable<Void>.self)
                + box.table.heapBytes(samples: samples) { _ in 0 }
        }
    }
}

extension SortedSetValue {
    func heapBytes(samples: Int) -> Int {
        switch storage {
        case .packed(let p): return HeapBlock.array(p.bytes)
        case .general(let g):
            let table = g.table
            // Members are shared by the table's slot and the tree's item: counted once, here.
            let members = sampled(count: table.slots.count, samples: samples) { HeapBlock.array(table.slots[$0].member) }
            return HeapBlock.object(fields: (SortedSetTable, SortedSetTree).self)
                + HeapBlock.array(table.slots) + HeapBlock.array(table.buckets) + members
                + g.tree.root.heapBytes
        }
    }
}

extension SortedSetTreeNode {
    /// This node's block and arrays and its subtree's (a tree has about count / 48 nodes).
    var heapBytes: Int {
        var bytes = HeapBlock.object(fields: ([SortedSetEntry], [SortedSetTreeNode], [Int], [SortedSetEntry]).self)
            + HeapBlock.array(items) + HeapBlock.array(children) + HeapBlock.array(sizes) + HeapBlock.array(lasts)
        for child in children { bytes += child.heapBytes }
        return bytes
    }
}

extension KeyTable {
    /// MEMORY USAGE of the key in slot `i`: its entry slot and bucket, its TTL index slot,
    /// the key's own block (keys over 14 bytes) and the value's blocks. The table's spare
    /// capacity is not any key's: MEMORY STATS shows it as the hashtable overhead.
    public func memoryUsage(at i: Int, samples: Int) -> Int {
        let e = entries[i]
        var bytes = MemoryLayout<Entry>.stride + MemoryLayout<Int32>.stride
        if e.expireSlot >= 0 { bytes += MemoryLayout<Int32>.stride }
        bytes += e.key.heapBytes
        return bytes + e.value.heapBytes(samples: samples)
    }

    /// The TTL index's share of `overheadBytes` (MEMORY STATS' overhead.hashtable.expires).
    public var expiresOverheadBytes: Int { expiring.capacity * MemoryLayout<Int32>.stride }
}
