// ABIEntries+ZsetRange: the sorted set range iterators of the key API
// (ZsetFirstIn/LastIn Score/Lex Range, RangeNext/Prev, CurrentElement,
// EndReached, RangeStop).
//
// The iterator is the run of ranks the range covers, taken when it starts,
// and a current rank inside it; Next/Prev step within the run and report 0
// past its ends (the iteration is then over, as Redis's).
// Like Redis, writing the key while iterating is the module's mistake; here
// it can only make the iterator end early, never read out of bounds.
import Engine

struct ZsetRangeState {
    var ranks: Range<Int>
    var current: Int
    var ended: Bool
}

private func startRange(_ key: UnsafeMutableRawPointer?, last: Bool,
                        _ ranks: (SortedSetValue) -> Range<Int>?) -> Int32 {
    guard let key else { return moduleERR }
    let k = ModuleKey.from(key)
    k.range = nil
    guard let v = k.value(), case .zset(let z) = v, let r = ranks(z) else { return moduleERR }
    k.range = ZsetRangeState(ranks: r, current: last ? r.upperBound - 1 : r.lowerBound, ended: r.isEmpty)
    return moduleOK
}

private func scoreRange(_ min: Double, _ max: Double, _ minex: Int32, _ maxex: Int32) -> (SortedSetValue) -> Range<Int>? {
    { z in
        guard !min.isNaN, !max.isNaN else { return nil }
        return z.ranks(in: SortedSetScoreRange(min: min, max: max, minExclusive: minex != 0, maxExclusive: maxex != 0))
    }
}

private func lexRange(_ min: UnsafeRawPointer?, _ max: UnsafeRawPointer?) -> (SortedSetValue) -> Range<Int>? {
    { z in
        guard let min, let max,
              let r = SortedSetLexRange(min: ModuleString.from(min).bytes, max: ModuleString.from(max).bytes) else { return nil }
        return z.ranks(in: r)
    }
}

@_cdecl("cairn_rm_ZsetFirstInScoreRange")
func cairn_rm_ZsetFirstInScoreRange(_ key: UnsafeMutableRawPointer?, _ min: Double, _ max: Double,
                                    _ minex: Int32, _ maxex: Int32) -> Int32 {
    startRange(key, last: false, scoreRange(min, max, minex, maxex))
}

@_cdecl("cairn_rm_ZsetLastInScoreRange")
func cairn_rm_ZsetLastInScoreRange(_ key: UnsafeMutableRawPointer?, _ min: Double, _ max: Double,
                                   _ minex: Int32, _ maxex: Int32) -> Int32 {
    startRange(key, last: true, scoreRange(min, max, minex, maxex))
}

@_cdecl("cairn_rm_ZsetFirstInLexRange")
func cairn_rm_ZsetFirstInLexRange(_ key: UnsafeMutableRawPointer?, _ min: UnsafeRawPointer?, _ max: UnsafeRawPointer?) -> Int32 {
    startRange(key, last: false, lexRange(min, max))
}

@_cdecl("cairn_rm_ZsetLastInLexRange")
func cairn_rm_ZsetLastInLexRange(_ key: UnsafeMutableRawPointer?, _ min: UnsafeRawPointer?, _ max: UnsafeRawPointer?) -> Int32 {
    startRange(key, last: true, lexRange(min, max))
}

@_cdecl("cairn_rm_ZsetRangeStop")
func cairn_rm_ZsetRangeStop(_ key: UnsafeMutableRawPointer?) {
    guard let key else { return }
    ModuleKey.from(key).range = nil
}

@_cdecl("cairn_rm_ZsetRangeEndReached")
func cairn_rm_ZsetRangeEndReached(_ key: UnsafeMutableRawPointer?) -> Int32 {
    guard let key, let r = ModuleKey.from(key).range else { return 1 }
    return r.ended ? 1 : 0
}

@_cdecl("cairn_rm_ZsetRangeCurrentElement")
func cairn_rm_ZsetRangeCurrentElement(_ key: UnsafeMutableRawPointer?, _ score: UnsafeMutablePointer<Double>?) -> UnsafeMutableRawPointer? {
    guard let key else { return nil }
    let k = ModuleKey.from(key)
    guard let r = k.range, !r.ended, let v = k.value(), case .zset(let z) = v,
          r.current >= 0, r.current < z.count else { return nil }
    guard let e = z.entries(ranks: r.current..<(r.current + 1)).first else { return nil }
    score?.pointee = e.score
    return k.ctx.newString(e.member)
}

private func step(_ key: UnsafeMutableRawPointer?, by delta: Int) -> Int32 {
    guard let key else { return 0 }
    let k = ModuleKey.from(key)
    guard var r = k.range, !r.ended else { return 0 }
    let count: Int
    if let v = k.value(), case .zset(let z) = v { count = z.count } else { count = 0 }
    let next = r.current + delta
    guard r.ranks.contains(next), next < count else {
        // Past either end of the range: the iteration is over, as Redis's.
        r.ended = true
        k.range = r
        return 0
    }
    r.current = next
    k.range = r
    return 1
}

@_cdecl("cairn_rm_ZsetRangeNext")
func cairn_rm_ZsetRangeNext(_ key: UnsafeMutableRawPointer?) -> Int32 { step(key, by: 1) }

@_cdecl("cairn_rm_ZsetRangePrev")
func cairn_rm_ZsetRangePrev(_ key: UnsafeMutableRawPointer?) -> Int32 { step(key, by: -1) }
