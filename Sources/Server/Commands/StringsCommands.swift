// StringsCommands: GET, SET and its variants (SETNX, SETEX, PSETEX), GETSET, MGET,
// MSET, MSETNX, STRLEN; plus the helpers every string and bit handler shares.
//
// Contract: Redis 4.0's replies and error strings. GET and plain `SET k v` are the
// benchmark's hot path: no String conversions, the stored value shares the
// argument's buffer, an integer is written as a bulk reply without making text.
//
// The tricky bit: propagation. A SET with a relative expire (EX/PX, SETEX, PSETEX)
// is replayed as `SET k v` followed by `PEXPIREAT k <absolute ms>`, and any SET
// with options is rewritten to what it did (NX/XX dropped), so the change stream
// never depends on when it is replayed. A SET that did nothing propagates nothing.
import NIOCore
import Engine

/// Every string command, joined into the table by CommandTable.standard.
let stringCommands: [Command] = stringAccessCommands + stringRangeCommands + stringCounterCommands

private let stringAccessCommands: [Command] = [
    Command("get", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        let ks = call.ks
        let db = call.db
        guard let i = ks.lookupRead(db, call.argv[1]) else { call.null(); return }
        guard case .string(let s) = ks.value(db, i) else { call.wrongType(); return }
        call.bulk(s)
    },
    Command("set", arity: -3, flags: "wm", keys: (1, 1, 1)) { call in
        if call.argv.count == 3 {
            // The hot path: no options.
            call.ks.set(call.db, call.argv[1], text: call.argv[2])
            call.ks.dirty += 1
            call.notify(.string, "set", call.argv[1])
            call.ok()
            return
        }
        guard let options = SetOptions(call.argv) else { call.syntaxError(); return }
        setGeneric(call, options, name: "set", isSetNX: false)
    },
    Command("setnx", arity: 3, flags: "wmF", keys: (1, 1, 1)) { call in
        var options = SetOptions()
        options.condition = .ifMissing
        setGeneric(call, options, name: "setnx", isSetNX: true)
    },
    Command("setex", arity: 4, flags: "wm", keys: (1, 1, 1)) { call in
        var options = SetOptions()
        options.value = 3
        options.expire = (call.argv[2], 1000, false)
        setGeneric(call, options, name: "setex", isSetNX: false)
    },
    Command("psetex", arity: 4, flags: "wm", keys: (1, 1, 1)) { call in
        var options = SetOptions()
        options.value = 3
        options.expire = (call.argv[2], 1, false)
        setGeneric(call, options, name: "psetex", isSetNX: false)
    },
    Command("getset", arity: 3, flags: "wm", keys: (1, 1, 1)) { call in
        let ks = call.ks
        let db = call.db
        if let i = ks.lookupRead(db, call.argv[1]) {
            guard case .string(let s) = ks.value(db, i) else { call.wrongType(); return }
            call.bulk(s)
        } else {
            call.null()
        }
        ks.set(db, call.argv[1], text: call.argv[2])
        ks.dirty += 1
        call.notify(.string, "set", call.argv[1])
    },
    Command("mget", arity: -2, flags: "rF", keys: (1, -1, 1)) { call in
        let ks = call.ks
        let db = call.db
        call.array(call.argv.count - 1)
        for key in call.argv.dropFirst() {
            if let i = ks.lookupRead(db, key), case .string(let s) = ks.value(db, i) {
                call.bulk(s)
            } else {
                call.null()
            }
        }
    },
    Command("mset", arity: -3, flags: "wm", keys: (1, -1, 2)) { call in
        msetGeneric(call, onlyIfNoneExists: false)
    },
    Command("msetnx", arity: -3, flags: "wm", keys: (1, -1, 2)) { call in
        msetGeneric(call, onlyIfNoneExists: true)
    },
    Command("strlen", arity: 2, flags: "rF", keys: (1, 1, 1)) { call in
        switch call.readString(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let s): call.integer(s.length)
        }
    },
]

// MARK: SET and its variants

