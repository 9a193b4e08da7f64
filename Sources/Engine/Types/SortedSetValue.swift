// SortedSetValue: a sorted set, in Redis 4.0's two encodings.
//
// Contract: small sets are packed (SortedSetPacked, OBJECT ENCODING "ziplist")
// while count <= zset-max-ziplist-entries and every member is at most
// zset-max-ziplist-value bytes; an insert past either limit converts the set to
// the general form (SortedSetGeneral, "skiplist"), and it never converts back on
// its own (as Redis; only a stored result, `init(entries:limits:)`, is packed
// again when it fits). Order is by score, then member bytes. Scores are never NaN.
//
// The tricky bit: in-place mutation. The storage enum holds a byte array or a
// class reference; a mutating method first swaps a shared placeholder into the
// enum so the payload it works on is uniquely referenced (no copy-on-write copy),
// and copies a general form only when another value really shares it.

public struct SortedSetValue: CollectionValue {
    enum Storage {
        case packed(SortedSetPacked)
        case general(SortedSetGeneral)
    }

    var storage: Storage

    private static let placeholder = Storage.packed(SortedSetPacked())

    /// An empty, packed sorted set.
    public init() { storage = .packed(SortedSetPacked()) }

    /// A sorted set of `entries` (unique members, any order), packed when it fits `limits`.
    public init(entries: [SortedSetEntry], limits: EncodingLimits) {
        let sorted = entries.sorted { compareItems($0.score, $0.member, $1.score, $1.member) < 0 }
        let longest = entries.reduce(0) { Swift.max($0, $1.member.count) }
        if sorted.count <= limits.zsetMaxPackedEntries && longest <= limits.zsetMaxPackedValue {
            storage = .packed(SortedSetPacked(sorted: sorted))
        } else {
            storage = .general(SortedSetGeneral(sorted: sorted))
        }
    }

    public var encodingName: String {
        if case .packed = storage { return "ziplist" }
        return "skiplist"
    }

    public var isPacked: Bool {
        if case .packed = storage { return true }
        return false
    }

    public var count: Int {
        switch storage {
        case .packed(let p): return p.count
        case .general(let g): return g.count
        }
    }

    // MARK: in-place access

    private mutating func withPacked<R>(_ body: (inout SortedSetPacked) -> R) -> R {
        guard case .packed(var p) = storage else { preconditionFailure("not packed") }
        storage = Self.placeholder
        defer { storage = .packed(p) }
        return body(&p)
    }

    private mutating func withGeneral<R>(_ body: (SortedSetGeneral) -> R) -> R {
        guard case .general(var g) = storage else { preconditionFailure("not general") }
        storage = Self.placeholder
        if !isKnownUniquelyReferenced(&g) { g = g.copy() }
        defer { storage = .general(g) }
        return body(g)
    }

    private mutating func convertToGeneral() {
        guard case .packed(let p) = storage else { return }
        storage = .general(SortedSetGeneral(sorted: p.entries(0..<p.count)))
    }

    // MARK: members

    /// The score of `member`, or nil.
    public func score(_ member: Bytes) -> Double? {
        switch storage {
        case .packed(let p): return p.find(member)?.element.score
        case .general(let g): return g.score(member)
        }
    }

    /// The ascending rank (0-based) of `member`, or nil.
    public func rank(_ member: Bytes) -> Int? {
        switch storage {
        case .packed(let p): return p.find(member)?.rank
        case .general(let g): return g.rank(member)
        }
    }

    /// What ZADD's flags ask of one element.
    public struct AddMode: Sendable {
        /// NX: only add new members.
        public var onlyNew = false
        /// XX: only update existing members.
        public var onlyExisting = false
        /// INCR: add the score to the current one (0 for a new member).
        public var increment = false
        public init(onlyNew: Bool = false, onlyExisting: Bool = false, increment: Bool = false) {
            self.onlyNew = onlyNew
            self.onlyExisting = onlyExisting
            self.increment = increment
        }
    }

