// HashPacked: the packed ("ziplist") form of a small hash, one byte buffer
// holding a real listpack, as Redis 7.0 keeps a small hash.
//
// Layout: the listpack's 6-byte header (total bytes LE32, element count LE16,
// 65535 meaning "count them"), field, value, field, value ... entries, the 0xFF
// terminator; the pair count is also the buffer's tag word. A text that is a
// canonical 64-bit integer ("12", not "012", "+1" or "-0") is written with the
// smallest integer encoding, anything else as a string; each entry is followed
// by its back-length. Pairs keep insertion order, an update rewrites the value
// where it stands, lookups are a linear walk: the form is small and only fit for
// small hashes. An empty hash costs no allocation (no header either).
//
// Why a listpack: an RDB file's listpack blob (Redis 7.0's hash encoding) is
// adopted as the value after one validating walk, with no re-encoding.
// The tricky bit: an adopted blob may hold what Cairn would not write (a string
// entry "12", a wider integer encoding, header count 65535). Reads never assume
// the canonical form: a string entry compares by bytes, an integer entry by
// value and only with a query that is itself a canonical integer, so "12" finds
// both. Edits re-encode only what they write. The buffer (PackedBuffer) grows
// by exactly what an edit needs, because the point of this form is its size.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct PackedPairs: Equatable, Sendable {
    @usableFromInline var storage = PackedBuffer()

    public init() {}

    /// A packed hash adopting `listpack` (a copy of it): the caller has checked that it
    /// is a valid listpack of `pairs` pairs (an even entry count), with unique fields.
    public init(validListpack listpack: UnsafeRawBufferPointer, pairs: Int) {
        if pairs > 0 { storage = PackedBuffer(copying: listpack, tag: UInt32(pairs)) }
    }

    /// A packed hash of `elements` texts (field, value, ...; unique fields), encoded
    /// in one allocation at its exact size (a ziplist read from a file, re-encoded).
    public init(elements: Int, text: (Int) -> UnsafeRawBufferPointer) {
        guard elements > 0 else { return }
        var total = ListpackLayout.headerSize + 1
        for k in 0..<elements {
            let t = text(k)
            total += ListpackLayout.entrySize(t.count, parseInt64Text(t))
        }
        storage.resize(to: total)
        storage.withUnsafeMutableBytes { p in
            let base = p.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var i = ListpackLayout.headerSize
            for k in 0..<elements {
                let t = text(k)
                let it = parseInt64Text(t)
                let size = ListpackLayout.entrySize(t.count, it)
                ListpackLayout.write(t, it, size, to: base + i)
                i += size
            }
            base[i] = 0xFF
            ListpackLayout.setHeader(p, elements: elements)
        }
        storage.setTag(UInt32(elements / 2))
    }

    /// A packed hash taking `buffer` as its storage: the caller has checked that it
    /// holds a valid listpack of `pairs` pairs (an even entry count), with unique fields.
    /// The caller gives the buffer away: its tag is written in place, even while the
    /// caller's own copy of it still stands (a copy-on-write copy would double the load's cost).
    public init(validListpack buffer: PackedBuffer, pairs: Int) {
        guard pairs > 0, let s = buffer.storage else { return }
        s.header.tag = UInt32(pairs)
        storage = buffer
    }

    /// Number of pairs.
    public var count: Int { Int(storage.tag) }

    /// The listpack bytes (empty for an empty hash), for serializers and tests.
    public var encoded: Bytes { storage.bytes }

    /// Bytes allocated for the listpack (memory reports, tests).
    public var capacity: Int { storage.capacity }

    /// Where one pair lives: its field entry's first byte, its value entry, the pair's end.
    struct Location {
        var pairStart: Int
        var valueStart: Int
        var end: Int
    }

    /// Finds `field`'s pair.
    func locate(_ field: Bytes) -> Location? {
        guard !storage.isEmpty else { return nil }
        let query = parseInt64Text(field)
        return storage.withUnsafeBytes { p -> Location? in
            field.withUnsafeBytes { f -> Location? in
                let base = p.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let flen = f.count
                var i = ListpackLayout.headerSize
                let n = p.count - 1
                while i < n {
                    let fe = ListpackEntry(base + i)
                    let valueStart = i + fe.size
                    let ve = ListpackEntry(base + valueStart)
                    let end = valueStart + ve.size
                    let found: Bool
                    if fe.isInt {
                        found = query.isInt && query.value == fe.int
                    } else {
                        found = fe.length == flen && (flen == 0 || memcmp(base + i + fe.header, f.baseAddress!, flen) == 0)
                    }
                    if found { return Location(pairStart: i, valueStart: valueStart, end: end) }
                    i = end
                }
                return nil
            }
        }
    }

    /// The value of `field`, or nil.
    public func value(for field: Bytes) -> Bytes? {
        guard let at = locate(field) else { return nil }
        return storage.withUnsafeBytes { p in
            let e = ListpackEntry(p.baseAddress!.assumingMemoryBound(to: UInt8.self) + at.valueStart)
            if e.isInt { return bytesOf(e.int) }
            return Array(UnsafeRawBufferPointer(start: p.baseAddress! + at.valueStart + e.header, count: e.length))
        }
    }

    /// The length of `field`'s value as text, or nil.
    public func valueLength(for field: Bytes) -> Int? {
        guard let at = locate(field) else { return nil }
        return storage.withUnsafeBytes { p in
            let e = ListpackEntry(p.baseAddress!.assumingMemoryBound(to: UInt8.self) + at.valueStart)
            return e.isInt ? decimalLength(e.int) : e.length
        }
    }

    public func contains(_ field: Bytes) -> Bool { locate(field) != nil }

    /// Makes room for `extra` more encoded bytes (entries), growing to exactly the size needed.
    public mutating func reserve(extra: Int) {
        let frame = storage.isEmpty ? ListpackLayout.headerSize + 1 : 0
        storage.reserve(total: storage.count + frame + extra)
    }

    /// The bytes `text` takes as a listpack entry (encoding, data, back-length).
    static func entrySize(_ text: Bytes) -> Int { ListpackLayout.entrySize(text, parseInt64Text(text)) }

    /// Sets `field` to `value`; true when the field is new (appended at the end).
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        let v = parseInt64Text(value)
        let vsize = ListpackLayout.entrySize(value, v)
        if let at = locate(field) {
            if vsize != at.end - at.valueStart { storage.reshape(at.valueStart..<at.end, to: vsize) }
            let elements = 2 * count
            storage.withUnsafeMutableBytes { p in
                ListpackLayout.write(value, v, vsize, to: p.baseAddress!.assumingMemoryBound(to: UInt8.self) + at.valueStart)
                ListpackLayout.setHeader(p, elements: elements)
            }
            return false
        }
        let f = parseInt64Text(field)
        let fsize = ListpackLayout.entrySize(field, f)
        let pairs = count + 1
        if storage.isEmpty {
            storage.resize(to: ListpackLayout.headerSize + fsize + vsize + 1)
        } else {
            let end = storage.count - 1
            storage.reshape(end..<end + 1, to: fsize + vsize + 1)
        }
        storage.withUnsafeMutableBytes { p in
            let out = p.baseAddress!.assumingMemoryBound(to: UInt8.self) + p.count - 1 - vsize - fsize
            ListpackLayout.write(field, f, fsize, to: out)
            ListpackLayout.write(value, v, vsize, to: out + fsize)
            out[fsize + vsize] = 0xFF
            ListpackLayout.setHeader(p, elements: 2 * pairs)
        }
        storage.setTag(UInt32(pairs))
        return true
    }

    /// Removes `field`'s pair; true when it was there.
    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        guard let at = locate(field) else { return false }
        let n = count - 1
        if n == 0 {
            storage.removeAll()
        } else {
            storage.reshape(at.pairStart..<at.end, to: 0)
            storage.withUnsafeMutableBytes { ListpackLayout.setHeader($0, elements: 2 * n) }
            storage.setTag(UInt32(n))
        }
        return true
    }

    /// Visits every pair in order, as views (valid only during the call): of the
    /// buffer for a string entry, of a stack buffer holding an integer entry's text.
    public func withPairs(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard !storage.isEmpty else { return }
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { digits in
            let fieldDigits = digits.baseAddress!, valueDigits = digits.baseAddress! + 24
            try storage.withUnsafeBytes { p in
                let base = p.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var i = ListpackLayout.headerSize
                let n = p.count - 1
                while i < n {
                    let fe = ListpackEntry(base + i)
                    let f = fe.text(base + i, digits: fieldDigits)
                    i += fe.size
                    let ve = ListpackEntry(base + i)
                    let v = ve.text(base + i, digits: valueDigits)
                    i += ve.size
                    try body(f, v)
                }
            }
        }
    }

    /// Visits every pair in order, as copies.
    public func forEach(_ body: (Bytes, Bytes) throws -> Void) rethrows {
        try withPairs { f, v in try body(Array(f), Array(v)) }
    }
}

