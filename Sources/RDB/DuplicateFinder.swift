// DuplicateFinder: tells whether a packed blob's fields or members repeat,
// without copying them: the check a file's small hash, set or sorted set must
// pass before it is adopted whole.
//
// Contract: `hasDuplicates(elements, stride:)` compares elements 0, stride,
// 2*stride... as text (an integer entry equals the bytes of its canonical
// decimal text, as the engine would store and compare them). One finder is
// reused for every key of a load: its slot table grows to the largest blob
// seen and is never cleared, since each call stamps its slots with a new
// generation. No allocation per element or per key once warm.
// Tricky bit: an integer and its text must land in the same slot, so an
// element that parses as a canonical integer is hashed by its value.
import Engine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reusable duplicate check over element views.
final class DuplicateFinder {
    /// Per slot: the generation that filled it (high 32 bits) and the element index (low 32).
    private var slots: [UInt64] = []
    private var generation: UInt64 = 0

    /// True when two of the elements at 0, stride, 2*stride... are equal as text.
    func hasDuplicates(_ elements: [ListElement], stride: Int) -> Bool {
        let n = (elements.count + stride - 1) / stride
        if n < 2 { return false }
        let size = max(16, 1 << (Int.bitWidth - (n * 2 - 1).leadingZeroBitCount))
        if slots.count < size || generation == UInt64(UInt32.max) {
            slots = Array(repeating: 0, count: max(size, slots.count))
            generation = 0
        }
        generation += 1
        let mask = size - 1
        return slots.withUnsafeMutableBufferPointer { table in
            for i in Swift.stride(from: 0, to: elements.count, by: stride) {
                let e = elements[i]
                let int = e.canonicalInt
                var h = Int(truncatingIfNeeded: int.map(Self.mix) ?? Self.hash(e)) & mask
                while true {
                    let s = table[h]
                    if s >> 32 != generation {
                        table[h] = generation << 32 | UInt64(i)
                        break
                    }
                    if Self.equal(elements[Int(truncatingIfNeeded: s & 0xFFFF_FFFF)], e, int) { return true }
                    h = (h + 1) & mask
                }
            }
            return false
        }
    }

    private static func mix(_ v: Int64) -> UInt64 {
        var x = UInt64(bitPattern: v) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return x &* 0xBF58_476D_1CE4_E5B9 ^ (x >> 32)
    }

    /// A fast non-cryptographic hash of a byte element (8 bytes at a time).
    private static func hash(_ e: ListElement) -> UInt64 {
        guard case .bytes(let b) = e else { return 0 }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(b.count)
        var i = 0
        while i + 8 <= b.count {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        while i < b.count { tail = tail << 8 | UInt64(b[i]); i += 1 }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 29)
    }

    /// Equal as text; `int` is `b`'s integer reading, if any.
    private static func equal(_ a: ListElement, _ b: ListElement, _ int: Int64?) -> Bool {
        if let v = int { return a.canonicalInt == v }
        guard case .bytes(let x) = a, case .bytes(let y) = b, x.count == y.count else { return false }
        return x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
    }
}

extension ListElement {
    /// The integer this element's text is the canonical form of, if any.
    var canonicalInt: Int64? {
        switch self {
        case .int(let v): return v
        case .bytes(let b): return b.count <= 20 ? parseInt64(b) : nil
        }
    }
}
