// SortedSetsCommands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZRANK, ZREVRANK, ZCOUNT,
// ZLEXCOUNT, ZSCAN; plus the lookups and helpers every sorted-set and geo handler shares.
//
// Contract: Redis 4.0's replies, errors and their order (options, then scores,
// then the key's type), keyspace events (zadd, zincr, zrem, del) and dirty counts
// (ZADD: added + updated; ZREM: removed), so a write that changed nothing
// propagates nothing. ZADD and ZINCRBY are deterministic and propagate as sent.
//
// The tricky bit: ZADD on a new key creates the set only once an element is
// really added (XX on a missing key creates nothing), and a value taken out of
// the keyspace for in-place change is always put back or its key removed.
import Engine

/// Every sorted-set command, joined into the table by CommandTable.standard.
let sortedSetCommands: [Command] = sortedSetBasicCommands + sortedSetRangeCommands + sortedSetStoreCommands

enum ZsetLookup<Found> {
    case missing
    case wrongType
    case found(Found)
}

/// ASCII case-insensitive comparison of an argument with a lowercase word.
@inline(__always) func zsetArgIs(_ arg: Bytes, _ word: StaticString) -> Bool {
    guard arg.count == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for i in 0..<arg.count {
        var c = arg[i]
        if c >= 65 && c <= 90 { c += 32 }
        if c != w[i] { return false }
    }
    return true
}

extension Call {
    /// Looks `key` up for reading as a sorted set.
    func readZset(_ key: Bytes) -> ZsetLookup<SortedSetValue> {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .zset(let z) = ks.value(db, i) else { return .wrongType }
        return .found(z)
    }

    /// Looks `key` up for writing as a sorted set; only the entry index is returned,
    /// so no copy of the value stays alive to defeat an in-place change.
    func writeZsetIndex(_ key: Bytes) -> ZsetLookup<Int> {
        guard let i = ks.lookupWrite(db, key) else { return .missing }
        guard case .zset = ks.value(db, i) else { return .wrongType }
        return .found(i)
    }

    /// Moves the sorted set at entry `i` out for in-place change.
    func takeZset(_ i: Int) -> SortedSetValue {
        guard case .zset(let z) = ks.take(db, i) else { preconditionFailure("not a sorted set") }
        return z
    }

    /// Puts a changed set back at entry `i`, or deletes the key when it became empty
    /// (reporting "del"); true when the key was removed.
    @discardableResult
    func storeZset(_ z: SortedSetValue, at i: Int, key: Bytes) -> Bool {
        if z.count == 0 {
            ks.remove(db, at: i)
            notify(.generic, "del", key)
            return true
        }
        ks.replace(db, i, with: .zset(z))
        return false
    }
}

/// What one ZADD did, for the reply.
struct ZaddOutcome {
    var added = 0
    var updated = 0
    var processed = 0
    var lastScore = 0.0
}

/// The body of ZADD/ZINCRBY/GEOADD once arguments are parsed: applies each
/// (score, member) to `key`, bumps dirty, reports the event. Nil after it has
/// replied an error (WRONGTYPE, NaN).
func zaddApply(_ call: Call, key: Bytes, scores: [Double], members: [Bytes],
               mode: SortedSetValue.AddMode) -> ZaddOutcome? {
    let ks = call.ks, db = call.db
    var outcome = ZaddOutcome()
    var index: Int? = nil
    var z: SortedSetValue
    switch call.writeZsetIndex(key) {
    case .wrongType:
        call.wrongType()
        return nil
    case .missing:
        if mode.onlyExisting { return outcome }
        z = SortedSetValue()
    case .found(let i):
        if let readOnly = zaddPreview(call, i, scores: scores, members: members, mode: mode) { return readOnly }
        index = i
        z = call.takeZset(i)
    }
    var failed = false
    for j in 0..<scores.count {
        switch z.add(members[j], score: scores[j], mode: mode, limits: ks.encodingLimits) {
        case .added(let s):
            outcome.added += 1
            outcome.processed += 1
            outcome.lastScore = s
        case .updated(let s):
            outcome.updated += 1
            outcome.processed += 1
            outcome.lastScore = s
        case .unchanged(let s):
            outcome.processed += 1
            outcome.lastScore = s
        case .skipped:
            break
        case .notANumber:
            failed = true
        }
        if failed { break }
    }
    if let index {
        ks.replace(db, index, with: .zset(z))
    } else if z.count > 0 {
        ks.add(db, key, .zset(z))
    }
    let changes = outcome.added + outcome.updated
    if changes > 0 {
        call.notify(.zset, mode.increment ? "zincr" : "zadd", key)
    }
    if failed {
        call.error("ERR resulting score is not a number (NaN)")
        return nil
    }
    ks.dirty += Int64(changes)
    return outcome
}

