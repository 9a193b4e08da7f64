// HashesCommands: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
// HEXISTS, HKEYS, HVALS, HGETALL (HINCRBY, HINCRBYFLOAT and HSCAN live in
// HashesCounterCommands.swift).
//
// Contract: Redis 4.0's replies, errors, dirty counts and keyspace events. HSET
// is variadic as in 4.0 and replies the number of new fields; HMSET replies OK;
// both count one change (server.dirty++) and emit one "hset" event. HDEL counts
// one change per removed field and deletes the key when it empties ("hdel" then
// "del").
//
// The tricky bit: edits happen in place. The value is moved out of the keyspace
// (`takeHash`), edited, and put back, so no copy-on-write copy is made; a
// command that would change nothing (HSETNX on an existing field, HDEL of
// absent fields) does not take the value at all, so WATCH sees no change.
import Engine

/// Every hash command, joined into the table by CommandTable.standard.
let hashCommands: [Command] = hashAccessCommands + hashCounterCommands

private let hashAccessCommands: [Command] = [
    Command("hset", arity: -4, flags: "wmF", keys: (1, 1, 1)) { call in hashSetPairs(call, replyOK: false) },
    Command("hmset", arity: -4, flags: "wmF", keys: (1, 1, 1)) { call in hashSetPairs(call, replyOK: true) },
    Command("hsetnx", arity: 4, flags: "wmF", keys: (1, 1, 1)) { call in
        let ks = call.ks, db = call.db, key = call.argv[1]
        let limits = ks.encodingLimits
        switch call.writeHashIndex(key) {
        case .wrongType:
            call.wrongType()
        case .missing:
            let h = HashValue(pairs: [(call.argv[2], call.argv[3])], limits: limits)
            ks.add(db, key, .hash(h))
            call.integer(1)
            call.notify(.hash, "hset", key)
            ks.dirty += 1
        case .found(let i):
            let (exists, packed) = call.inspectHash(i) { ($0.contains(call.argv[2]), $0.isPacked) }
            let needsConversion = packed && call.argv[2...3].contains { $0.count > limits.hashMaxPackedValue }
            if exists && !needsConversion {
                call.integer(0)
                return
            }
            var h = call.takeHash(i)
            // Redis converts before looking, even when the field exists and nothing is set.
            h.convertIfAnyLonger(than: limits.hashMaxPackedValue, call.argv[2...3])
            if exists {
                ks.reencode(db, i, with: .hash(h))
            } else {
                h.set(call.argv[2], call.argv[3], limits: limits)
                ks.replace(db, i, with: .hash(h))
            }
            call.integer(exists ? 0 : 1)
            if !exists {
                call.notify(.hash, "hset", key)
                ks.dirty += 1
            }
        }
    },
    Command("hget", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readHash(call.argv[1]) {
        case .missing: call.null()
        case .wrongType: call.wrongType()
        case .found(let h): call.bulkOrNull(h.value(for: call.argv[2]))
        }
    },
    Command("hmget", arity: -3, flags: "rF", keys: (1, 1, 1)) { call in
        let fields = call.argv[2...]
        switch call.readHash(call.argv[1]) {
        case .wrongType:
            call.wrongType()
        case .missing:
            call.array(fields.count)
            for _ in fields { call.null() }
        case .found(let h):
            call.array(fields.count)
            for f in fields { call.bulkOrNull(h.value(for: f)) }
        }
    },
    Command("hdel", arity: -3, flags: "wF", keys: (1, 1, 1)) { call in
        let ks = call.ks, db = call.db, key = call.argv[1]
        let i: Int
        switch call.writeHashIndex(key) {
        case .missing: call.integer(0); return
        case .wrongType: call.wrongType(); return
        case .found(let index): i = index
        }
        guard call.inspectHash(i, { h in call.argv[2...].contains(where: { h.contains($0) }) }) else {
            call.integer(0)
            return
        }
        var h = call.takeHash(i)
        var deleted = 0
        for f in call.argv[2...] where h.remove(f) {
            deleted += 1
            if h.count == 0 { break }
        }
        let keyRemoved = h.count == 0
        if keyRemoved { ks.remove(db, at: i) } else { ks.replace(db, i, with: .hash(h)) }
        call.notify(.hash, "hdel", key)
        if keyRemoved { call.notify(.generic, "del", key) }
        ks.dirty += Int64(deleted)
        call.integer(deleted)
    },
    Command("hlen", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readHash(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let h): call.integer(h.count)
        }
    },
    Command("hstrlen", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readHash(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let h): call.integer(h.valueLength(for: call.argv[2]))
        }
    },
    Command("hexists", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readHash(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let h): call.integer(h.contains(call.argv[2]) ? 1 : 0)
        }
    },
    Command("hkeys", arity: 2, flags: "rS", keys: (1, 1, 1)) { call in hashGetAll(call, fields: true, values: false) },
    Command("hvals", arity: 2, flags: "rS", keys: (1, 1, 1)) { call in hashGetAll(call, fields: false, values: true) },
    Command("hgetall", arity: 2, flags: "r", keys: (1, 1, 1)) { call in hashGetAll(call, fields: true, values: true) },
]

