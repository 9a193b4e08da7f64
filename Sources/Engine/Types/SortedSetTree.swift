// SortedSetTree: the order structure of a large sorted set, an order-statistics B+tree.
//
// Contract: holds (score, member) items sorted by score, then by member bytes
// (memcmp, shorter first on a tie, as Redis's sdscmp); members are unique (the
// caller's member table guarantees it). Rank lookups, element-at-rank, insert and
// remove are O(log n); visiting a rank range is O(log n + m). It plays the part
// of Redis's skiplist with spans; a B+tree was chosen because its leaves are
// contiguous arrays (few allocations, cache-friendly) and it needs no random levels.
//
// The tricky bit: inner nodes keep, per child, the number of items below it
// (`sizes`, for ranks) and the largest item below it (`lasts`, for descent). Every
// recursive change refreshes both for the child it went through; a child that
// falls under a quarter full is merged with, or balanced against, a neighbour.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One element of a sorted set: a member and its score.
public struct SortedSetEntry: Equatable, Sendable {
    public var member: Bytes
    public var score: Double
    public init(member: Bytes, score: Double) {
        self.member = member
        self.score = score
    }
}

/// Three-way comparison of byte strings as Redis's sdscmp: memcmp, then the shorter first.
@inlinable func compareMembers(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

@inlinable func compareMembers(_ a: Bytes, _ b: Bytes) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareMembers(pa, pb) } }
}

/// Three-way comparison in sorted-set order: score, then member.
@inlinable func compareItems(_ s1: Double, _ m1: Bytes, _ s2: Double, _ m2: Bytes) -> Int {
    if s1 < s2 { return -1 }
    if s1 > s2 { return 1 }
    return compareMembers(m1, m2)
}

final class SortedSetTreeNode {
    /// Leaf: the items, sorted.
    var items: [SortedSetEntry] = []
    /// Inner: the children, the number of items under each, and the largest item under each.
    var children: [SortedSetTreeNode] = []
    var sizes: [Int] = []
    var lasts: [SortedSetEntry] = []

    init() {}

    @inline(__always) var isLeaf: Bool { children.isEmpty }
    /// Items (leaf) or children (inner) held directly.
    @inline(__always) var width: Int { isLeaf ? items.count : children.count }
    var total: Int { isLeaf ? items.count : sizes.reduce(0, +) }
    var last: SortedSetEntry { isLeaf ? items[items.count - 1] : lasts[lasts.count - 1] }

    func deepCopy() -> SortedSetTreeNode {
        let n = SortedSetTreeNode()
        n.items = items
        n.sizes = sizes
        n.lasts = lasts
        n.children = children.map { $0.deepCopy() }
        return n
    }
}

struct SortedSetTree {
    static let maxWidth = 64
    static let minWidth = 16

    private(set) var root = SortedSetTreeNode()
    private(set) var count = 0

    init() {}

    /// Builds a tree from items already in order.
    init(sorted items: [SortedSetEntry]) {
        count = items.count
        guard items.count > Self.maxWidth else {
            root.items = items
            return
        }
        let fill = Self.maxWidth * 3 / 4
        var level: [SortedSetTreeNode] = []
        for chunk in Self.evenChunks(items.count, fill) {
            let leaf = SortedSetTreeNode()
            leaf.items = Array(items[chunk])
            level.append(leaf)
        }
        while level.count > 1 {
            var next: [SortedSetTreeNode] = []
            for chunk in Self.evenChunks(level.count, fill) {
                let inner = SortedSetTreeNode()
                inner.children = Array(level[chunk])
                inner.sizes = inner.children.map { $0.total }
                inner.lasts = inner.children.map { $0.last }
                next.append(inner)
            }
            level = next
        }
        root = level[0]
    }

    /// Splits 0..<n into ceil(n/fill) ranges of near-equal length.
    private static func evenChunks(_ n: Int, _ fill: Int) -> [Range<Int>] {
        let k = (n + fill - 1) / fill
        var out: [Range<Int>] = []
        var start = 0
        for j in 0..<k {
            let end = n * (j + 1) / k
            out.append(start..<end)
            start = end
        }
        return out
    }

    func deepCopy() -> SortedSetTree {
        var t = SortedSetTree()
        t.root = root.deepCopy()
        t.count = count
        return t
    }

    // MARK: search helpers

