// HashPacked: the packed ("ziplist") form of a small hash, one byte buffer.
//
// Layout (little-endian): a 4-byte pair count, then field, value, field, value
// ..., each string written as its length (LEB128: 7 bits a byte, high bit set
// on all but the last) followed by its bytes. Pairs keep insertion order and an
// update rewrites the value where it stands, as Redis's ziplist does; lookups
// are a linear walk, which is what makes the form small and only fit for small
// hashes. An empty buffer means an empty hash and costs no allocation.
//
// The tricky bit: the buffer grows by exactly what an edit needs (Swift's append
// would double the capacity), because the point of this form is its size; the
// RDB writer can turn it into a real ziplist in one walk.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct PackedPairs: Equatable, Sendable {
    /// The encoded pairs, as described above.
    public private(set) var buffer: Bytes = []

    public init() {}

    /// Number of pairs.
    public var count: Int {
        if buffer.isEmpty { return 0 }
        return Int(buffer[0]) | Int(buffer[1]) << 8 | Int(buffer[2]) << 16 | Int(buffer[3]) << 24
    }

    private mutating func setCount(_ n: Int) {
        buffer[0] = UInt8(truncatingIfNeeded: n)
        buffer[1] = UInt8(truncatingIfNeeded: n >> 8)
        buffer[2] = UInt8(truncatingIfNeeded: n >> 16)
        buffer[3] = UInt8(truncatingIfNeeded: n >> 24)
    }

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
        if buffer.isEmpty { return nil }
        let flen = field.count
        return buffer.withUnsafeBufferPointer { p -> Location? in
            field.withUnsafeBufferPointer { f -> Location? in
                var i = 4
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
        return Array(buffer[at.valueStart..<at.end])
    }

    /// The length of `field`'s value, or nil.
    public func valueLength(for field: Bytes) -> Int? { locate(field)?.valueLength }

    public func contains(_ field: Bytes) -> Bool { locate(field) != nil }

    /// Makes room for `extra` more bytes, growing to exactly the size needed.
    public mutating func reserve(extra: Int) {
        let need = max(buffer.count, 4) + extra
        if buffer.capacity < need { buffer.reserveCapacity(need) }
    }

    /// Sets `field` to `value`; true when the field is new (appended at the end).
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        if let at = locate(field) {
            if at.valueLength == value.count {
                if !value.isEmpty {
                    buffer.withUnsafeMutableBufferPointer { p in
                        value.withUnsafeBufferPointer { v in
                            _ = memcpy(p.baseAddress! + at.valueStart, v.baseAddress!, v.count)
                        }
                    }
                }
            } else {
                var encoded: Bytes = []
                encoded.reserveCapacity(lengthSize(value.count) + value.count)
                appendLength(value.count, to: &encoded)
                encoded.append(contentsOf: value)
                let grow = encoded.count - (at.end - at.valueHeader)
                if grow > 0 { reserve(extra: grow) }
                buffer.replaceSubrange(at.valueHeader..<at.end, with: encoded)
            }
            return false
        }
        let n = count
        reserve(extra: lengthSize(field.count) + field.count + lengthSize(value.count) + value.count)
        if buffer.isEmpty { buffer.append(contentsOf: [0, 0, 0, 0] as Bytes) }
        appendLength(field.count, to: &buffer)
        buffer.append(contentsOf: field)
        appendLength(value.count, to: &buffer)
        buffer.append(contentsOf: value)
        setCount(n + 1)
        return true
    }

    /// Removes `field`'s pair; true when it was there.
    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        guard let at = locate(field) else { return false }
        let n = count - 1
        if n == 0 {
            buffer = []
        } else {
            buffer.removeSubrange(at.pairStart..<at.end)
            setCount(n)
        }
        return true
    }

    /// Visits every pair in order, as views into the buffer (valid only during the call).
    public func withPairs(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBufferPointer { p in
            var i = 4
            while i < p.count {
                let fl = readLength(p, &i)
                let f = UnsafeBufferPointer(rebasing: p[i..<i + fl])
                i += fl
                let vl = readLength(p, &i)
                let v = UnsafeBufferPointer(rebasing: p[i..<i + vl])
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

@inline(__always) func readLength(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int {
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

@inline(__always) func appendLength(_ n: Int, to buffer: inout Bytes) {
    var v = n
    while v >= 0x80 {
        buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    buffer.append(UInt8(v))
}
