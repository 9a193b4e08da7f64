// HyperLogLog: Redis's HLL string format and algorithms, so an HLL moves between
// Cairn and Redis (RDB, DUMP/RESTORE, replication) byte for byte and counts the same.
//
// Layout: a 16-byte header — "HYLL", the encoding (0 dense, 1 sparse), three zero
// bytes, the cached cardinality as 8 little-endian bytes whose top bit set means
// "stale" — then the registers: 16384 six-bit registers packed little-endian
// (dense), or run-length opcodes (sparse): ZERO 00xxxxxx (1-64 zeros), XZERO
// 01xxxxxx yyyyyyyy (1-16384 zeros), VAL 1vvvvvxx (value 1-32 repeated 1-4 times).
// Sparse updates follow Redis's own splice-and-merge steps, so the bytes match the
// ones Redis would write for the same adds. Counting is Redis 4.0's (HyperLogLogCount.swift).

public enum HyperLogLog {
    public static let registerCount = 16384
    static let precision = 14
    static let headerSize = 16
    public static let denseSize = headerSize + (registerCount * 6 + 7) / 8
    static let sparseValMax = 32
    static let sparseValMaxLength = 4
    static let sparseZeroMaxLength = 64
    static let sparseXZeroMaxLength = 16384
    static let magic: [UInt8] = Array("HYLL".utf8)

    public enum Failure: Error { case corrupt }

