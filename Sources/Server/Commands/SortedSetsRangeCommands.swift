// SortedSetsRangeCommands: ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
// ZRANGEBYLEX, ZREVRANGEBYLEX, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
//
// Contract: Redis 4.0's argument order and errors: the range is parsed first
// ("min or max is not a float", "min or max not valid string range item", or
// the integer error), then the options, then the key. Ranks are clamped as
// Redis does (negative counts from the end; an empty range answers at once).
// LIMIT: a negative offset gives nothing, a negative count means all. Removal
// reports zremrangebyrank / zremrangebyscore / zremrangebylex, then "del" when
// the set empties, and adds the number removed to dirty.
//
// The tricky bit: reverse ranges. Every range is first turned into ascending
// ranks; the REV forms then read those ranks from the top down.
import Engine

let sortedSetRangeCommands: [Command] = [
    Command("zrange", arity: -4, flags: "r", keys: (1, 1, 1)) { call in zrangeByRank(call, reverse: false) },
    Command("zrevrange", arity: -4, flags: "r", keys: (1, 1, 1)) { call in zrangeByRank(call, reverse: true) },
    Command("zrangebyscore", arity: -4, flags: "r", keys: (1, 1, 1)) { call in
        zrangeByRange(call, reverse: false, lex: false)
    },
    Command("zrevrangebyscore", arity: -4, flags: "r", keys: (1, 1, 1)) { call in
        zrangeByRange(call, reverse: true, lex: false)
    },
    Command("zrangebylex", arity: -4, flags: "r", keys: (1, 1, 1)) { call in
        zrangeByRange(call, reverse: false, lex: true)
    },
    Command("zrevrangebylex", arity: -4, flags: "r", keys: (1, 1, 1)) { call in
        zrangeByRange(call, reverse: true, lex: true)
    },
    Command("zremrangebyrank", arity: 4, flags: "w", keys: (1, 1, 1)) { call in
        guard let start = call.int64(2), let end = call.int64(3) else { return }
        zremRange(call, event: "zremrangebyrank") { z in
            sanitizedRanks(start, end, count: z.count) ?? 0..<0
        }
    },
    Command("zremrangebyscore", arity: 4, flags: "w", keys: (1, 1, 1)) { call in
        guard let range = SortedSetScoreRange(min: call.argv[2], max: call.argv[3]) else {
            call.error("ERR min or max is not a float")
            return
        }
        zremRange(call, event: "zremrangebyscore") { $0.ranks(in: range) }
    },
    Command("zremrangebylex", arity: 4, flags: "w", keys: (1, 1, 1)) { call in
        guard let range = SortedSetLexRange(min: call.argv[2], max: call.argv[3]) else {
            call.error("ERR min or max not valid string range item")
            return
        }
        zremRange(call, event: "zremrangebylex") { $0.lexRemovalRanks(range) }
    },
]

/// Redis's rank sanitizing: negative indexes count from the end; nil when the range is empty.
private func sanitizedRanks(_ start: Int64, _ end: Int64, count: Int) -> Range<Int>? {
    let n = Int64(count)
    var s = start < 0 ? n + start : start
    var e = end < 0 ? n + end : end
    if s < 0 { s = 0 }
    if s > e || s >= n { return nil }
    if e >= n { e = n - 1 }
    return Int(s)..<Int(e + 1)
}

/// ZRANGE / ZREVRANGE key start stop [WITHSCORES]
private func zrangeByRank(_ call: Call, reverse: Bool) {
    guard let start = call.int64(2), let end = call.int64(3) else { return }
    var withScores = false
    if call.argv.count == 5 && zsetArgIs(call.argv[4], "withscores") {
        withScores = true
    } else if call.argv.count >= 5 {
        call.syntaxError()
        return
    }
    switch call.readZset(call.argv[1]) {
    case .missing: call.array(0)
    case .wrongType: call.wrongType()
    case .found(let z):
        let n = z.count
        guard let r = sanitizedRanks(start, end, count: n) else { call.array(0); return }
        // Reverse ranks count from the top: reverse rank k is ascending rank n-1-k.
        let ranks = reverse ? (n - r.upperBound)..<(n - r.lowerBound) : r
        call.replyRanks(z, ranks, reverse: reverse, withScores: withScores)
    }
}

/// ZRANGEBYSCORE / ZREVRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count], and
/// ZRANGEBYLEX / ZREVRANGEBYLEX key min max [LIMIT offset count] (REV forms take max first).
private func zrangeByRange(_ call: Call, reverse: Bool, lex: Bool) {
    let argv = call.argv
    let minArg = reverse ? argv[3] : argv[2]
    let maxArg = reverse ? argv[2] : argv[3]
    var scoreRange: SortedSetScoreRange? = nil
    var lexRange: SortedSetLexRange? = nil
    if lex {
        lexRange = SortedSetLexRange(min: minArg, max: maxArg)
        if lexRange == nil { call.error("ERR min or max not valid string range item"); return }
    } else {
        scoreRange = SortedSetScoreRange(min: minArg, max: maxArg)
        if scoreRange == nil { call.error("ERR min or max is not a float"); return }
    }
    var withScores = false
    var offset: Int64 = 0
    var limit: Int64 = -1
    var pos = 4
    while pos < argv.count {
        let remaining = argv.count - pos
        if !lex && zsetArgIs(argv[pos], "withscores") {
            withScores = true
            pos += 1
        } else if remaining >= 3 && zsetArgIs(argv[pos], "limit") {
            guard let o = call.int64(pos + 1), let l = call.int64(pos + 2) else { return }
            offset = o
            limit = l
            pos += 3
        } else {
            call.syntaxError()
            return
        }
    }
    switch call.readZset(argv[1]) {
    case .missing: call.array(0)
    case .wrongType: call.wrongType()
    case .found(let z):
        if let lexRange {
            // Redis's walk over mixed scores (Engine/Types/SortedSetLexWalk.swift).
            let ranks = z.lexRangeRanks(lexRange, reverse: reverse, offset: offset, limit: limit)
            call.replyRanks(z, ranks, reverse: reverse, withScores: false)
            return
        }
        let r = z.ranks(in: scoreRange!)
        guard offset >= 0 && offset < Int64(r.count) else { call.array(0); return }
        let take = limit < 0 ? r.count - Int(offset) : Int(min(limit, Int64(r.count) - offset))
        let ranks: Range<Int>
        if reverse {
            let hi = r.upperBound - Int(offset)
            ranks = (hi - take)..<hi
        } else {
            let lo = r.lowerBound + Int(offset)
            ranks = lo..<(lo + take)
        }
        call.replyRanks(z, ranks, reverse: reverse, withScores: withScores)
    }
}

/// The body of the ZREMRANGEBY* commands once their range is parsed.
private func zremRange(_ call: Call, event: String, _ ranksOf: (SortedSetValue) -> Range<Int>) {
    let key = call.argv[1]
    switch call.writeZsetIndex(key) {
    case .missing: call.integer(0)
    case .wrongType: call.wrongType()
    case .found(let i):
        // Nothing in range: answer without taking the value (no write, no WATCH hit).
        let anyInRange: Bool = {
            guard case .zset(let current) = call.ks.value(call.db, i) else { return false }
            return !ranksOf(current).isEmpty
        }()
        guard anyInRange else {
            call.integer(0)
            return
        }
        var z = call.takeZset(i)
        let removed = z.removeRanks(ranksOf(z))
        if removed > 0 { call.notify(.zset, event, key) }
        call.storeZset(z, at: i, key: key)
        call.ks.dirty += Int64(removed)
        call.integer(removed)
    }
}
