// SetIntset: the "intset" form of a set of integers, Redis's intset layout.
//
// Layout (little-endian, byte for byte Redis's intset blob, so the RDB writer
// can store it as is): a 4-byte element width (2, 4 or 8), a 4-byte element
// count, then the elements sorted ascending, each in that width. The width is
// the narrowest that holds every element ever added; adding a wider one
// rewrites the whole blob at the new width (the new element then goes first if
// negative, last if positive), and removal never narrows it, as in Redis. An
// empty blob is the empty set and costs no allocation.
//
// The tricky bit: the blob grows by exactly one element per insert (not by
// doubling), because compactness is this form's reason to exist.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct IntSet: Equatable, Sendable {
    /// Redis's intset blob (empty for the empty set).
    public private(set) var blob: Bytes = []

    public init() {}

    /// Element width in bytes (2 for the empty set, as a new Redis intset).
    public var width: Int { blob.isEmpty ? 2 : Int(blob[0]) }

    public var count: Int {
        if blob.isEmpty { return 0 }
        return Int(blob[4]) | Int(blob[5]) << 8 | Int(blob[6]) << 16 | Int(blob[7]) << 24
    }

    private mutating func setHeader(width: Int, count: Int) {
        blob[0] = UInt8(width); blob[1] = 0; blob[2] = 0; blob[3] = 0
        blob[4] = UInt8(truncatingIfNeeded: count)
        blob[5] = UInt8(truncatingIfNeeded: count >> 8)
        blob[6] = UInt8(truncatingIfNeeded: count >> 16)
        blob[7] = UInt8(truncatingIfNeeded: count >> 24)
    }

    /// The narrowest width that holds `v`.
    @inline(__always) static func width(of v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    @inline(__always) static func load(_ p: UnsafeRawBufferPointer, _ i: Int, _ width: Int) -> Int64 {
        let at = 8 + i * width
        switch width {
        case 2: return Int64(Int16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case 4: return Int64(Int32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        default: return Int64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int64.self))
        }
    }

    @inline(__always) static func store(_ p: UnsafeMutableRawBufferPointer, _ i: Int, _ width: Int, _ v: Int64) {
        let at = 8 + i * width
        switch width {
        case 2: p.storeBytes(of: Int16(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: Int16.self)
        case 4: p.storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: Int32.self)
        default: p.storeBytes(of: v.littleEndian, toByteOffset: at, as: Int64.self)
        }
    }

    /// The element at sorted position `i`.
    public func element(at i: Int) -> Int64 {
        let w = width
        return blob.withUnsafeBytes { IntSet.load($0, i, w) }
    }

    /// Binary search: whether `v` is present, and its position (or where it would go).
    func search(_ v: Int64) -> (found: Bool, position: Int) {
        let n = count
        if n == 0 { return (false, 0) }
        let w = width
        if IntSet.width(of: v) > w { return (false, v < 0 ? 0 : n) }
        return blob.withUnsafeBytes { p -> (Bool, Int) in
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
        let newSize = 8 + (n + 1) * w
        if blob.capacity < newSize { blob.reserveCapacity(newSize) }
        if blob.isEmpty {
            blob.append(contentsOf: repeatElement(0, count: 8 + w))
        } else {
            blob.append(contentsOf: repeatElement(0, count: w))
        }
        blob.withUnsafeMutableBytes { p in
            let from = 8 + pos * w
            let tail = (n - pos) * w
            if tail > 0 { memmove(p.baseAddress! + from + w, p.baseAddress! + from, tail) }
            IntSet.store(p, pos, w, v)
        }
        setHeader(width: w, count: n + 1)
        return true
    }

    /// Rewrites every element at `newWidth` and adds `v`, which is out of the old range.
    private mutating func upgrade(to newWidth: Int, adding v: Int64) {
        let n = count
        let w = width
        var fresh = Bytes(repeating: 0, count: 8 + (n + 1) * newWidth)
        let prepend = v < 0 ? 1 : 0
        blob.withUnsafeBytes { old in
            fresh.withUnsafeMutableBytes { p in
                for i in 0..<n { IntSet.store(p, i + prepend, newWidth, IntSet.load(old, i, w)) }
                IntSet.store(p, prepend == 1 ? 0 : n, newWidth, v)
            }
        }
        blob = fresh
        setHeader(width: newWidth, count: n + 1)
    }

    /// Removes `v`; true when it was there.
    @discardableResult
    public mutating func remove(_ v: Int64) -> Bool {
        let (found, pos) = search(v)
        guard found else { return false }
        let n = count
        let w = width
        if n == 1 {
            blob = []
            return true
        }
        blob.withUnsafeMutableBytes { p in
            let at = 8 + pos * w
            let tail = (n - pos - 1) * w
            if tail > 0 { memmove(p.baseAddress! + at, p.baseAddress! + at + w, tail) }
        }
        blob.removeLast(w)
        setHeader(width: w, count: n - 1)
        return true
    }

    /// Visits the elements in ascending order.
    public func forEach(_ body: (Int64) throws -> Void) rethrows {
        let n = count
        if n == 0 { return }
        let w = width
        try blob.withUnsafeBytes { p in
            for i in 0..<n { try body(IntSet.load(p, i, w)) }
        }
    }

    /// A blob read from an RDB file, after checking it is a well-formed intset.
    public init?(blob: Bytes) {
        guard blob.count >= 8 else { return nil }
        let w = Int(blob[0])
        guard [2, 4, 8].contains(w), blob[1] == 0, blob[2] == 0, blob[3] == 0 else { return nil }
        let n = Int(blob[4]) | Int(blob[5]) << 8 | Int(blob[6]) << 16 | Int(blob[7]) << 24
        guard blob.count == 8 + n * w else { return nil }
        let sorted = blob.withUnsafeBytes { p -> Bool in
            var previous: Int64? = nil
            for i in 0..<n {
                let v = IntSet.load(p, i, w)
                if let previous, previous >= v { return false }
                previous = v
            }
            return true
        }
        guard sorted else { return nil }
        self.blob = n == 0 ? [] : blob
    }
}
