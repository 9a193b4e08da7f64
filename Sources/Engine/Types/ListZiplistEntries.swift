// ListZiplistEntries: how one ziplist entry is encoded and decoded: the element
// types callers see (ListElement, ListProbe), the payload a value becomes
// (ZipPayload) and the decoded header of a stored entry (ZipEntry).
//
// Contract: the encodings are Redis's: a value shorter than 32 bytes that parses
// strictly as a 64-bit integer is stored as the smallest of a 4-bit immediate
// (0...12), int8, int16, int24, int32 or int64; anything else as a string with a
// 1, 2 or 5 byte length header (up to 63, 16383, 2^32-1 bytes).
// The tricky bit: int24 is three little-endian bytes, sign-extended on read, and
// an integer entry equals only the canonical text of its value ("01" never matches 1).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One element as stored: an integer, or bytes valid only inside the closure that received them.
public enum ListElement {
    case int(Int64)
    case bytes(UnsafeRawBufferPointer)

    /// The element as a byte string (integers as decimal text).
    public var bytesValue: Bytes {
        switch self {
        case .int(let v): return bytesOf(v)
        case .bytes(let b): return Bytes(b)
        }
    }
}

/// A value being searched for (LREM, LINSERT's pivot), pre-parsed once as ziplist comparison needs.
public struct ListProbe {
    public let bytes: Bytes
    /// Set when an entry holding this value would be stored as an integer.
    public let int: Int64?
    public init(_ bytes: Bytes) {
        self.bytes = bytes
        self.int = bytes.count < 32 ? bytes.parseInt64() : nil
    }
}

/// How a value is laid out as an entry's payload (encoding header and data).
@usableFromInline struct ZipPayload {
    @usableFromInline var int: Int64
    @usableFromInline var isInt: Bool
    @usableFromInline var size: Int

    @inlinable init(_ value: Bytes) {
        if value.count < 32, let v = value.parseInt64() {
            int = v
            isInt = true
            size = 1 + ZipPayload.intDataSize(v)
        } else {
            int = 0
            isInt = false
            let n = value.count
            size = (n <= 0x3F ? 1 : n <= 0x3FFF ? 2 : 5) + n
        }
    }

    @inlinable static func intDataSize(_ v: Int64) -> Int {
        if v >= 0 && v <= 12 { return 0 }
        if v >= -128 && v <= 127 { return 1 }
        if v >= -32768 && v <= 32767 { return 2 }
        if v >= -8_388_608 && v <= 8_388_607 { return 3 }
        if v >= -2_147_483_648 && v <= 2_147_483_647 { return 4 }
        return 8
    }

    /// Writes header and data at `out`.
    @inlinable func write(_ value: Bytes, to out: UnsafeMutablePointer<UInt8>) {
        if isInt {
            ZipPayload.writeInt(int, to: out)
            return
        }
        let n = value.count
        let q = out + ZipPayload.writeStringHeader(n, to: out)
        value.withUnsafeBufferPointer { src in
            if n > 0 { memcpy(q, src.baseAddress!, n) }
        }
    }

    /// Writes an integer entry's encoding byte and data at `out`.
    @inlinable static func writeInt(_ v: Int64, to out: UnsafeMutablePointer<UInt8>) {
        switch ZipPayload.intDataSize(v) {
        case 0: out[0] = 0xF1 + UInt8(v)
        case 1: out[0] = 0xFE; out[1] = UInt8(truncatingIfNeeded: v)
        case 2: out[0] = 0xC0; storeLE(out + 1, UInt64(bitPattern: v), 2)
        case 3: out[0] = 0xF0; storeLE(out + 1, UInt64(bitPattern: v), 3)
        case 4: out[0] = 0xD0; storeLE(out + 1, UInt64(bitPattern: v), 4)
        default: out[0] = 0xE0; storeLE(out + 1, UInt64(bitPattern: v), 8)
        }
    }

    /// Writes the header of an `n`-byte string entry at `out`; returns its size.
    @inlinable static func writeStringHeader(_ n: Int, to q: UnsafeMutablePointer<UInt8>) -> Int {
        if n <= 0x3F {
            q[0] = UInt8(n)
            return 1
        }
        if n <= 0x3FFF {
            q[0] = 0x40 | UInt8(n >> 8)
            q[1] = UInt8(truncatingIfNeeded: n)
            return 2
        }
        q[0] = 0x80
        q[1] = UInt8(truncatingIfNeeded: n >> 24)
        q[2] = UInt8(truncatingIfNeeded: n >> 16)
        q[3] = UInt8(truncatingIfNeeded: n >> 8)
        q[4] = UInt8(truncatingIfNeeded: n)
        return 5
    }
}

@inlinable func storeLE(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt64, _ n: Int) {
    for i in 0..<n { p[i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
}

@inlinable func loadLE32(_ p: UnsafePointer<UInt8>) -> Int {
    Int(p[0]) | Int(p[1]) << 8 | Int(p[2]) << 16 | Int(p[3]) << 24
}

/// A decoded entry header.
@usableFromInline struct ZipEntry {
    @usableFromInline var prevlenSize: Int
    @usableFromInline var prevlen: Int
    @usableFromInline var headerSize: Int
    @usableFromInline var dataSize: Int
    @usableFromInline var encoding: UInt8

    @inlinable var size: Int { prevlenSize + headerSize + dataSize }
    @inlinable var isString: Bool { encoding < 0xC0 }

    @inlinable init(_ b: UnsafePointer<UInt8>, _ p: Int) {
        var q = p
        if b[q] < 254 {
            prevlenSize = 1
            prevlen = Int(b[q])
        } else {
            prevlenSize = 5
            prevlen = loadLE32(b + q + 1)
        }
        q += prevlenSize
        let e = b[q]
        encoding = e
        switch e >> 6 {
        case 0:
            headerSize = 1
            dataSize = Int(e & 0x3F)
        case 1:
            headerSize = 2
            dataSize = Int(e & 0x3F) << 8 | Int(b[q + 1])
        case 2:
            headerSize = 5
            dataSize = Int(b[q + 1]) << 24 | Int(b[q + 2]) << 16 | Int(b[q + 3]) << 8 | Int(b[q + 4])
        default:
            headerSize = 1
            switch e {
            case 0xC0: dataSize = 2
            case 0xD0: dataSize = 4
            case 0xE0: dataSize = 8
            case 0xF0: dataSize = 3
            case 0xFE: dataSize = 1
            default: dataSize = 0
            }
        }
    }

    /// The integer of a non-string entry at `p`.
    @inlinable func intValue(_ b: UnsafePointer<UInt8>, _ p: Int) -> Int64 {
        let d = b + p + prevlenSize + 1
        switch encoding {
        case 0xFE: return Int64(Int8(bitPattern: d[0]))
        case 0xC0: return Int64(Int16(bitPattern: UInt16(d[0]) | UInt16(d[1]) << 8))
        case 0xF0:
            let u = UInt32(d[0]) | UInt32(d[1]) << 8 | UInt32(d[2]) << 16
            return Int64(Int32(bitPattern: u << 8) >> 8)
        case 0xD0: return Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: loadLE32(d))))
        case 0xE0:
            var u: UInt64 = 0
            for i in 0..<8 { u |= UInt64(d[i]) << (8 * UInt64(i)) }
            return Int64(bitPattern: u)
        default: return Int64(encoding & 0x0F) - 1
        }
    }
}