    public enum AddResult: Equatable, Sendable {
        case added(Double)
        case updated(Double)
        case unchanged(Double)
        /// NX on an existing member or XX on a missing one.
        case skipped
        /// INCR made NaN (inf + -inf); nothing changed.
        case notANumber
    }

    /// Adds or updates `member` as ZADD does (Redis's zsetAdd); converts to the
    /// general form when the set outgrows `limits`.
    public mutating func add(_ member: Bytes, score: Double, mode: AddMode = AddMode(),
                             limits: EncodingLimits) -> AddResult {
        switch storage {
        case .packed:
            let result: AddResult = withPacked { p in
                if let (e, _) = p.find(member) {
                    if mode.onlyNew { return .skipped }
                    let new = mode.increment ? e.score + score : score
                    if new.isNaN { return .notANumber }
                    if new == e.score { return .unchanged(new) }
                    p.remove(e)
                    p.insert(new, member)
                    return .updated(new)
                }
                if mode.onlyExisting { return .skipped }
                p.insert(score, member)
                return .added(score)
            }
            if case .added = result,
               count > limits.zsetMaxPackedEntries || member.count > limits.zsetMaxPackedValue {
                convertToGeneral()
            }
            return result
        case .general:
            return withGeneral { g in
                if let i = g.table.find(member) {
                    if mode.onlyNew { return .skipped }
                    let old = g.table.score(at: i)
                    let new = mode.increment ? old + score : score
                    if new.isNaN { return .notANumber }
                    if new == old { return .unchanged(new) }
                    g.update(slot: i, to: new)
                    return .updated(new)
                }
                if mode.onlyExisting { return .skipped }
                g.insert(member, score)
                return .added(score)
            }
        }
    }

    /// What `add` would return, without changing anything (lets a caller skip a write,
    /// and the WATCH invalidation that comes with it, when nothing would change).
    public func previewAdd(_ member: Bytes, score: Double, mode: AddMode = AddMode()) -> AddResult {
        if let old = self.score(member) {
            if mode.onlyNew { return .skipped }
            let new = mode.increment ? old + score : score
            if new.isNaN { return .notANumber }
            return new == old ? .unchanged(new) : .updated(new)
        }
        return mode.onlyExisting ? .skipped : .added(score)
    }

