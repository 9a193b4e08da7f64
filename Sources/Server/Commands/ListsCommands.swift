// ListsCommands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LINDEX, LSET,
// LRANGE; plus the helpers every list handler shares.
//
// Contract: Redis 4.0's replies, errors and argument order (LRANGE parses its
// indexes before looking the key up, LINDEX/LSET after); keyspace events with
// 4.0's names; `ks.dirty` bumped per element pushed and per pop. A list that
// becomes empty is deleted with a "del" event. Pushes that create a key wake
// blocked clients through the keyspace's onListAdded hook (Blocking.swift).
//
// The tricky bit: mutation goes through `withList`, which moves the list out
// of the keyspace (`take` + `takeList`) so the push touches the one and only
// copy; LPUSH and LPOP are benchmark hot paths.
import NIOCore
import RESP
import Engine

/// Every list command, joined into the table by CommandTable.standard.
let listCommands: [Command] = listEndCommands + listAccessCommands + listEditCommands + listBlockingCommands

private let listEndCommands: [Command] = [
    Command("lpush", arity: -3, flags: "wmF", keys: (1, 1, 1)) { call in push(call, atHead: true, onlyIfExists: false) },
    Command("rpush", arity: -3, flags: "wmF", keys: (1, 1, 1)) { call in push(call, atHead: false, onlyIfExists: false) },
    Command("lpushx", arity: -3, flags: "wmF", keys: (1, 1, 1)) { call in push(call, atHead: true, onlyIfExists: true) },
    Command("rpushx", arity: -3, flags: "wmF", keys: (1, 1, 1)) { call in push(call, atHead: false, onlyIfExists: true) },
    Command("lpop", arity: 2, flags: "wF", keys: (1, 1, 1)) { call in pop(call, atHead: true) },
    Command("rpop", arity: 2, flags: "wF", keys: (1, 1, 1)) { call in pop(call, atHead: false) },
]

private let listAccessCommands: [Command] = [
    Command("llen", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readList(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let list): call.integer(list.count)
        }
    },
    Command("lindex", arity: 3, flags: "r", keys: (1, 1, 1)) { call in
        switch call.readList(call.argv[1]) {
        case .missing: call.null()
        case .wrongType: call.wrongType()
        case .found(let list):
            guard let index = call.int64(2) else { return }
            let i = index < 0 ? Int64(list.count) + index : index
            call.bulkOrNull(i >= 0 && i < Int64(list.count) ? list.element(at: Int(i)) : nil)
        }
    },
    Command("lset", arity: 4, flags: "wm", keys: (1, 1, 1)) { call in
        let key = call.argv[1]
        guard let i = call.ks.lookupWrite(call.db, key) else { call.error("ERR no such key"); return }
        guard call.isList(i) else { call.wrongType(); return }
        guard let index = call.int64(2) else { return }
        let replaced = call.withList(i) { list -> Bool in
            let n = Int64(list.count)
            let at = index < 0 ? n + index : index
            guard at >= 0 && at < n else { return false }
            return list.replace(at: Int(at), with: call.argv[3])
        }
        guard replaced else { call.error("ERR index out of range"); return }
        call.ok()
        call.notify(.list, "lset", key)
        call.ks.dirty += 1
    },
    Command("lrange", arity: 4, flags: "r", keys: (1, 1, 1)) { call in
        guard let start = call.int64(2), let end = call.int64(3) else { return }
        switch call.readList(call.argv[1]) {
        case .missing: call.array(0)
        case .wrongType: call.wrongType()
        case .found(let list):
            guard let (from, count) = listRange(start, end, length: list.count) else { call.array(0); return }
            call.array(count)
            call.bulks(list, from: from, count: count)
        }
    },
]

// MARK: shared helpers

/// The elements `start...end` (Redis's inclusive indexes, negative from the end) of a list
/// of `length`, as (first index, count); nil when the range is empty.
func listRange(_ start: Int64, _ end: Int64, length: Int) -> (Int, Int)? {
    let n = Int64(length)
    var s = start < 0 ? n + start : start
    var e = end < 0 ? n + end : end
    if s < 0 { s = 0 }
    if s > e || s >= n { return nil }
    if e >= n { e = n - 1 }
    return (Int(s), Int(e - s + 1))
}

/// What a read lookup found at a key.
enum ListLookup {
    case missing, wrongType, found(ListValue)
}

extension Call {
    /// Looks `key` up for reading.
    func readList(_ key: Bytes) -> ListLookup {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .list(let list) = ks.value(db, i) else { return .wrongType }
        return .found(list)
    }

