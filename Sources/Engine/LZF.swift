// LZF: liblzf's compression format, used by RDB for long strings and by the
// quicklist for its compressed interior nodes (list-compress-depth).
//
// Contract: `decompress` returns exactly `length` bytes or nil for malformed
// input (a back reference before the start, output overrun or underrun);
// `compress` returns a valid LZF stream of at most `limit` bytes, or nil when
// it would be longer. The result's buffer is allocated at its exact size, so
// a compressed quicklist node holds no spare capacity.
// Format: a control byte below 32 starts a literal run of ctrl+1 bytes; above,
// its top 3 bits are a back-reference length - 2 (7 = one more length byte
// follows) and its low 5 bits with the next byte the distance - 1 (< 8192).
// Tricky bit: back references may overlap their own output, so those closer
// than 8 bytes are copied byte by byte; away from the output's end, copies go
// in whole 8-byte words that may run past the item, since the next item
// overwrites what they wrote past it. Both directions work on raw pointers: they run on every
// touch of a compressed list node, not only when saving.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// LZF compression and decompression.
public enum LZF {
    private static let hashBits = 14
    private static let maxDistance = 8192
    private static let maxMatch = 264

    /// Decompresses `input` into exactly `length` bytes; nil if malformed.
    public static func decompress(_ input: [UInt8], length: Int) -> [UInt8]? {
        input.withUnsafeBytes { decompress($0, length: length) }
    }

    /// Decompresses `src` into exactly `length` bytes; nil if malformed.
    public static func decompress(_ src: UnsafeRawBufferPointer, length: Int) -> [UInt8]? {
        guard length >= 0 else { return nil }
        if src.count == 0 { return length == 0 ? [] : nil }
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: length) { buf, used in
            ok = length > 0 && decompress(src, into: buf.baseAddress!, length: length)
            used = ok ? length : 0
        }
        return ok ? out : nil
    }

    /// Decompresses `src` into exactly `length` bytes at `dst` (which has room for
    /// them); false if malformed. Lets a loader decompress into a buffer it reuses.
    public static func decompress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutablePointer<UInt8>, length: Int) -> Bool {
        let n = src.count
        guard n > 0, length > 0 else { return n == 0 && length == 0 }
        let inp = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let o = dst
        var i = 0, op = 0
        while i < n {
            let ctrl = Int(inp[i])
            i += 1
            if ctrl < 32 {
                let run = ctrl + 1
                guard i + run <= n, op + run <= length else { return false }
                if i + 32 <= n && op + 32 <= length {
                    wildCopy32(o + op, inp + i, run)
                } else {
                    smallCopy(o + op, inp + i, run)
                }
                i += run
                op += run
            } else {
                var len = ctrl >> 5
                if len == 7 {
                    guard i < n else { return false }
                    len += Int(inp[i])
                    i += 1
                }
                len += 2
                guard i < n else { return false }
                let back = ((ctrl & 0x1F) << 8) + Int(inp[i]) + 1
                i += 1
                guard back <= op, op + len <= length else { return false }
                var from = op - back
                if back >= 8 && op + len + 8 <= length {
                    // Eight bytes at a time, the last word overshooting into bytes written later.
                    var k = 0
                    repeat {
                        UnsafeMutableRawPointer(o + op + k).storeBytes(
                            of: UnsafeRawPointer(o + from + k).loadUnaligned(as: UInt64.self), as: UInt64.self)
                        k += 8
                    } while k < len
                    op += len
                } else if back >= len {
                    // No overlap with its own output: word copies instead of a byte loop.
                    smallCopy(o + op, o + from, len)
                    op += len
                } else {
                    for _ in 0..<len {
                        o[op] = o[from]
                        op += 1
                        from += 1
                    }
                }
            }
        }
        return op == length
    }

    /// Compresses `input`; nil if the result would exceed `limit` bytes.
    public static func compress(_ input: [UInt8], limit: Int) -> [UInt8]? {
        input.withUnsafeBytes { compress($0, limit: limit) }
    }

    /// Compresses `src`; nil if the result would exceed `limit` bytes.
    public static func compress(_ src: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        let n = src.count
        guard n > 0, limit > 0 else { return nil }
        let inp = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let tableSize = 1 << hashBits
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: tableSize)
        table.initialize(repeating: -1, count: tableSize)
        let o = UnsafeMutablePointer<UInt8>.allocate(capacity: limit)
        defer {
            table.deallocate()
            o.deallocate()
        }
        var op = 0
        var literalStart = 0
        // Writes the pending literals before `end` as runs of at most 32; false past the limit.
        func flushLiterals(_ end: Int) -> Bool {
            var s = literalStart
            while s < end {
                let run = Swift.min(32, end - s)
                guard op + 1 + run <= limit else { return false }
                o[op] = UInt8(run - 1)
                (o + op + 1).update(from: inp + s, count: run)
                op += 1 + run
                s += run
            }
            return true
        }
        var i = 0
        while i + 2 < n {
            let v = Int(inp[i]) << 16 | Int(inp[i + 1]) << 8 | Int(inp[i + 2])
            let h = ((v &* 2654435761) >> 10) & (tableSize - 1)
            let ref = Int(table[h])
            table[h] = Int32(i)
            let distance = i - ref - 1
            guard ref >= 0, distance < maxDistance, inp[ref] == inp[i], inp[ref + 1] == inp[i + 1],
                  inp[ref + 2] == inp[i + 2] else {
                i += 1
                continue
            }
            var len = 3
            let longest = Swift.min(maxMatch, n - i)
            while len < longest && inp[ref + len] == inp[i + len] { len += 1 }
            guard flushLiterals(i) else { return nil }
            let l = len - 2
            guard op + (l < 7 ? 2 : 3) <= limit else { return nil }
            if l < 7 {
                o[op] = UInt8(l << 5 | distance >> 8)
                op += 1
            } else {
                o[op] = UInt8(7 << 5 | distance >> 8)
                o[op + 1] = UInt8(l - 7)
                op += 2
            }
            o[op] = UInt8(distance & 0xFF)
            op += 1
            i += len
            literalStart = i
        }
        guard flushLiterals(n) else { return nil }
        return Array(UnsafeBufferPointer(start: o, count: op))
    }
}

