// AOFParse: parses one AOF command out of a buffer, deciding for every byte
// whether it is valid, invalid, or whether more bytes are needed.
//
// Contract: `parseCommand` looks at `p[from...]` and returns the command
// (its arguments, the offset of its '*' and the offset past it), or
// `.incomplete` when the buffer ends before the command does and every byte
// so far could begin a valid command, or `.bad` with the offset of the first
// byte that cannot. Rules (redis-check-aof's, made strict): '*', a count of
// 1 or more in decimal digits, CRLF; then per argument '$', a length in
// digits, CRLF, the bytes, CRLF. Numbers are at most 18 digits.
// `annotationEnd` finds the end of a Redis 7 '#' line (at most 1024 bytes).
// Tricky bit: the classification must not depend on where the buffer is cut:
// a byte is judged only once it is present, and "needs more" is answered
// only when the buffer really ends.

enum ParseResult {
    case complete(argv: [[UInt8]], start: Int, end: Int)
    case incomplete
    case bad(at: Int, message: String)
}

private enum NumberResult {
    case value(Int, next: Int)
    case incomplete
    case bad(at: Int, message: String)
}

private let maxAnnotationLength = 1024

/// Parses a non-negative decimal number followed by CRLF, starting at `i`.
private func parseNumber(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, what: String) -> NumberResult {
    let n = p.count
    var j = i
    var v = 0
    while j < n, p[j] >= 48, p[j] <= 57 {
        // Refused before it is added: 18 digits always fit in an Int, a 19th may overflow it.
        if j - i >= 18 { return .bad(at: j, message: "\(what) has too many digits") }
        v = v * 10 + Int(p[j] - 48)
        j += 1
    }
    if j == n { return .incomplete }
    if j == i { return .bad(at: j, message: "expected a digit in the \(what), found \(describe(p[j]))") }
    if p[j] != 13 { return .bad(at: j, message: "expected a digit or CR in the \(what), found \(describe(p[j]))") }
    if j + 1 == n { return .incomplete }
    if p[j + 1] != 10 { return .bad(at: j + 1, message: "expected LF after CR, found \(describe(p[j + 1]))") }
    return .value(v, next: j + 2)
}

/// A byte as shown in messages: 'c' when printable, else 0xHH.
func describe(_ b: UInt8) -> String {
    if b >= 0x20 && b < 0x7F { return "'" + String(UnicodeScalar(b)) + "'" }
    let hex = String(b, radix: 16)
    return "0x" + (hex.count == 1 ? "0" + hex : hex)
}

/// Where the annotation line at `from` ends (past its LF), nil when the buffer ends first,
/// or the offset where it exceeds the longest line allowed.
func annotationEnd(_ p: UnsafeBufferPointer<UInt8>, from: Int) -> (end: Int?, tooLongAt: Int?) {
    var j = from + 1
    while j < p.count, p[j] != 10 {
        if j - from >= maxAnnotationLength { return (nil, j) }
        j += 1
    }
    return j == p.count ? (nil, nil) : (j + 1, nil)
}

/// Parses the command that begins at `from`.
func parseCommand(_ p: UnsafeBufferPointer<UInt8>, from: Int, maxArgument: Int) -> ParseResult {
    let n = p.count
    var i = from
    if i == n { return .incomplete }
    let start = i
    guard p[i] == UInt8(ascii: "*") else {
        return .bad(at: i, message: "expected '*' (start of a command), found \(describe(p[i]))")
    }
    let argc: Int
    switch parseNumber(p, i + 1, what: "argument count") {
    case .incomplete: return .incomplete
    case .bad(let at, let m): return .bad(at: at, message: m)
    case .value(let v, let next):
        if v < 1 { return .bad(at: i + 1, message: "argument count must be at least 1") }
        argc = v; i = next
    }
    var argv: [[UInt8]] = []
    argv.reserveCapacity(Swift.min(argc, 1024))
    for _ in 0..<argc {
        if i == n { return .incomplete }
        guard p[i] == UInt8(ascii: "$") else {
            return .bad(at: i, message: "expected '$' (an argument's length), found \(describe(p[i]))")
        }
        let len: Int
        switch parseNumber(p, i + 1, what: "argument length") {
        case .incomplete: return .incomplete
        case .bad(let at, let m): return .bad(at: at, message: m)
        case .value(let v, let next):
            if v > maxArgument { return .bad(at: i + 1, message: "argument length \(v) exceeds \(maxArgument)") }
            len = v; i = next
        }
        if n - i < len { return .incomplete }
        let arg = Array(UnsafeBufferPointer(rebasing: p[i..<i + len]))
        i += len
        if i == n { return .incomplete }
        if p[i] != 13 { return .bad(at: i, message: "expected CR after an argument of \(len) bytes, found \(describe(p[i]))") }
        if i + 1 == n { return .incomplete }
        if p[i + 1] != 10 { return .bad(at: i + 1, message: "expected LF after CR, found \(describe(p[i + 1]))") }
        i += 2
        argv.append(arg)
    }
    return .complete(argv: argv, start: start, end: i)
}