    /// Removes `member`; false when absent.
    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        switch storage {
        case .packed:
            return withPacked { p in
                guard let (e, _) = p.find(member) else { return false }
                p.remove(e)
                return true
            }
        case .general:
            return withGeneral { $0.remove(member) }
        }
    }

    // MARK: ranges

    /// The entries at ascending ranks `ranks` (clamped), in ascending order, or descending when `reverse`.
    public func entries(ranks: Range<Int>, reverse: Bool = false) -> [SortedSetEntry] {
        let r = Swift.max(ranks.lowerBound, 0)..<Swift.max(Swift.min(ranks.upperBound, count), Swift.max(ranks.lowerBound, 0))
        switch storage {
        case .packed(let p):
            let out = p.entries(r)
            return reverse ? out.reversed() : out
        case .general(let g):
            var out: [SortedSetEntry] = []
            out.reserveCapacity(r.count)
            g.tree.forEach(ranks: r, reverse: reverse) { out.append($0) }
            return out
        }
    }

    /// Calls `body` with the member bytes and score at each ascending rank in `ranks`
    /// (clamped), ascending or descending; members are not copied (for replies).
    public func forEach(ranks: Range<Int>, reverse: Bool = false,
                        _ body: (UnsafeRawBufferPointer, Double) -> Void) {
        let lo = Swift.min(Swift.max(ranks.lowerBound, 0), count)
        let r = lo..<Swift.max(lo, Swift.min(ranks.upperBound, count))
        switch storage {
        case .packed(let p):
            p.forEach(r, reverse: reverse, body)
        case .general(let g):
            g.tree.forEach(ranks: r, reverse: reverse) { e in
                e.member.withUnsafeBytes { body($0, e.score) }
            }
        }
    }

    /// Every entry, ascending.
    public var allEntries: [SortedSetEntry] { entries(ranks: 0..<count) }

    /// The ascending ranks of the entries whose scores lie in `range`.
    public func ranks(in range: SortedSetScoreRange) -> Range<Int> {
        switch storage {
        case .packed(let p):
            let lo = p.firstRank { s, _ in range.isAboveMin(s) }
            let hi = p.firstRank(from: lo) { s, _ in !range.isBelowMax(s) }
            return lo..<Swift.max(lo, hi)
        case .general(let g):
            let lo = g.tree.firstRank { range.isAboveMin($0.score) }
            let hi = g.tree.firstRank { !range.isBelowMax($0.score) }
            return lo..<Swift.max(lo, hi)
        }
    }

    /// The ascending ranks of the entries whose members lie in `range` (meaningful
    /// when all scores are equal, as Redis documents).
    public func ranks(in range: SortedSetLexRange) -> Range<Int> {
        switch storage {
        case .packed(let p):
            let lo = p.firstRank { _, m in range.isAboveMin(m) }
            let hi = p.firstRank(from: lo) { _, m in !range.isBelowMax(m) }
            return lo..<Swift.max(lo, hi)
        case .general(let g):
            let lo = g.tree.firstRank { e in e.member.withUnsafeBytes { range.isAboveMin($0) } }
            let hi = g.tree.firstRank { e in e.member.withUnsafeBytes { !range.isBelowMax($0) } }
            return lo..<Swift.max(lo, hi)
        }
    }

    /// Removes the entries at ascending ranks `ranks`; returns how many.
    @discardableResult
    public mutating func removeRanks(_ ranks: Range<Int>) -> Int {
        let r = Swift.max(ranks.lowerBound, 0)..<Swift.min(ranks.upperBound, count)
        guard !r.isEmpty else { return 0 }
        switch storage {
        case .packed: withPacked { $0.removeRanks(r) }
        case .general: withGeneral { $0.removeRanks(r) }
        }
        return r.count
    }

    // MARK: iteration

    /// One ZSCAN step: a packed set answers whole with cursor 0; the general form walks
    /// its table's buckets with Redis's reverse-binary cursor (COUNT buckets' worth, at
    /// most 10 x COUNT buckets).
    public func scan(cursor: UInt64, count wanted: Int) -> (next: UInt64, entries: [SortedSetEntry]) {
        switch storage {
        case .packed(let p):
            return (0, p.entries(0..<p.count))
        case .general(let g):
            var out: [SortedSetEntry] = []
            var cursor = cursor
            var budget = Swift.max(wanted, 1) * 10
            repeat {
                cursor = g.table.scan(cursor: cursor) { i in
                    out.append(SortedSetEntry(member: g.table.member(at: i), score: g.table.score(at: i)))
                }
                budget -= 1
            } while cursor != 0 && budget > 0 && out.count < wanted
            return (cursor, out)
        }
    }

    // MARK: CollectionValue

    /// Redis's digest: per element, a fresh digest mixed with the member and the
    /// score as "%.17g", xor-ed into the key's digest (order-free).
    public func mixDigest(into digest: inout [UInt8]) {
        func element(_ member: Bytes, _ score: Double) {
            var e = [UInt8](repeating: 0, count: 20)
            DatasetDigest.mix(&e, member)
            DatasetDigest.mix(&e, formatDouble(score))
            DatasetDigest.xorIn(&digest, e)
        }
        switch storage {
        case .packed(let p):
            for e in p.entries(0..<p.count) { element(e.member, e.score) }
        case .general(let g):
            g.table.forEach { element($0, $1) }
        }
    }

    public static func == (a: SortedSetValue, b: SortedSetValue) -> Bool {
        a.count == b.count && a.allEntries == b.allEntries
    }

    /// Checks the internal invariants of the general form (tests).
    public func checkInvariants() -> Bool {
        guard case .general(let g) = storage else { return true }
        guard g.tree.checkInvariants(), g.tree.count == g.table.count else { return false }
        var ok = true
        g.tree.forEach(ranks: 0..<g.tree.count, reverse: false) { e in
            if g.score(e.member) != e.score { ok = false }
        }
        return ok
    }
}
