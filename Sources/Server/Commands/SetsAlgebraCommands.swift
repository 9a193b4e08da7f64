// SetsAlgebraCommands: SINTER, SUNION, SDIFF and their STORE forms.
//
// Contract: Redis 4.0's semantics. A missing key is an empty set: SINTER stops
// at the first missing key (later keys are not even type-checked, as in
// Redis), SUNION and SDIFF skip missing keys but reply WRONGTYPE for any key of
// another type. A STORE form replaces the destination (dropping its TTL) with
// the result, or deletes it when the result is empty ("del" event only if it
// existed), and counts one change.
//
// The tricky bit: the result's encoding. Redis builds every result into a new
// set that starts as an empty intset and adds members one by one; SDIFF may
// also remove members again (its second algorithm, picked by Redis's cost
// estimate), so a result can stay a hashtable even when only integers remain.
// Cairn follows the same steps so OBJECT ENCODING of a stored result agrees.
import Engine

let setAlgebraCommands: [Command] = [
    Command("sinter", arity: -2, flags: "rS", keys: (1, -1, 1)) { call in
        setIntersection(call, keys: call.argv[1...], destination: nil)
    },
    Command("sinterstore", arity: -3, flags: "wm", keys: (1, -1, 1)) { call in
        setIntersection(call, keys: call.argv[2...], destination: call.argv[1])
    },
    Command("sunion", arity: -2, flags: "rS", keys: (1, -1, 1)) { call in
        setUnionOrDifference(call, keys: call.argv[1...], destination: nil, difference: false)
    },
    Command("sunionstore", arity: -3, flags: "wm", keys: (1, -1, 1)) { call in
        setUnionOrDifference(call, keys: call.argv[2...], destination: call.argv[1], difference: false)
    },
    Command("sdiff", arity: -2, flags: "rS", keys: (1, -1, 1)) { call in
        setUnionOrDifference(call, keys: call.argv[1...], destination: nil, difference: true)
    },
    Command("sdiffstore", arity: -3, flags: "wm", keys: (1, -1, 1)) { call in
        setUnionOrDifference(call, keys: call.argv[2...], destination: call.argv[1], difference: true)
    },
]

/// SINTER / SINTERSTORE.
private func setIntersection(_ call: Call, keys: ArraySlice<Bytes>, destination: Bytes?) {
    let ks = call.ks, db = call.db
    var sets: [SetValue] = []
    sets.reserveCapacity(keys.count)
    for key in keys {
        let index = destination == nil ? ks.lookupRead(db, key) : ks.lookupWrite(db, key)
        guard let index else {
            if let destination {
                if ks.serverDelete(db, destination) { ks.dirty += 1 }
                call.integer(0)
            } else {
                call.array(0)
            }
            return
        }
        guard case .set(let s) = ks.value(db, index) else { call.wrongType(); return }
        sets.append(s)
    }
    // Walk the smallest set, probing the others.
    sets.sort { $0.count < $1.count }
    let others = sets.dropFirst()
    var result: [Bytes] = []
    sets[0].forEach { member in
        if others.allSatisfy({ $0.contains(member) }) { result.append(member) }
    }
    if let destination {
        var out = SetValue()
        for m in result { out.add(m, limits: ks.encodingLimits) }
        storeSetResult(call, out, at: destination, event: "sinterstore")
    } else {
        call.bulkArray(result)
    }
}

/// SUNION / SDIFF and their STORE forms.
private func setUnionOrDifference(_ call: Call, keys: ArraySlice<Bytes>, destination: Bytes?, difference: Bool) {
    let ks = call.ks, db = call.db
    let limits = ks.encodingLimits
    var sets: [SetValue?] = []
    sets.reserveCapacity(keys.count)
    for key in keys {
        let index = destination == nil ? ks.lookupRead(db, key) : ks.lookupWrite(db, key)
        guard let index else { sets.append(nil); continue }
        guard case .set(let s) = ks.value(db, index) else { call.wrongType(); return }
        sets.append(s)
    }
    var out = SetValue()
    if !difference {
        for case let s? in sets { s.forEach { out.add($0, limits: limits) } }
    } else if let first = sets[0] {
        // Redis's choice between probing (1) and adding then removing (2).
        var probeWork = 0, removeWork = 0
        for case let s? in sets {
            probeWork += first.count
            removeWork += s.count
        }
        probeWork /= 2
        let rest = sets.dropFirst().compactMap { $0 }
        if probeWork <= removeWork {
            let bySize = rest.sorted { $0.count > $1.count }
            first.forEach { member in
                if !bySize.contains(where: { $0.contains(member) }) { out.add(member, limits: limits) }
            }
        } else {
            first.forEach { out.add($0, limits: limits) }
            for s in rest {
                s.forEach { out.remove($0) }
                if out.count == 0 { break }
            }
        }
    }
    if let destination {
        storeSetResult(call, out, at: destination, event: difference ? "sdiffstore" : "sunionstore")
    } else {
        call.replyMembers(out)
    }
}

/// Replaces `destination` with `result` (or deletes it when the result is empty) and replies the size.
private func storeSetResult(_ call: Call, _ result: SetValue, at destination: Bytes, event: String) {
    let ks = call.ks, db = call.db
    if result.count > 0 {
        ks.set(db, destination, .set(result))
        call.integer(result.count)
        call.notify(.set, event, destination)
    } else {
        let deleted = ks.serverDelete(db, destination)
        call.integer(0)
        if deleted { call.notify(.generic, "del", destination) }
    }
    ks.dirty += 1
}
