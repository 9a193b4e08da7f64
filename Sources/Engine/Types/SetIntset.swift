// SetIntset: the "intset" form of a set of integers, as Redis's intset.
//
// Layout: the elements sorted ascending, little-endian, all in one width (2, 4
// or 8 bytes: the narrowest that holds every element ever added), in a
// PackedBuffer whose tag word is the width. `blob` gives Redis's intset blob
// byte for byte (a 4-byte width, a 4-byte count, then these elements), so the
// RDB writer can store it as is, and `init?(blob:)` reads one back. Adding a
// wider element rewrites everything at the new width (the new element then
// goes first if negative, last if positive); removal never narrows, as in
// Redis. The empty set costs no allocation.
//
// The tricky bit: the buffer grows by exactly one element per insert (not by
// doubling), because compactness is this form's reason to exist.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct IntSet: Equatable, Sendable {
    @usableFromInline var storage = PackedBuffer()

    public init() {}

    /// Element width in bytes (2 for the empty set, as a new Redis intset).
    public var width: Int { storage.tag == 0 ? 2 : Int(storage.tag) }

    public var count: Int { storage.count / width }

    /// Redis's intset blob: width, count (both 4-byte little-endian), elements.
    public var blob: Bytes {
        let n = count, w = width
        var out: Bytes = [UInt8(w), 0, 0, 0,
                          UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
                          UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
        storage.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Bytes allocated for the elements (memory reports, tests).
    public var capacity: Int { storage.capacity }

    /// The narrowest width that holds `v`.
    @inline(__always) static func width(of v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    @inline(__always) static func load(_ p: UnsafeRawBufferPointer, _ i: Int, _ width: Int) -> Int64 {
        let at = i * width
        switch width {
        case 2: return Int64(Int16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case 4: return Int64(Int32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        default: return Int64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int64.self))
        }
    }

    @inline(__always) static func store(_ p: UnsafeMutableRawBufferPointer, _ i: Int, _ width: Int, _ v: Int64) {
        let at = i * width
        switch width {
        case 2: p.storeBytes(of: Int16(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: Int16.self)
        case 4: p.storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: Int32.self)
        default: p.storeBytes(of: v.littleEndian, toByteOffset: at, as: Int64.self)
        }
    }

    /// The element at sorted position `i`.
    public func element(at i: Int) -> Int64 {
        let w = width
        return storage.withUnsafeBytes { IntSet.load($0, i, w) }
    }

    /// Binary search: whether `v` is present, and its position (or where it would go).
    func search(_ v: Int64) -> (found: Bool, position: Int) {
        let n = count
        if n == 0 { return (false, 0) }
        let w = width
        if IntSet.width(of: v) > w { return (false, v < 0 ? 0 : n) }
        return storage.withUnsafeBytes { p -> (Bool, Int) in
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo + hi) >> 1
                let m = IntSet.load(p, mid, w)
                if m == v { return (true, mid) }
                if m < v { lo = mid + 1 } else { hi = mid }
            }
            return (false, lo)
        }
    }

    public func contains(_ v: Int64) -> Bool { search(v).found }

    /// Adds `v`; true when it was not there.
    @discardableResult
    public mutating func insert(_ v: Int64) -> Bool {
        let n = count
        let w = width
        let needed = IntSet.width(of: v)
        if needed > w {
            upgrade(to: needed, adding: v)
            return true
        }
        let (found, pos) = search(v)
        if found { return false }
        storage.reshape(pos * w..<pos * w, to: w)
        storage.withUnsafeMutableBytes { IntSet.store($0, pos, w, v) }
        if n == 0 { storage.setTag(UInt32(w)) }
        return true
    }

    /// Rewrites every element at `newWidth` and adds `v`, which is out of the old range.
    private mutating func upgrade(to newWidth: Int, adding v: Int64) {
        let n = count
        let w = width
        var fresh = PackedBuffer()
        fresh.resize(to: (n + 1) * newWidth)
        let prepend = v < 0 ? 1 : 0
        storage.withUnsafeBytes { old in
            fresh.withUnsafeMutableBytes { p in
                for i in 0..<n { IntSet.store(p, i + prepend, newWidth, IntSet.load(old, i, w)) }
                IntSet.store(p, prepend == 1 ? 0 : n, newWidth, v)
            }
        }
        fresh.setTag(UInt32(newWidth))
        storage = fresh
    }

    /// Removes `v`; true when it was there.
    @discardableResult
    public mutating func remove(_ v: Int64) -> Bool {
        let (found, pos) = search(v)
        guard found else { return false }
        if count == 1 {
            storage.removeAll()
            return true
        }
        let w = width
        storage.reshape(pos * w..<(pos + 1) * w, to: 0)
        return true
    }

    /// Visits the elements in ascending order.
    public func forEach(_ body: (Int64) throws -> Void) rethrows {
        let n = count
        if n == 0 { return }
        let w = width
        try storage.withUnsafeBytes { p in
            for i in 0..<n { try body(IntSet.load(p, i, w)) }
        }
    }

    /// Whether the `n` little-endian `T`s at `p` strictly ascend. One loop per width: a
    /// load checks every element of every intset, and a width switch per element doubled it.
    @inline(__always) static func ascending<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _ n: Int, as _: T.Type) -> Bool {
        guard n > 1 else { return true }
        var previous = T(littleEndian: p.loadUnaligned(as: T.self))
        for i in 1..<n {
            let v = T(littleEndian: p.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            if v <= previous { return false }
            previous = v
        }
        return true
    }

    /// An intset from Redis's blob (an RDB file's), after checking it is well formed.
    public init?(blob: Bytes) {
        guard blob.count >= 8 else { return nil }
        let w = Int(blob[0])
        guard w == 2 || w == 4 || w == 8, blob[1] == 0, blob[2] == 0, blob[3] == 0 else { return nil }
        let n = Int(blob[4]) | Int(blob[5]) << 8 | Int(blob[6]) << 16 | Int(blob[7]) << 24
        guard blob.count == 8 + n * w else { return nil }
        let sorted = blob.withUnsafeBytes { raw -> Bool in
            let p = raw.baseAddress! + 8
            switch w {
            case 2: return IntSet.ascending(p, n, as: Int16.self)
            case 4: return IntSet.ascending(p, n, as: Int32.self)
            default: return IntSet.ascending(p, n, as: Int64.self)
            }
        }
        guard sorted else { return nil }
        if n > 0 {
            blob.withUnsafeBytes { storage.append(UnsafeRawBufferPointer(rebasing: $0[8...])) }
            storage.setTag(UInt32(w))
        }
    }
}