    /// A new, empty HLL in the sparse encoding, with a valid cached cardinality of 0.
    public static func empty() -> Bytes {
        var b = magic + [1, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        let run = registerCount - 1
        b += [UInt8(0x40 | (run >> 8)), UInt8(run & 0xFF)]
        return b
    }

    /// True when `b` has the shape of an HLL (WRONGTYPE otherwise, as Redis checks).
    public static func isValid(_ b: Bytes) -> Bool {
        guard b.count >= headerSize, Array(b[0..<4]) == magic, b[4] <= 1 else { return false }
        return b[4] == 1 || b.count == denseSize
    }

    static func isSparse(_ b: Bytes) -> Bool { b[4] == 1 }

    // MARK: hashing

    /// MurmurHash64A, the endian-neutral variant Redis uses, seed 0xadc83b19.
    public static func murmur64A(_ key: Bytes, seed: UInt32 = 0xadc8_3b19) -> UInt64 {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        let r: UInt64 = 47
        let len = key.count
        var h = UInt64(seed) ^ (UInt64(len) &* m)
        let blocks = len / 8
        for i in 0..<blocks {
            var k: UInt64 = 0
            for j in 0..<8 { k |= UInt64(key[i * 8 + j]) << (UInt64(j) * 8) }
            k = k &* m
            k ^= k >> r
            k = k &* m
            h ^= k
            h = h &* m
        }
        let tail = len & 7
        if tail > 0 {
            for j in stride(from: tail - 1, through: 0, by: -1) { h ^= UInt64(key[blocks * 8 + j]) << (UInt64(j) * 8) }
            h = h &* m
        }
        h ^= h >> r
        h = h &* m
        h ^= h >> r
        return h
    }

    /// The register an element lands in and the run length it proposes (1...50):
    /// Redis 4.0 counts zeros from bit 14 with bit 63 forced on (5.0 and later
    /// keep bit 63 and can propose 51).
    static func position(of element: Bytes) -> (index: Int, count: UInt8) {
        let hash = murmur64A(element) | (UInt64(1) << 63)
        let index = Int(hash & UInt64(registerCount - 1))
        return (index, UInt8((hash >> UInt64(precision)).trailingZeroBitCount + 1))
    }

    // MARK: dense registers

    static func denseGet(_ b: Bytes, _ i: Int) -> UInt8 {
        let bit = i * 6
        let byte = headerSize + bit / 8
        let shift = bit & 7
        let lo = Int(b[byte]) >> shift
        let hi = byte + 1 < b.count ? Int(b[byte + 1]) << (8 - shift) : 0
        return UInt8((lo | hi) & 63)
    }

    static func denseSet(_ b: inout Bytes, _ i: Int, _ v: UInt8) {
        let bit = i * 6
        let byte = headerSize + bit / 8
        let shift = bit & 7
        b[byte] &= ~UInt8(truncatingIfNeeded: 63 << shift)
        b[byte] |= UInt8(truncatingIfNeeded: Int(v) << shift)
        if byte + 1 < b.count {
            b[byte + 1] &= ~UInt8(truncatingIfNeeded: 63 >> (8 - shift))
            b[byte + 1] |= UInt8(truncatingIfNeeded: Int(v) >> (8 - shift))
        }
    }

    // MARK: registers of either encoding

    /// One sparse opcode: a run of `length` registers holding `value` (0 for ZERO
    /// and XZERO), `xzero` for the two-byte form.
    public struct SparseRun {
        public var length: Int
        public var value: UInt8
        public var xzero: Bool
    }

    /// Calls `body` with each opcode of a sparse HLL in order until it returns false;
    /// throws when the last opcode is cut short.
    public static func forEachSparseRun(_ b: Bytes, _ body: (SparseRun) -> Bool) throws {
        var p = headerSize
        while p < b.count {
            let op = b[p]
            let run: SparseRun
            if op & 0xC0 == 0 {
                run = SparseRun(length: Int(op & 0x3F) + 1, value: 0, xzero: false)
                p += 1
            } else if op & 0xC0 == 0x40 {
                guard p + 1 < b.count else { throw Failure.corrupt }
                run = SparseRun(length: (Int(op & 0x3F) << 8 | Int(b[p + 1])) + 1, value: 0, xzero: true)
                p += 2
            } else {
                run = SparseRun(length: Int(op & 3) + 1, value: ((op >> 2) & 0x1F) + 1, xzero: false)
                p += 1
            }
            if !body(run) { return }
        }
    }

    /// Every register's value (the "raw" form used for merging and counting).
    public static func registers(_ b: Bytes) throws -> [UInt8] {
        if !isSparse(b) { return (0..<registerCount).map { denseGet(b, $0) } }
        var regs = [UInt8](repeating: 0, count: registerCount)
        var idx = 0
        try forEachSparseRun(b) { run in
            // A run past the last register is corrupt (Redis stops at it).
            guard idx + run.length <= registerCount else { idx = -1; return false }
            if run.value != 0 { for k in 0..<run.length { regs[idx + k] = run.value } }
            idx += run.length
            return true
        }
        guard idx == registerCount else { throw Failure.corrupt }
        return regs
    }

    /// Converts to the dense encoding, keeping the header (magic, cached cardinality).
    public static func toDense(_ b: Bytes) throws -> Bytes {
        guard isSparse(b) else { return b }
        let regs = try registers(b)
        var dense = Array(b[0..<headerSize]) + [UInt8](repeating: 0, count: denseSize - headerSize)
        dense[4] = 0
        for (i, v) in regs.enumerated() where v != 0 { denseSet(&dense, i, v) }
        return dense
    }

    static func invalidateCache(_ b: inout Bytes) { b[15] |= 0x80 }

    /// Marks the cached cardinality stale.
    public static func invalidate(_ b: inout Bytes) { invalidateCache(&b) }


    /// Raises register `i` to `v` in either encoding (PFMERGE's per-register write,
    /// which may promote a sparse HLL to dense as an add would).
    public static func raiseRegister(_ b: inout Bytes, _ i: Int, _ v: UInt8, sparseMaxBytes: Int) throws {
        if isSparse(b) {
            _ = try sparseSet(&b, i, v, sparseMaxBytes: sparseMaxBytes)
        } else if denseGet(b, i) < v {
            denseSet(&b, i, v)
        }
    }

    // MARK: adding

    /// Adds `element`; true when a register changed. May convert `b` to dense.
    public static func add(_ b: inout Bytes, _ element: Bytes, sparseMaxBytes: Int) throws -> Bool {
        let (index, count) = position(of: element)
        if !isSparse(b) {
            guard denseGet(b, index) < count else { return false }
            denseSet(&b, index, count)
            invalidateCache(&b)
            return true
        }
        return try sparseSet(&b, index, count, sparseMaxBytes: sparseMaxBytes)
    }

    /// Redis's hllSparseSet: find the opcode covering `index`, splice in up to three
    /// opcodes, merge equal neighbouring VALs; promote to dense when a value or the
    /// size no longer fits the sparse form.
    static func sparseSet(_ b: inout Bytes, _ index: Int, _ count: UInt8, sparseMaxBytes: Int) throws -> Bool {
        if Int(count) > sparseValMax { return try promote(&b, index, count) }
        var p = headerSize
        var first = 0
        var prev: Int? = nil
        var span = 0
        while p < b.count {
            let op = b[p]
            var oplen = 1
            if op & 0xC0 == 0 {
                span = Int(op & 0x3F) + 1
            } else if op & 0x80 != 0 {
                span = Int(op & 3) + 1
            } else {
                guard p + 1 < b.count else { throw Failure.corrupt }
                span = (Int(op & 0x3F) << 8 | Int(b[p + 1])) + 1
                oplen = 2
            }
            if index <= first + span - 1 { break }
            prev = p
            p += oplen
            first += span
        }
        guard span > 0, p < b.count else { throw Failure.corrupt }
        let op = b[p]
        let isVal = op & 0x80 != 0
        let isXZero = op & 0xC0 == 0x40
        let isZero = op & 0xC0 == 0
        let runLength = span

        if isVal {
            let old = ((op >> 2) & 0x1F) + 1
            if old >= count { return false }
            if runLength == 1 {
                b[p] = valOpcode(count, 1)
                mergeAndInvalidate(&b, from: prev ?? headerSize)
                return true
            }
        }
        if isZero && runLength == 1 {
            b[p] = valOpcode(count, 1)
            mergeAndInvalidate(&b, from: prev ?? headerSize)
            return true
        }

        var seq: [UInt8] = []
        let last = first + span - 1
        if isZero || isXZero {
            if index != first { appendZeros(&seq, index - first) }
            seq.append(valOpcode(count, 1))
            if index != last { appendZeros(&seq, last - index) }
        } else {
            let current = ((op >> 2) & 0x1F) + 1
            if index != first { seq.append(valOpcode(current, index - first)) }
            seq.append(valOpcode(count, 1))
            if index != last { seq.append(valOpcode(current, last - index)) }
        }
        let oldLength = isXZero ? 2 : 1
        let delta = seq.count - oldLength
        if delta > 0 && b.count + delta > sparseMaxBytes { return try promote(&b, index, count) }
        b.replaceSubrange(p..<(p + oldLength), with: seq)
        mergeAndInvalidate(&b, from: prev ?? headerSize)
        return true
    }

    static func valOpcode(_ value: UInt8, _ length: Int) -> UInt8 {
        0x80 | ((value - 1) << 2) | UInt8(length - 1)
    }

    static func appendZeros(_ seq: inout [UInt8], _ length: Int) {
        if length > sparseZeroMaxLength {
            let l = length - 1
            seq += [UInt8(0x40 | (l >> 8)), UInt8(l & 0xFF)]
        } else {
            seq.append(UInt8(length - 1))
        }
    }

    /// Merges adjacent VAL opcodes of equal value, scanning up to five opcodes from `start`.
    static func mergeAndInvalidate(_ b: inout Bytes, from start: Int) {
        var p = start
        var scan = 5
        while p < b.count && scan > 0 {
            scan -= 1
            let op = b[p]
            if op & 0xC0 == 0x40 { p += 2; continue }
            if op & 0xC0 == 0 { p += 1; continue }
            if p + 1 < b.count && b[p + 1] & 0x80 != 0 {
                let v1 = (op >> 2) & 0x1F
                let v2 = (b[p + 1] >> 2) & 0x1F
                if v1 == v2 {
                    let length = Int(op & 3) + Int(b[p + 1] & 3) + 2
                    if length <= sparseValMaxLength {
                        b[p + 1] = valOpcode(v1 + 1, length)
                        b.remove(at: p)
                        continue
                    }
                }
            }
            p += 1
        }
        invalidateCache(&b)
    }

    static func promote(_ b: inout Bytes, _ index: Int, _ count: UInt8) throws -> Bool {
        b = try toDense(b)
        denseSet(&b, index, count)
        invalidateCache(&b)
        return true
    }

    // MARK: counting

    /// The cached cardinality, when the cache is valid.
    public static func cachedCardinality(_ b: Bytes) -> UInt64? {
        guard b[15] & 0x80 == 0 else { return nil }
        var v: UInt64 = 0
        for j in 0..<8 { v |= UInt64(b[8 + j]) << (UInt64(j) * 8) }
        return v
    }

    public static func storeCardinality(_ b: inout Bytes, _ v: UInt64) {
        for j in 0..<8 { b[8 + j] = UInt8(truncatingIfNeeded: v >> (UInt64(j) * 8)) }
    }
}
