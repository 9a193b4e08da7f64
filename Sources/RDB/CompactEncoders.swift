// CompactEncoders: builds ziplist and intset blobs, the compact encodings
// RDB version 8 (Redis 4.0) stores small hashes, zsets, sets and list nodes in.
//
// Contract: the output passes Redis 7.0's deep integrity checks: exact
// zlbytes/zltail/zllen, prevlen of every entry, integers stored as integers
// when the text is a canonical int64 (as Redis does), intsets sorted, unique,
// at the narrowest width. Tricky bit: an entry's prevlen field grows to 5 bytes
// when the previous entry is 254 bytes or longer.
import Engine

/// Builds compact encodings.
public enum CompactEncoder {
    /// The integer a byte string canonically spells, if any (no "+", no leading zeros, no "-0").
    public static func canonicalInt(_ b: Bytes) -> Int64? { b.withUnsafeBytes { canonicalInt($0) } }

    /// The integer the bytes canonically spell, without allocating.
    public static func canonicalInt(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        guard n > 0, n <= 20 else { return nil }
        let negative = b[0] == UInt8(ascii: "-")
        var i = negative ? 1 : 0
        guard i < n, b[i] >= 48, b[i] <= 57 else { return nil }
        if b[i] == 48 { return n == 1 ? 0 : nil }  // "0" alone; no leading zeros, no "-0"
        var v: Int64 = 0
        while i < n {
            let d = b[i]
            guard d >= 48, d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d - 48)) : m.addingReportingOverflow(Int64(d - 48))
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        return v
    }

    /// A ziplist holding `items` in order.
    public static func ziplist(_ items: [Bytes]) -> [UInt8] {
        let z = ZiplistBuilder(capacity: 256)
        for s in items { s.withUnsafeBytes { z.append(.bytes($0)) } }
        return z.finishBytes()
    }

    /// Size a ziplist entry adds (approximate for the prevlen of the next one).
    static func ziplistEntrySize(_ s: Bytes) -> Int {
        let z = ZiplistBuilder(capacity: 256)
        s.withUnsafeBytes { z.append(.bytes($0)) }
        return z.entriesSize + (s.count + 5 < 254 ? 0 : 4)
    }

    static func appendLE32(_ out: inout [UInt8], _ v: Int) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    /// An intset of the given integers (sorted and de-duplicated here).
    public static func intset(_ values: [Int64]) -> [UInt8] {
        let sorted = Array(Set(values)).sorted()
        var width = 2
        for v in sorted {
            if v < Int64(Int32.min) || v > Int64(Int32.max) { width = 8 } else if v < Int64(Int16.min) || v > Int64(Int16.max) { width = Swift.max(width, 4) }
        }
        var out: [UInt8] = []
        appendLE32(&out, width); appendLE32(&out, sorted.count)
        for v in sorted { for i in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * Int64(i)))) } }
        return out
    }
}

