// PipelineScan: a read-only look ahead at the commands waiting in a query buffer.
//
// A pipelined batch holds many commands whose keys sit in different cache lines
// of the key table; looking all of them up first, before any runs, lets those
// cache misses overlap instead of costing one full miss per command. This scan
// finds each command's first key without consuming or allocating anything: the
// first argument for most commands, the first of EVAL's and EVALSHA's keys
// (after the script and numkeys); `RequestParser` still does the real parse.
// It stops at the first thing it does not plainly understand (an inline
// command, a malformed or incomplete header): the scan is only a hint.

/// Calls `body` with the first key of up to `limit` complete multibulk commands at
/// the start of `raw`, in order: the second element, or the fourth for EVAL and
/// EVALSHA (a guess when numkeys is 0: the hint is then an ARGV item). Commands
/// without that element are skipped; the scan stops at anything else unusual.
public func scanFirstKeys(_ raw: UnsafeRawBufferPointer, limit: Int,
                          _ body: (UnsafeRawBufferPointer) -> Void) {
    var i = 0
    let end = raw.count
    var found = 0
    /// The number after the byte at `i` ("*N" or "$N") through CRLF; advances `i` past the line.
    func header(_ lead: UInt8) -> Int? {
        guard i < end, raw[i] == lead else { return nil }
        var j = i + 1
        var v = 0
        while j < end, raw[j] != 13 {
            let d = raw[j] &- 48
            guard d <= 9, v < 1 << 40 else { return nil }
            v = v * 10 + Int(d)
            j += 1
        }
        guard j + 1 < end, raw[j + 1] == 10, j > i + 1 else { return nil }
        i = j + 2
        return v
    }
    while found < limit {
        guard let count = header(UInt8(ascii: "*")) else { return }
        var key: UnsafeRawBufferPointer? = nil
        var keyIndex = 1
        for k in 0..<count {
            guard let length = header(UInt8(ascii: "$")), end - i >= length + 2 else { return }
            let element = UnsafeRawBufferPointer(rebasing: raw[i..<(i + length)])
            if k == 0 && isEval(element) { keyIndex = 3 }
            if k == keyIndex { key = element }
            i += length + 2
        }
        if let key {
            body(key)
            found += 1
        }
    }
}

/// EVAL or EVALSHA, in any case.
private func isEval(_ name: UnsafeRawBufferPointer) -> Bool {
    guard name.count == 4 || name.count == 7 else { return false }
    for (i, c) in "evalsha".utf8.prefix(name.count).enumerated() where name[i] | 0x20 != c { return false }
    return true
}
