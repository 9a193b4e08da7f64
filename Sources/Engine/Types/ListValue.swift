// ListValue: a Redis list, stored as a quicklist (a sequence of ziplist nodes).
//
// Contract: a value type, 8 bytes inside a Value: a list of one node is that
// node's ziplist (one allocation), a longer one a QuickList reference; both are
// copy-on-write, so a snapshot copy costs O(1), and every mutating method makes
// the storage unique first. Indexes are 0-based from the
// head; callers turn Redis's negative indexes into these. `fill` is
// list-max-ziplist-size (`EncodingLimits.listMaxNodeSize`). OBJECT ENCODING is
// always "quicklist", as Redis 4.0 reports for every list. `depth` is
// list-compress-depth (`EncodingLimits.listCompressDepth`): it is read when a
// list first needs a QuickList (its second node) and kept by that QuickList,
// so a CONFIG SET applies to lists that grow past one node afterwards (Redis
// fixes it when the key is created; a one-node list is never compressed
// either way, so the two differ only for a list made before the CONFIG SET
// that was still one node then). Interior nodes may be LZF-compressed; nothing
// outside the quicklist can tell (ListQuicklistNode.swift).
//
// The tricky bit: mutate only after `ks.take` moved the value out of the
// keyspace; a copy left behind there would make every push copy the list.

public struct ListValue: CollectionValue {
    /// A list of one node (or none) is just that node; only longer lists pay for a QuickList.
    @usableFromInline enum Storage: Sendable {
        case single(Ziplist)
        case nodes(QuickList)
    }

    @usableFromInline var storage: Storage

    public init() { storage = .single(Ziplist()) }

    /// A list of `elements`, head first.
    public init(_ elements: [Bytes], fill: Int = -2, depth: Int = 0) {
        self.init()
        for e in elements { push(e, atHead: false, fill: fill, depth: depth) }
    }

    /// A list made of ziplist nodes read from a file (RDB quicklist), nil if any is malformed.
    /// Empty nodes are dropped; interior nodes are compressed as `depth` says.
    public init?(packedNodes: [[UInt8]], depth: Int = 0) {
        var nodes: [Ziplist] = []
        for bytes in packedNodes {
            guard let z = Ziplist(validating: bytes) else { return nil }
            nodes.append(z)
        }
        self.init(nodes: nodes, depth: depth)
    }

    /// A list made of these nodes as they are (Redis's loader keeps a file's node
    /// boundaries too); empty nodes are dropped, interior ones compressed as `depth` says.
    public init(nodes: [Ziplist], depth: Int = 0) {
        if nodes.count == 1 {
            storage = .single(nodes[0])
            return
        }
        let q = QuickList(capacity: max(1, nodes.count).nextPowerOfTwo, compressDepth: depth)
        for z in nodes where !z.isEmpty {
            q.insertNode(z, at: q.nodes)
            q.count += z.count
        }
        q.pendingRecompress = true
        q.settleCompression()
        storage = q.nodes <= 1 ? .single(q.nodes == 1 ? q.read(0) : Ziplist()) : .nodes(q)
    }

    public var encodingName: String { "quicklist" }