/// The parsed options of a SET family command; positions index `argv`.
struct SetOptions {
    enum Condition { case always, ifMissing, ifExists }
    var condition = Condition.always
    /// Position of the value argument.
    var value = 2
    /// The expire argument, its unit in milliseconds (1000 for seconds), and whether it is a Unix time.
    var expire: (arg: Bytes, unitMs: Int64, absolute: Bool)? = nil
    var keepTTL = false

    init() {}

    /// Parses SET's options as Redis 4.0 does, plus KEEPTTL (Redis 6) which
    /// INCRBYFLOAT's propagation uses, and EXAT/PXAT (Redis 6.2), which Redis 7.0
    /// writes into its AOF and replication stream for SET EX and SETEX; nil for a syntax error. A repeated EX/PX or
    /// NX/XX is accepted (the last wins), mixing EX with PX or NX with XX is not.
    init?(_ argv: [Bytes]) {
        var j = 3
        var seconds = false, millis = false
        while j < argv.count {
            let a = argv[j]
            let hasNext = j + 1 < argv.count
            if a.isOption("nx") && condition != .ifExists {
                condition = .ifMissing
            } else if a.isOption("xx") && condition != .ifMissing {
                condition = .ifExists
            } else if (a.isOption("ex") || a.isOption("exat")) && !millis && !keepTTL && hasNext {
                seconds = true
                expire = (argv[j + 1], 1000, a.count == 4)
                j += 1
            } else if (a.isOption("px") || a.isOption("pxat")) && !seconds && !keepTTL && hasNext {
                millis = true
                expire = (argv[j + 1], 1, a.count == 4)
                j += 1
            } else if a.isOption("keepttl") && expire == nil {
                keepTTL = true
            } else {
                return nil
            }
            j += 1
        }
    }
}

/// Redis's setGenericCommand: validate the expire, apply NX/XX, store, set the TTL,
/// reply, and propagate the deterministic form. SETNX replies 1/0 instead of OK/nil.
private func setGeneric(_ call: Call, _ options: SetOptions, name: String, isSetNX: Bool) {
    let ks = call.ks
    let db = call.db
    let key = call.argv[1]
    let value = call.argv[options.value]
    var deadline: Int64? = nil
    if let expire = options.expire {
        guard let amount = call.int64(at: expire.arg) else { return }
        let (ms, o1) = amount.multipliedReportingOverflow(by: expire.unitMs)
        let (at, o2) = (expire.absolute ? 0 : ks.now).addingReportingOverflow(ms)
        guard amount > 0, !o1, !o2 else {
            call.error("ERR invalid expire time in \(name)")
            return
        }
        deadline = at
    }
    switch options.condition {
    case .always: break
    case .ifMissing, .ifExists:
        let exists = ks.lookupWrite(db, key) != nil
        if exists != (options.condition == .ifExists) {
            if isSetNX { call.integer(0) } else { call.null() }
            return
        }
    }
    let i = ks.set(db, key, text: value, keepTTL: options.keepTTL)
    if let deadline { ks.setExpire(db, i, at: deadline) }
    ks.dirty += 1
    call.notify(.string, "set", key)
    if deadline != nil { call.notify(.generic, "expire", key) }
    if isSetNX { call.integer(1) } else { call.ok() }

    if let deadline {
        call.propagate(as: [[Bytes("SET"), key, value], [Bytes("PEXPIREAT"), key, bytesOf(deadline)]])
    } else if !isSetNX && call.argv.count > 3 {
        // KEEPTTL (Redis 6) is not sent on: a replica or loader of 4.0 would refuse it.
        call.propagate(as: options.keepTTL ? setKeepingTTL(key, value, deadline: ks.expireAt(db, i)) : [[Bytes("SET"), key, value]])
    }
}

