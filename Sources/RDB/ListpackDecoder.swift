// ListpackDecoder: the entries of a listpack blob (Redis 7's compact encoding
// for lists, hashes, zsets and sets) as byte strings.
//
// Contract: `walk` checks the whole blob once (the total-bytes header, entry
// bounds, each back-length, the count unless 65535, "unknown", and the 0xFF
// terminator) while handing each entry to its caller as a view, without
// copying; it throws CompactError at the first inconsistency. `entries`
// returns copies (integers as decimal text).
// Tricky bit: the back-length after each entry stores the entry's size in
// 7-bit groups, most significant group first when read backwards.
import Engine

/// Decodes listpacks.
public enum ListpackDecoder {
    /// The entries of `lp`.
    public static func entries(_ lp: [UInt8]) throws -> [Bytes] {
        var out: [Bytes] = []
        try lp.withUnsafeBytes { p in _ = try walk(p) { out.append($0.bytesValue) } }
        return out
    }

    /// Checks `lp` and calls `body` with each entry in order (views valid during the call); returns the count.
    @inline(__always)
    public static func walk(_ lp: UnsafeRawBufferPointer, _ body: (ListElement) throws -> Void) throws -> Int {
        guard lp.count >= 7 else { throw CompactError("listpack too short") }
        let total = Int(lp[0]) | Int(lp[1]) << 8 | Int(lp[2]) << 16 | Int(lp[3]) << 24
        guard total == lp.count else { throw CompactError("listpack size header \(total) != blob size \(lp.count)") }
        let declared = Int(lp[4]) | Int(lp[5]) << 8
        var count = 0
        var p = 6
        while true {
            guard p < lp.count else { throw CompactError("listpack has no terminator") }
            let e = lp[p]
            if e == 0xFF { break }
            let start = p
            p += 1
            func need(_ n: Int) throws { guard n >= 0, p + n < lp.count else { throw CompactError("listpack entry out of bounds") } }
            func intLE(_ n: Int) -> Int64 {
                var v: UInt64 = 0
                for i in 0..<n { v |= UInt64(lp[p + i]) << (8 * UInt64(i)) }
                let shift = UInt64(64 - 8 * n)
                return Int64(bitPattern: v << shift) >> Int64(shift)
            }
            func string(_ n: Int) -> ListElement { .bytes(UnsafeRawBufferPointer(rebasing: lp[p..<p + n])) }
            let value: ListElement
            if e & 0x80 == 0 {
                value = .int(Int64(e))
            } else if e & 0xC0 == 0x80 {
                let n = Int(e & 0x3F); try need(n); value = string(n); p += n
            } else if e & 0xE0 == 0xC0 {
                try need(1)
                let raw = Int(e & 0x1F) << 8 | Int(lp[p]); p += 1
                value = .int(Int64(raw >= 4096 ? raw - 8192 : raw))
            } else if e & 0xF0 == 0xE0 {
                try need(1)
                let n = Int(e & 0x0F) << 8 | Int(lp[p]); p += 1
                try need(n); value = string(n); p += n
            } else {
                switch e {
                case 0xF0:
                    try need(4)
                    let n = Int(intLE(4) & 0xFFFF_FFFF); p += 4
                    try need(n); value = string(n); p += n
                case 0xF1: try need(2); value = .int(intLE(2)); p += 2
                case 0xF2: try need(3); value = .int(intLE(3)); p += 3
                case 0xF3: try need(4); value = .int(intLE(4)); p += 4
                case 0xF4: try need(8); value = .int(intLE(8)); p += 8
                default: throw CompactError("bad listpack encoding 0x\(String(e, radix: 16))")
                }
            }
            let entryLen = p - start
            // The usual case, an entry under 128 bytes: its back-length is that one byte.
            if entryLen < 128 && p + 1 < lp.count && Int(lp[p]) == entryLen {
                p += 1
                try body(value)
                count += 1
                continue
            }
            // Redis's encoder moves to the next size one below each power of 128 (16383, not 16384).
            let backSize = entryLen < 128 ? 1 : entryLen < 16383 ? 2 : entryLen < 2_097_151 ? 3 : entryLen < 268_435_455 ? 4 : 5
            try need(backSize)
            // Decode the back-length as a reader walking backwards would.
            var back = 0, shift = 0, q = p + backSize - 1
            while true {
                back |= Int(lp[q] & 0x7F) << shift
                if lp[q] & 0x80 == 0 { break }
                shift += 7; q -= 1
                guard q >= p else { throw CompactError("bad listpack back-length") }
            }
            guard back == entryLen else { throw CompactError("listpack back-length mismatch at \(start)") }
            p += backSize
            try body(value)
            count += 1
        }
        guard p == lp.count - 1 else { throw CompactError("listpack has bytes after its terminator") }
        guard declared == 65535 || declared == count else { throw CompactError("listpack count \(declared) != \(count) entries") }
        return count
    }
}
