// ListValue: a Redis list, stored as a quicklist (a sequence of ziplist nodes).
//
// Contract: a value type (copy-on-write over one QuickList reference, so a
// Value holding a list stays 8 bytes and a snapshot copy costs O(1)); every
// mutating method makes the storage unique first. Indexes are 0-based from the
// head; callers turn Redis's negative indexes into these. `fill` is
// list-max-ziplist-size (`EncodingLimits.listMaxNodeSize`). OBJECT ENCODING is
// always "quicklist", as Redis 4.0 reports for every list. list-compress-depth
// is accepted by the config but nodes are not LZF-compressed.
//
// The tricky bit: mutate only after `ks.take` moved the value out of the
// keyspace; a copy left behind there would make every push copy the list.

public struct ListValue: CollectionValue {
    @usableFromInline var storage: QuickList

    public init() { storage = QuickList() }

    /// A list of `elements`, head first.
    public init(_ elements: [Bytes], fill: Int = -2) {
        self.init()
        for e in elements { storage.pushTail(e, fill: fill) }
    }

    /// A list made of ziplist nodes read from a file (RDB quicklist), nil if any is malformed.
    /// Empty nodes are dropped.
    public init?(packedNodes: [[UInt8]]) {
        self.init()
        for bytes in packedNodes {
            guard let z = Ziplist(validating: bytes) else { return nil }
            if z.isEmpty { continue }
            storage.insertNode(z, at: storage.nodes)
            storage.count += z.count
        }
    }

    public var encodingName: String { "quicklist" }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }
    /// Number of quicklist nodes.
    public var nodeCount: Int { storage.nodes }
    /// Each node's ziplist bytes, head first (what an RDB quicklist stores).
    public var packedNodes: [[UInt8]] { (0..<storage.nodes).map { storage.node($0).pointee.bytes } }

    @inline(__always) private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    // MARK: ends

    /// LPUSH / RPUSH of one value.
    public mutating func push(_ value: Bytes, atHead: Bool, fill: Int) {
        makeUnique()
        if atHead { storage.pushHead(value, fill: fill) } else { storage.pushTail(value, fill: fill) }
    }

    /// LPOP / RPOP; nil when empty.
    public mutating func pop(atHead: Bool) -> Bytes? {
        makeUnique()
        return atHead ? storage.popHead() : storage.popTail()
    }

    // MARK: positions

    /// Element `index` (0 ..< count), or nil outside.
    public func element(at index: Int) -> Bytes? {
        guard index >= 0 && index < count else { return nil }
        let (ni, local) = storage.locate(index)
        let z = storage.node(ni)
        return z.pointee.element(at: z.pointee.offset(ofIndex: local))
    }

    /// LSET: replaces element `index`; false when out of range.
    public mutating func replace(at index: Int, with value: Bytes) -> Bool {
        guard index >= 0 && index < count else { return false }
        makeUnique()
        storage.replace(at: index, with: value)
        return true
    }

    /// LINSERT: inserts `value` before or after the first element equal to `pivot`; false if none.
    public mutating func insert(_ value: Bytes, pivot: Bytes, after: Bool, fill: Int) -> Bool {
        makeUnique()
        return storage.insert(value, pivot: ListProbe(pivot), after: after, fill: fill)
    }

    /// LREM: removes up to |limit| elements equal to `value` (from the head when limit > 0,
    /// the tail when < 0, all when 0); returns how many.
    public mutating func remove(_ value: Bytes, limit: Int) -> Int {
        makeUnique()
        return storage.remove(ListProbe(value), limit: limit)
    }

    /// LTRIM: drops `front` elements from the head and `back` from the tail (clamped to count).
    public mutating func trim(front: Int, back: Int) {
        makeUnique()
        let f = min(max(front, 0), count)
        storage.removeFirst(f)
        let b = min(max(back, 0), count)
        storage.removeLast(b)
    }

    // MARK: reading

    /// Calls `body` with the elements `start ..< start + n` (clamped), head to tail.
    /// A `.bytes` element is valid only during its call.
    public func forEach(from start: Int, count n: Int, _ body: (ListElement) -> Void) {
        let s = max(start, 0)
        let m = min(n, count - s)
        guard m > 0 else { return }
        storage.forEach(from: s, count: m, body)
    }

    /// Calls `body` with every element, head to tail.
    public func forEach(_ body: (ListElement) -> Void) { forEach(from: 0, count: count, body) }

    /// Calls `body` with every element, tail to head.
    public func forEachReversed(_ body: (ListElement) -> Void) { storage.forEachReversed(body) }

    /// Every element, head first.
    public var elements: [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(count)
        forEach { out.append($0.bytesValue) }
        return out
    }

    /// Redis's DEBUG DIGEST for a list: each element mixed in order, integers as decimal text.
    public func mixDigest(into digest: inout [UInt8]) {
        forEach { DatasetDigest.mix(&digest, $0.bytesValue) }
    }

    /// True when every node is a valid ziplist, none is empty, and the counts agree (for tests).
    public var isConsistent: Bool {
        var total = 0
        for i in 0..<storage.nodes {
            let z = storage.node(i).pointee
            guard Ziplist.isValid(z.bytes), !z.isEmpty else { return false }
            total += z.count
        }
        return total == storage.count
    }

    public static func == (a: ListValue, b: ListValue) -> Bool {
        if a.storage === b.storage { return true }
        return a.count == b.count && a.elements == b.elements
    }
}

extension Value {
    /// Moves a list out of this value (leaving a placeholder), so the caller holds the only
    /// reference and mutates without a copy; nil (and untouched) for other types.
    @inlinable public mutating func takeList() -> ListValue? {
        guard case .list(let list) = self else { return nil }
        self = .string(.int(0))
        return list
    }
}