    /// True when the key at index `i` holds a list.
    func isList(_ i: Int) -> Bool {
        if case .list = ks.value(db, i) { return true }
        return false
    }

    /// Runs `body` on the list at index `i` (known to be a list) without copying it,
    /// then stores it back, or deletes the key with a "del" event if it became empty.
    func withList<R>(_ i: Int, _ body: (inout ListValue) -> R) -> R {
        var taken = ks.take(db, i)
        var list = taken.takeList()!
        let result = body(&list)
        if list.isEmpty {
            let key = ks.key(db, i)
            ks.remove(db, at: i)
            notify(.generic, "del", key)
        } else {
            ks.replace(db, i, with: .list(list))
        }
        return result
    }

    /// Elements `from ..< from + count` of `list` as bulk replies, encoded straight into the
    /// output buffer in one reservation (a first pass sizes them), since per-write buffer
    /// overhead dominates a reply of many small bulks (LRANGE).
    func bulks(_ list: ListValue, from: Int, count: Int) {
        var total = 0
        list.forEach(from: from, count: count) { e in
            let n: Int
            switch e {
            case .bytes(let b): n = b.count
            case .int(let v): n = decimalLength(v)
            }
            total += n + decimalLength(Int64(n)) + 5
        }
        client.output.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw -> Int in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var at = 0
            list.forEach(from: from, count: count) { e in
                switch e {
                case .bytes(let b):
                    at = writeBulkHeader(out, at, b.count)
                    if b.count > 0 { (out + at).update(from: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: b.count) }
                    at += b.count
                case .int(let v):
                    at = writeBulkHeader(out, at, decimalLength(v))
                    at = writeDecimalDigits(out, at, v)
                }
                out[at] = 13
                out[at + 1] = 10
                at += 2
            }
            return at
        }
    }
}

/// LPUSH, RPUSH, LPUSHX, RPUSHX: one event and one dirty bump per element pushed.
private func push(_ call: Call, atHead: Bool, onlyIfExists: Bool) {
    let ks = call.ks
    let db = call.db
    let key = call.argv[1]
    let fill = ks.encodingLimits.listMaxNodeSize
    let depth = ks.encodingLimits.listCompressDepth
    let length: Int
    if let i = ks.lookupWrite(db, key) {
        var taken = ks.take(db, i)
        guard var list = taken.takeList() else {
            ks.replace(db, i, with: taken)
            call.wrongType()
            return
        }
        for j in 2..<call.argv.count { list.push(call.argv[j], atHead: atHead, fill: fill, depth: depth) }
        length = list.count
        ks.replace(db, i, with: .list(list))
    } else {
        if onlyIfExists {
            call.integer(0)
            return
        }
        var list = ListValue()
        for j in 2..<call.argv.count { list.push(call.argv[j], atHead: atHead, fill: fill, depth: depth) }
        length = list.count
        ks.add(db, key, .list(list))
    }
    call.integer(length)
    call.notify(.list, atHead ? "lpush" : "rpush", key)
    ks.dirty += Int64(call.argv.count - 2)
}

/// LPOP, RPOP.
private func pop(_ call: Call, atHead: Bool) {
    let key = call.argv[1]
    guard let i = call.ks.lookupWrite(call.db, key) else { call.null(); return }
    guard call.isList(i) else { call.wrongType(); return }
    let value = call.withList(i) { list -> Bytes? in
        let v = list.pop(atHead: atHead)
        // The event precedes the "del" withList reports for an emptied list, as in Redis.
        call.notify(.list, atHead ? "lpop" : "rpop", key)
        return v
    }
    call.bulkOrNull(value)
    call.ks.dirty += 1
}

/// Writes `$<length>\r\n` at `out + at`; returns the offset after it.
@inline(__always) private func writeBulkHeader(_ out: UnsafeMutablePointer<UInt8>, _ at: Int, _ length: Int) -> Int {
    out[at] = UInt8(ascii: "$")
    let next = writeDecimalDigits(out, at + 1, Int64(length))
    out[next] = 13
    out[next + 1] = 10
    return next + 2
}

/// Writes the decimal digits of `v` at `out + at`; returns the offset after them.
@inline(__always) private func writeDecimalDigits(_ out: UnsafeMutablePointer<UInt8>, _ at: Int, _ v: Int64) -> Int {
    let n = decimalLength(v)
    var m = v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(v.magnitude)
    var i = at + n - 1
    repeat {
        out[i] = UInt8(m % 10) + 48
        m /= 10
        i -= 1
    } while m > 0
    if v < 0 { out[at] = UInt8(ascii: "-") }
    return at + n
}
