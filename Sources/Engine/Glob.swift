// Glob: the pattern language of KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE.
//
// Contract: the answers of Redis's stringmatchlen, checked against redis-server
// (Tests/EngineTests/GlobTests.swift holds the table). `*` any run, `?` one byte,
// `[abc]`, `[^abc]`, `[a-z]` (a reversed range matches too), `\x` a literal x;
// an unterminated `[` class ends with the pattern. `caseInsensitive` folds ASCII
// letters only.
//
// The tricky bits, all Redis's own:
// - A range compares bytes as C `char`, which is signed on x86-64: `[a-\xff]`
//   is the range -1...97, so it holds \x00...a and \xff but not \x80...\xfe.
// - Under nocase a range is ordered before folding (`[Z-a]` matches nothing) and
//   an escaped byte inside a class is compared exactly.
// - An empty string matches only the empty pattern, except that a lone "*"
//   matches everything (KEYS and SCAN shortcut it that way in Redis).
// - Once the rest of a pattern after a `*` fails at every position, no earlier
//   `*` can help, so the whole match gives up: this keeps "*a*a*a*...b" linear
//   instead of exponential.

/// True when `string` matches the glob `pattern` as Redis decides it.
public func globMatch(_ pattern: Bytes, _ string: Bytes, caseInsensitive: Bool = false) -> Bool {
    if pattern.count == 1 && pattern[0] == UInt8(ascii: "*") { return true }
    return pattern.withUnsafeBufferPointer { p in
        string.withUnsafeBufferPointer { s in
            var giveUp = false
            return globMatch(p, 0, s, 0, caseInsensitive, &giveUp, depth: 0)
        }
    }
}

@inline(__always) private func fold(_ c: UInt8, _ nocase: Bool) -> UInt8 {
    nocase && c >= 65 && c <= 90 ? c + 32 : c
}

/// Range test on bytes read as signed C chars, ordered before folding (see the header).
@inline(__always) private func inRange(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ nocase: Bool) -> Bool {
    func signed(_ x: UInt8) -> Int { Int(Int8(bitPattern: x)) }
    func lower(_ x: Int) -> Int { nocase && x >= 65 && x <= 90 ? x + 32 : x }
    var lo = signed(a)
    var hi = signed(b)
    if lo > hi { swap(&lo, &hi) }
    let ch = lower(signed(c))
    return ch >= lower(lo) && ch <= lower(hi)
}

private func globMatch(_ p: UnsafeBufferPointer<UInt8>, _ pi0: Int, _ s: UnsafeBufferPointer<UInt8>, _ si0: Int,
                       _ nocase: Bool, _ giveUp: inout Bool, depth: Int) -> Bool {
    // Bounded recursion: a pattern of many separate stars cannot blow the stack.
    if depth > 1000 { return false }
    var pi = pi0
    var si = si0
    while pi < p.count && si < s.count {
        switch p[pi] {
        case UInt8(ascii: "*"):
            while pi + 1 < p.count && p[pi + 1] == UInt8(ascii: "*") { pi += 1 }
            if pi + 1 == p.count { return true }
            for k in si..<s.count {
                if globMatch(p, pi + 1, s, k, nocase, &giveUp, depth: depth + 1) { return true }
                if giveUp { return false }
            }
            giveUp = true
            return false
        case UInt8(ascii: "?"):
            si += 1
        case UInt8(ascii: "["):
            pi += 1
            let negate = pi < p.count && p[pi] == UInt8(ascii: "^")
            if negate { pi += 1 }
            let c = s[si]
            var matched = false
            while true {
                if pi + 1 < p.count && p[pi] == UInt8(ascii: "\\") {
                    pi += 1
                    if p[pi] == c { matched = true }
                } else if pi < p.count && p[pi] == UInt8(ascii: "]") {
                    break
                } else if pi >= p.count {
                    pi -= 1  // unterminated: the class ends with the pattern
                    break
                } else if pi + 2 < p.count && p[pi + 1] == UInt8(ascii: "-") {
                    if inRange(p[pi], p[pi + 2], c, nocase) { matched = true }
                    pi += 2
                } else if fold(p[pi], nocase) == fold(c, nocase) {
                    matched = true
                }
                pi += 1
            }
            if matched == negate { return false }
            si += 1
        default:
            if p[pi] == UInt8(ascii: "\\") && pi + 1 < p.count { pi += 1 }
            if fold(p[pi], nocase) != fold(s[si], nocase) { return false }
            si += 1
        }
        pi += 1
        if si == s.count {
            while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        }
    }
    return pi == p.count && si == s.count
}
