// HashPackedBuffer: the growable byte buffer behind the compact encodings (the
// packed hash and the intset), in a single allocation.
//
// Contract: a value type with copy-on-write, holding `count` bytes and one
// 32-bit word for its owner (`tag`: a packed hash's pair count, an intset's
// element width). Empty costs no allocation. Growth is exact (to what an edit
// needs, plus whatever malloc rounds up), never geometric. A new buffer can be
// handed out unwritten (`init(uninitializedCount:tag:)`, `baseAddress`), so a
// loader decompresses a file's listpack straight into the value's storage.
//
// Why not [UInt8]: an Array spends 32 bytes of header (object header, count,
// capacity) before its first byte; this buffer spends 24 (object header, then
// the used length and the tag), with its capacity read back from the allocator.
// For the small values these encodings exist for (tens of bytes), that is the
// difference of a malloc size class on most keys.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct PackedBufferHeader {
    @usableFromInline var count: UInt32
    @usableFromInline var tag: UInt32
}

@usableFromInline final class PackedBufferStorage: ManagedBuffer<PackedBufferHeader, UInt8> {}

public struct PackedBuffer: @unchecked Sendable {
    @usableFromInline var storage: PackedBufferStorage? = nil

    public init() {}

    /// A buffer holding a copy of `bytes` (non-empty), allocated at their size.
    public init(copying bytes: UnsafeRawBufferPointer, tag: UInt32) {
        let s = PackedBuffer.allocate(capacity: bytes.count, tag: tag)
        s.withUnsafeMutablePointers { h, e in
            if bytes.count > 0 { memcpy(e, bytes.baseAddress!, bytes.count) }
            h.pointee.count = UInt32(bytes.count)
        }
        storage = s
    }

    /// A buffer of `count` bytes (non-zero) left for the caller to write through
    /// `baseAddress` before anything reads them (a file's blob decompressed in place).
    public init(uninitializedCount count: Int, tag: UInt32) {
        let s = PackedBuffer.allocate(capacity: count, tag: tag)
        s.header.count = UInt32(count)
        storage = s
    }

    /// The first byte, stable while this buffer holds its storage (nil when empty).
    /// Writing through it is for a buffer nothing else shares yet.
    public var baseAddress: UnsafeMutablePointer<UInt8>? {
        storage?.withUnsafeMutablePointerToElements { $0 }
    }

    /// Bytes in use.
    @inlinable public var count: Int { storage.map { Int($0.header.count) } ?? 0 }
    public var isEmpty: Bool { count == 0 }
    /// The owner's word (kept while empty too, but reset by `removeAll`).
    @inlinable public var tag: UInt32 { storage?.header.tag ?? 0 }
    /// Bytes that fit without reallocating.
    public var capacity: Int { storage?.capacity ?? 0 }

    /// Reads the bytes in place.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let storage else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try storage.withUnsafeMutablePointers { h, e in
            try body(UnsafeRawBufferPointer(start: e, count: Int(h.pointee.count)))
        }
    }

    /// Edits the bytes in place (copying them first if another value shares them).
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        makeUnique(capacity: count)
        guard let storage else { return try body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        return try storage.withUnsafeMutablePointers { h, e in
            try body(UnsafeMutableRawBufferPointer(start: e, count: Int(h.pointee.count)))
        }
    }

    public mutating func setTag(_ tag: UInt32) {
        makeUnique(capacity: count)
        if storage == nil { storage = PackedBuffer.allocate(capacity: 0, tag: tag) }
        storage!.header.tag = tag
    }

    /// Makes room for `total` bytes, growing to exactly that (plus malloc's rounding).
    public mutating func reserve(total: Int) {
        makeUnique(capacity: max(total, count))
    }

    /// Resizes to `newCount` bytes; new bytes are zero.
    public mutating func resize(to newCount: Int) {
        makeUnique(capacity: newCount)
        guard let storage else { return }
        storage.withUnsafeMutablePointers { h, e in
            let old = Int(h.pointee.count)
            if newCount > old { (e + old).initialize(repeating: 0, count: newCount - old) }
            h.pointee.count = UInt32(newCount)
        }
    }

    /// Appends `bytes` at the end.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let at = count
        resize(to: at + bytes.count)
        if bytes.count > 0 {
            storage!.withUnsafeMutablePointerToElements { e in _ = memcpy(e + at, bytes.baseAddress!, bytes.count) }
        }
    }

    /// Makes `range` span `newLength` bytes, moving the tail; the bytes of the
    /// range are left as they were (grown part zeroed) for the caller to write.
    public mutating func reshape(_ range: Range<Int>, to newLength: Int) {
        let oldCount = count
        let newCount = oldCount - range.count + newLength
        let tail = oldCount - range.upperBound
        if newCount > oldCount { resize(to: newCount) } else { makeUnique(capacity: oldCount) }
        guard let storage else { return }
        storage.withUnsafeMutablePointers { h, e in
            if tail > 0 && range.count != newLength {
                memmove(e + range.lowerBound + newLength, e + range.upperBound, tail)
            }
            h.pointee.count = UInt32(newCount)
        }
    }

    /// Replaces the bytes in `range` by `bytes`, moving the tail.
    public mutating func replaceSubrange(_ range: Range<Int>, with bytes: UnsafeRawBufferPointer) {
        reshape(range, to: bytes.count)
        if bytes.count > 0 {
            storage!.withUnsafeMutablePointerToElements { e in _ = memcpy(e + range.lowerBound, bytes.baseAddress!, bytes.count) }
        }
    }

    /// Removes the bytes in `range`.
    public mutating func removeSubrange(_ range: Range<Int>) {
        replaceSubrange(range, with: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Drops everything, and the allocation.
    public mutating func removeAll() { storage = nil }

    /// A copy of the bytes as an array.
    public var bytes: Bytes { withUnsafeBytes { Array($0) } }

    // MARK: storage

    @usableFromInline static func allocate(capacity: Int, tag: UInt32) -> PackedBufferStorage {
        let s = PackedBufferStorage.create(minimumCapacity: capacity) { _ in PackedBufferHeader(count: 0, tag: tag) }
        return unsafeDowncast(s, to: PackedBufferStorage.self)
    }

    /// Ensures the storage is unshared and holds at least `capacity` bytes.
    @usableFromInline mutating func makeUnique(capacity: Int) {
        if storage == nil {
            if capacity > 0 { storage = PackedBuffer.allocate(capacity: capacity, tag: 0) }
            return
        }
        if isKnownUniquelyReferenced(&storage) && storage!.capacity >= capacity { return }
        storage = PackedBuffer.copy(of: storage!, capacity: capacity)
    }

    /// A new allocation holding `old`'s bytes and tag, with room for at least `capacity` bytes.
    @usableFromInline static func copy(of old: PackedBufferStorage, capacity: Int) -> PackedBufferStorage {
        let fresh = PackedBuffer.allocate(capacity: max(capacity, Int(old.header.count)), tag: old.header.tag)
        old.withUnsafeMutablePointers { oh, oe in
            fresh.withUnsafeMutablePointers { nh, ne in
                let n = Int(oh.pointee.count)
                ne.initialize(from: oe, count: n)
                nh.pointee.count = UInt32(n)
            }
        }
        return fresh
    }
}

extension PackedBuffer: Equatable {
    public static func == (a: PackedBuffer, b: PackedBuffer) -> Bool {
        a.tag == b.tag && a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in pa.elementsEqual(pb) } }
    }
}