    public var count: Int {
        switch storage {
        case .single(let z): return z.count
        case .nodes(let q): return q.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// Number of quicklist nodes.
    public var nodeCount: Int {
        switch storage {
        case .single(let z): return z.isEmpty ? 0 : 1
        case .nodes(let q): return q.nodes
        }
    }

    /// Each node's ziplist bytes, head first (what an RDB quicklist stores).
    public var packedNodes: [[UInt8]] {
        switch storage {
        case .single(let z): return z.isEmpty ? [] : [z.bytes]
        case .nodes(let q): return (0..<q.nodes).map { q.read($0).bytes }
        }
    }

    /// How many nodes are held LZF-compressed (list-compress-depth).
    public var compressedNodeCount: Int {
        if case .nodes(let q) = storage { return q.compressedNodes }
        return 0
    }

    // MARK: storage access

    /// Runs `body` on the single node in place (the storage must be `.single`).
    @inline(__always) private mutating func withSingle<R>(_ body: (inout Ziplist) -> R) -> R {
        guard case .single(var z) = storage else { preconditionFailure("not a single node") }
        storage = .single(Ziplist())  // drops this reference, so `z` is unique
        let result = body(&z)
        storage = .single(z)
        return result
    }

    /// Runs `body` on the list as a unique QuickList (a single node is converted first, with
    /// compress depth `depth`); afterwards the compression rule is restored, and a quicklist
    /// of one node or none returns to the single form.
    private mutating func withQuickList<R>(depth: Int = 0, _ body: (QuickList) -> R) -> R {
        var q: QuickList
        if case .single(let z) = storage {
            q = QuickList(single: z, compressDepth: depth)
            storage = .single(Ziplist())
        } else {
            // Taken out through a function: a `case .nodes(let existing)` binding here would
            // live to the end of its scope and make every list look shared (a copy per write).
            q = takeNodes()
            if !isKnownUniquelyReferenced(&q) { q = q.copy() }
        }
        let result = body(q)
        q.settleCompression()
        storage = q.nodes <= 1 ? .single(q.nodes == 1 ? q.read(0) : Ziplist()) : .nodes(q)
        return result
    }

    /// The QuickList of a `.nodes` list, moved out (the storage is left a single empty node).
    private mutating func takeNodes() -> QuickList {
        guard case .nodes(let q) = storage else { preconditionFailure("not a quicklist") }
        storage = .single(Ziplist())
        return q
    }

    // MARK: ends

    /// LPUSH / RPUSH of one value.
    public mutating func push(_ value: Bytes, atHead: Bool, fill: Int, depth: Int = 0) {
        if case .single = storage {
            let done = withSingle { z -> Bool in
                guard z.isEmpty || NodeLimits.allowInsert(z, length: value.count, fill: fill) else { return false }
                if atHead { z.prepend(value) } else { z.append(value) }
                return true
            }
            if done { return }
        }
        withQuickList(depth: depth) { q in atHead ? q.pushHead(value, fill: fill) : q.pushTail(value, fill: fill) }
    }

    /// LPOP / RPOP; nil when empty.
    public mutating func pop(atHead: Bool) -> Bytes? {
        if case .single = storage {
            return withSingle { z -> Bytes? in
                guard !z.isEmpty else { return nil }
                let p = atHead ? z.firstOffset : z.tailOffset
                let v = z.element(at: p)
                z.delete(at: p, count: 1)
                return v
            }
        }
        return withQuickList { q in atHead ? q.popHead() : q.popTail() }
    }

    // MARK: positions

    /// Element `index` (0 ..< count), or nil outside.
    public func element(at index: Int) -> Bytes? {
        guard index >= 0 && index < count else { return nil }
        switch storage {
        case .single(let z):
            return z.element(at: z.offset(ofIndex: index))
        case .nodes(let q):
            let (ni, local) = q.locate(index)
            let z = q.read(ni)
            return z.element(at: z.offset(ofIndex: local))
        }
    }

    /// LSET: replaces element `index`; false when out of range.
    public mutating func replace(at index: Int, with value: Bytes) -> Bool {
        guard index >= 0 && index < count else { return false }
        if case .single = storage {
            withSingle { z in z.replace(at: z.offset(ofIndex: index), with: value) }
        } else {
            withQuickList { q in q.replace(at: index, with: value) }
        }
        return true
    }

    /// LINSERT: inserts `value` before or after the first element equal to `pivot`; false if none.
    public mutating func insert(_ value: Bytes, pivot: Bytes, after: Bool, fill: Int, depth: Int = 0) -> Bool {
        withQuickList(depth: depth) { q in q.insert(value, pivot: ListProbe(pivot), after: after, fill: fill) }
    }

    /// LREM: removes up to |limit| elements equal to `value` (from the head when limit > 0,
    /// the tail when < 0, all when 0); returns how many.
    public mutating func remove(_ value: Bytes, limit: Int) -> Int {
        withQuickList { q in q.remove(ListProbe(value), limit: limit) }
    }

    /// LTRIM: drops `front` elements from the head and `back` from the tail (clamped to count).
    public mutating func trim(front: Int, back: Int) {
        let f = min(max(front, 0), count)
        let b = min(max(back, 0), count - f)
        guard f > 0 || b > 0 else { return }
        withQuickList { q in
            q.removeFirst(f)
            q.removeLast(b)
        }
    }

    // MARK: reading

    /// Calls `body` with the elements `start ..< start + n` (clamped), head to tail.
    /// A `.bytes` element is valid only during its call.
    public func forEach(from start: Int, count n: Int, _ body: (ListElement) -> Void) {
        let s = max(start, 0)
        let m = min(n, count - s)
        guard m > 0 else { return }
        switch storage {
        case .single(let z):
            _ = z.forEachElement(from: z.offset(ofIndex: s), count: m, body)
        case .nodes(let q):
            q.forEach(from: s, count: m, body)
        }
    }

    /// Calls `body` with every element, head to tail.
    public func forEach(_ body: (ListElement) -> Void) { forEach(from: 0, count: count, body) }

    /// Calls `body` with every element, tail to head.
    public func forEachReversed(_ body: (ListElement) -> Void) {
        switch storage {
        case .single(let z):
            var p: Int? = z.isEmpty ? nil : z.tailOffset
            while let q = p {
                z.withElement(at: q, body)
                p = z.previous(q)
            }
        case .nodes(let q):
            q.forEachReversed(body)
        }
    }

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

    /// True when every node is a valid ziplist, none is empty, a list of several nodes
    /// is a QuickList, the counts agree, and only interior nodes are compressed (for tests).
    public var isConsistent: Bool {
        switch storage {
        case .single(let z):
            return Ziplist.isValid(z.bytes)
        case .nodes(let q):
            guard q.nodes >= 2 else { return false }
            var total = 0
            for i in 0..<q.nodes {
                let z = q.read(i)
                guard Ziplist.isValid(z.bytes), !z.isEmpty else { return false }
                total += z.count
            }
            return total == q.count && q.compressionIsConsistent
        }
    }

    public static func == (a: ListValue, b: ListValue) -> Bool {
        if case .nodes(let x) = a.storage, case .nodes(let y) = b.storage, x === y { return true }
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
