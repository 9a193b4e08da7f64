// PipelineScan: a read-only look ahead at the commands waiting in a query buffer.
//
// A pipelined batch holds many commands whose keys sit in different cache lines
// of the key table; looking all of them up first, before any runs, lets those
// cache misses overlap instead of costing one full miss per command. This scan
// finds each command's first argument (the key of most commands) without
// consuming or allocating anything; `RequestParser` still does the real parse.
// It stops at the first thing it does not plainly understand (an inline
// command, a malformed or incomplete header): the scan is only a hint.

/// Calls `body` with the second element (the first argument) of up to `limit`
/// complete multibulk commands at the start of `raw`, in order. Commands with
/// fewer than two elements are skipped; the scan stops at anything else unusual.
public func scanFirstArguments(_ raw: UnsafeRawBufferPointer, limit: Int,
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
        for k in 0..<count {
            guard let length = header(UInt8(ascii: "$")), end - i >= length + 2 else { return }
            if k == 1 { key = UnsafeRawBufferPointer(rebasing: raw[i..<(i + length)]) }
            i += length + 2
        }
        if let key {
            body(key)
            found += 1
        }
    }
}
