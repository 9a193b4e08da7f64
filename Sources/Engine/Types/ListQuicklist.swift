// ListQuicklist: the storage behind ListValue, a sequence of ziplist nodes in a ring.
//
// Contract: nodes are never empty; `count` is the total number of elements.
// The ring (a power-of-two circular buffer of nodes) makes adding or dropping a
// node at either end O(1), and a node in the middle O(min(i, n-i)). How full a
// node may get follows list-max-ziplist-size exactly as Redis 4.0 decides it
// (`NodeLimits`): a positive fill caps entries per node (and a node at 8 KiB),
// -1...-5 cap node bytes at 4/8/16/32/64 KiB. The fill is passed with each
// write, so a CONFIG SET applies to the next write of every list. The compress
// depth (list-compress-depth) is fixed when the QuickList is made, as Redis
// fixes it when a list is created; interior nodes may be LZF-compressed
// (ListQuicklistNode.swift), so nodes are read through `read(i)` and written
// through `edit(i)`, and every write ends with `settleCompression()`.
//
// The tricky bit: a node is mutated in place through the ring's pointer
// (`edit(i).pointee`), so its byte buffer is never copied; ListValue makes the
// whole QuickList unique (copy-on-write) before any mutation reaches here.

/// Redis 4.0's rules for how full a quicklist node may get.
enum NodeLimits {
    /// A node with a positive fill never grows past this many bytes.
    static let safetyLimit = 8192
    static let maxFill = 32767

    static func clamp(_ fill: Int) -> Int { fill > maxFill ? maxFill : (fill < -5 ? -5 : fill) }

    /// The byte limit of a negative fill.
    static func byteLimit(_ fill: Int) -> Int { 4096 << (-fill - 1) }

    /// Whether a value of `length` bytes may join a node of `size` bytes and `count` entries.
    static func allowInsert(size: Int, count: Int, length: Int, fill: Int) -> Bool {
        let fill = clamp(fill)
        var overhead = length < 254 ? 1 : 5
        overhead += length < 64 ? 1 : (length < 16384 ? 2 : 5)
        let newSize = size + length + overhead
        if fill < 0 { return newSize <= byteLimit(fill) }
        return newSize <= safetyLimit && count < fill
    }

    static func allowInsert(_ node: Ziplist, length: Int, fill: Int) -> Bool {
        allowInsert(size: node.byteSize, count: node.count, length: length, fill: fill)
    }

    static func allowInsert(_ node: QuickNode, length: Int, fill: Int) -> Bool {
        allowInsert(size: node.byteSize, count: node.count, length: length, fill: fill)
    }

    /// Whether two neighbouring nodes may become one.
    static func allowMerge(_ a: QuickNode, _ b: QuickNode, fill: Int) -> Bool {
        let fill = clamp(fill)
        let merged = a.byteSize + b.byteSize - 11
        if fill < 0 { return merged <= byteLimit(fill) }
        return merged <= safetyLimit && a.count + b.count <= fill
    }
}

@usableFromInline final class QuickList: @unchecked Sendable {
    private var ring: UnsafeMutablePointer<QuickNode>
    private var capacity: Int32
    private var head: Int32
    private(set) var nodeCount: Int32 = 0
    @usableFromInline var count = 0
    /// list-compress-depth as it was when this list was made: raw nodes kept at each end (0 = none compressed).
    let compressDepth: Int
    /// An interior node was written or inserted since the last `settleCompression`.
    var pendingRecompress = false

    init(capacity: Int = 1, compressDepth: Int = 0) {
        self.capacity = Int32(capacity)
        self.head = 0
        self.compressDepth = max(compressDepth, 0)
        ring = UnsafeMutablePointer<QuickNode>.allocate(capacity: capacity)
    }

    /// A quicklist holding `z` (non-empty) as its only node.
    convenience init(single z: Ziplist, compressDepth: Int) {
        self.init(capacity: 2, compressDepth: compressDepth)
        insertNode(z, at: 0)
        count = z.count
    }

    deinit {
        for i in 0..<Int(nodeCount) { slot(i).deinitialize(count: 1) }
        ring.deallocate()
    }

    /// How many copies stand between this list and the one first made: a copy's is
    /// its source's plus one. Per instance, so no shared counter: tests read it
    /// before and after a command to see that the command mutated in place.
    private(set) var copyGeneration = 0

    /// A copy sharing node buffers until either side writes to them.
    func copy() -> QuickList {
        let c = QuickList(capacity: Int(max(capacity, 1)), compressDepth: compressDepth)
        c.copyGeneration = copyGeneration + 1
        for i in 0..<Int(nodeCount) { (c.ring + i).initialize(to: slot(i).pointee) }
        c.nodeCount = nodeCount
        c.count = count
        c.pendingRecompress = pendingRecompress
        return c
    }

    /// The node at position `i` (0 = head), raw or compressed.
    @inline(__always) func slot(_ i: Int) -> UnsafeMutablePointer<QuickNode> {
        ring + ((Int(head) + i) & (Int(capacity) - 1))
    }

    /// Node `i`'s ziplist for reading; a compressed node is decompressed into a temporary.
    @inline(__always) func read(_ i: Int) -> Ziplist { slot(i).pointee.ziplist }

