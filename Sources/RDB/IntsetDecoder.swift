// IntsetDecoder: the members of an intset blob (sorted integers of 2, 4 or 8
// bytes, little-endian) as decimal byte strings.
//
// Contract: checks the width, the size against the count, and strict
// ascending order (which also rules out duplicates); throws CompactError.
import Engine

/// Decodes intsets.
public enum IntsetDecoder {
    /// The members of `blob`.
    public static func members(_ blob: [UInt8]) throws -> [Bytes] {
        guard blob.count >= 8 else { throw CompactError("intset too short") }
        func u32(_ i: Int) -> Int { Int(blob[i]) | Int(blob[i + 1]) << 8 | Int(blob[i + 2]) << 16 | Int(blob[i + 3]) << 24 }
        let width = u32(0), n = u32(4)
        guard width == 2 || width == 4 || width == 8 else { throw CompactError("intset width \(width)") }
        guard blob.count == 8 + n * width else { throw CompactError("intset size mismatch") }
        var out: [Bytes] = []
        var prev: Int64?
        for i in 0..<n {
            var v: UInt64 = 0
            let base = 8 + i * width
            for j in 0..<width { v |= UInt64(blob[base + j]) << (8 * UInt64(j)) }
            let shift = UInt64(64 - 8 * width)
            let x = Int64(bitPattern: v << shift) >> Int64(shift)
            if let p = prev, x <= p { throw CompactError("intset not sorted") }
            prev = x
            out.append(bytesOf(x))
        }
        return out
    }
}
