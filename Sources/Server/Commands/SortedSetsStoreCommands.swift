// SortedSetsStoreCommands: ZUNIONSTORE and ZINTERSTORE.
//
// Contract: Redis 4.0's zunionInterGenericCommand: `dest numkeys key... [WEIGHTS w...]
// [AGGREGATE SUM|MIN|MAX]`; inputs are sorted sets or sets (each set member scores 1),
// looked up for writing, a wrong type refused before the options are read. The
// result replaces `dest` (whatever its type, TTL dropped), packed when it fits;
// an empty result deletes `dest` ("del"), otherwise "zunionstore"/"zinterstore".
//
// The tricky bit: floating-point agreement. Inputs are processed smallest first
// (a stable sort by size, as Redis's qsort of small arrays is), each score is
// weight * score with NaN made 0, and SUM of +inf and -inf is 0, so the same
// additions happen in the same order as in Redis.
import Engine

let sortedSetStoreCommands: [Command] = [
    Command("zunionstore", arity: -4, flags: "wm", keyFinder: zstoreKeys) { call in zstoreCommand(call, union: true) },
    Command("zinterstore", arity: -4, flags: "wm", keyFinder: zstoreKeys) { call in zstoreCommand(call, union: false) },
]

/// Key positions: the destination and the numkeys inputs.
func zstoreKeys(_ argv: [Bytes]) -> [Int] {
    guard argv.count > 2, let n = argv[2].parseInt64(), n > 0, n <= Int64(argv.count - 3) else { return [] }
    return [1] + Array(3..<(3 + Int(n)))
}

/// A byte string as a dictionary key, hashed in one call.
private struct MemberKey: Hashable {
    let bytes: Bytes
    func hash(into h: inout Hasher) { bytes.withUnsafeBytes { h.combine(bytes: $0) } }
    static func == (a: MemberKey, b: MemberKey) -> Bool { a.bytes == b.bytes }
}

/// One input of ZUNIONSTORE/ZINTERSTORE.
private enum StoreInput {
    case none
    case zset(SortedSetValue)
    case set(SetValue)

    var count: Int {
        switch self {
        case .none: return 0
        case .zset(let z): return z.count
        case .set(let s): return s.count
        }
    }

    /// Every (member, score), scores of set members being 1.
    var entries: [SortedSetEntry] {
        switch self {
        case .none: return []
        case .zset(let z): return z.allEntries
        case .set(let s): return setInputMembers(s).map { SortedSetEntry(member: $0, score: 1) }
        }
    }
}

private enum Aggregate { case sum, min, max }

private func aggregate(_ target: inout Double, _ value: Double, _ how: Aggregate) {
    switch how {
    case .sum:
        target += value
        if target.isNaN { target = 0 }
    case .min: target = value < target ? value : target
    case .max: target = value > target ? value : target
    }
}

private func zstoreCommand(_ call: Call, union: Bool) {
    let argv = call.argv
    let ks = call.ks, db = call.db
    guard let setCount = call.int64(2) else { return }
    guard setCount >= 1 else {
        call.error("ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE")
        return
    }
    guard setCount <= Int64(argv.count - 3) else { call.syntaxError(); return }
    let n = Int(setCount)

    var inputs: [StoreInput] = []
    inputs.reserveCapacity(n)
    for j in 3..<(3 + n) {
        guard let i = ks.lookupWrite(db, argv[j]) else { inputs.append(.none); continue }
        switch ks.value(db, i) {
        case .zset(let z): inputs.append(.zset(z))
        case .set(let s): inputs.append(.set(s))
        default: call.wrongType(); return
        }
    }

    var weights = [Double](repeating: 1, count: n)
    var how = Aggregate.sum
    var j = 3 + n
    while j < argv.count {
        let remaining = argv.count - j
        if remaining >= n + 1 && zsetArgIs(argv[j], "weights") {
            j += 1
            for k in 0..<n {
                guard let w = argv[j].parseDouble() else { call.error("ERR weight value is not a float"); return }
                weights[k] = w
                j += 1
            }
        } else if remaining >= 2 && zsetArgIs(argv[j], "aggregate") {
            let a = argv[j + 1]
            if zsetArgIs(a, "sum") { how = .sum }
            else if zsetArgIs(a, "min") { how = .min }
            else if zsetArgIs(a, "max") { how = .max }
            else { call.syntaxError(); return }
            j += 2
        } else {
            call.syntaxError()
            return
        }
    }

    // Smallest input first, ties in argument order.
    let order = (0..<n).sorted { (inputs[$0].count, $0) < (inputs[$1].count, $1) }
    var result: [SortedSetEntry] = []
    if union {
        var slot: [MemberKey: Int] = [:]
        for k in order where inputs[k].count > 0 {
            for e in inputs[k].entries {
                var score = weights[k] * e.score
                if score.isNaN { score = 0 }
                if let at = slot[MemberKey(bytes: e.member)] {
                    aggregate(&result[at].score, score, how)
                } else {
                    slot[MemberKey(bytes: e.member)] = result.count
                    result.append(SortedSetEntry(member: e.member, score: score))
                }
            }
        }
    } else if inputs[order[0]].count > 0 {
        let first = order[0]
        outer: for e in inputs[first].entries {
            var score = weights[first] * e.score
            if score.isNaN { score = 0 }
            for k in order.dropFirst() {
                let value: Double
                switch inputs[k] {
                case .none: continue outer
                case .zset(let z):
                    guard let s = z.score(e.member) else { continue outer }
                    value = s * weights[k]
                case .set(let s):
                    guard setInputContains(s, e.member) else { continue outer }
                    value = weights[k]
                }
                aggregate(&score, value, how)
            }
            result.append(SortedSetEntry(member: e.member, score: score))
        }
    }

    let dest = argv[1]
    let touched = ks.serverDelete(db, dest)
    if touched { ks.dirty += 1 }
    if result.isEmpty {
        call.integer(0)
        if touched { call.notify(.generic, "del", dest) }
        return
    }
    ks.add(db, dest, .zset(SortedSetValue(entries: result, limits: ks.encodingLimits)))
    call.integer(result.count)
    call.notify(.zset, union ? "zunionstore" : "zinterstore", dest)
    ks.dirty += 1
}
