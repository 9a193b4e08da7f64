// KeyTableKey: how a KeyTable entry holds its key: up to 14 bytes inside the
// entry itself, a longer key as a heap byte array.
//
// Contract: `EntryKey(bytes).bytes == bytes` for every byte string, and
// `entryKey == bytes` compares without allocating. Most keys are short
// ("user:1000", "key:123456"); a heap array costs them a 32-byte header and a
// malloc chunk (48 bytes for a 10-byte key), the inline form nothing beyond
// the entry's 16 bytes.
//
// The tricky bit: the size. The inline payload is 15 bytes (14 key bytes and
// the length), so with the enum's tag the key is exactly two words, as big as
// the Bytes reference and the padding it replaces in the entry (see
// KeyTable.Entry's field order).


@usableFromInline enum EntryKey: ExpressibleByArrayLiteral {
    /// Up to `inlineCapacity` bytes, packed little-end first into the first 14 payload
    /// bytes; the last payload byte is the length.
    case inline(UInt64, UInt32, UInt16, UInt8)
    /// A longer key.
    case heap(Bytes)

    @usableFromInline static let inlineCapacity = 14

    @inlinable init(_ key: Bytes) {
        guard key.count <= EntryKey.inlineCapacity else {
            self = .heap(key)
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

    /// The key's bytes (a new array for an inline key).
    @inlinable var bytes: Bytes {
        switch self {
        case .heap(let b):
            return b
        case .inline(let a, let b, let c, let n):
            let packed = (a, b, c, n)
            return withUnsafeBytes(of: packed) { Bytes($0.prefix(Int(n))) }
        }
    }

    /// `hashKey(bytes)`, without allocating: entries keep no hash, so a resize asks the key.
    @inlinable var hash: UInt64 {
        switch self {
        case .heap(let b):
            return hashKey(b)
        case .inline(let a, let b, let c, let n):
            let packed = (a, b, c, n)
            return withUnsafeBytes(of: packed) { byteHash(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(n)))) }
        }
    }

    /// Whether the key equals `other`, without allocating.
    @inlinable static func == (key: EntryKey, other: Bytes) -> Bool {
        switch key {
        case .heap(let b):
            guard b.count == other.count else { return false }
            return b.withUnsafeBytes { mine in other.withUnsafeBytes { equalBytes(mine, $0) } }
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

