// ZiplistDecoder: the entries of a ziplist blob (Redis 2.6 to 6.2's compact
// list, hash and zset encoding) as byte strings.
//
// Contract: `walk` checks the whole blob once (header sizes, entry bounds,
// prevlen fields, the tail offset, the entry count and the 0xFF terminator)
// while handing each entry to its caller as a view, without copying; it
// throws CompactError when the blob is inconsistent. `entries` returns copies
// (integers as their decimal text).
// Tricky bit: the 4-bit immediate encoding 0xF1...0xFD holds 0...12.
import Engine

/// A malformed compact encoding (ziplist, listpack, intset, zipmap).
public struct CompactError: Error { public var message: String; init(_ m: String) { message = m } }

/// Decodes ziplists.
public enum ZiplistDecoder {
    /// The entries of `zl`.
    public static func entries(_ zl: [UInt8]) throws -> [Bytes] {
        var out: [Bytes] = []
        try zl.withUnsafeBytes { p in _ = try walk(p) { out.append($0.bytesValue) } }
        return out
    }

    /// Checks `zl` and calls `body` with each entry in order (views valid during the call); returns the count.
    public static func walk(_ zl: UnsafeRawBufferPointer, _ body: (ListElement) throws -> Void) throws -> Int {
        guard zl.count >= 11 else { throw CompactError("ziplist too short") }
        func u32(_ i: Int) -> Int { Int(zl[i]) | Int(zl[i + 1]) << 8 | Int(zl[i + 2]) << 16 | Int(zl[i + 3]) << 24 }
        guard u32(0) == zl.count else { throw CompactError("ziplist size header \(u32(0)) != blob size \(zl.count)") }
        let tail = u32(4)
        let declared = Int(zl[8]) | Int(zl[9]) << 8
        var count = 0
        var p = 10, prevLen = 0, lastStart = 10
        while true {
            guard p < zl.count else { throw CompactError("ziplist has no terminator") }
            if zl[p] == 0xFF { break }
            let start = p
            var pl: Int
            if zl[p] < 254 { pl = Int(zl[p]); p += 1 } else {
                guard zl[p] == 254, p + 5 <= zl.count else { throw CompactError("bad ziplist prevlen") }
                pl = u32(p + 1); p += 5
            }
            guard pl == prevLen else { throw CompactError("ziplist prevlen mismatch at \(start)") }
            guard p < zl.count else { throw CompactError("ziplist entry out of bounds") }
            let e = zl[p]; p += 1
            let value: ListElement
            func need(_ n: Int) throws { guard n >= 0, p + n < zl.count else { throw CompactError("ziplist entry out of bounds") } }
            func intLE(_ n: Int) -> Int64 {
                var v: UInt64 = 0
                for i in 0..<n { v |= UInt64(zl[p + i]) << (8 * UInt64(i)) }
                let shift = UInt64(64 - 8 * n)
                return Int64(bitPattern: v << shift) >> Int64(shift)
            }
            func string(_ n: Int) -> ListElement { .bytes(UnsafeRawBufferPointer(rebasing: zl[p..<p + n])) }
            switch e >> 6 {
            case 0:
                let n = Int(e & 0x3F); try need(n); value = string(n); p += n
            case 1:
                try need(1); let n = Int(e & 0x3F) << 8 | Int(zl[p]); p += 1
                try need(n); value = string(n); p += n
            case 2:
                guard e == 0x80 else { throw CompactError("bad ziplist encoding") }
                try need(4)
                let n = Int(zl[p]) << 24 | Int(zl[p + 1]) << 16 | Int(zl[p + 2]) << 8 | Int(zl[p + 3]); p += 4
                try need(n); value = string(n); p += n
            default:
                switch e {
                case 0xC0: try need(2); value = .int(intLE(2)); p += 2
                case 0xD0: try need(4); value = .int(intLE(4)); p += 4
                case 0xE0: try need(8); value = .int(intLE(8)); p += 8
                case 0xF0: try need(3); value = .int(intLE(3)); p += 3
                case 0xFE: try need(1); value = .int(intLE(1)); p += 1
                case 0xF1...0xFD: value = .int(Int64(e & 0x0F) - 1)
                default: throw CompactError("bad ziplist encoding 0x\(String(e, radix: 16))")
                }
            }
            try body(value)
            count += 1
            prevLen = p - start
            lastStart = start
        }
        guard p == zl.count - 1 else { throw CompactError("ziplist has bytes after its terminator") }
        guard tail == (count == 0 ? 10 : lastStart) else { throw CompactError("ziplist tail offset wrong") }
        guard declared == 0xFFFF || declared == count else { throw CompactError("ziplist count \(declared) != \(count) entries") }
        return count
    }
}