/// A text's reading as a listpack would store it: `isInt` when it is a canonical
/// 64-bit integer (Redis's string2ll rules), with its value.
@usableFromInline struct IntText {
    @usableFromInline var isInt: Bool
    @usableFromInline var value: Int64
}

@inline(__always) func parseInt64Text(_ b: Bytes) -> IntText {
    b.withUnsafeBytes { parseInt64Text($0) }
}

@inline(__always) func parseInt64Text(_ b: UnsafeRawBufferPointer) -> IntText {
    if let v = parseInt64(b) { return IntText(isInt: true, value: v) }
    return IntText(isInt: false, value: 0)
}

/// One listpack entry's decoded header (of an entry known to be well formed).
struct ListpackEntry {
    /// Integer entry: its value. String entry: `header` bytes of encoding, then `length` bytes.
    var isInt: Bool
    var int: Int64 = 0
    var header = 0
    var length = 0
    /// The whole entry, back-length included.
    var size: Int

    @inline(__always) init(_ p: UnsafePointer<UInt8>) {
        let e = p[0]
        var body: Int
        if e & 0x80 == 0 {
            isInt = true; int = Int64(e); body = 1
        } else if e & 0xC0 == 0x80 {
            isInt = false; header = 1; length = Int(e & 0x3F); body = 1 + length
        } else if e & 0xE0 == 0xC0 {
            isInt = true
            let raw = Int(e & 0x1F) << 8 | Int(p[1])
            int = Int64(raw >= 4096 ? raw - 8192 : raw); body = 2
        } else if e & 0xF0 == 0xE0 {
            isInt = false; header = 2; length = Int(e & 0x0F) << 8 | Int(p[1]); body = 2 + length
        } else if e == 0xF0 {
            isInt = false; header = 5
            length = Int(p[1]) | Int(p[2]) << 8 | Int(p[3]) << 16 | Int(p[4]) << 24
            body = 5 + length
        } else {
            isInt = true
            let n = e == 0xF1 ? 2 : e == 0xF2 ? 3 : e == 0xF3 ? 4 : 8
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(p[1 + k]) << (8 * UInt64(k)) }
            let shift = UInt64(64 - 8 * n)
            int = Int64(bitPattern: v << shift) >> Int64(shift)
            body = 1 + n
        }
        size = body + ListpackLayout.backLengthSize(body)
    }

    /// The entry's text: a view of its bytes (entry at `p`), or an integer formatted at `digits` (20+ bytes).
    @inline(__always) func text(_ p: UnsafePointer<UInt8>, digits: UnsafeMutablePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if isInt { return UnsafeBufferPointer(start: digits, count: ListElement.int(int).writeText(to: digits)) }
        return UnsafeBufferPointer(start: p + header, count: length)
    }
}

