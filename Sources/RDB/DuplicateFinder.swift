// DuplicateFinder: tells whether the fields or members of a small hash or
// sorted set staged from a file's blob repeat: the check it must pass before
// it becomes a packed value whole.
//
// Contract: `hasDuplicates(staging, stride:)` compares staged elements 0,
// stride, 2*stride... by their bytes; `hasDuplicates(texts)` compares texts
// given as (start, length), e.g. views of a listpack blob's string fields
// beside its integer fields' decimal texts staged elsewhere. Integers are
// compared as decimal text, so an integer and the same text compare equal, as
// the engine would store them. No byte past a text is read (a view of a
// blob may end right after it). One finder is reused for every key of a load: its slot
// table grows to the largest value seen and is cleared only when the 16-bit
// generation each call stamps its slots with runs out. No allocation per
// element or per key once warm.
import Engine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reusable duplicate check over staged texts.
final class DuplicateFinder {
    /// Per slot: the generation that filled it (top 16 bits), 16 more bits of the
    /// text's hash (so a probe rarely reads another text to rule it out), and the
    /// element index (low 32).
    private var slots: [UInt64] = []
    private var generation: UInt64 = 0

    /// True when two of the staged elements at 0, stride, 2*stride... have the same bytes.
    func hasDuplicates(_ staging: PackedStaging, stride: Int) -> Bool {
        let base = staging.stagedBytes.baseAddress!
        return hasDuplicates((staging.count + stride - 1) / stride) { k in
            let s = staging.span(k * stride)
            return (base + s.start, s.count)
        }
    }

    /// True when two of the `texts` (start, length) have the same bytes.
    func hasDuplicates(_ texts: UnsafeBufferPointer<Text>) -> Bool {
        hasDuplicates(texts.count) { texts[$0] }
    }

    /// A text to compare: its first byte and its length (any bytes after it may be unreadable).
    typealias Text = (start: UnsafeRawPointer, count: Int)

    /// True when two of the `n` texts `text(0)`... have the same bytes.
    @inline(__always) private func hasDuplicates(_ n: Int, _ text: (Int) -> Text) -> Bool {
        if n < 2 { return false }
        // At most a quarter full, so a probe mostly finds its slot free at once.
        let size = max(16, 1 << (Int.bitWidth - (n * 4 - 1).leadingZeroBitCount))
        if slots.count < size || generation == 0xFFFF {
            slots = Array(repeating: 0, count: max(size, slots.count))
            generation = 0
        }
        generation += 1
        let mask = size - 1
        // The slot is the hash's top bits, which every input bit reaches; the
        // fingerprint is the 16 bits below them.
        let shift = UInt64(64 - size.trailingZeroBitCount)
        let stamp = generation << 48
        return slots.withUnsafeMutableBufferPointer { table in
            for i in 0..<n {
                let s = text(i)
                let hash = Self.hash(s.start, s.count)
                var h = Int(truncatingIfNeeded: hash >> shift)
                let mark = stamp | (hash >> (shift - 16) & 0xFFFF) << 32
                while true {
                    let slot = table[h]
                    if slot & 0xFFFF_0000_0000_0000 != stamp {
                        table[h] = mark | UInt64(i)
                        break
                    }
                    if slot & 0xFFFF_FFFF_0000_0000 == mark {
                        let other = text(Int(truncatingIfNeeded: slot & 0xFFFF_FFFF))
                        if other.count == s.count && Self.same(other.start, s.start, s.count) {
                            return true
                        }
                    }
                    h = (h + 1) & mask
                }
            }
            return false
        }
    }

    /// Whether `count` bytes at `a` and `b` are equal: the first word inline (most
    /// members and fields are short, and a slot collision mostly differs there), then memcmp.
    @inline(__always) private static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        if count < 8 { return tail(a, count) == tail(b, count) }
        guard a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self) else { return false }
        return count == 8 || memcmp(a + 8, b + 8, count - 8) == 0
    }

    /// The `rest` (0...7) bytes at `p` as one little-endian word, reading none past
    /// them: a text may be a view of a file's blob that ends right after it.
    @inline(__always) private static func tail(_ p: UnsafeRawPointer, _ rest: Int) -> UInt64 {
        var t: UInt64 = 0
        var at = 0
        if rest & 4 != 0 { t = UInt64(p.loadUnaligned(as: UInt32.self)); at = 4 }
        if rest & 2 != 0 { t |= UInt64(p.loadUnaligned(fromByteOffset: at, as: UInt16.self)) << (8 * UInt64(at)); at += 2 }
        if rest & 1 != 0 { t |= UInt64(p.load(fromByteOffset: at, as: UInt8.self)) << (8 * UInt64(at)) }
        return t
    }

    /// A fast non-cryptographic hash of `count` bytes at `p` (8 bytes at a time),
    /// good in its top bits. Texts that differ only in their last byte ("field:10",
    /// "field:11") must still spread: the low bits of an earlier version did not,
    /// and a third of a hash's check went to probing chains.
    private static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count &+ 1)
        var i = 0
        while i + 8 <= count {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 32
            i += 8
        }
        // The last 0...7 bytes as one word, read without going past them.
        return (h ^ tail(p + i, count - i)) &* 0x94D0_49BB_1331_11EB
    }
}
