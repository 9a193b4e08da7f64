// ByteHash: hashing and comparing byte strings for the engine's tables (the
// keyspace's KeyTable, the members of hashes, sets and sorted sets).
//
// The hash is SipHash-1-3 under a key drawn at start-up, the function Swift's
// Hasher computes (and a relative of Redis's keyed SipHash): an attacker who
// cannot see the key cannot choose colliding keys. Written out here, over
// 8-byte words and inlined, because Hasher's general streaming interface
// (buffering, seeding, finalising through calls into the runtime) cost about as
// much as the rest of a lookup: every command hashes its key.
//
// Comparing is in Swift rather than memcmp for a similar reason: around an
// opaque C call the compiler retains and releases the array it reads to keep it
// alive, an atomic pair on every lookup.

#if canImport(Glibc)
import Glibc
#endif

/// The process's SipHash key: random, or fixed (zero) when SWIFT_DETERMINISTIC_HASHING is
/// set, as Swift's Hasher does, so that a simulator seed or a test replays its tables'
/// orders (SCAN, RANDOMKEY, eviction samples) the same way.
@usableFromInline let byteHashKey: (UInt64, UInt64) = {
    if getenv("SWIFT_DETERMINISTIC_HASHING") != nil { return (0, 0) }
    var g = SystemRandomNumberGenerator()
    return (g.next(), g.next())
}()

@inlinable @inline(__always) func rotateLeft(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 - n)) }

@usableFromInline struct SipState {
    @usableFromInline var v0, v1, v2, v3: UInt64

    @inlinable @inline(__always) init(key: (UInt64, UInt64)) {
        v0 = key.0 ^ 0x736f_6d65_7073_6575
        v1 = key.1 ^ 0x646f_7261_6e64_6f6d
        v2 = key.0 ^ 0x6c79_6765_6e65_7261
        v3 = key.1 ^ 0x7465_6462_7974_6573
    }

    @inlinable @inline(__always) mutating func round() {
        v0 &+= v1; v1 = rotateLeft(v1, 13); v1 ^= v0; v0 = rotateLeft(v0, 32)
        v2 &+= v3; v3 = rotateLeft(v3, 16); v3 ^= v2
        v0 &+= v3; v3 = rotateLeft(v3, 21); v3 ^= v0
        v2 &+= v1; v1 = rotateLeft(v1, 17); v1 ^= v2; v2 = rotateLeft(v2, 32)
    }

    /// One compression round per message word (the "1" of SipHash-1-3).
    @inlinable @inline(__always) mutating func absorb(_ m: UInt64) {
        v3 ^= m
        round()
        v0 ^= m
    }

    /// Three finalisation rounds (the "3").
    @inlinable @inline(__always) mutating func finish() -> UInt64 {
        v2 ^= 0xff
        round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

/// SipHash-1-3 of `bytes` under the process key.
@inlinable func byteHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var s = SipState(key: byteHashKey)
    let n = bytes.count
    var i = 0
    if n >= 8 {
        let p = bytes.baseAddress!
        while i + 8 <= n {
            s.absorb(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
    }
    // The last word: the 0-7 bytes left, and the length in the top byte.
    var last = UInt64(truncatingIfNeeded: n) << 56
    var shift: UInt64 = 0
    while i < n {
        last |= UInt64(bytes[i]) << shift
        shift += 8
        i += 1
    }
    s.absorb(last)
    return s.finish()
}

/// Whether two buffers hold the same bytes.
@inlinable public func equalBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = a.count
    guard n == b.count else { return false }
    guard n > 0 else { return true }
    let pa = a.baseAddress!, pb = b.baseAddress!
    var i = 0
    while i + 8 <= n {
        if pa.loadUnaligned(fromByteOffset: i, as: UInt64.self) != pb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if pa.load(fromByteOffset: i, as: UInt8.self) != pb.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// True when `a` and `b` hold the same bytes.
@inlinable public func bytesEqual(_ a: Bytes, _ b: Bytes) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in equalBytes(pa, pb) } }
}
