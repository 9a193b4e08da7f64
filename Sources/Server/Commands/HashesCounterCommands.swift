// HashesCounterCommands: HINCRBY, HINCRBYFLOAT and HSCAN, plus the cursor and
// option parsing that HSCAN and SSCAN share (Redis's scanGenericCommand).
//
// Contract: Redis 4.0's replies and errors ("ERR hash value is not an
// integer", "ERR hash value is not a float", "ERR increment or decrement would
// overflow"). Like Redis's hashTypeSet, the counters do not convert a packed
// hash for a long value, only past hash-max-ziplist-entries. HSCAN of a packed
// hash answers every pair with cursor 0, as Redis does for a ziplist.
//
// The tricky bit: HINCRBYFLOAT computes in long double, whose rounding and text
// a replica or an AOF replay must not redo, so it propagates as
// `HSET key field <result>`, as Redis does. Redis 4.0 reads the field as a C
// string of at most 255 bytes (string2ld: "" is 0, an embedded NUL ends the
// number) but the increment strictly, and stores an infinite or NaN result as
// its text ("inf", "-nan"), which later versions refuse; Cairn does as 4.0.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine

let hashCounterCommands: [Command] = [
    Command("hincrby", arity: 4, flags: "wmF", keys: (1, 1, 1)) { call in
        guard let increment = call.int64(3) else { return }
        let ks = call.ks, key = call.argv[1], field = call.argv[2]
        guard let (index, current) = currentFieldNumber(call, key, field, zero: Int64(0), parse: { $0.parseInt64() },
                                                        notNumber: "ERR hash value is not an integer") else { return }
        let (result, overflow) = current.addingReportingOverflow(increment)
        guard !overflow else { call.error("ERR increment or decrement would overflow"); return }
        storeHashField(call, index: index, field: field, value: bytesOf(result))
        call.integer(result)
        call.notify(.hash, "hincrby", key)
        ks.dirty += 1
    },
    Command("hincrbyfloat", arity: 4, flags: "wmF", keys: (1, 1, 1)) { call in
        #if arch(x86_64) || arch(i386)
        guard let increment = call.argv[3].parseLongDouble() else { call.notFloat(); return }
        let ks = call.ks, key = call.argv[1], field = call.argv[2]
        guard let (index, current) = currentFieldNumber(call, key, field, zero: Float80(0),
                                                        parse: { $0.parseLongDoubleAsCString() },
                                                        notNumber: "ERR hash value is not a float") else { return }
        let text = formatLongDouble(current + increment)
        storeHashField(call, index: index, field: field, value: text)
        call.bulk(text)
        call.notify(.hash, "hincrbyfloat", key)
        ks.dirty += 1
        call.propagate(as: [[Bytes("HSET"), key, field, text]])
        #else
        call.error("ERR HINCRBYFLOAT needs long double support")
        #endif
    },
    Command("hscan", arity: -3, flags: "rR", keys: (1, 1, 1)) { call in
        guard let cursor = parseScanCursor(call, call.argv[2]) else { return }
        let h: HashValue
        switch call.readHash(call.argv[1]) {
        case .missing: replyEmptyScan(call); return
        case .wrongType: call.wrongType(); return
        case .found(let found): h = found
        }
        guard let options = ScanOptions(call, from: 3) else { return }
        let (next, pairs) = h.scan(cursor: cursor, count: options.count)
        var shown: [(Bytes, Bytes)] = []
        shown.reserveCapacity(pairs.count)
        for pair in pairs where options.matches(pair.0) { shown.append(pair) }
        call.array(2)
        call.bulk(Bytes(String(next)))
        call.array(shown.count * 2)
        for (f, v) in shown {
            call.bulk(f)
            call.bulk(v)
        }
    },
]

/// Stores `field = value` in the hash at `index` (in place), or in a new hash at argv[1].
/// No length check, as Redis's counters call hashTypeSet directly.
private func storeHashField(_ call: Call, index: Int?, field: Bytes, value: Bytes) {
    let ks = call.ks, db = call.db
    let limits = ks.encodingLimits
    if let index {
        var h = call.takeHash(index)
        h.set(field, value, limits: limits)
        ks.replace(db, index, with: .hash(h))
    } else {
        var h = HashValue()
        h.set(field, value, limits: limits)
        ks.add(db, call.argv[1], .hash(h))
    }
}

// MARK: HSCAN / SSCAN arguments (shared)

/// Parses a SCAN cursor as Redis's parseScanCursorOrReply does (strtoul: a
/// leading '+' or '-' and leading zeros are accepted, no leading space, the
/// whole text consumed, no overflow); replies "ERR invalid cursor" otherwise.
func parseScanCursor(_ call: Call, _ text: Bytes) -> UInt64? {
    if let first = text.first, first == 32 || (first >= 9 && first <= 13) {
        call.error("ERR invalid cursor")
        return nil
    }
    var buffer = text
    buffer.append(0)
    let parsed: UInt64? = buffer.withUnsafeBufferPointer { p -> UInt64? in
        let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
        var end: UnsafeMutablePointer<CChar>? = nil
        errno = 0
        let v = strtoul(start, &end, 10)
        guard let end, end.pointee == 0, errno != ERANGE, end - UnsafeMutablePointer(mutating: start) == text.count else { return nil }
        return UInt64(v)
    }
    guard let parsed else {
        call.error("ERR invalid cursor")
        return nil
    }
    return parsed
}

/// The reply to a scan of a missing key: cursor 0, no elements.
func replyEmptyScan(_ call: Call) {
    call.array(2)
    call.bulk(Bytes("0"))
    call.array(0)
}

/// `[MATCH pattern] [COUNT count]`, parsed as Redis's scanGenericCommand does.
struct ScanOptions {
    var count = 10
    var pattern: Bytes? = nil

    /// Parses options from argv[start...]; nil after replying with an error.
    init?(_ call: Call, from start: Int) {
        var i = start
        let argv = call.argv
        while i < argv.count {
            let remaining = argv.count - i
            let option = call.option(i)
            if option == "count" && remaining >= 2 {
                guard let n = call.int64(i + 1) else { return nil }
                guard n >= 1 else { call.syntaxError(); return nil }
                count = Int(min(n, Int64(Int32.max)))
                i += 2
            } else if option == "match" && remaining >= 2 {
                pattern = argv[i + 1] == Bytes("*") ? nil : argv[i + 1]
                i += 2
            } else {
                call.syntaxError()
                return nil
            }
        }
    }

    func matches(_ element: Bytes) -> Bool {
        guard let pattern else { return true }
        return globMatch(pattern, element)
    }
}

/// HINCRBY/HINCRBYFLOAT's starting point: the hash's index (nil when the key is
/// missing) and the field's current number (`zero` when the field is missing);
/// nil after replying WRONGTYPE or `notNumber`.
private func currentFieldNumber<N>(_ call: Call, _ key: Bytes, _ field: Bytes, zero: N,
                                   parse: (Bytes) -> N?, notNumber: String) -> (Int?, N)? {
    switch call.writeHashIndex(key) {
    case .wrongType:
        call.wrongType()
        return nil
    case .missing:
        return (nil, zero)
    case .found(let i):
        guard let text = call.inspectHash(i, { $0.value(for: field) }) else { return (i, zero) }
        guard let v = parse(text) else {
            call.error(notNumber)
            return nil
        }
        return (i, v)
    }
}
