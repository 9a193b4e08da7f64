// ZipmapDecoder: the field/value pairs of a zipmap blob (Redis 2.2-2.4's
// small-hash encoding).
//
// Contract: returns pairs in order or throws CompactError on any bound overrun
// or missing terminator. Tricky bit: a length byte of 254 is followed by a
// 4-byte little-endian length, and each value carries a "free" byte count of
// padding after it.

/// Decodes zipmaps.
public enum ZipmapDecoder {
    /// The (field, value) pairs of `zm`.
    public static func pairs(_ zm: [UInt8]) throws -> [([UInt8], [UInt8])] {
        guard zm.count >= 2 else { throw CompactError("zipmap too short") }
        var p = 1
        func len() throws -> Int {
            guard p < zm.count else { throw CompactError("zipmap out of bounds") }
            let b = zm[p]
            if b < 254 { p += 1; return Int(b) }
            guard b == 254, p + 5 <= zm.count else { throw CompactError("bad zipmap length") }
            let v = Int(zm[p + 1]) | Int(zm[p + 2]) << 8 | Int(zm[p + 3]) << 16 | Int(zm[p + 4]) << 24
            p += 5
            return v
        }
        func take(_ n: Int) throws -> [UInt8] {
            guard p + n < zm.count else { throw CompactError("zipmap out of bounds") }
            defer { p += n }
            return Array(zm[p..<p + n])
        }
        var out: [([UInt8], [UInt8])] = []
        while true {
            guard p < zm.count else { throw CompactError("zipmap has no terminator") }
            if zm[p] == 0xFF { break }
            let k = try take(try len())
            let vl = try len()
            guard p < zm.count else { throw CompactError("zipmap out of bounds") }
            let free = Int(zm[p]); p += 1
            let v = try take(vl)
            _ = try take(free)
            out.append((k, v))
        }
        guard p == zm.count - 1 else { throw CompactError("zipmap has bytes after its terminator") }
        return out
    }
}
