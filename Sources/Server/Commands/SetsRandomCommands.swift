// SetsRandomCommands: SPOP and SRANDMEMBER, with and without a count.
//
// Contract: Redis 4.0's reply shapes. SRANDMEMBER with a positive count gives
// distinct members (the whole set when the count reaches its size), with a
// negative count |count| members that may repeat. SPOP with a count pops
// distinct members; past the set's size it empties the key.
//
// The tricky bit: SPOP is random, so it is never propagated as itself. As in
// Redis 4.0, a single pop is replayed as `SREM key member`, a counted pop as one
// `SREM key member` per popped member, and a pop of the whole set as `DEL key`.
// When most of a large set is popped, Redis builds the set of survivors afresh
// (so its encoding is re-chosen: survivors that are all integers become an
// intset again); Cairn does the same so OBJECT ENCODING agrees.
import Engine

/// Redis's SPOP_MOVE_STRATEGY_MUL: past (survivors x 5 <= count), rebuild from the survivors.
private let spopRebuildFactor = 5

let setRandomCommands: [Command] = [
    Command("spop", arity: -2, flags: "wRF", keys: (1, 1, 1)) { call in
        if call.argv.count == 3 { spopWithCount(call); return }
        guard call.argv.count == 2 else { call.syntaxError(); return }
        let ks = call.ks, db = call.db, key = call.argv[1]
        let i: Int
        switch call.writeSetIndex(key) {
        case .missing: call.null(); return
        case .wrongType: call.wrongType(); return
        case .found(let index): i = index
        }
        var s = call.takeSet(i)
        guard let member = s.removeRandom(using: &ks.random) else {
            ks.replace(db, i, with: .set(s))
            call.null()
            return
        }
        call.notify(.set, "spop", key)
        call.propagate(as: [[Bytes("SREM"), key, member]])
        call.bulk(member)
        if s.count == 0 {
            ks.remove(db, at: i)
            call.notify(.generic, "del", key)
        } else {
            ks.replace(db, i, with: .set(s))
        }
        ks.dirty += 1
    },
    Command("srandmember", arity: -2, flags: "rR", keys: (1, 1, 1)) { call in
        if call.argv.count == 3 { srandmemberWithCount(call); return }
        guard call.argv.count == 2 else { call.syntaxError(); return }
        switch call.readSet(call.argv[1]) {
        case .missing: call.null()
        case .wrongType: call.wrongType()
        case .found(let s): call.bulkOrNull(s.randomMember(using: &call.ks.random))
        }
    },
]

/// SPOP key count.
private func spopWithCount(_ call: Call) {
    guard let requested = call.int64(2) else { return }
    // Redis 4.0's shared.outofrangeerr (7.0 says "ERR value is out of range, must be positive").
    guard requested >= 0 else { call.error("ERR index out of range"); return }
    let ks = call.ks, db = call.db, key = call.argv[1]
    let i: Int
    switch call.readSetIndex(key) {
    case .missing: call.array(0); return
    case .wrongType: call.wrongType(); return
    case .found(let index): i = index
    }
    guard requested > 0 else { call.array(0); return }
    var s = call.takeSet(i)
    let size = s.count
    call.notify(.set, "spop", key)
    ks.dirty += min(requested, Int64(size)) + 1

    if requested >= Int64(size) {
        // The whole set: reply with it, delete the key, replay as DEL.
        call.replyMembers(s)
        ks.remove(db, at: i)
        call.notify(.generic, "del", key)
        call.propagate(as: [[Bytes("DEL"), key]])
        return
    }

    let count = Int(requested)
    let survivors = size - count
    var records: [[Bytes]] = []
    records.reserveCapacity(count)
    call.array(count)
    if survivors * spopRebuildFactor > count {
        // Few to pop: remove random members one by one.
        for _ in 0..<count {
            guard let member = s.removeRandom(using: &ks.random) else { break }
            call.bulk(member)
            records.append([Bytes("SREM"), key, member])
        }
        ks.replace(db, i, with: .set(s))
    } else {
        // Most of the set goes: pick the survivors into a fresh set, pop the rest.
        let limits = ks.encodingLimits
        var kept: SetValue? = nil
        for _ in 0..<survivors {
            guard let member = s.removeRandom(using: &ks.random) else { break }
            if kept == nil { kept = SetValue(forFirstMember: member) }
            kept!.add(member, limits: limits)
        }
        s.forEach { member in
            call.bulk(member)
            records.append([Bytes("SREM"), key, member])
        }
        ks.replace(db, i, with: .set(kept ?? SetValue()))
    }
    call.propagate(as: records)
}

/// SRANDMEMBER key count.
private func srandmemberWithCount(_ call: Call) {
    guard let requested = call.int64(2) else { return }
    guard requested != Int64.min else { call.error("ERR value is out of range"); return }
    let distinct = requested >= 0
    let count = Int(requested.magnitude)
    let s: SetValue
    switch call.readSet(call.argv[1]) {
    case .missing: call.array(0); return
    case .wrongType: call.wrongType(); return
    case .found(let found): s = found
    }
    let size = s.count
    if count == 0 || size == 0 {
        call.array(0)
        return
    }
    let ks = call.ks
    if !distinct {
        // Repeats allowed: sample the whole set each time.
        call.array(count)
        for _ in 0..<count { call.bulk(s.member(at: Int.random(in: 0..<size, using: &ks.random))) }
        return
    }
    if count >= size {
        call.replyMembers(s)
        return
    }
    call.array(count)
    if count * 3 > size {
        // Many: a partial shuffle of every position.
        var positions = Array(0..<size)
        for j in 0..<count {
            positions.swapAt(j, Int.random(in: j..<size, using: &ks.random))
            call.bulk(s.member(at: positions[j]))
        }
    } else {
        // Few: draw positions until `count` distinct ones are found.
        var seen = Set<Int>(minimumCapacity: count)
        while seen.count < count {
            let p = Int.random(in: 0..<size, using: &ks.random)
            if seen.insert(p).inserted { call.bulk(s.member(at: p)) }
        }
    }
}

extension Call {
    /// Looks `key` up for reading (hit/miss stats) as a set, returning its index (SPOP with a count reads, then edits).
    func readSetIndex(_ key: Bytes) -> CollectionLookup<Int> {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .set = ks.value(db, i) else { return .wrongType }
        return .found(i)
    }
}
