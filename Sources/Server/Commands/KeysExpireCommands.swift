// KeysExpireCommands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST.
//
// Every form that sets a deadline is propagated as `PEXPIREAT key <absolute ms>`,
// so a replica or an AOF replayed later reaches the same deadline (DESIGN.md
// step 3). A deadline already in the past deletes the key at once, and that is
// propagated as DEL, as Redis does on a master.
import Engine

let keyExpireCommands: [Command] = [
    Command("expire", arity: 3, flags: "wF", keys: (1, 1, 1)) { call in setDeadline(call, unitMs: 1000, absolute: false) },
    Command("pexpire", arity: 3, flags: "wF", keys: (1, 1, 1)) { call in setDeadline(call, unitMs: 1, absolute: false) },
    Command("expireat", arity: 3, flags: "wF", keys: (1, 1, 1)) { call in setDeadline(call, unitMs: 1000, absolute: true) },
    Command("pexpireat", arity: 3, flags: "wF", keys: (1, 1, 1)) { call in setDeadline(call, unitMs: 1, absolute: true) },
    Command("ttl", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in timeToLive(call, inSeconds: true) },
    Command("pttl", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in timeToLive(call, inSeconds: false) },
    Command("persist", arity: 2, flags: "wF", keys: (1, 1, 1)) { call in
        guard let i = call.ks.lookupWrite(call.db, call.argv[1]), call.ks.expireAt(call.db, i) != nil else {
            call.integer(0)
            return
        }
        call.ks.setExpire(call.db, i, at: nil)
        call.ks.dirty += 1
        call.integer(1)
    },
]

private func setDeadline(_ call: Call, unitMs: Int64, absolute: Bool) {
    let ks = call.ks, db = call.db
    guard let amount = call.int64(2) else { return }
    // Redis 4.0 wraps on overflow (it has no "invalid expire time" here): a deadline that
    // wraps below now deletes the key like any past one, on replicas and in AOF replay too.
    let deadline = amount &* unitMs &+ (absolute ? 0 : ks.now)
    guard let i = ks.lookupWrite(db, call.argv[1]) else {
        call.integer(0)
        return
    }
    if deadline <= ks.now && ks.expireOnLookup {
        // A deadline already past deletes the key: an expiry, so lazyfree-lazy-expire decides (4.0).
        let lazily = ks.lazyFreePolicy.expire
        ks.discard(db, at: i, lazily: lazily)
        ks.dirty += 1
        call.propagate(as: [[Bytes(lazily ? "UNLINK" : "DEL"), call.argv[1]]])
        call.notify(.generic, "del", call.argv[1])
        call.integer(1)
        return
    }
    ks.setExpire(db, i, at: deadline)
    ks.dirty += 1
    call.propagate(as: [[Bytes("PEXPIREAT"), call.argv[1], bytesOf(deadline)]])
    call.notify(.generic, "expire", call.argv[1])
    call.integer(1)
}

private func timeToLive(_ call: Call, inSeconds: Bool) {
    let ks = call.ks
    guard let i = ks.lookupRead(call.db, call.argv[1], touch: false) else {  // TTL leaves the access time alone
        call.integer(-2)
        return
    }
    guard let deadline = ks.expireAt(call.db, i) else {
        call.integer(-1)
        return
    }
    let remaining = max(deadline - ks.now, 0)
    call.integer(inSeconds ? (remaining + 500) / 1000 : remaining)
}
