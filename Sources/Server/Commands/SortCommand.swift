// SortCommand: SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
// [ASC|DESC] [ALPHA] [STORE destination], as Redis 4.0 sorts.
//
// Elements of a list, set or sorted set are sorted by their own value or by
// the value found at `pattern` (the first '*' replaced by the element; "key->field"
// reads a hash field). Numeric sorting breaks ties by comparing the elements'
// bytes, so the result is deterministic; a pattern without '*' means "don't
// sort". A set sorted into STORE without sorting is sorted ALPHA instead, so the
// stored list is the same on a replica. GET "#" is the element itself.
import Engine

let sortCommands: [Command] = [
    Command("sort", arity: -2, flags: "wm", keys: (1, 1, 1), keyFinder: sortKeys) { call in sort(call) },
]

/// A numeric sort weight as Redis's sortCommand reads it: strtod, then refused only
/// when it stopped before a NUL (trailing garbage), set ERANGE, or gave NaN. So
/// leading whitespace, hex floats and "inf" pass, and "" weighs 0 (unlike the
/// strict parser of command arguments).
private func sortScore(_ text: Bytes) -> Double? {
    let r = text.cStrtod()
    guard r.consumed == text.count || text[r.consumed] == 0 else { return nil }
    if r.rangeError || r.value.isNaN { return nil }
    return r.value
}

/// SORT's keys: the sorted key and the destination of the last STORE (SORT itself
/// stores only there, and Redis 4.0's sortGetKeys reports only that one).
func sortKeys(_ argv: [Bytes]) -> [Int] {
    var store: Int? = nil
    var i = 2
    while i < argv.count {
        switch argv[i].text.lowercased() {
        case "limit": i += 3
        case "by", "get": i += 2
        case "store":
            // The word after STORE is read as an option too, as sortGetKeys reads it.
            if i + 1 < argv.count { store = i + 1 }
            i += 1
        default: i += 1
        }
    }
    return [1] + (store.map { [$0] } ?? [])
}

private struct SortOptions {
    var descending = false
    var alpha = false
    var by: Bytes? = nil
    var dontSort = false
    var offset = 0
    var count = -1
    var gets: [Bytes] = []
    var store: Bytes? = nil
}

private func parseSortOptions(_ call: Call) -> SortOptions? {
    var o = SortOptions()
    var i = 2
    let argv = call.argv
    while i < argv.count {
        let left = argv.count - i - 1
        switch argv[i].text.lowercased() {
        case "asc": o.descending = false
        case "desc": o.descending = true
        case "alpha": o.alpha = true
        case "limit" where left >= 2:
            guard let off = call.int64(i + 1), let cnt = call.int64(i + 2) else { return nil }
            o.offset = Int(clamping: off)
            o.count = Int(clamping: cnt)
            i += 2
        case "store" where left >= 1:
            o.store = argv[i + 1]
            i += 1
        case "by" where left >= 1:
            o.by = argv[i + 1]
            // A pattern that names no element means "don't sort".
            if !argv[i + 1].contains(UInt8(ascii: "*")) { o.dontSort = true }
            i += 1
        case "get" where left >= 1:
            o.gets.append(argv[i + 1])
            i += 1
        default:
            call.syntaxError()
            return nil
        }
        i += 1
    }
    return o
}

/// The value `pattern` names for `element`: a string, a hash field, or nil.
private func lookupByPattern(_ call: Call, _ pattern: Bytes, _ element: Bytes) -> Bytes? {
    if pattern == Bytes("#") { return element }
    guard let star = pattern.firstIndex(of: UInt8(ascii: "*")) else { return nil }
    var field: Bytes? = nil
    var keyPattern = pattern
    if let arrow = findArrow(pattern), arrow > star, arrow + 2 < pattern.count {
        field = Array(pattern[(arrow + 2)...])
        keyPattern = Array(pattern[..<arrow])
    }
    let key = Array(keyPattern[..<star]) + element + Array(keyPattern[(star + 1)...])
    guard let i = call.ks.lookupRead(call.db, key) else { return nil }
    let value = call.ks.value(call.db, i)
    if let field {
        return sortHashField(value, field)
    }
    if case .string(let s) = value { return s.bytes }
    return nil
}

