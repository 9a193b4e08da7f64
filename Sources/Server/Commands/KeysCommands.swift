// KeysCommands: the generic keyspace commands — existence, deletion, type,
// renaming and moving between databases. Expiry, iteration and OBJECT live in
// their own files; `keyCommands` joins them for the command table.
import Engine

let keyCommands: [Command] = keyBasicCommands + keyExpireCommands + keyIterationCommands + keyObjectCommands

private let keyBasicCommands: [Command] = [
    Command("del", arity: -2, flags: "w", keys: (1, -1, 1)) { call in deleteKeys(call, lazily: false) },
    Command("unlink", arity: -2, flags: "wF", keys: (1, -1, 1)) { call in deleteKeys(call, lazily: true) },
    Command("exists", arity: -2, flags: "rF", keys: (1, -1, 1)) { call in
        var n = 0
        for key in call.argv.dropFirst() where call.ks.lookupRead(call.db, key) != nil { n += 1 }
        call.integer(n)
    },
    Command("touch", arity: -2, flags: "rF", keys: (1, -1, 1)) { call in
        var n = 0
        for key in call.argv.dropFirst() where call.ks.lookupRead(call.db, key) != nil { n += 1 }
        call.integer(n)
    },
    Command("type", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        if let i = call.ks.lookupRead(call.db, call.argv[1], touch: false) {
            call.status(call.ks.value(call.db, i).typeName)
        } else {
            call.status("none")
        }
    },
    Command("rename", arity: 3, flags: "w", keys: (1, 2, 1)) { call in rename(call, onlyIfAbsent: false) },
    Command("renamenx", arity: 3, flags: "wF", keys: (1, 2, 1)) { call in rename(call, onlyIfAbsent: true) },
    Command("move", arity: 3, flags: "wF", keys: (1, 1, 1)) { call in move(call) },
    Command("swapdb", arity: 3, flags: "wF") { call in
        guard let a = call.argv[1].parseInt64().map(databaseIndex40) else { call.error("ERR invalid first DB index"); return }
        guard let b = call.argv[2].parseInt64().map(databaseIndex40) else { call.error("ERR invalid second DB index"); return }
        let n = Int64(call.ks.databaseCount)
        guard a >= 0 && a < n && b >= 0 && b < n else { call.error("ERR DB index is out of range"); return }
        call.ks.swap(Int(a), Int(b))
        call.ks.dirty += 1
        call.ok()
    },
]

/// DEL and UNLINK: the number of keys removed. (UNLINK's background freeing comes with lazy free.)
/// DEL frees values here; UNLINK hands big ones to the free thread (LazyFree.swift).
private func deleteKeys(_ call: Call, lazily: Bool) {
    var removed = 0
    for key in call.argv.dropFirst() where call.ks.delete(call.db, key, lazily: lazily) {
        removed += 1
        call.notify(.generic, "del", key)
    }
    call.ks.dirty += Int64(removed)
    call.integer(removed)
}

/// RENAME / RENAMENX: the value and its TTL move to the new name.
private func rename(_ call: Call, onlyIfAbsent: Bool) {
    let ks = call.ks, db = call.db
    let source = call.argv[1], target = call.argv[2]
    guard let i = ks.lookupWrite(db, source) else {
        call.error("ERR no such key")
        return
    }
    if source == target {
        if onlyIfAbsent { call.integer(0) } else { call.ok() }
        return
    }
    let deadline = ks.expireAt(db, i)
    if ks.lookupWrite(db, target) != nil {
        if onlyIfAbsent {
            call.integer(0)
            return
        }
        ks.serverDelete(db, target)
    }
    // Look the source up again: deleting the target may have moved entries.
    guard let j = ks.lookupWrite(db, source) else { return }
    let value = ks.remove(db, at: j)
    ks.add(db, target, value, expireAt: deadline)
    ks.dirty += 1
    call.notify(.generic, "rename_from", source)
    call.notify(.generic, "rename_to", target)
    if onlyIfAbsent { call.integer(1) } else { call.ok() }
}

private func move(_ call: Call) {
    let ks = call.ks, db = call.db
    guard let target = call.argv[2].parseInt64(), target >= 0, target < Int64(ks.databaseCount) else {
        call.error("ERR index out of range")
        return
    }
    let dst = Int(target)
    if dst == db {
        call.error("ERR source and destination objects are the same")
        return
    }
    guard let i = ks.lookupWrite(db, call.argv[1]) else {
        call.integer(0)
        return
    }
    if ks.lookupWrite(dst, call.argv[1]) != nil {
        call.integer(0)
        return
    }
    let deadline = ks.expireAt(db, i)
    let value = ks.remove(db, at: i)
    ks.add(dst, call.argv[1], value, expireAt: deadline)
    ks.dirty += 1
    call.notify(.generic, "move_from", call.argv[1])
    call.server.notifyKeyspaceEvent(.generic, "move_to", call.argv[1], db: dst)
    call.integer(1)
}
