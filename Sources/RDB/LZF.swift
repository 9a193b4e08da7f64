// LZF: the compression RDB uses for long strings (liblzf's format).
//
// Contract: `decompress` returns exactly `length` bytes or nil for malformed
// input (a back reference before the start, output overrun or underrun);
// `compress` returns a valid LZF stream, or nil when it would not be shorter
// than `limit` bytes. Tricky bit: back references may overlap their own output,
// so they are copied byte by byte.

/// LZF compression and decompression.
public enum LZF {
    /// Decompresses `input` into exactly `length` bytes; nil if malformed.
    public static func decompress(_ input: [UInt8], length: Int) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(length)
        var i = 0
        while i < input.count {
            let ctrl = Int(input[i]); i += 1
            if ctrl < 32 {
                let run = ctrl + 1
                guard i + run <= input.count, out.count + run <= length else { return nil }
                out.append(contentsOf: input[i..<i + run]); i += run
            } else {
                var len = ctrl >> 5
                if len == 7 {
                    guard i < input.count else { return nil }
                    len += Int(input[i]); i += 1
                }
                len += 2
                guard i < input.count else { return nil }
                let back = ((ctrl & 0x1F) << 8) + Int(input[i]) + 1; i += 1
                guard back <= out.count, out.count + len <= length else { return nil }
                var from = out.count - back
                for _ in 0..<len { out.append(out[from]); from += 1 }
            }
        }
        return out.count == length ? out : nil
    }

    /// Compresses `input`; nil if the result would exceed `limit` bytes.
    public static func compress(_ input: [UInt8], limit: Int) -> [UInt8]? {
        let n = input.count
        if n == 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(Swift.min(limit, n) + 1)
        var table = [Int](repeating: -1, count: 1 << 14)
        var litStart = 0
        var i = 0
        func flushLiterals(_ end: Int) {
            var s = litStart
            while s < end {
                let run = Swift.min(32, end - s)
                out.append(UInt8(run - 1))
                out.append(contentsOf: input[s..<s + run])
                s += run
            }
        }
        while i + 2 < n {
            let h = (((Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])) &* 2654435761) >> 10) & ((1 << 14) - 1)
            let ref = table[h]
            table[h] = i
            if ref >= 0, i - ref - 1 < 8192, input[ref] == input[i], input[ref + 1] == input[i + 1], input[ref + 2] == input[i + 2] {
                var len = 3
                let maxLen = Swift.min(264, n - i)
                while len < maxLen && input[ref + len] == input[i + len] { len += 1 }
                flushLiterals(i)
                let off = i - ref - 1
                let l = len - 2
                if l < 7 {
                    out.append(UInt8(l << 5 | off >> 8))
                } else {
                    out.append(UInt8(7 << 5 | off >> 8)); out.append(UInt8(l - 7))
                }
                out.append(UInt8(off & 0xFF))
                i += len
                litStart = i
            } else {
                i += 1
            }
            if out.count > limit { return nil }
        }
        flushLiterals(n)
        return out.count <= limit ? out : nil
    }
}