/// HSET / HMSET key field value [field value ...].
private func hashSetPairs(_ call: Call, replyOK: Bool) {
    let argv = call.argv
    guard argv.count % 2 == 0 else {
        call.error("ERR wrong number of arguments for HMSET")
        return
    }
    let ks = call.ks, db = call.db, key = argv[1]
    let limits = ks.encodingLimits
    let pairs = argv[2...]
    var created = 0
    switch call.writeHashIndex(key) {
    case .wrongType:
        call.wrongType()
        return
    case .missing:
        var h = HashValue()
        h.convertIfAnyLonger(than: limits.hashMaxPackedValue, pairs)
        h.reservePacked(pairs: pairs)
        for j in stride(from: 2, to: argv.count, by: 2) where h.set(argv[j], argv[j + 1], limits: limits) { created += 1 }
        ks.add(db, key, .hash(h))
    case .found(let i):
        var h = call.takeHash(i)
        h.convertIfAnyLonger(than: limits.hashMaxPackedValue, pairs)
        for j in stride(from: 2, to: argv.count, by: 2) where h.set(argv[j], argv[j + 1], limits: limits) { created += 1 }
        ks.replace(db, i, with: .hash(h))
    }
    if replyOK { call.ok() } else { call.integer(created) }
    call.notify(.hash, "hset", key)
    ks.dirty += 1
}

/// HKEYS / HVALS / HGETALL: the pairs in the hash's iteration order.
private func hashGetAll(_ call: Call, fields: Bool, values: Bool) {
    switch call.readHash(call.argv[1]) {
    case .missing:
        call.array(0)
    case .wrongType:
        call.wrongType()
    case .found(let h):
        call.array(h.count * (fields && values ? 2 : 1))
        h.forEachView { f, v in
            // As raw views: the generic Collection form writes a bulk in five checked steps.
            if fields { call.client.output.writeBulk(view: UnsafeRawBufferPointer(f)) }
            if values { call.client.output.writeBulk(view: UnsafeRawBufferPointer(v)) }
        }
    }
}

// MARK: lookups shared by the hash handlers

/// The outcome of looking a key up as a collection of one type.
enum CollectionLookup<Found> {
    case missing
    case wrongType
    case found(Found)
}

extension Call {
    /// Looks `key` up for reading (lazy expiry, hit/miss stats) as a hash.
    func readHash(_ key: Bytes) -> CollectionLookup<HashValue> {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .hash(let h) = ks.value(db, i) else { return .wrongType }
        return .found(h)
    }

    /// Looks `key` up for writing as a hash: its entry index only, so no copy of
    /// the value stays alive to defeat an in-place edit.
    func writeHashIndex(_ key: Bytes) -> CollectionLookup<Int> {
        guard let i = ks.lookupWrite(db, key) else { return .missing }
        guard case .hash = ks.value(db, i) else { return .wrongType }
        return .found(i)
    }

    /// Runs `body` on the hash at entry `i` (which must be one) without keeping a
    /// reference past the call, so a following `takeHash` edits in place.
    func inspectHash<R>(_ i: Int, _ body: (HashValue) -> R) -> R {
        guard case .hash(let h) = ks.value(db, i) else { preconditionFailure("inspectHash on a non-hash") }
        return body(h)
    }

    /// Moves the hash at entry `i` out for editing; put it back with `ks.replace` (or remove the key).
    func takeHash(_ i: Int) -> HashValue {
        guard case .hash(let h) = ks.take(db, i) else { preconditionFailure("takeHash on a non-hash") }
        return h
    }
}
