// ReplyEncoding: RESP2 replies written straight into an output ByteBuffer.
//
// Commands write their reply directly instead of building a reply tree, so a
// pipelined batch costs one buffer and one write. Every RESP2 type is here:
// simple strings, errors, integers, bulk strings, null bulk, arrays, null array.
import NIOCore

private let crlf: StaticString = "\r\n"

// Each writer appends exactly one reply (or, for `writeArrayHeader`, the header of
// one) at the writer index; none validates its input beyond what is noted.
extension ByteBuffer {
    /// `+OK\r\n`-style status reply, from a literal; `s` must not hold CR or LF (not checked).
    @inlinable public mutating func writeSimpleString(_ s: StaticString) {
        writeInteger(UInt8(ascii: "+"))
        writeStaticString(s)
        writeStaticString("\r\n")
    }

    /// A status reply from a runtime string; `s` must not hold CR or LF (not checked).
    public mutating func writeSimpleString(_ s: String) {
        writeInteger(UInt8(ascii: "+"))
        writeString(s)
        writeStaticString("\r\n")
    }

    /// An error reply; `message` starts with its code ("ERR ...", "WRONGTYPE ...").
    /// Newlines are replaced by spaces so the reply stays one line, as Redis does.
    public mutating func writeError(_ message: String) {
        writeInteger(UInt8(ascii: "-"))
        if message.utf8.contains(where: { $0 == 10 || $0 == 13 }) {
            writeBytes(message.utf8.map { $0 == 10 || $0 == 13 ? 32 : $0 })
        } else {
            writeString(message)
        }
        writeStaticString("\r\n")
    }

    /// An integer reply, `:<v>\r\n`, in one reservation (INCR's reply).
    @inlinable public mutating func writeIntegerReply(_ v: Int64) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = UInt8(ascii: ":")
            var at = 1
            if v < 0 {
                out[1] = UInt8(ascii: "-")
                at = 2
            }
            at += writeDecimalDigits(v.magnitude, into: out, at: at)
            out[at] = 13
            out[at + 1] = 10
            return at + 2
        }
    }

    /// An integer reply from an `Int` (counts, lengths).
    @inlinable public mutating func writeIntegerReply(_ v: Int) { writeIntegerReply(Int64(v)) }

    /// A bulk string, `$<len>\r\n<bytes>\r\n`; binary-safe.
    @inlinable public mutating func writeBulk<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        writeInteger(UInt8(ascii: "$"))
        writeDecimal(Int64(bytes.count))
        writeStaticString("\r\n")
        writeBytes(bytes)
        writeStaticString("\r\n")
    }

    /// `writeBulk` of a byte array, the common case (GET's reply): one reservation and
    /// one pass instead of five writes, each of which checks capacity and uniqueness.
    @inlinable public mutating func writeBulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBulk(view: $0) }
    }

    /// `writeBulk` of bytes lent as a view (a short string value's box).
    @inlinable public mutating func writeBulk(view bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        writeWithUnsafeMutableBytes(minimumWritableBytes: n + 24) { out in
            out[0] = UInt8(ascii: "$")
            var at = 1 + writeDecimalDigits(UInt64(n), into: out, at: 1)
            out[at] = 13
            out[at + 1] = 10
            at += 2
            if n > 0 { (out.baseAddress! + at).copyMemory(from: bytes.baseAddress!, byteCount: n) }
            at += n
            out[at] = 13
            out[at + 1] = 10
            return at + 2
        }
    }

    /// A bulk string holding `s`'s UTF-8 bytes.
    public mutating func writeBulk(_ s: String) { writeBulk(Array(s.utf8)) }

    /// A bulk string holding the decimal text of `v`.
    public mutating func writeBulkDecimal(_ v: Int64) { writeBulk(Array(String(v).utf8)) }

    /// The null bulk string, `$-1\r\n` (a missing key or field).
    @inlinable public mutating func writeNullBulk() { writeStaticString("$-1\r\n") }

    /// The header of an array reply, `*<count>\r\n`; the caller then writes exactly
    /// `count` replies as its elements.
    @inlinable public mutating func writeArrayHeader(_ count: Int) {
        writeInteger(UInt8(ascii: "*"))
        writeDecimal(Int64(count))
        writeStaticString("\r\n")
    }

    /// The null array, `*-1\r\n` (a timed-out blocking pop, an aborted EXEC).
    @inlinable public mutating func writeNullArray() { writeStaticString("*-1\r\n") }

    /// Writes a command (array of bulk strings), as a client or a propagation stream does.
    public mutating func writeCommand(_ argv: [[UInt8]]) {
        writeArrayHeader(argv.count)
        for arg in argv { writeBulk(arg) }
    }

    /// Decimal digits of `v` (with a leading "-" when negative; Int64.min included)
    /// without allocating a String; no framing, a building block of the replies above.
    @inlinable public mutating func writeDecimal(_ v: Int64) {
        if v >= 0 && v < 10 {
            writeInteger(UInt8(truncatingIfNeeded: v) + 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(v.magnitude)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            var i = 23
            repeat {
                raw[i] = UInt8(n % 10) + 48
                n /= 10
                i -= 1
                count += 1
            } while n > 0
            if v < 0 {
                raw[i] = UInt8(ascii: "-")
                count += 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }
}

/// Writes the decimal digits of `v` into `out` from `at`; returns how many (at most 20).
@inlinable func writeDecimalDigits(_ v: UInt64, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
    var count = 1
    var rest = v / 10
    while rest > 0 {
        count += 1
        rest /= 10
    }
    var n = v
    var i = at + count - 1
    repeat {
        out[i] = UInt8(truncatingIfNeeded: n % 10) + 48
        n /= 10
        i -= 1
    } while n > 0
    return count
}
