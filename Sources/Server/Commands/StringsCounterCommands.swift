// StringsCounterCommands: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//
// Contract: Redis 4.0's replies and errors. Integer results are stored with the
// int encoding; INCRBYFLOAT stores its formatted text (embstr, as Redis does). All
// of them keep the key's TTL.
//
// The tricky bit: INCRBYFLOAT computes in long double, whose rounding and text a
// replica or an AOF replay must not redo, so it propagates `SET k <text>`, then
// `PEXPIREAT k <deadline>` when the key has a TTL: commands every Redis reads
// (4.0 has no KEEPTTL), and the replayed key keeps its TTL as the original did. DECRBY of
// -2^63 adds -2^63, as the 4.0 binary does (its negation wraps; 7.0 refuses it):
// DECRBY replicates verbatim, so a replica must compute what a 4.0 master did.
import Engine

let stringCounterCommands: [Command] = [
    Command("incr", arity: 2, flags: "wmF", keys: (1, 1, 1)) { call in incrementBy(call, 1) },
    Command("decr", arity: 2, flags: "wmF", keys: (1, 1, 1)) { call in incrementBy(call, -1) },
    Command("incrby", arity: 3, flags: "wmF", keys: (1, 1, 1)) { call in
        guard let n = call.int64(2) else { return }
        incrementBy(call, n)
    },
    Command("decrby", arity: 3, flags: "wmF", keys: (1, 1, 1)) { call in
        guard let n = call.int64(2) else { return }
        incrementBy(call, 0 &- n)  // 4.0 negates -2^63 to itself (two's complement)
    },
    Command("incrbyfloat", arity: 3, flags: "wmF", keys: (1, 1, 1)) { call in
        let ks = call.ks
        let key = call.argv[1]
        let index: Int?
        let current: StringValue?
        switch call.writeString(key) {
        case .wrongType: call.wrongType(); return
        case .missing: index = nil; current = nil
        case .found(let (i, s)): index = i; current = s
        }
        switch incrementedFloatText(current, by: call.argv[2]) {
        case .failure(.notFloat):
            call.notFloat()
        case .failure(.notFinite):
            call.error("ERR increment would produce NaN or Infinity")
        case .success(let text):
            let value = Value.string(.bytes(text, raw: false))
            let i: Int
            if let index {
                ks.replace(call.db, index, with: value)
                i = index
            } else {
                i = ks.add(call.db, key, value)
            }
            ks.dirty += 1
            call.notify(.string, "incrbyfloat", key)
            call.bulk(text)
            call.propagate(as: setKeepingTTL(key, text, deadline: ks.expireAt(call.db, i)))
        }
    },
]

/// Redis's incrDecrCommand: a missing key counts as 0, the result keeps the TTL.
private func incrementBy(_ call: Call, _ increment: Int64) {
    let ks = call.ks
    let key = call.argv[1]
    var index: Int? = nil
    var current: Int64 = 0
    switch call.writeString(key) {
    case .wrongType:
        call.wrongType()
        return
    case .missing:
        break
    case .found(let (i, s)):
        guard let v = s.integerValue else { call.notInteger(); return }
        index = i
        current = v
    }
    guard let result = incrementedInteger(current, by: increment) else {
        call.error("ERR increment or decrement would overflow")
        return
    }
    if let index { ks.replace(call.db, index, with: .string(.int(result))) } else { ks.add(call.db, key, .string(.int(result))) }
    ks.dirty += 1
    call.notify(.string, "incrby", key)
    call.integer(result)
}

/// `SET key value` as commands every Redis version reads, keeping a TTL the key has:
/// SET, then PEXPIREAT with the absolute deadline.
func setKeepingTTL(_ key: Bytes, _ value: Bytes, deadline: Int64?) -> [[Bytes]] {
    guard let deadline else { return [[Bytes("SET"), key, value]] }
    return [[Bytes("SET"), key, value], [Bytes("PEXPIREAT"), key, Bytes(String(deadline))]]
}
