// SortedSetLexWalk: which members ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT and
// ZREMRANGEBYLEX touch, decided as Redis 4.0 decides it, also when the members'
// scores differ (then member order is not the set's order and "in range" is not
// one interval of ranks).
//
// Contract: these commands replicate verbatim, so a replica must pick the same
// members its master picked. Redis walks the set in its order (score, then
// member) and does not test every element:
//   - "any in range": the range is not empty as a pair of strings, the last
//     element is at or above min and the first element at or below max;
//   - forward start: the first element at or above min, if it is also at or below
//     max; the walk then goes on while elements stay at or below max;
//   - reverse start: packed form, the last element at or below max; tree form,
//     the end of the leading run of elements at or below max (what a skiplist
//     descent finds); either only if it is also at or above min; the walk then
//     goes back while elements stay at or above min;
//   - LIMIT's offset skips elements without testing them;
//   - ZLEXCOUNT: packed form, the forward walk's length; tree form, rank(reverse
//     start) - rank(forward start) + 1, or the count from the forward start to the
//     end when there is no reverse start: it counts members outside the range too;
//   - ZREMRANGEBYLEX: the packed form checks "any in range" first, the tree form
//     does not.
//
// The tricky bit: on a skiplist Redis finds a start by a descent whose result,
// for a predicate that is not monotone along the order, depends on its nodes'
// random levels; no replica (Redis's own included) can repeat it. The tree
// form follows a skiplist whose nodes all have level 1, which is also the packed
// form's forward rule. When every score is equal the predicates are monotone,
// the descent's answer is unique, and the tree answers in O(log n).

/// A lex range walk over one sorted set: the order's length and the two predicates.
struct SortedSetLexWalk {
    let count: Int
    let packed: Bool
    let range: SortedSetLexRange
    /// Member at ascending rank i is at or above the minimum.
    let aboveMin: (Int) -> Bool
    /// Member at ascending rank i is at or below the maximum.
    let belowMax: (Int) -> Bool

    /// Redis's "this range can hold nothing" test on the bounds alone (sdscmplex).
    var rangeIsEmpty: Bool {
        let c = SortedSetLexRange.compareBounds(range.min, range.max)
        return c > 0 || (c == 0 && (range.min.isExclusive || range.max.isExclusive))
    }

    /// zslIsInLexRange / zzlIsInLexRange.
    var anyInRange: Bool {
        !rangeIsEmpty && count > 0 && aboveMin(count - 1) && belowMax(0)
    }

    /// The first element of a forward walk (zslFirstInLexRange / zzlFirstInLexRange).
    func forwardStart() -> Int? {
        guard anyInRange else { return nil }
        var i = 0
        while !aboveMin(i) { i += 1 }  // aboveMin(count - 1) holds, so this stops
        return belowMax(i) ? i : nil
    }

    /// The first element of a reverse walk (zslLastInLexRange / zzlLastInLexRange).
    func reverseStart() -> Int? {
        guard anyInRange else { return nil }
        var i: Int
        if packed {
            i = count - 1
            while !belowMax(i) { i -= 1 }  // belowMax(0) holds
        } else {
            i = 0
            while i + 1 < count && belowMax(i + 1) { i += 1 }
        }
        return aboveMin(i) ? i : nil
    }

    /// The ascending ranks a ZRANGEBYLEX (or, `reverse`, ZREVRANGEBYLEX) replies with.
    func rangeRanks(reverse: Bool, offset: Int64, limit: Int64) -> Range<Int> {
        guard let start = reverse ? reverseStart() : forwardStart() else { return 0..<0 }
        // A negative offset walks off the end in Redis's `while (offset--)`.
        guard offset >= 0, offset < Int64(count) else { return 0..<0 }
        let step = reverse ? -1 : 1
        var i = start + step * Int(offset)
        var taken: Int64 = 0
        let first = i
        while i >= 0 && i < count && (limit < 0 || taken < limit) {
            if reverse ? !aboveMin(i) : !belowMax(i) { break }
            taken += 1
            i += step
        }
        if taken == 0 { return 0..<0 }
        return reverse ? (i + 1)..<(first + 1) : first..<i
    }

    /// ZLEXCOUNT's reply.
    func lexCount() -> Int {
        guard let first = forwardStart() else { return 0 }
        if packed { return walkForward(from: first).count }
        guard let last = reverseStart() else { return count - first }
        return last - first + 1
    }