    /// First index in `items` not below (score, member).
    @inline(__always)
    private static func lowerBound(_ items: [SortedSetEntry], _ score: Double, _ member: Bytes) -> Int {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if compareItems(items[mid].score, items[mid].member, score, member) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// First index whose item satisfies `pred` (false ... false true ... true), or items.count.
    @inline(__always)
    private static func partition(_ items: [SortedSetEntry], _ pred: (SortedSetEntry) -> Bool) -> Int {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if pred(items[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    // MARK: queries

    /// The ascending rank of (score, member), which must be present.
    func rank(score: Double, member: Bytes) -> Int? {
        var node = root
        var rank = 0
        while !node.isLeaf {
            let i = Self.lowerBound(node.lasts, score, member)
            if i == node.children.count { return nil }
            for j in 0..<i { rank += node.sizes[j] }
            node = node.children[i]
        }
        let i = Self.lowerBound(node.items, score, member)
        guard i < node.items.count, node.items[i].score == score, node.items[i].member == member else { return nil }
        return rank + i
    }

    /// The item at ascending rank `r` (0 ..< count).
    func item(at r: Int) -> SortedSetEntry {
        var node = root
        var r = r
        while !node.isLeaf {
            var i = 0
            while r >= node.sizes[i] { r -= node.sizes[i]; i += 1 }
            node = node.children[i]
        }
        return node.items[r]
    }

    /// The first rank whose item satisfies `pred`, a predicate false then true along
    /// the order (as "score >= min"); `count` when none does.
    func firstRank(where pred: (SortedSetEntry) -> Bool) -> Int {
        var node = root
        var rank = 0
        while !node.isLeaf {
            let i = Self.partition(node.lasts, pred)
            if i == node.children.count { return rank + node.total }
            for j in 0..<i { rank += node.sizes[j] }
            node = node.children[i]
        }
        return rank + Self.partition(node.items, pred)
    }

    /// Calls `body` for the items at ranks `ranks`, ascending, or descending when `reverse`.
    func forEach(ranks: Range<Int>, reverse: Bool, _ body: (SortedSetEntry) -> Void) {
        let lo = Swift.max(ranks.lowerBound, 0), hi = Swift.min(ranks.upperBound, count)
        guard lo < hi else { return }
        Self.visit(root, lo, hi, reverse, body)
    }

    private static func visit(_ node: SortedSetTreeNode, _ lo: Int, _ hi: Int, _ reverse: Bool,
                              _ body: (SortedSetEntry) -> Void) {
        if node.isLeaf {
            if reverse {
                var j = hi - 1
                while j >= lo { body(node.items[j]); j -= 1 }
            } else {
                for j in lo..<hi { body(node.items[j]) }
            }
            return
        }
        if reverse {
            var offset = node.total
            var i = node.children.count - 1
            while i >= 0 {
                let end = offset, start = end - node.sizes[i]
                offset = start
                if end <= lo { break }
                if start < hi {
                    visit(node.children[i], Swift.max(lo, start) - start, Swift.min(hi, end) - start, reverse, body)
                }
                i -= 1
            }
        } else {
            var offset = 0
            for i in 0..<node.children.count {
                let start = offset, end = start + node.sizes[i]
                offset = end
                if start >= hi { break }
                if end > lo {
                    visit(node.children[i], Swift.max(lo, start) - start, Swift.min(hi, end) - start, reverse, body)
                }
            }
        }
    }

    // MARK: insert

    /// Inserts an item not yet present.
    mutating func insert(_ item: SortedSetEntry) {
        if let right = Self.insert(item, into: root) {
            let top = SortedSetTreeNode()
            top.children = [root, right]
            top.sizes = [root.total, right.total]
            top.lasts = [root.last, right.last]
            root = top
        }
        count += 1
    }

    /// Inserts into the subtree at `node`; returns a new right sibling when the node split.
    private static func insert(_ item: SortedSetEntry, into node: SortedSetTreeNode) -> SortedSetTreeNode? {
        if node.isLeaf {
            node.items.insert(item, at: lowerBound(node.items, item.score, item.member))
            guard node.items.count > maxWidth else { return nil }
            let half = node.items.count / 2
            let right = SortedSetTreeNode()
            right.items = Array(node.items[half...])
            node.items.removeSubrange(half...)
            return right
        }
        let i = Swift.min(lowerBound(node.lasts, item.score, item.member), node.children.count - 1)
        let child = node.children[i]
        let split = insert(item, into: child)
        node.sizes[i] += 1
        node.lasts[i] = child.last
        guard let split else { return nil }
        node.sizes[i] = child.total
        node.children.insert(split, at: i + 1)
        node.sizes.insert(split.total, at: i + 1)
        node.lasts.insert(split.last, at: i + 1)
        guard node.children.count > maxWidth else { return nil }
        let half = node.children.count / 2
        let right = SortedSetTreeNode()
        right.children = Array(node.children[half...])
        right.sizes = Array(node.sizes[half...])
        right.lasts = Array(node.lasts[half...])
        node.children.removeSubrange(half...)
        node.sizes.removeSubrange(half...)
        node.lasts.removeSubrange(half...)
        return right
    }

    // MARK: remove

    /// Removes (score, member); false when absent.
    @discardableResult
    mutating func remove(score: Double, member: Bytes) -> Bool {
        guard Self.remove(score, member, from: root) else { return false }
        count -= 1
        while !root.isLeaf && root.children.count == 1 { root = root.children[0] }
        return true
    }

    private static func remove(_ score: Double, _ member: Bytes, from node: SortedSetTreeNode) -> Bool {
        if node.isLeaf {
            let i = lowerBound(node.items, score, member)
            guard i < node.items.count, node.items[i].score == score, node.items[i].member == member else { return false }
            node.items.remove(at: i)
            return true
        }
        let i = lowerBound(node.lasts, score, member)
        guard i < node.children.count else { return false }
        let child = node.children[i]
        guard remove(score, member, from: child) else { return false }
        node.sizes[i] -= 1
        if child.width < minWidth && node.children.count > 1 {
            rebalance(node, i)
        } else if child.width > 0 {
            node.lasts[i] = child.last
        }
        return true
    }

    /// Merges child `i` of `parent` with a neighbour, or evens them out when both do not fit in one node.
    private static func rebalance(_ parent: SortedSetTreeNode, _ i: Int) {
        let l = i > 0 ? i - 1 : i
        let r = l + 1
        let a = parent.children[l], b = parent.children[r]
        if a.width + b.width <= maxWidth {
            if a.isLeaf {
                a.items.append(contentsOf: b.items)
            } else {
                a.children.append(contentsOf: b.children)
                a.sizes.append(contentsOf: b.sizes)
                a.lasts.append(contentsOf: b.lasts)
            }
            parent.children.remove(at: r)
            parent.sizes.remove(at: r)
            parent.lasts.remove(at: r)
            parent.sizes[l] = a.total
            parent.lasts[l] = a.last
            return
        }
        let target = (a.width + b.width) / 2
        if a.isLeaf {
            if a.items.count > target {
                b.items.insert(contentsOf: a.items[target...], at: 0)
                a.items.removeSubrange(target...)
            } else {
                let move = target - a.items.count
                a.items.append(contentsOf: b.items[0..<move])
                b.items.removeSubrange(0..<move)
            }
        } else {
            if a.children.count > target {
                b.children.insert(contentsOf: a.children[target...], at: 0)
                b.sizes.insert(contentsOf: a.sizes[target...], at: 0)
                b.lasts.insert(contentsOf: a.lasts[target...], at: 0)
                a.children.removeSubrange(target...)
                a.sizes.removeSubrange(target...)
                a.lasts.removeSubrange(target...)
            } else {
                let move = target - a.children.count
                a.children.append(contentsOf: b.children[0..<move])
                a.sizes.append(contentsOf: b.sizes[0..<move])
                a.lasts.append(contentsOf: b.lasts[0..<move])
                b.children.removeSubrange(0..<move)
                b.sizes.removeSubrange(0..<move)
                b.lasts.removeSubrange(0..<move)
            }
        }
        parent.sizes[l] = a.total
        parent.sizes[r] = b.total
        parent.lasts[l] = a.last
        parent.lasts[r] = b.last
    }

    // MARK: checking

    /// Verifies the invariants (order, sizes, lasts, fill); for tests.
    func checkInvariants() -> Bool {
        var previous: SortedSetEntry? = nil
        var ok = true
        func walk(_ n: SortedSetTreeNode, isRoot: Bool) -> Int {
            if !isRoot && n.width < Self.minWidth { ok = false }
            if n.width > Self.maxWidth { ok = false }
            if n.isLeaf {
                for it in n.items {
                    if let p = previous, compareItems(p.score, p.member, it.score, it.member) >= 0 { ok = false }
                    previous = it
                }
                return n.items.count
            }
            if n.sizes.count != n.children.count || n.lasts.count != n.children.count { ok = false; return 0 }
            var total = 0
            for (j, c) in n.children.enumerated() {
                let t = walk(c, isRoot: false)
                if t != n.sizes[j] || c.width == 0 || c.last != n.lasts[j] { ok = false }
                total += t
            }
            return total
        }
        let total = walk(root, isRoot: true)
        return ok && total == count
    }
}