/// MSET and MSETNX (Redis's msetGenericCommand, with its 4.0 odd-arguments error).
private func msetGeneric(_ call: Call, onlyIfNoneExists: Bool) {
    let ks = call.ks
    let db = call.db
    let argv = call.argv
    guard argv.count % 2 == 1 else {
        call.error("ERR wrong number of arguments for MSET")
        return
    }
    if onlyIfNoneExists {
        for j in stride(from: 1, to: argv.count, by: 2) where ks.lookupWrite(db, argv[j]) != nil {
            call.integer(0)
            return
        }
    }
    for j in stride(from: 1, to: argv.count, by: 2) {
        ks.set(db, argv[j], text: argv[j + 1])
        call.notify(.string, "set", argv[j])
    }
    ks.dirty += Int64(argv.count / 2)
    if onlyIfNoneExists { call.integer(1) } else { call.ok() }
}

// MARK: helpers shared by the string and bit handlers

/// The outcome of looking a key up as a string.
enum StringLookup<Found> {
    case missing
    case wrongType
    case found(Found)
}

extension Call {
    /// A string value as a bulk reply; the int encoding is written as digits directly.
    func bulk(_ s: StringValue) {
        switch s {
        case .bytes(let b, _):
            client.output.writeBulk(b)
        case .embedded(let box, let n):
            box.withBytes(Int(n)) { client.output.writeBulk(view: $0) }
        case .int(let v):
            client.output.writeInteger(UInt8(ascii: "$"))
            client.output.writeDecimal(Int64(decimalLength(v)))
            client.output.writeStaticString("\r\n")
            client.output.writeDecimal(v)
            client.output.writeStaticString("\r\n")
        }
    }

    /// Looks `key` up for reading (lazy expiry, hit/miss stats) as a string.
    func readString(_ key: Bytes) -> StringLookup<StringValue> {
        guard let i = ks.lookupRead(db, key) else { return .missing }
        guard case .string(let s) = ks.value(db, i) else { return .wrongType }
        return .found(s)
    }

    /// Looks `key` up for writing as a string: its entry index and value.
    func writeString(_ key: Bytes) -> StringLookup<(index: Int, value: StringValue)> {
        guard let i = ks.lookupWrite(db, key) else { return .missing }
        guard case .string(let s) = ks.value(db, i) else { return .wrongType }
        return .found((i, s))
    }

    /// Looks `key` up for writing as a string and returns only its entry index, so
    /// no copy of the value stays alive to defeat an in-place edit (`takeStringBytes`).
    func writeStringIndex(_ key: Bytes) -> StringLookup<Int> {
        guard let i = ks.lookupWrite(db, key) else { return .missing }
        guard case .string = ks.value(db, i) else { return .wrongType }
        return .found(i)
    }

    /// The length of the string at entry `i`.
    func storedStringLength(_ i: Int) -> Int {
        guard case .string(let s) = ks.value(db, i) else { return 0 }
        return s.length
    }

    /// Moves the string at entry `i` out as bytes to mutate in place (the int
    /// encoding becomes its decimal text); store it back with `storeRaw`.
    func takeStringBytes(_ i: Int) -> Bytes {
        guard case .string(let s) = ks.take(db, i) else { preconditionFailure("takeStringBytes on a non-string") }
        switch s {
        case .bytes(let b, _): return b
        case .int, .embedded: return s.bytes
        }
    }

    /// Puts mutated bytes back at entry `i`, keeping the TTL; Redis then reports "raw".
    func storeRaw(_ i: Int, _ bytes: Bytes) {
        ks.replace(db, i, with: .string(.bytes(bytes, raw: true)))
    }

    /// `arg` as an integer, or nil after replying Redis's error.
    func int64(at arg: Bytes) -> Int64? {
        guard let v = arg.parseInt64() else { notInteger(); return nil }
        return v
    }

    /// The 4.0 reply for a string that would grow past 512 MB.
    func stringTooLong() { error("ERR string exceeds maximum allowed size (512MB)") }
}

extension Array where Element == UInt8 {
    /// True when these bytes spell `lowercaseName` in any letter case (option names only).
    func isOption(_ lowercaseName: StaticString) -> Bool {
        guard count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        for i in 0..<count where self[i] | 0x20 != name[i] { return false }
        return true
    }
}
