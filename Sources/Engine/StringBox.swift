// StringBox: the heap block of a short string value (Redis's embstr): its bytes
// right after the 16-byte object header, in one allocation.
//
// Why: a byte array puts a 32-byte header (object header, count, capacity)
// before its bytes, so "value:123456" takes a 48-byte block; a box takes 32.
// The length lives beside the reference in the value itself
// (`StringValue.embedded`), where the enum had room for it.
//
// Contract: a box holds `StringBox.capacity(for: count)` bytes, the whole of
// the allocator size class a request for `count` bytes lands in, so a later
// string of the same class can be written over it in place (SET overwriting a
// key) with no allocation; the capacity follows from the length alone, so
// nothing else is stored. Bytes past the length are unspecified. A box is
// written only while it is uniquely referenced (a snapshot or a reply may
// share it).

@usableFromInline final class StringBoxStorage: ManagedBuffer<Void, UInt8> {}

/// A reference to a box (Sendable as values are: a box is written only while unique).
public struct StringBox: @unchecked Sendable {
    @usableFromInline var storage: StringBoxStorage

    /// Bytes a box made for `count` bytes holds: the rest of its size class.
    @inlinable public static func capacity(for count: Int) -> Int {
        HeapBlock.sizeClass(HeapBlock.objectHeader + count) - HeapBlock.objectHeader
    }

    /// A new box holding `bytes`.
    @inlinable public static func make(_ bytes: UnsafeRawBufferPointer) -> StringBox {
        let made = StringBoxStorage.create(minimumCapacity: capacity(for: bytes.count)) { _ in }
        let box = StringBox(storage: unsafeDowncast(made, to: StringBoxStorage.self))
        box.write(bytes)
        return box
    }

    @inlinable init(storage: StringBoxStorage) { self.storage = storage }

    /// Writes `bytes` over a box that held `old` bytes, when nothing else holds the box
    /// and they need the same size class (what a fresh box for them would get); false otherwise.
    @inlinable public mutating func overwrite(with bytes: UnsafeRawBufferPointer, replacing old: Int) -> Bool {
        guard Self.capacity(for: bytes.count) == Self.capacity(for: old), isKnownUniquelyReferenced(&storage) else {
            return false
        }
        write(bytes)
        return true
    }

    /// Writes `bytes` at the start (the caller knows they fit and nobody else reads the box).
    @inlinable func write(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        storage.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0).copyMemory(from: src, byteCount: bytes.count) }
    }

    /// The first `count` bytes, lent to `body`.
    @inlinable public func withBytes<R>(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointerToElements { try body(UnsafeRawBufferPointer(start: $0, count: count)) }
    }

    /// The block's address (defrag asks the allocator about it).
    var address: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(storage).toOpaque()) }
}
