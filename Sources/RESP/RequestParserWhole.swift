// RequestParserWhole: the parser's fast path, for the common case of a whole multibulk
// command already in the buffer, written the usual way.
//
// Contract: `nextWhole` either returns the command and consumes exactly its bytes, or
// returns nil having consumed nothing, and then the general path reads the same bytes
// (a partial command, an error, an empty `*0`, a header with a sign, leading zeros or
// a bare "\n"). So it accepts only what the general path accepts, and parses it the
// same: the two bytes after an argument are skipped unchecked, as Redis skips them.
// Why: the general path goes through ByteBuffer's reads and a line search per header;
// this one walks the bytes once and moves the read index once.

import NIOCore

extension RequestParser {
    /// The whole multibulk command at the start of `buffer` (whose first byte is "*"), or
    /// nil with nothing consumed.
    mutating func nextWhole(from buffer: inout ByteBuffer) -> [[UInt8]]? {
        let consumed: Int = buffer.withUnsafeReadableBytes { raw in
            let end = raw.count
            var i = 1
            guard let count = Self.canonicalNumber(raw, at: &i), count > 0, count <= limits.maxMultibulkCount else { return 0 }
            filled = 0
            argv.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard i < end, raw[i] == UInt8(ascii: "$") else { return 0 }
                i += 1
                guard let length = Self.canonicalNumber(raw, at: &i), length <= limits.maxBulkLength,
                      end - i >= length + 2 else { return 0 }
                storeArgument(UnsafeRawBufferPointer(rebasing: raw[i..<(i + length)]))
                i += length + 2
            }
            return i
        }
        guard consumed > 0 else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return takeCommand()
    }

    /// The decimal number at `i`, ended by "\r\n", moving `i` past the line end: nil unless
    /// written plainly (1 to 18 digits, no sign, no leading zero but in "0" itself).
    static func canonicalNumber(_ raw: UnsafeRawBufferPointer, at i: inout Int) -> Int? {
        let start = i, end = raw.count
        var value = 0, j = start
        while j < end {
            let digit = raw[j] &- UInt8(ascii: "0")
            if digit > 9 { break }
            if j - start == 18 { return nil }
            value = value * 10 + Int(digit)
            j += 1
        }
        let digits = j - start
        guard digits > 0, digits == 1 || raw[start] != UInt8(ascii: "0"), end - j >= 2,
              raw[j] == UInt8(ascii: "\r"), raw[j + 1] == UInt8(ascii: "\n") else { return nil }
        i = j + 2
        return value
    }
}
