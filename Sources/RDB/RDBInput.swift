// RDBInput: buffered reading of RDB primitives (bytes, lengths, strings,
// doubles) from a ByteSource, tracking the offset and the running CRC64.
//
// Contract: every read either returns what was asked or throws an RDBError at
// the current offset ("unexpected end of file" when the source runs dry).
// Tricky bit: a length read from the stream is never used to allocate up
// front: `bytes(n)` grows its result chunk by chunk as data actually arrives,
// so memory is bounded by the input, not by what a corrupt length claims.
import Engine

/// Buffered primitive reader over a ByteSource.
public struct RDBInput<Source: ByteSource> {
    var source: Source
    var buffer: [UInt8] = []
    var position = 0
    /// Bytes consumed so far (the offset of the next byte).
    public private(set) var offset = 0
    /// CRC64 of the bytes consumed so far.
    public private(set) var crc: UInt64 = 0
    /// Key of the entry being read, for error messages.
    var currentKey: Bytes?

    public init(_ source: Source) { self.source = source }

    func error(_ message: String, at: Int? = nil) -> RDBError {
        RDBError(offset: at ?? offset, key: currentKey, message: message)
    }

    mutating func fill() throws -> Bool {
        if position < buffer.count { return true }
        let chunk: [UInt8]
        do { chunk = try source.read(max: 1 << 16) } catch let e as RDBError { throw e } catch {
            throw self.error("read failed: \(error)")
        }
        if chunk.isEmpty { return false }
        buffer = chunk; position = 0
        return true
    }

    /// Reads one byte.
    public mutating func byte() throws -> UInt8 {
        guard try fill() else { throw error("unexpected end of file") }
        let b = buffer[position]; position += 1; offset += 1
        crc = CRC64.update(crc, CollectionOfOne(b))
        return b
    }

    /// Reads exactly `n` bytes; never allocates more than has arrived.
    public mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0 else { throw error("negative length") }
        var out = [UInt8]()
        if n <= 1 << 16 { out.reserveCapacity(n) }
        while out.count < n {
            guard try fill() else { throw error("unexpected end of file (wanted \(n) bytes, got \(out.count))") }
            let take = Swift.min(n - out.count, buffer.count - position)
            let slice = buffer[position..<position + take]
            crc = CRC64.update(crc, slice)
            out.append(contentsOf: slice)
            position += take; offset += take
        }
        return out
    }

    /// Skips exactly `n` bytes.
    public mutating func skip(_ n: Int) throws {
        var left = n
        while left > 0 {
            guard try fill() else { throw error("unexpected end of file") }
            let take = Swift.min(left, buffer.count - position)
            crc = CRC64.update(crc, buffer[position..<position + take])
            position += take; offset += take; left -= take
        }
    }

    /// True when the source has no more bytes.
    public mutating func atEnd() throws -> Bool { try !fill() }

    /// Reads a little-endian unsigned integer of `size` bytes.
    public mutating func uintLE(_ size: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(try byte()) << (8 * UInt64(i)) }
        return v
    }

    /// Reads a big-endian unsigned integer of `size` bytes.
    mutating func uintBE(_ size: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<size { v = v << 8 | UInt64(try byte()) }
        return v
    }

    /// A length field, or the special string encoding (isEncoded = true, value = 0...3).
    public mutating func lengthOrEncoding() throws -> (value: UInt64, isEncoded: Bool) {
        let b = try byte()
        switch b >> 6 {
        case 0: return (UInt64(b & 0x3F), false)
        case 1: return (UInt64(b & 0x3F) << 8 | UInt64(try byte()), false)
        case 2:
            if b == 0x80 { return (try uintBE(4), false) }
            if b == 0x81 { return (try uintBE(8), false) }
            throw error("bad length encoding 0x\(String(b, radix: 16))", at: offset - 1)
        default: return (UInt64(b & 0x3F), true)
        }
    }

    /// A plain length field.
    public mutating func length() throws -> UInt64 {
        let start = offset
        let (v, enc) = try lengthOrEncoding()
        if enc { throw error("expected a length, found a string encoding", at: start) }
        return v
    }

    /// A length that must fit memory-sized counts.
    mutating func count(_ what: String) throws -> Int {
        let start = offset
        let v = try length()
        guard v <= UInt64(Int32.max) * 8 else { throw error("\(what) too large: \(v)", at: start) }
        return Int(v)
    }

    /// A string (raw, integer-encoded or LZF-compressed).
    public mutating func string() throws -> Bytes {
        let start = offset
        let (v, enc) = try lengthOrEncoding()
        if !enc {
            guard v <= UInt64(Int.max / 2) else { throw error("string length too large: \(v)", at: start) }
            return try bytes(Int(v))
        }
        switch v {
        case 0: return bytesOf(Int64(Int8(bitPattern: try byte())))
        case 1: return bytesOf(Int64(Int16(truncatingIfNeeded: try uintLE(2))))
        case 2: return bytesOf(Int64(Int32(truncatingIfNeeded: try uintLE(4))))
        case 3:
            let clen = try length(), len = try length()
            guard clen <= UInt64(Int32.max), len <= UInt64(Int32.max) else {
                throw error("LZF string too large (\(clen) -> \(len))", at: start)
            }
            let packed = try bytes(Int(clen))
            // A length far beyond what the packed bytes could expand to is corrupt.
            guard len <= clen &* 264 + 264, let out = LZF.decompress(packed, length: Int(len)) else {
                throw error("invalid LZF-compressed string", at: start)
            }
            return out
        default: throw error("unknown string encoding \(v)", at: start)
        }
    }

    /// A zset score in the old text form (ZSET type 3).
    mutating func textDouble() throws -> Double {
        let start = offset
        let n = try byte()
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            let b = try bytes(Int(n))
            guard let d = parseScore(b) else { throw error("invalid score \(printableKey(b))", at: start) }
            return d
        }
    }

    /// An 8-byte little-endian IEEE double.
    mutating func binaryDouble() throws -> Double { Double(bitPattern: try uintLE(8)) }
}

/// Parses a score as stored in text form (strtod rules, "inf"/"-inf"/"nan" accepted).
func parseScore(_ b: Bytes) -> Double? {
    if let d = b.parseDouble() { return d }
    switch String(decoding: b, as: UTF8.self).lowercased() {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan", "-nan": return .nan
    default: return nil
    }
}
