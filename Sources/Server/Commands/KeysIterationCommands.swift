// KeysIterationCommands: KEYS, SCAN and RANDOMKEY.
//
// SCAN's cursor is the table's reverse-binary bucket cursor (KeyTable.scan):
// every key present for the whole iteration is returned at least once, even
// if the table grows or shrinks in between. MATCH filters after the buckets are
// read, so a step may return no keys with a non-zero cursor, as in Redis.
// Expired keys are reclaimed as they are met, never returned.
import Engine

let keyIterationCommands: [Command] = [
    Command("keys", arity: 2, flags: "rS", keys: (0, 0, 0)) { call in
        let ks = call.ks, db = call.db
        let pattern = call.argv[1]
        let all = pattern == Bytes("*")
        var matched: [Bytes] = []
        var expired: [Bytes] = []
        for i in ks.allIndices(db) {
            let key = ks.key(db, i)
            guard all || globMatch(pattern, key) else { continue }
            if ks.isLogicallyExpired(db, i) { expired.append(key) } else { matched.append(key) }
        }
        // Reclaim the expired keys met, as Redis's KEYS does (lookupWrite propagates the DELs).
        for key in expired { _ = ks.lookupWrite(db, key) }
        call.bulkArray(matched)
    },
    Command("scan", arity: -2, flags: "rR") { call in
        scanKeys(call)
    },
    Command("randomkey", arity: 1, flags: "rR") { call in
        call.bulkOrNull(call.ks.randomKey(call.db))
    },
]

/// Parses `SCAN cursor [MATCH pattern] [COUNT count]` and replies [cursor, keys].
private func scanKeys(_ call: Call) {
    guard let cursor = UInt64(call.argv[1].text), call.argv[1].first != UInt8(ascii: "+") else {
        call.error("ERR invalid cursor")
        return
    }
    var pattern: Bytes? = nil
    var count = 10
    var i = 2
    while i < call.argv.count {
        let option = call.option(i)
        if option == "count" && i + 1 < call.argv.count {
            guard let n = call.int64(i + 1) else { return }
            guard n >= 1 else { call.syntaxError(); return }
            count = Int(min(n, Int64(Int32.max)))
            i += 2
        } else if option == "match" && i + 1 < call.argv.count {
            pattern = call.argv[i + 1]
            if pattern == Bytes("*") { pattern = nil }
            i += 2
        } else {
            call.syntaxError()
            return
        }
    }
    let ks = call.ks, db = call.db
    let (next, keys) = ks.scan(db, cursor: cursor, count: count)
    var shown: [Bytes] = []
    shown.reserveCapacity(keys.count)
    for key in keys {
        if let pattern, !globMatch(pattern, key) { continue }
        if ks.lookupWrite(db, key) == nil { continue }
        shown.append(key)
    }
    call.array(2)
    call.bulk(Bytes(String(next)))
    call.bulkArray(shown)
}
