// InlineBytes: a short byte string held inside the struct that stores it (up
// to 14 bytes), a longer one in a StringBox (its length beside the reference).
// KeyTable entries hold their keys this way, and hash and set tables
// (ByteStringTable) their fields, members and hash values.
//
// Contract: `InlineBytes(bytes).bytes == bytes` for every byte string, and
// `inlineBytes == bytes` compares without allocating. Most keys, fields and
// values are short ("user:1000", "field:12", "value:123456"); a heap array
// costs them a 32-byte header and a malloc chunk (48 bytes for a 10-byte
// string), the inline form nothing beyond its 16 bytes. A longer string's box
// has a 16-byte header where an array has 32 (an 18-byte field: a 48-byte
// block, not 64).
//
// The tricky bit: the size. The inline payload is 15 bytes (14 bytes and the
// length), so with the enum's tag the whole is exactly two words, as big as a
// Bytes reference and the padding it replaces in a KeyTable entry (see
// KeyTable.Entry's field order).


@usableFromInline enum InlineBytes: ExpressibleByArrayLiteral {
    /// Up to `inlineCapacity` bytes, packed little-end first into the first 14 payload
    /// bytes; the last payload byte is the length.
    case inline(UInt64, UInt32, UInt16, UInt8)
    /// A longer string.
    case heap(StringBox, count: UInt32)

    @usableFromInline static let inlineCapacity = 14

    @inlinable init(_ key: Bytes) {
        guard key.count <= InlineBytes.inlineCapacity else {
            self = key.withUnsafeBytes { .heap(StringBox.make($0), count: UInt32($0.count)) }
            return
        }
        var packed: (UInt64, UInt32, UInt16, UInt8) = (0, 0, 0, UInt8(key.count))
        withUnsafeMutableBytes(of: &packed) { dst in
            key.withUnsafeBytes { src in
                if let s = src.baseAddress { dst.baseAddress!.copyMemory(from: s, byteCount: src.count) }
            }
        }
        self = .inline(packed.0, packed.1, packed.2, packed.3)
    }

    /// The empty key (what a free entry holds).
    @inlinable init(arrayLiteral elements: UInt8...) { self.init(elements) }

    /// The bytes, as a new array.
    @inlinable var bytes: Bytes { withBytes { Bytes($0) } }

    /// `hashKey(bytes)`, without allocating: entries keep no hash, so a resize asks the key.
    @inlinable var hash: UInt64 { withBytes { byteHash($0) } }

    /// Whether the key equals `other`, without allocating.
    @inlinable static func == (key: InlineBytes, other: Bytes) -> Bool {
        switch key {
        case .heap(let b, let n):
            guard Int(n) == other.count else { return false }
            return b.withBytes(Int(n)) { mine in other.withUnsafeBytes { equalBytes(mine, $0) } }
        case .inline(let a, let b, let c, let n):
            guard Int(n) == other.count else { return false }
            let packed = (a, b, c, n)
            return withUnsafeBytes(of: packed) { mine in
                other.withUnsafeBytes { theirs in
                    for i in 0..<theirs.count where mine[i] != theirs[i] { return false }
                    return true
                }
            }
        }
    }
}


extension InlineBytes {
    /// Number of bytes.
    @inlinable var count: Int {
        switch self {
        case .heap(_, let n): return Int(n)
        case .inline(_, _, _, let n): return Int(n)
        }
    }

    /// The bytes lent to `body` without a copy.
    @inlinable func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .heap(let b, let n):
            return try b.withBytes(Int(n), body)
        case .inline(let a, let b, let c, let n):
            let packed = (a, b, c, n)
            return try withUnsafeBytes(of: packed) { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(n)))) }
        }
    }

    /// The heap block behind a long string (none for an inline one).
    var heapBytes: Int {
        if case .heap(_, let n) = self { return HeapBlock.sizeClass(HeapBlock.objectHeader + Int(n)) }
        return 0
    }
}
