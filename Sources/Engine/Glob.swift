// Glob: the pattern language of KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE.
//
// Same rules as Redis's stringmatchlen: `*` any run, `?` one byte, `[abc]`,
// `[^abc]`, `[a-z]` (a reversed range matches too), `\x` a literal x. Bytes are
// compared as bytes; `caseInsensitive` folds ASCII letters only.

public func globMatch(_ pattern: Bytes, _ string: Bytes, caseInsensitive: Bool = false) -> Bool {
    pattern.withUnsafeBufferPointer { p in
        string.withUnsafeBufferPointer { s in
            globMatch(p, 0, s, 0, caseInsensitive, depth: 0)
        }
    }
}

@inline(__always) private func fold(_ c: UInt8, _ nocase: Bool) -> UInt8 {
    nocase && c >= 65 && c <= 90 ? c + 32 : c
}

private func globMatch(_ p: UnsafeBufferPointer<UInt8>, _ pi0: Int, _ s: UnsafeBufferPointer<UInt8>, _ si0: Int,
                       _ nocase: Bool, depth: Int) -> Bool {
    var pi = pi0
    var si = si0
    // Bounded recursion: a pathological pattern of many stars cannot blow the stack.
    if depth > 1000 { return false }
    while pi < p.count {
        switch p[pi] {
        case UInt8(ascii: "*"):
            while pi + 1 < p.count && p[pi + 1] == UInt8(ascii: "*") { pi += 1 }
            if pi + 1 == p.count { return true }
            var k = si
            while k <= s.count {
                if globMatch(p, pi + 1, s, k, nocase, depth: depth + 1) { return true }
                k += 1
            }
            return false
        case UInt8(ascii: "?"):
            if si >= s.count { return false }
            si += 1
        case UInt8(ascii: "["):
            if si >= s.count { return false }
            pi += 1
            let negate = pi < p.count && p[pi] == UInt8(ascii: "^")
            if negate { pi += 1 }
            var matched = false
            while pi < p.count && p[pi] != UInt8(ascii: "]") {
                if p[pi] == UInt8(ascii: "\\") && pi + 1 < p.count {
                    pi += 1
                    if fold(p[pi], nocase) == fold(s[si], nocase) { matched = true }
                } else if pi + 2 < p.count && p[pi + 1] == UInt8(ascii: "-") {
                    var lo = fold(p[pi], nocase)
                    var hi = fold(p[pi + 2], nocase)
                    if lo > hi { swap(&lo, &hi) }
                    let c = fold(s[si], nocase)
                    if c >= lo && c <= hi { matched = true }
                    pi += 2
                } else if fold(p[pi], nocase) == fold(s[si], nocase) {
                    matched = true
                }
                pi += 1
            }
            // An unterminated class ends at the pattern's end, as in Redis.
            if pi >= p.count { pi = p.count - 1 }
            if matched == negate { return false }
            si += 1
        case UInt8(ascii: "\\") where pi + 1 < p.count:
            pi += 1
            if si >= s.count || fold(p[pi], nocase) != fold(s[si], nocase) { return false }
            si += 1
        default:
            if si >= s.count || fold(p[pi], nocase) != fold(s[si], nocase) { return false }
            si += 1
        }
        pi += 1
    }
    return si == s.count
}