    /// Node `i`'s ziplist for writing in place: decompressed if need be, and marked so
    /// that `settleCompression` compresses it again if it lies in the interior.
    @inline(__always) func edit(_ i: Int) -> UnsafeMutablePointer<Ziplist> {
        let s = slot(i)
        if s.pointee.isCompressed { s.pointee.decompress() }
        s.pointee.tried = false
        if isInterior(i, nodes: nodes) { pendingRecompress = true }
        return s.pointer(to: \.raw)!
    }

    var nodes: Int { Int(nodeCount) }
    /// Node slots allocated in the ring (for MEMORY USAGE).
    var ringCapacity: Int { Int(capacity) }

    private func grow() {
        let newCapacity = Int(capacity) * 2
        let fresh = UnsafeMutablePointer<QuickNode>.allocate(capacity: newCapacity)
        for i in 0..<Int(nodeCount) { (fresh + i).moveInitialize(from: slot(i), count: 1) }
        ring.deallocate()
        ring = fresh
        capacity = Int32(newCapacity)
        head = 0
    }

    /// Inserts `z` so that it becomes node `i`.
    func insertNode(_ z: Ziplist, at i: Int) {
        if nodeCount == capacity { grow() }
        let n = Int(nodeCount)
        // A node added at either end is settled by the boundary check; elsewhere it may be interior.
        if compressDepth > 0 && i != 0 && i != n { pendingRecompress = true }
        if i < n - i {
            head = (head - 1) & (capacity - 1)
            for j in 0..<i { slot(j).moveInitialize(from: slot(j + 1), count: 1) }
        } else {
            var j = n
            while j > i {
                slot(j).moveInitialize(from: slot(j - 1), count: 1)
                j -= 1
            }
        }
        slot(i).initialize(to: QuickNode(z))
        nodeCount += 1
    }

    /// Removes node `i` (its elements must already be out of `count`).
    func removeNode(at i: Int) {
        slot(i).deinitialize(count: 1)
        let n = Int(nodeCount)
        if i < n - 1 - i {
            var j = i
            while j > 0 {
                slot(j).moveInitialize(from: slot(j - 1), count: 1)
                j -= 1
            }
            head = (head + 1) & (capacity - 1)
        } else {
            for j in i..<(n - 1) { slot(j).moveInitialize(from: slot(j + 1), count: 1) }
        }
        nodeCount -= 1
    }

    // MARK: ends

    func pushHead(_ v: Bytes, fill: Int) {
        if nodeCount > 0 && NodeLimits.allowInsert(slot(0).pointee, length: v.count, fill: fill) {
            edit(0).pointee.prepend(v)
        } else {
            var z = Ziplist()
            z.append(v)
            insertNode(z, at: 0)
        }
        count += 1
    }

    func pushTail(_ v: Bytes, fill: Int) {
        let last = Int(nodeCount) - 1
        if last >= 0 && NodeLimits.allowInsert(slot(last).pointee, length: v.count, fill: fill) {
            edit(last).pointee.append(v)
        } else {
            var z = Ziplist()
            z.append(v)
            insertNode(z, at: Int(nodeCount))
        }
        count += 1
    }

    func popHead() -> Bytes? {
        guard nodeCount > 0 else { return nil }
        let z = edit(0)
        let p = z.pointee.firstOffset
        let v = z.pointee.element(at: p)
        if z.pointee.count == 1 {
            removeNode(at: 0)
        } else {
            z.pointee.delete(at: p, count: 1)
        }
        count -= 1
        return v
    }

    func popTail() -> Bytes? {
        guard nodeCount > 0 else { return nil }
        let last = Int(nodeCount) - 1
        let z = edit(last)
        let p = z.pointee.tailOffset
        let v = z.pointee.element(at: p)
        if z.pointee.count == 1 {
            removeNode(at: last)
        } else {
            z.pointee.delete(at: p, count: 1)
        }
        count -= 1
        return v
    }

    // MARK: positions

    /// The node and the index inside it of element `index` (0 ..< count).
    func locate(_ index: Int) -> (node: Int, local: Int) {
        if index < count / 2 {
            var i = index
            for ni in 0..<Int(nodeCount) {
                let c = slot(ni).pointee.count
                if i < c { return (ni, i) }
                i -= c
            }
        } else {
            var i = count - 1 - index
            var ni = Int(nodeCount) - 1
            while ni >= 0 {
                let c = slot(ni).pointee.count
                if i < c { return (ni, c - 1 - i) }
                i -= c
                ni -= 1
            }
        }
        preconditionFailure("index \(index) outside a list of \(count)")
    }

    /// Calls `body` with `n` elements from `start` on (in range), head to tail.
    func forEach(from start: Int, count n: Int, _ body: (ListElement) -> Void) {
        guard n > 0 else { return }
        var (ni, local) = locate(start)
        var first = true
        var left = n
        while left > 0 && ni < Int(nodeCount) {
            let z = read(ni)
            left -= z.forEachElement(from: first ? z.offset(ofIndex: local) : Ziplist.headerSize, count: left, body)
            first = false
            ni += 1
        }
    }

    /// Calls `body` with every element from the tail to the head.
    func forEachReversed(_ body: (ListElement) -> Void) {
        var ni = Int(nodeCount) - 1
        while ni >= 0 {
            let z = read(ni)
            var p: Int? = z.tailOffset
            while let q = p {
                z.withElement(at: q, body)
                p = z.previous(q)
            }
            ni -= 1
        }
    }
}
