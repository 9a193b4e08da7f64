// CRC64: the checksum of the RDB trailer (Jones polynomial, reflected, init 0,
// no final xor), as Redis computes it; "123456789" gives 0xe9c6d914c4b8d9ca.
//
// Contract: `update` folds bytes into a running value; start from 0.
// Tricky bit: the reflected form uses the bit-reversed polynomial.

/// Redis's CRC-64 (Jones).
public enum CRC64 {
    static let reflectedPoly: UInt64 = 0x95AC_9329_AC4B_C9B5
    static let table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ reflectedPoly : c >> 1 }
        return c
    }

    /// Folds `bytes` into `crc`.
    public static func update<C: Collection>(_ crc: UInt64, _ bytes: C) -> UInt64 where C.Element == UInt8 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int(UInt8(truncatingIfNeeded: c) ^ b)] ^ (c >> 8) }
        }
        return c
    }

    /// The checksum of `bytes` alone.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 { update(0, bytes) }
}
