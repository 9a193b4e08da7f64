// HashPacked: the packed ("ziplist") form of a small hash, one byte buffer.
//
// Layout: field, value, field, value ..., each string written as its length
// (LEB128: 7 bits a byte, high bit set on all but the last) followed by its
// bytes; the pair count is the buffer's tag word. Pairs keep insertion order
// and an update rewrites the value where it stands, as Redis's ziplist does;
// lookups are a linear walk, which is what makes the form small and only fit
// for small hashes. An empty hash costs no allocation.
//
// The tricky bit: the buffer (PackedBuffer) grows by exactly what an edit needs
// (an Array's append would double the capacity), because the point of this form
// is its size; the RDB writer can turn it into a real ziplist in one walk.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct PackedPairs: Equatable, Sendable {
    @usableFromInline var storage = PackedBuffer()

    public init() {}

    /// Number of pairs.
    public var count: Int { Int(storage.tag) }

    /// The encoded pairs (without the count), for serializers and tests.
    public var encoded: Bytes { storage.bytes }

    /// Bytes allocated for the encoded pairs (memory reports, tests).
    public var capacity: Int { storage.capacity }

    /// Where one pair lives: the pair's first byte, the value's length prefix, the value bytes, the pair's end.
    struct Location {
        var pairStart: Int
        var valueHeader: Int
        var valueStart: Int
        var end: Int
        var valueLength: Int { end - valueStart }
    }

    /// Finds `field`'s pair.
    func locate(_ field: Bytes) -> Location? {
        let flen = field.count
        return storage.withUnsafeBytes { p -> Location? in
            field.withUnsafeBytes { f -> Location? in
                var i = 0
                let n = p.count
                while i < n {
                    let pairStart = i
                    let fl = readLength(p, &i)
                    let fieldStart = i
                    i += fl
                    let valueHeader = i
                    let vl = readLength(p, &i)
                    let valueStart = i
                    i += vl
                    if fl == flen && (flen == 0 || memcmp(p.baseAddress! + fieldStart, f.baseAddress!, flen) == 0) {
                        return Location(pairStart: pairStart, valueHeader: valueHeader, valueStart: valueStart, end: i)
                    }
                }
                return nil
            }
        }
    }

    /// The value of `field`, or nil.
    public func value(for field: Bytes) -> Bytes? {
        guard let at = locate(field) else { return nil }
        return storage.withUnsafeBytes { Array(UnsafeRawBufferPointer(rebasing: $0[at.valueStart..<at.end])) }
    }

    /// The length of `field`'s value, or nil.
    public func valueLength(for field: Bytes) -> Int? { locate(field)?.valueLength }

    public func contains(_ field: Bytes) -> Bool { locate(field) != nil }

    /// Makes room for `extra` more encoded bytes, growing to exactly the size needed.
    public mutating func reserve(extra: Int) {
        storage.reserve(total: storage.count + extra)
    }

    /// Sets `field` to `value`; true when the field is new (appended at the end).
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        if let at = locate(field) {
            let newLength = lengthSize(value.count) + value.count
            if newLength != at.end - at.valueHeader { storage.reshape(at.valueHeader..<at.end, to: newLength) }
            storage.withUnsafeMutableBytes { p in
                var i = at.valueHeader
                writeLength(value.count, p, &i)
                writeBytes(value, p, &i)
            }
            return false
        }
        let start = storage.count
        let added = lengthSize(field.count) + field.count + lengthSize(value.count) + value.count
        storage.resize(to: start + added)
        storage.withUnsafeMutableBytes { p in
            var i = start
            writeLength(field.count, p, &i)
            writeBytes(field, p, &i)
            writeLength(value.count, p, &i)
            writeBytes(value, p, &i)
        }
        storage.setTag(storage.tag + 1)
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
            storage.setTag(UInt32(n))
        }
        return true
    }

    /// Visits every pair in order, as views into the buffer (valid only during the call).
    public func withPairs(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try storage.withUnsafeBytes { p in
            guard let base = p.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var i = 0
            while i < p.count {
                let fl = readLength(p, &i)
                let f = UnsafeBufferPointer(start: base + i, count: fl)
                i += fl
                let vl = readLength(p, &i)
                let v = UnsafeBufferPointer(start: base + i, count: vl)
                i += vl
                try body(f, v)
            }
        }
    }

    /// Visits every pair in order, as copies.
    public func forEach(_ body: (Bytes, Bytes) throws -> Void) rethrows {
        try withPairs { f, v in try body(Array(f), Array(v)) }
    }
}

// MARK: length prefixes

@inline(__always) func readLength(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> Int {
    var value = 0
    var shift = 0
    while true {
        let b = p[i]
        i += 1
        value |= Int(b & 0x7F) << shift
        if b < 0x80 { return value }
        shift += 7
    }
}

@inline(__always) func lengthSize(_ n: Int) -> Int {
    var size = 1
    var v = n >> 7
    while v > 0 { size += 1; v >>= 7 }
    return size
}

@inline(__always) @usableFromInline func writeLength(_ n: Int, _ p: UnsafeMutableRawBufferPointer, _ i: inout Int) {
    var v = n
    while v >= 0x80 {
        p[i] = UInt8(truncatingIfNeeded: v) | 0x80
        i += 1
        v >>= 7
    }
    p[i] = UInt8(v)
    i += 1
}

@inline(__always) func writeBytes(_ b: Bytes, _ p: UnsafeMutableRawBufferPointer, _ i: inout Int) {
    let n = b.count
    if n > 0 { b.withUnsafeBytes { _ = memcpy(p.baseAddress! + i, $0.baseAddress!, n) } }
    i += n
}