/// How listpack entries are sized and written (Redis 7.0's encodings).
enum ListpackLayout {
    static let headerSize = 6

    /// Bytes of the back-length for an entry of `n` bytes: 7 bits a byte, one
    /// size below each power of 128 as Redis's encoder (and ListpackDecoder) has it.
    @inline(__always) static func backLengthSize(_ n: Int) -> Int {
        n < 128 ? 1 : n < 16383 ? 2 : n < 2_097_151 ? 3 : n < 268_435_455 ? 4 : 5
    }

    /// Encoding and data bytes of an integer entry.
    @inline(__always) static func intBodySize(_ v: Int64) -> Int {
        if v >= 0 && v <= 127 { return 1 }
        if v >= -4096 && v <= 4095 { return 2 }
        if v >= -32768 && v <= 32767 { return 3 }
        if v >= -8_388_608 && v <= 8_388_607 { return 4 }
        if v >= -2_147_483_648 && v <= 2_147_483_647 { return 5 }
        return 9
    }

    @inline(__always) static func stringBodySize(_ n: Int) -> Int { (n < 64 ? 1 : n < 4096 ? 2 : 5) + n }

    /// The whole entry for `text` (read as `i`).
    @inline(__always) static func entrySize(_ text: Bytes, _ i: IntText) -> Int { entrySize(text.count, i) }