/// The outcome of a ZADD that would change nothing (every element skipped or
/// unchanged, or NaN first), found without taking the value out: such a ZADD must
/// not count as a write (no WATCH invalidation, no event). Nil when it would change.
private func zaddPreview(_ call: Call, _ i: Int, scores: [Double], members: [Bytes],
                         mode: SortedSetValue.AddMode) -> ZaddOutcome?? {
    guard case .zset(let z) = call.ks.value(call.db, i) else { return nil }
    var outcome = ZaddOutcome()
    for j in 0..<scores.count {
        switch z.previewAdd(members[j], score: scores[j], mode: mode) {
        case .added, .updated: return nil
        case .unchanged(let s):
            outcome.processed += 1
            outcome.lastScore = s
        case .skipped: break
        case .notANumber:
            call.error("ERR resulting score is not a number (NaN)")
            return .some(nil)
        }
    }
    return .some(outcome)
}

/// ZADD key [NX|XX] [CH] [INCR] score member [score member ...], and ZINCRBY.
private func zaddCommand(_ call: Call, zincrby: Bool) {
    let argv = call.argv
    var mode = SortedSetValue.AddMode(increment: zincrby)
    var changed = false
    var scoreIndex = 2
    if !zincrby {
        while scoreIndex < argv.count {
            let a = argv[scoreIndex]
            if zsetArgIs(a, "nx") { mode.onlyNew = true }
            else if zsetArgIs(a, "xx") { mode.onlyExisting = true }
            else if zsetArgIs(a, "ch") { changed = true }
            else if zsetArgIs(a, "incr") { mode.increment = true }
            else { break }
            scoreIndex += 1
        }
    }
    let elements = argv.count - scoreIndex
    guard elements > 0 && elements % 2 == 0 else { call.syntaxError(); return }
    if mode.onlyNew && mode.onlyExisting {
        call.error("ERR XX and NX options at the same time are not compatible")
        return
    }
    if mode.increment && elements > 2 {
        call.error("ERR INCR option supports a single increment-element pair")
        return
    }
    var scores: [Double] = []
    var members: [Bytes] = []
    scores.reserveCapacity(elements / 2)
    members.reserveCapacity(elements / 2)
    var j = scoreIndex
    while j < argv.count {
        guard let s = argv[j].parseDouble() else { call.notFloat(); return }
        scores.append(s)
        members.append(argv[j + 1])
        j += 2
    }
    guard let outcome = zaddApply(call, key: argv[1], scores: scores, members: members, mode: mode) else { return }
    if mode.increment {
        if outcome.processed > 0 { call.bulkScore(outcome.lastScore) } else { call.null() }
    } else {
        call.integer(changed ? outcome.added + outcome.updated : outcome.added)
    }
}