/// Copies `n` (at most 32) bytes as whole 8-byte words: both regions must have
/// 32 bytes in bounds, and the destination's bytes past `n` are written too
/// (an LZF literal run, whose overshoot the next item overwrites).
@inline(__always)
func wildCopy32(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>, _ n: Int) {
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    var k = 0
    repeat {
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: k, as: UInt64.self), toByteOffset: k, as: UInt64.self)
        k += 8
    } while k < n
}

/// Copies `n` bytes between regions that do not overlap, inline (the runs of
/// LZF and of packed entries are mostly a few bytes, where a memcpy call costs
/// more than the copy), memcpy beyond 64. A length that is not a multiple of the
/// word is finished with one more word (or half, or quarter) ending at the last
/// byte, overlapping what was copied: a byte loop there mispredicted on every
/// length change.
@inlinable @inline(__always)
public func smallCopy(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>, _ n: Int) {
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    if n >= 8 {
        if n > 64 {
            memcpy(dst, src, n)
            return
        }
        var k = 0
        while k + 8 < n {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: k, as: UInt64.self), toByteOffset: k, as: UInt64.self)
            k += 8
        }
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
    } else if n >= 4 {
        let head = s.loadUnaligned(as: UInt32.self), tail = s.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        d.storeBytes(of: head, as: UInt32.self)
        d.storeBytes(of: tail, toByteOffset: n - 4, as: UInt32.self)
    } else if n >= 2 {
        let head = s.loadUnaligned(as: UInt16.self), tail = s.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self)
        d.storeBytes(of: head, as: UInt16.self)
        d.storeBytes(of: tail, toByteOffset: n - 2, as: UInt16.self)
    } else if n == 1 {
        dst[0] = src[0]
    }
}