    /// The whole entry for a text of `n` bytes (read as `i`).
    @inline(__always) static func entrySize(_ n: Int, _ i: IntText) -> Int {
        let body = i.isInt ? intBodySize(i.value) : stringBodySize(n)
        return body + backLengthSize(body)
    }

    /// Writes `text`'s entry (`size` bytes, from `entrySize`) at `out`.
    static func write(_ text: Bytes, _ i: IntText, _ size: Int, to out: UnsafeMutablePointer<UInt8>) {
        text.withUnsafeBytes { write($0, i, size, to: out) }
    }

    /// Writes `text`'s entry (`size` bytes, from `entrySize`) at `out`.
    static func write(_ text: UnsafeRawBufferPointer, _ i: IntText, _ size: Int, to out: UnsafeMutablePointer<UInt8>) {
        var body: Int
        if i.isInt {
            let v = i.value
            body = intBodySize(v)
            let u = UInt64(bitPattern: v)
            switch body {
            case 1: out[0] = UInt8(v)
            case 2:
                let r = UInt64(bitPattern: v) & 0x1FFF
                out[0] = 0xC0 | UInt8(r >> 8)
                out[1] = UInt8(truncatingIfNeeded: r)
            default:
                out[0] = body == 3 ? 0xF1 : body == 4 ? 0xF2 : body == 5 ? 0xF3 : 0xF4
                for k in 0..<(body - 1) { out[1 + k] = UInt8(truncatingIfNeeded: u >> (8 * UInt64(k))) }
            }
        } else {
            let n = text.count
            var h: Int
            if n < 64 {
                out[0] = 0x80 | UInt8(n); h = 1
            } else if n < 4096 {
                out[0] = 0xE0 | UInt8(n >> 8); out[1] = UInt8(truncatingIfNeeded: n); h = 2
            } else {
                out[0] = 0xF0
                for k in 0..<4 { out[1 + k] = UInt8(truncatingIfNeeded: n >> (8 * k)) }
                h = 5
            }
            if n > 0 { memcpy(out + h, text.baseAddress!, n) }
            body = h + n
        }
        // Back-length: the most significant 7-bit group first, every later byte flagged 0x80.
        let bl = size - body
        for k in 0..<bl {
            let group = UInt8(truncatingIfNeeded: body >> (7 * (bl - 1 - k))) & 0x7F
            out[body + k] = k == 0 ? group : group | 0x80
        }
    }

    /// Rewrites the header of the listpack `p` (its total bytes and `elements` entries).
    @inline(__always) static func setHeader(_ p: UnsafeMutableRawBufferPointer, elements: Int) {
        let total = p.count
        for k in 0..<4 { p[k] = UInt8(truncatingIfNeeded: total >> (8 * k)) }
        let c = elements < 65535 ? elements : 65535
        p[4] = UInt8(truncatingIfNeeded: c)
        p[5] = UInt8(truncatingIfNeeded: c >> 8)
    }
}