private let sortedSetBasicCommands: [Command] = [
    Command("zadd", arity: -4, flags: "wmF", keys: (1, 1, 1)) { call in zaddCommand(call, zincrby: false) },
    Command("zincrby", arity: 4, flags: "wmF", keys: (1, 1, 1)) { call in zaddCommand(call, zincrby: true) },
    Command("zrem", arity: -3, flags: "wF", keys: (1, 1, 1)) { call in
        let key = call.argv[1]
        switch call.writeZsetIndex(key) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let i):
            // Nothing to remove: answer without taking the value (no write, no WATCH hit).
            // The look is in its own scope so no second reference outlives it.
            let anyPresent: Bool = {
                guard case .zset(let current) = call.ks.value(call.db, i) else { return false }
                return call.argv[2...].contains { current.score($0) != nil }
            }()
            guard anyPresent else {
                call.integer(0)
                return
            }
            var z = call.takeZset(i)
            var removed = 0
            for member in call.argv[2...] {
                if z.remove(member) { removed += 1 }
                if z.count == 0 { break }
            }
            if removed > 0 { call.notify(.zset, "zrem", key) }
            call.storeZset(z, at: i, key: key)
            call.ks.dirty += Int64(removed)
            call.integer(removed)
        }
    },
    Command("zcard", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readZset(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let z): call.integer(z.count)
        }
    },
    Command("zscore", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readZset(call.argv[1]) {
        case .missing: call.null()
        case .wrongType: call.wrongType()
        case .found(let z):
            if let s = z.score(call.argv[2]) { call.bulkScore(s) } else { call.null() }
        }
    },
    Command("zrank", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in zrankCommand(call, reverse: false) },
    Command("zrevrank", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in zrankCommand(call, reverse: true) },
    Command("zcount", arity: 4, flags: "rF", keys: (1, 1, 1)) { call in
        guard let range = SortedSetScoreRange(min: call.argv[2], max: call.argv[3]) else {
            call.error("ERR min or max is not a float")
            return
        }
        switch call.readZset(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let z): call.integer(z.ranks(in: range).count)
        }
    },
    Command("zlexcount", arity: 4, flags: "rF", keys: (1, 1, 1)) { call in
        guard let range = SortedSetLexRange(min: call.argv[2], max: call.argv[3]) else {
            call.error("ERR min or max not valid string range item")
            return
        }
        switch call.readZset(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let z): call.integer(z.lexCount(range))
        }
    },
    Command("zscan", arity: -3, flags: "rR", keys: (1, 1, 1)) { call in zscanCommand(call) },
]

private func zrankCommand(_ call: Call, reverse: Bool) {
    switch call.readZset(call.argv[1]) {
    case .missing: call.null()
    case .wrongType: call.wrongType()
    case .found(let z):
        guard let r = z.rank(call.argv[2]) else { call.null(); return }
        call.integer(reverse ? z.count - 1 - r : r)
    }
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is checked first, then
/// the key, then the options (Redis 4.0's order).
private func zscanCommand(_ call: Call) {
    guard let cursor = UInt64(call.argv[2].text), call.argv[2].first != UInt8(ascii: "+") else {
        call.error("ERR invalid cursor")
        return
    }
    let z: SortedSetValue
    switch call.readZset(call.argv[1]) {
    case .missing:
        call.array(2)
        call.bulk(Bytes("0"))
        call.array(0)
        return
    case .wrongType:
        call.wrongType()
        return
    case .found(let found):
        z = found
    }
    var pattern: Bytes? = nil
    var count = 10
    var i = 3
    while i < call.argv.count {
        if zsetArgIs(call.argv[i], "count") && i + 1 < call.argv.count {
            guard let n = call.int64(i + 1) else { return }
            guard n >= 1 else { call.syntaxError(); return }
            count = Int(min(n, Int64(Int32.max)))
            i += 2
        } else if zsetArgIs(call.argv[i], "match") && i + 1 < call.argv.count {
            pattern = call.argv[i + 1]
            if pattern == Bytes("*") { pattern = nil }
            i += 2
        } else {
            call.syntaxError()
            return
        }
    }
    let (next, entries) = z.scan(cursor: cursor, count: count)
    let shown = pattern.map { p in entries.filter { globMatch(p, $0.member) } } ?? entries
    call.array(2)
    call.bulk(Bytes(String(next)))
    call.replyEntries(shown, withScores: true)
}
