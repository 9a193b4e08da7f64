// Workload: the writes a scenario sends to the master, of every type the
// change stream must carry: strings (INCRBYFLOAT, APPEND, SETRANGE, ...),
// lists (and a BLPOP served by a later push), hashes, sets (SPOP), sorted
// sets, expiry (far TTLs only), MULTI/EXEC, SELECT across databases, and
// rarely DEL, RENAME, FLUSHDB, FLUSHALL.
//
// Contract: a pure function of the generator: the commands are drawn blind,
// without looking at the data, so the same seed writes the same commands.
// Tricky bits: (1) SPOP's choice comes from the server's own generator, not
// ours, so its sets ("p:" keys) only ever get fresh members and pops: the
// member popped differs between runs, but not whether something is popped or
// how many bytes its propagated SREM takes (members have one width). No other
// command touches "p:" keys but whole-key ones (EXPIRE, FLUSH*).
// (2) TTLs are hours long: keys expire on the real clock, and nothing may
// expire during a run.

/// Draws write commands.
struct Workload {
    /// Key names per type: prefix + two digits; few keys, so commands collide often.
    static let keysPerType = 12
    /// Databases the workload SELECTs among.
    static let databases = 4
    private var freshMember = 0

    private func key(_ prefix: String, _ g: inout SimRNG) -> String {
        let n = g.below(Self.keysPerType)
        return prefix + (n < 10 ? "0\(n)" : "\(n)")
    }

    private func member(_ g: inout SimRNG) -> String {
        let n = g.below(30)
        return "m" + (n < 10 ? "0\(n)" : "\(n)")
    }

    private func value(_ g: inout SimRNG) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let length = g.chance(0.05) ? g.within(200...2000) : g.within(1...24)
        return String(decoding: (0..<length).map { _ in letters[g.below(letters.count)] }, as: UTF8.self)
    }

    private func number(_ g: inout SimRNG) -> String { "\(g.within(-50...100))" }

    private func float(_ g: inout SimRNG) -> String { g.pick(["0.5", "1.25", "-3.75", "2.0e1", "10.125", "-0.0625"]) }

    /// A far TTL in seconds (10 to 20 hours).
    private func ttl(_ g: inout SimRNG) -> String { "\(g.within(36_000...72_000))" }

    /// One write step: a single command, a MULTI/EXEC block, or a SELECT.
    mutating func next(_ g: inout SimRNG) -> Step {
        let roll = g.below(100)
        if roll < 6 { return .write([["SELECT", "\(g.below(Self.databases))"]]) }
        if roll < 14 {
            let inner = (0..<g.within(2...4)).map { _ in command(&g) }
            return .write([["MULTI"]] + inner + [["EXEC"]])
        }
        if roll < 16 { return .blockingPop(key: key("q:", &g)) }
        return .write([command(&g)])
    }

    /// One write command of any type.
    mutating func command(_ g: inout SimRNG) -> [String] {
        switch g.below(48) {
        case 0: return ["SET", key("s:", &g), value(&g)]
        case 1: return ["SET", key("s:", &g), value(&g), "EX", ttl(&g)]
        case 2: return ["SETEX", key("s:", &g), ttl(&g), value(&g)]
        case 3: return ["APPEND", key("s:", &g), value(&g)]
        case 4: return ["SETRANGE", key("s:", &g), "\(g.below(40))", value(&g)]
        case 5: return ["INCR", key("c:", &g)]
        case 6: return ["INCRBY", key("c:", &g), number(&g)]
        case 7: return ["DECRBY", key("c:", &g), number(&g)]
        case 8: return ["INCRBYFLOAT", key("f:", &g), float(&g)]
        case 9: return ["MSET", key("s:", &g), value(&g), key("s:", &g), value(&g)]
        case 10: return ["SETNX", key("s:", &g), value(&g)]
        case 11: return ["GETSET", key("s:", &g), value(&g)]
        case 12: return ["LPUSH", key("l:", &g), value(&g), value(&g)]
        case 13: return ["RPUSH", key("l:", &g), value(&g)]
        case 14: return ["LPOP", key("l:", &g)]
        case 15: return ["RPOP", key("l:", &g)]
        case 16: return ["LSET", key("l:", &g), "\(g.within(-2...2))", value(&g)]
        case 17: return ["LTRIM", key("l:", &g), "\(g.below(3))", "\(g.within(3...20))"]
        case 18: return ["LINSERT", key("l:", &g), g.pick(["BEFORE", "AFTER"]), value(&g), value(&g)]
        case 19: return ["RPOPLPUSH", key("l:", &g), key("l:", &g)]
        case 20: return ["LPUSH", key("q:", &g), value(&g)]  // serves BLPOPs
        case 21: return ["HSET", key("h:", &g), member(&g), value(&g)]
        case 22: return ["HMSET", key("h:", &g), member(&g), value(&g), member(&g), value(&g)]
        case 23: return ["HDEL", key("h:", &g), member(&g)]
        case 24: return ["HINCRBY", key("h:", &g), "n" + member(&g), number(&g)]
        case 25: return ["HINCRBYFLOAT", key("h:", &g), "f" + member(&g), float(&g)]
        case 26: return ["SADD", key("t:", &g), member(&g), member(&g)]
        case 27: return ["SREM", key("t:", &g), member(&g)]
        case 28: return ["SMOVE", key("t:", &g), key("t:", &g), member(&g)]
        case 29: return ["SINTERSTORE", key("t:", &g), key("t:", &g), key("t:", &g)]
        case 30: return ["SUNIONSTORE", key("t:", &g), key("t:", &g), key("t:", &g)]
        case 31: return ["SADD", key("p:", &g), freshPopMember()]
        case 32: return ["SPOP", key("p:", &g)]
        case 33: return ["ZADD", key("z:", &g), number(&g), member(&g)]
        case 34: return ["ZINCRBY", key("z:", &g), float(&g), member(&g)]
        case 35: return ["ZREM", key("z:", &g), member(&g)]
        case 36: return ["ZREMRANGEBYRANK", key("z:", &g), "0", "\(g.below(3))"]
        case 37: return ["ZUNIONSTORE", key("z:", &g), "2", key("z:", &g), key("z:", &g)]
        case 38: return ["EXPIRE", anyKey(&g), ttl(&g)]
        case 39: return ["PEXPIRE", anyKey(&g), "\(g.within(36_000_000...72_000_000))"]
        case 40: return ["PERSIST", anyKey(&g)]
        case 41: return ["DEL", anyKey(&g)]
        case 42:
            let prefix = g.pick(["s:", "l:", "h:", "t:", "z:"])
            return ["RENAME", key(prefix, &g), key(prefix, &g)]
        case 43: return g.chance(0.2) ? ["FLUSHDB"] : ["SET", key("s:", &g), value(&g)]
        case 44: return g.chance(0.05) ? ["FLUSHALL"] : ["INCR", key("c:", &g)]
        case 45: return ["SADD", key("p:", &g), freshPopMember()]
        case 46: return ["SPOP", key("p:", &g)]
        default: return ["ZADD", key("z:", &g), "INCR", number(&g), member(&g)]
        }
    }

    /// A key of any type but "p:" (whose members must stay fresh).
    private func anyKey(_ g: inout SimRNG) -> String {
        key(g.pick(["s:", "c:", "f:", "l:", "h:", "t:", "z:", "q:"]), &g)
    }

    /// A set member never used before in this run, of fixed width.
    private mutating func freshPopMember() -> String {
        freshMember += 1
        let digits = String(freshMember)
        return "p" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}
