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
    public static func canonicalInt(_ b: Bytes) -> Int64? {
        guard !b.isEmpty, b.count <= 20, let v = b.parseInt64(), bytesOf(v) == b else { return nil }
        return v
    }

    /// The ziplist bytes of one entry's encoding and data (without prevlen).
    static func ziplistBody(_ s: Bytes) -> [UInt8] {
        if s.count <= 32, let v = canonicalInt(s) {
            func le(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * Int64($0))) } }
            switch v {
            case 0...12: return [0xF1 + UInt8(v)]
            case -128...127: return [0xFE] + le(1)
            case -32768...32767: return [0xC0] + le(2)
            case -8_388_608...8_388_607: return [0xF0] + le(3)
            case -2_147_483_648...2_147_483_647: return [0xD0] + le(4)
            default: return [0xE0] + le(8)
            }
        }
        let n = s.count
        if n <= 63 { return [UInt8(n)] + s }
        if n <= 16383 { return [0x40 | UInt8(n >> 8), UInt8(n & 0xFF)] + s }
        return [0x80, UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + s
    }

    static func appendLE32(_ out: inout [UInt8], _ v: Int) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    /// A ziplist holding `items` in order.
    public static func ziplist(_ items: [Bytes]) -> [UInt8] {
        var body: [UInt8] = []
        var prev = 0, lastStart = 0
        for s in items {
            lastStart = body.count
            let start = body.count
            if prev < 254 { body.append(UInt8(prev)) } else { body.append(0xFE); appendLE32(&body, prev) }
            body.append(contentsOf: ziplistBody(s))
            prev = body.count - start
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 11)
        appendLE32(&out, body.count + 11)
        appendLE32(&out, items.isEmpty ? 10 : 10 + lastStart)
        let n = Swift.min(items.count, 65535)
        out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
        out.append(contentsOf: body)
        out.append(0xFF)
        return out
    }

    /// Size a ziplist entry adds (approximate for the prevlen of the next one).
    static func ziplistEntrySize(_ s: Bytes) -> Int { ziplistBody(s).count + (s.count + 5 < 254 ? 1 : 5) }

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
