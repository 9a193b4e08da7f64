// ListsEditCommands: LTRIM, LREM, LINSERT and RPOPLPUSH.
//
// Contract: Redis 4.0's replies and argument order: LTRIM and LREM parse their
// integers before looking the key up; LINSERT checks BEFORE/AFTER first.
// Events: "ltrim" (always, even when nothing was trimmed, as Redis),
// "lrem" (class generic, as Redis 4.0 files it), "linsert", and for RPOPLPUSH
// "lpush" on the destination then "rpop" on the source.
//
// The tricky bit: RPOPLPUSH with the same key as source and destination
// rotates one list (it never becomes empty), and a destination that does not
// exist is created through `ks.add`, which wakes clients blocked on it.
import Engine

let listEditCommands: [Command] = [
    Command("ltrim", arity: 4, flags: "w", keys: (1, 1, 1)) { call in
        guard let start = call.int64(2), let end = call.int64(3) else { return }
        let key = call.argv[1]
        guard let i = call.ks.lookupWrite(call.db, key) else { call.ok(); return }
        guard call.isList(i) else { call.wrongType(); return }
        call.withList(i) { list in
            let n = list.count
            if let (from, count) = listRange(start, end, length: n) {
                list.trim(front: from, back: n - from - count)
            } else {
                list.trim(front: n, back: 0)
            }
            call.notify(.list, "ltrim", key)
        }
        call.ks.dirty += 1
        call.ok()
    },
    Command("lrem", arity: 4, flags: "w", keys: (1, 1, 1)) { call in
        guard let limit = call.int64(2) else { return }
        let key = call.argv[1]
        guard let i = call.ks.lookupWrite(call.db, key) else { call.integer(0); return }
        guard call.isList(i) else { call.wrongType(); return }
        let removed = call.withList(i) { list -> Int in
            let n = list.remove(call.argv[3], limit: Int(limit))
            if n > 0 { call.notify(.generic, "lrem", key) }
            return n
        }
        call.ks.dirty += Int64(removed)
        call.integer(removed)
    },
    Command("linsert", arity: 5, flags: "wm", keys: (1, 1, 1)) { call in
        let after: Bool
        switch call.option(2) {
        case "after": after = true
        case "before": after = false
        default: call.syntaxError(); return
        }
        let key = call.argv[1]
        guard let i = call.ks.lookupWrite(call.db, key) else { call.integer(0); return }
        guard call.isList(i) else { call.wrongType(); return }
        let fill = call.ks.encodingLimits.listMaxNodeSize
        let depth = call.ks.encodingLimits.listCompressDepth
        let (inserted, length) = call.withList(i) { list -> (Bool, Int) in
            let done = list.insert(call.argv[4], pivot: call.argv[3], after: after, fill: fill, depth: depth)
            return (done, list.count)
        }
        guard inserted else { call.integer(-1); return }
        call.notify(.list, "linsert", key)
        call.ks.dirty += 1
        call.integer(length)
    },
    Command("rpoplpush", arity: 3, flags: "wm", keys: (1, 2, 1)) { call in
        rpoplpush(call)
    },
]

/// RPOPLPUSH source destination (argv[1], argv[2]); also BRPOPLPUSH on a non-empty source.
/// Returns true when an element moved.
@discardableResult
func rpoplpush(_ call: Call) -> Bool {
    let ks = call.ks
    let db = call.db
    let source = call.argv[1]
    let destination = call.argv[2]
    guard let found = ks.lookupWrite(db, source) else { call.null(); return false }
    guard call.isList(found) else { call.wrongType(); return false }
    // Looking the destination up may expire it, which moves indexes: find the source again after.
    guard call.server.holdsListOrNothing(db, destination) else { call.wrongType(); return false }
    let fill = ks.encodingLimits.listMaxNodeSize
    let depth = ks.encodingLimits.listCompressDepth
    let i = ks.lookupWrite(db, source)!
    var taken = ks.take(db, i)
    var list = taken.takeList()!
    let value = list.pop(atHead: false)!
    var emptied = false
    if source == destination {
        list.push(value, atHead: true, fill: fill, depth: depth)
        ks.replace(db, i, with: .list(list))
    } else {
        if list.isEmpty {
            ks.remove(db, at: i)
            emptied = true
        } else {
            ks.replace(db, i, with: .list(list))
        }
        call.server.pushHead(db: db, key: destination, value: value, fill: fill)
    }
    call.notify(.list, "lpush", destination)
    call.bulk(value)
    call.notify(.list, "rpop", source)
    if emptied { call.notify(.generic, "del", source) }
    ks.dirty += 1
    return true
}