    /// The ascending ranks ZREMRANGEBYLEX removes.
    func removalRanks() -> Range<Int> {
        if packed {
            guard let first = forwardStart() else { return 0..<0 }
            return walkForward(from: first)
        }
        // zslDeleteRangeByLex descends without the "any in range" test.
        var i = 0
        while i < count && !aboveMin(i) { i += 1 }
        return walkForward(from: i)
    }

    /// From `start`, the ranks that stay at or below the maximum.
    private func walkForward(from start: Int) -> Range<Int> {
        var i = start
        while i < count && belowMax(i) { i += 1 }
        return start..<Swift.max(start, i)
    }
}

extension SortedSetLexRange.Bound {
    var isExclusive: Bool {
        switch self {
        case .inclusive: return false
        case .exclusive, .minusInfinity, .plusInfinity: return true  // "-" and "+" are exclusive in Redis
        }
    }
}

extension SortedSetLexRange {
    /// Redis's sdscmplex between two bounds: "-" below and "+" above every string,
    /// each equal only to itself.
    static func compareBounds(_ a: Bound, _ b: Bound) -> Int {
        switch (a, b) {
        case (.minusInfinity, .minusInfinity), (.plusInfinity, .plusInfinity): return 0
        case (.minusInfinity, _), (_, .plusInfinity): return -1
        case (.plusInfinity, _), (_, .minusInfinity): return 1
        case (.inclusive(let x), .inclusive(let y)), (.inclusive(let x), .exclusive(let y)),
             (.exclusive(let x), .inclusive(let y)), (.exclusive(let x), .exclusive(let y)):
            return compareMembers(x, y)
        }
    }
}

extension SortedSetValue {
    /// The walk over this set for `range`. The tree form reads members by rank
    /// (O(log n) each); the packed form reads them all once, as Redis's ziplist walk does.
    func lexWalk(_ range: SortedSetLexRange) -> SortedSetLexWalk {
        switch storage {
        case .packed(let p):
            var above = [Bool](), below = [Bool]()
            above.reserveCapacity(p.count)
            below.reserveCapacity(p.count)
            p.walk { p, e, _ in
                let m = SortedSetPacked.member(p, e)
                above.append(range.isAboveMin(m))
                below.append(range.isBelowMax(m))
                return true
            }
            return SortedSetLexWalk(count: p.count, packed: true, range: range,
                                    aboveMin: { above[$0] }, belowMax: { below[$0] })
        case .general(let g):
            let tree = g.tree
            return SortedSetLexWalk(
                count: tree.count, packed: false, range: range,
                aboveMin: { i in tree.item(at: i).member.withUnsafeBytes { range.isAboveMin($0) } },
                belowMax: { i in tree.item(at: i).member.withUnsafeBytes { range.isBelowMax($0) } })
        }
    }

    /// True when every score is equal: member order is then the set's order, and
    /// "in range" is one interval of ranks.
    private var hasOneScore: Bool {
        guard case .general(let g) = storage, g.tree.count > 0 else { return false }
        return g.tree.item(at: 0).score == g.tree.item(at: g.tree.count - 1).score
    }

    /// The ascending ranks ZRANGEBYLEX (ZREVRANGEBYLEX when `reverse`) replies with,
    /// LIMIT applied (a negative limit means all).
    public func lexRangeRanks(_ range: SortedSetLexRange, reverse: Bool,
                              offset: Int64 = 0, limit: Int64 = -1) -> Range<Int> {
        if hasOneScore {
            let r = ranks(in: range)
            guard offset >= 0, offset < Int64(r.count) else { return 0..<0 }
            let take = limit < 0 ? r.count - Int(offset) : Int(Swift.min(limit, Int64(r.count) - offset))
            return reverse ? (r.upperBound - Int(offset) - take)..<(r.upperBound - Int(offset))
                           : (r.lowerBound + Int(offset))..<(r.lowerBound + Int(offset) + take)
        }
        return lexWalk(range).rangeRanks(reverse: reverse, offset: offset, limit: limit)
    }

    /// ZLEXCOUNT's reply (on a tree form with mixed scores it can count members outside
    /// the range, as Redis 4.0's skiplist count does).
    public func lexCount(_ range: SortedSetLexRange) -> Int {
        if hasOneScore { return ranks(in: range).count }
        return lexWalk(range).lexCount()
    }

    /// The ascending ranks ZREMRANGEBYLEX removes.
    public func lexRemovalRanks(_ range: SortedSetLexRange) -> Range<Int> {
        if hasOneScore { return ranks(in: range) }
        return lexWalk(range).removalRanks()
    }
}