private func findArrow(_ b: Bytes) -> Int? {
    guard b.count >= 2 else { return nil }
    for i in 0..<(b.count - 1) where b[i] == UInt8(ascii: "-") && b[i + 1] == UInt8(ascii: ">") { return i }
    return nil
}

private func sort(_ call: Call) {
    guard var o = parseSortOptions(call) else { return }
    let ks = call.ks
    var elements: [Bytes] = []
    var isSet = false
    var isSortedSet = false
    if let i = ks.lookupWrite(call.db, call.argv[1]) {
        let value = ks.value(call.db, i)
        guard let items = sortInput(value) else {
            call.wrongType()
            return
        }
        elements = items
        if case .set = value { isSet = true }
        if case .zset = value { isSortedSet = true }
    }
    // An unsorted set would store in an arbitrary order: sort it so replicas agree.
    if o.dontSort && isSet && o.store != nil {
        o.dontSort = false
        o.alpha = true
        o.by = nil
    }
    // A sorted set read without sorting comes in score order; DESC reverses it.
    if o.dontSort && isSortedSet && o.descending { elements.reverse() }

    if !o.dontSort {
        var failed = false
        var entries: [(element: Bytes, key: Bytes?, score: Double)] = elements.map { element in
            let key = o.by.map { lookupByPattern(call, $0, element) } ?? element
            var score = 0.0
            if !o.alpha, let key {
                if let d = sortScore(key) { score = d } else { failed = true }
            }
            return (element, key, score)
        }
        if failed {
            call.error("ERR One or more scores can't be converted into double")
            return
        }
        let descending = o.descending
        let alpha = o.alpha
        entries.sort { a, b in
            var c: Int
            if !alpha {
                c = a.score < b.score ? -1 : a.score > b.score ? 1 : compareBytes(a.element, b.element)
            } else if let ka = a.key, let kb = b.key {
                c = compareBytes(ka, kb)
            } else {
                c = a.key == nil ? (b.key == nil ? 0 : -1) : 1
            }
            return descending ? c > 0 : c < 0
        }
        elements = entries.map(\.element)
    }

    let start = min(max(o.offset, 0), elements.count)
    let end = o.count < 0 ? elements.count : min(start + o.count, elements.count)
    let window = elements[start..<end]
    var output: [Bytes?] = []
    if o.gets.isEmpty {
        output = window.map { $0 }
    } else {
        for element in window {
            for pattern in o.gets { output.append(lookupByPattern(call, pattern, element)) }
        }
    }

    guard let store = o.store else {
        call.array(output.count)
        for item in output { call.bulkOrNull(item) }
        return
    }
    if output.isEmpty {
        if ks.serverDelete(call.db, store) {
            ks.dirty += 1
            call.notify(.generic, "del", store)
        }
    } else {
        ks.set(call.db, store, makeSortedList(output.map { $0 ?? [] }, limits: ks.encodingLimits))
        ks.dirty += Int64(output.count)
        call.notify(.list, "sortstore", store)
    }
    call.integer(output.count)
}

/// Byte-wise comparison (what strcoll does in the C locale Redis runs in).
private func compareBytes(_ a: Bytes, _ b: Bytes) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

// MARK: what SORT reads from each type

/// The elements SORT orders: a list in order, a set's members, a sorted set in
/// score order; nil for types SORT refuses (WRONGTYPE).
private func sortInput(_ value: Value) -> [Bytes]? {
    switch value {
    case .list(let l): return l.elements
    case .set(let s): return s.members
    case .zset(let z): return z.allEntries.map(\.member)
    case .string, .hash, .module: return nil
    }
}

/// `key->field` in a BY or GET pattern: the field of a hash, nil otherwise.
private func sortHashField(_ value: Value, _ field: Bytes) -> Bytes? {
    guard case .hash(let h) = value else { return nil }
    return h.value(for: field)
}

/// The list SORT ... STORE writes.
private func makeSortedList(_ items: [Bytes], limits: EncodingLimits) -> Value {
    .list(ListValue(items, fill: limits.listMaxNodeSize, depth: limits.listCompressDepth))
}
