// SetsCommands: SADD, SREM, SISMEMBER, SCARD, SMEMBERS, SMOVE, SSCAN (SPOP and
// SRANDMEMBER live in SetsRandomCommands.swift, SINTER/SUNION/SDIFF and their
// STORE forms in SetsAlgebraCommands.swift).
//
// Contract: Redis 4.0's replies, errors, dirty counts and keyspace events
// ("sadd", "srem", and "del" when a set empties and its key goes away). A new
// set starts in the form Redis's setTypeCreate picks for its first member.
//
// The tricky bit: SMOVE touches two keys. Any lookup may reclaim an expired key
// and so move entries, which invalidates indices: both keys are looked up
// before either index is used, and the destination is looked up again after
// the source may have been removed.
import Engine

/// Every set command, joined into the table by CommandTable.standard.
let setCommands: [Command] = setBasicCommands + setRandomCommands + setAlgebraCommands

private let setBasicCommands: [Command] = [
    Command("sadd", arity: -3, flags: "wmF", keys: (1, 1, 1)) { call in
        let ks = call.ks, db = call.db, key = call.argv[1]
        let limits = ks.encodingLimits
        var added = 0
        switch call.writeSetIndex(key) {
        case .wrongType:
            call.wrongType()
            return
        case .missing:
            var s = SetValue(forFirstMember: call.argv[2])
            for m in call.argv[2...] where s.add(m, limits: limits) { added += 1 }
            ks.add(db, key, .set(s))
        case .found(let i):
            var s = call.takeSet(i)
            for m in call.argv[2...] where s.add(m, limits: limits) { added += 1 }
            ks.replace(db, i, with: .set(s))
        }
        if added > 0 {
            call.notify(.set, "sadd", key)
            ks.dirty += Int64(added)
        }
        call.integer(added)
    },
    Command("srem", arity: -3, flags: "wF", keys: (1, 1, 1)) { call in
        let ks = call.ks, db = call.db, key = call.argv[1]
        let i: Int
        switch call.writeSetIndex(key) {
        case .missing: call.integer(0); return
        case .wrongType: call.wrongType(); return
        case .found(let index): i = index
        }
        guard call.inspectSet(i, { s in call.argv[2...].contains(where: { s.contains($0) }) }) else {
            call.integer(0)
            return
        }
        var s = call.takeSet(i)
        var deleted = 0
        for m in call.argv[2...] where s.remove(m) {
            deleted += 1
            if s.count == 0 { break }
        }
        let keyRemoved = s.count == 0
        if keyRemoved { ks.remove(db, at: i) } else { ks.replace(db, i, with: .set(s)) }
        call.notify(.set, "srem", key)
        if keyRemoved { call.notify(.generic, "del", key) }
        ks.dirty += Int64(deleted)
        call.integer(deleted)
    },
    Command("smove", arity: 4, flags: "wF", keys: (1, 2, 1)) { call in smove(call) },
    Command("sismember", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readSet(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let s): call.integer(s.contains(call.argv[2]) ? 1 : 0)
        }
    },
    Command("scard", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readSet(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let s): call.integer(s.count)
        }
    },
    Command("smembers", arity: 2, flags: "rS", keys: (1, 1, 1)) { call in
        switch call.readSet(call.argv[1]) {
        case .missing: call.array(0)
        case .wrongType: call.wrongType()
        case .found(let s): call.replyMembers(s)
        }
    },
    Command("sscan", arity: -3, flags: "rR", keys: (1, 1, 1)) { call in
        guard let cursor = parseScanCursor(call, call.argv[2]) else { return }
        let s: SetValue
        switch call.readSet(call.argv[1]) {
        case .missing: replyEmptyScan(call); return
        case .wrongType: call.wrongType(); return
        case .found(let found): s = found
        }
        guard let options = ScanOptions(call, from: 3) else { return }
        let (next, members) = s.scan(cursor: cursor, count: options.count)
        let shown = members.filter { options.matches($0) }
        call.array(2)
        call.bulk(Bytes(String(next)))
        call.bulkArray(shown)
    },
]

/// SMOVE source destination member.
private func smove(_ call: Call) {
    let ks = call.ks, db = call.db
    let source = call.argv[1], destination = call.argv[2], member = call.argv[3]
    let limits = ks.encodingLimits
    _ = ks.lookupWrite(db, source)
    let di = ks.lookupWrite(db, destination)
    guard let si = ks.lookupWrite(db, source) else {
        call.integer(0)
        return
    }
    guard case .set = ks.value(db, si) else { call.wrongType(); return }
    if let di, case .set = ks.value(db, di) {} else if di != nil { call.wrongType(); return }
    let isMember = call.inspectSet(si) { $0.contains(member) }
    if source == destination {
        call.integer(isMember ? 1 : 0)
        return
    }
    guard isMember else {
        call.integer(0)
        return
    }
    var s = call.takeSet(si)
    s.remove(member)
    call.notify(.set, "srem", source)
    if s.count == 0 {
        ks.remove(db, at: si)
        call.notify(.generic, "del", source)
    } else {
        ks.replace(db, si, with: .set(s))
    }
    ks.dirty += 1
    let added: Bool
    if let i = ks.lookupWrite(db, destination) {
        var d = call.takeSet(i)
        added = d.add(member, limits: limits)
        ks.replace(db, i, with: .set(d))
    } else {
        var d = SetValue(forFirstMember: member)
        added = d.add(member, limits: limits)
        ks.add(db, destination, .set(d))
    }
    if added {
        ks.dirty += 1
        call.notify(.set, "sadd", destination)
    }
    call.integer(1)
}

// MARK: lookups and replies shared by the set handlers

extension Call {
    /// Looks `key` up for reading (lazy expiry, hit/miss stats) as a set.
    func readSet(_ key: Bytes) -> CollectionLookup<SetValue> {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .set(let s) = ks.value(db, i) else { return .wrongType }
        return .found(s)
    }

    /// Looks `key` up for writing as a set: its entry index only.
    func writeSetIndex(_ key: Bytes) -> CollectionLookup<Int> {
        guard let i = ks.lookupWrite(db, key) else { return .missing }
        guard case .set = ks.value(db, i) else { return .wrongType }
        return .found(i)
    }

    /// Runs `body` on the set at entry `i` (which must be one) without keeping a
    /// reference past the call, so a following `takeSet` edits in place.
    func inspectSet<R>(_ i: Int, _ body: (SetValue) -> R) -> R {
        guard case .set(let s) = ks.value(db, i) else { preconditionFailure("inspectSet on a non-set") }
        return body(s)
    }

    /// Moves the set at entry `i` out for editing; put it back with `ks.replace` (or remove the key).
    func takeSet(_ i: Int) -> SetValue {
        guard case .set(let s) = ks.take(db, i) else { preconditionFailure("takeSet on a non-set") }
        return s
    }

    /// Every member of `s` as an array reply, in its iteration order.
    func replyMembers(_ s: SetValue) {
        array(s.count)
        s.forEachView { client.output.writeBulk(view: $0) }
    }
}
