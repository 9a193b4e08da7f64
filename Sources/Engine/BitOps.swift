// BitOps: the bit-level operations behind SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP
// and BITFIELD, on plain byte strings.
//
// Contract: bits are numbered as Redis numbers them, from the most significant bit
// of the first byte (offset 0 is 0x80 of byte 0). Reads past the end of a string see
// zero bits; writers grow the string with zero bytes first. Bitfields of 1...64 bits
// (signed) or 1...63 bits (unsigned) are carried in an Int64 either way.
//
// The tricky bit: BITFIELD's overflow rules. WRAP keeps the low `bits` bits
// (sign-extended for signed fields), SAT clamps to the type's bounds, FAIL refuses.
// A SET is an increment of 0 from the given value. The direction of a signed
// overflow is judged as Redis judges it, with `max - value` in wrapping 64-bit
// arithmetic: so SET of a value near Int64.min into a narrow field overflows
// *upwards* (SAT stores the maximum), exactly as Redis 4.0 and 7.0 do. An unsigned
// SET of a negative number is an overflow upwards (its two's complement is huge).

// MARK: offsets and single bits

/// Parses a bit offset argument: a non-negative integer addressing a bit inside a
/// 512 MB string. With `unitBits` > 0 (BITFIELD), `#N` means N * unitBits.
/// Nil for anything else, including a `#N` whose product overflows.
public func parseBitOffset(_ arg: Bytes, unitBits: Int = 0) -> Int? {
    var v: Int64
    if unitBits > 0, arg.first == UInt8(ascii: "#") {
        guard let n = Array(arg.dropFirst()).parseInt64() else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: Int64(unitBits))
        if overflow { return nil }
        v = product
    } else {
        guard let n = arg.parseInt64() else { return nil }
        v = n
    }
    if v < 0 || (UInt64(v) >> 3) >= UInt64(maxStringLength) { return nil }
    return Int(v)
}

/// The bit at `offset` (0 or 1); 0 past the end.
@inlinable public func bit(at offset: Int, in bytes: Bytes) -> Int {
    let byte = offset >> 3
    guard byte < bytes.count else { return 0 }
    return Int(bytes[byte] >> (7 - UInt8(offset & 7))) & 1
}

extension Array where Element == UInt8 {
    /// Sets the bit at `offset` to `on`, growing the string as needed; returns the old bit.
    @discardableResult
    public mutating func setBit(at offset: Int, to on: Bool) -> Int {
        let byte = offset >> 3
        growZeroed(to: byte + 1)
        let mask = UInt8(0x80) >> UInt8(offset & 7)
        let old = self[byte] & mask != 0 ? 1 : 0
        if on { self[byte] |= mask } else { self[byte] &= ~mask }
        return old
    }
}

// MARK: counting and searching

/// The number of set bits in `bytes[range]` (BITCOUNT).
public func popcount(_ bytes: Bytes, _ range: Range<Int>) -> Int {
    bytes.withUnsafeBytes { raw -> Int in
        var i = range.lowerBound
        let end = range.upperBound
        var total = 0
        while i + 8 <= end {
            total += raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            i += 8
        }
        while i < end {
            total += raw[i].nonzeroBitCount
            i += 1
        }
        return total
    }
}

/// The position, in bits from the start of `bytes[range]`, of the first bit equal to
/// `one ? 1 : 0` (BITPOS). When there is none: -1 for a 1 bit, and the first bit
/// after the range for a 0 bit (the string reads as zero-padded to the right).
public func firstBit(_ one: Bool, in bytes: Bytes, _ range: Range<Int>) -> Int {
    let skipWord: UInt64 = one ? 0 : ~0
    let skipByte: UInt8 = one ? 0 : 0xFF
    return bytes.withUnsafeBytes { raw -> Int in
        var i = range.lowerBound
        let end = range.upperBound
        while i + 8 <= end && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == skipWord { i += 8 }
        while i < end && raw[i] == skipByte { i += 1 }
        if i == end { return one ? -1 : range.count * 8 }
        let b = one ? raw[i] : ~raw[i]
        return (i - range.lowerBound) * 8 + b.leadingZeroBitCount
    }
}

// MARK: BITOP

/// The operations BITOP applies.
public enum BitOperation: Sendable {
    case and, or, xor, not

    /// Parses BITOP's operation name, case-insensitively.
    public init?(name: Bytes) {
        switch name.text.lowercased() {
        case "and": self = .and
        case "or": self = .or
        case "xor": self = .xor
        case "not": self = .not
        default: return nil
        }
    }
}

/// BITOP's result over `sources` (missing keys given as empty strings): as long as
/// the longest source, shorter ones read as zero-padded. NOT takes one source.
public func bitOperation(_ op: BitOperation, _ sources: [Bytes]) -> Bytes {
    let length = sources.reduce(0) { Swift.max($0, $1.count) }
    guard length > 0, let first = sources.first else { return [] }
    var result = first
    result.growZeroed(to: length)
    if op == .not {
        result.withUnsafeMutableBytes { r in
            var i = 0
            while i + 8 <= length {
                r.storeBytes(of: ~r.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < length { r[i] = ~r[i]; i += 1 }
        }
        return result
    }
    for source in sources.dropFirst() {
        result.withUnsafeMutableBytes { r in
            source.withUnsafeBytes { s in
                let n = s.count
                var i = 0
                while i + 8 <= n {
                    let a = r.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let b = s.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let c: UInt64
                    switch op {
                    case .and: c = a & b
                    case .or: c = a | b
                    default: c = a ^ b
                    }
                    r.storeBytes(of: c, toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < n {
                    switch op {
                    case .and: r[i] &= s[i]
                    case .or: r[i] |= s[i]
                    default: r[i] ^= s[i]
                    }
                    i += 1
                }
                // AND with the zero padding of a shorter source clears the rest.
                if op == .and && n < length {
                    (r.baseAddress! + n).initializeMemory(as: UInt8.self, repeating: 0, count: length - n)
                }
            }
        }
    }
    return result
}

// MARK: BITFIELD

/// A bitfield type: `i1`...`i64` or `u1`...`u63`.
public struct BitfieldType: Equatable, Sendable {
    public let signed: Bool
    public let bits: Int

    public init(signed: Bool, bits: Int) {
        precondition(bits >= 1 && bits <= (signed ? 64 : 63))
        self.signed = signed
        self.bits = bits
    }

    /// Parses `i<bits>` / `u<bits>` (lowercase prefix, as Redis accepts); nil if invalid.
    public init?(parsing arg: Bytes) {
        guard let prefix = arg.first, prefix == UInt8(ascii: "i") || prefix == UInt8(ascii: "u"),
              let n = Array(arg.dropFirst()).parseInt64() else { return nil }
        let signed = prefix == UInt8(ascii: "i")
        guard n >= 1 && n <= (signed ? 64 : 63) else { return nil }
        self.init(signed: signed, bits: Int(n))
    }

    /// The largest value the field holds.
    public var max: Int64 { signed ? Int64.max >> (64 - bits) : Int64((UInt64(1) << UInt64(bits)) - 1) }
    /// The smallest value the field holds.
    public var min: Int64 { signed ? -max - 1 : 0 }

    /// `raw`'s low `bits` bits as a value of this type (sign-extended when signed).
    @inlinable func truncating(_ raw: UInt64) -> Int64 {
        if bits == 64 { return Int64(bitPattern: raw) }
        let low = raw & ((UInt64(1) << UInt64(bits)) - 1)
        if signed && low & (UInt64(1) << UInt64(bits - 1)) != 0 {
            return Int64(bitPattern: low | (~0 << UInt64(bits)))
        }
        return Int64(bitPattern: low)
    }
}

/// What BITFIELD does when a SET or INCRBY leaves the field's range.
public enum BitfieldOverflow: Sendable {
    case wrap, sat, fail

    /// Parses OVERFLOW's argument, case-insensitively.
    public init?(name: Bytes) {
        switch name.text.lowercased() {
        case "wrap": self = .wrap
        case "sat": self = .sat
        case "fail": self = .fail
        default: return nil
        }
    }
}

/// Reads the field of `type` at bit `offset`; bits past the end read as 0.
public func readBitfield(_ bytes: Bytes, offset: Int, type: BitfieldType) -> Int64 {
    var raw: UInt64 = 0
    bytes.withUnsafeBytes { p in
        for j in 0..<type.bits {
            let at = offset + j
            let byte = at >> 3
            let b: UInt8 = byte < p.count ? (p[byte] >> (7 - UInt8(at & 7))) & 1 : 0
            raw = (raw << 1) | UInt64(b)
        }
    }
    return type.truncating(raw)
}

extension Array where Element == UInt8 {
    /// Stores the low `type.bits` bits of `value` at bit `offset`, growing the string as needed.
    public mutating func writeBitfield(_ value: Int64, offset: Int, type: BitfieldType) {
        growZeroed(to: (offset + type.bits - 1) / 8 + 1)
        let raw = UInt64(bitPattern: value)
        withUnsafeMutableBytes { p in
            for j in 0..<type.bits {
                let at = offset + j
                let mask = UInt8(0x80) >> UInt8(at & 7)
                if (raw >> UInt64(type.bits - 1 - j)) & 1 != 0 { p[at >> 3] |= mask } else { p[at >> 3] &= ~mask }
            }
        }
    }
}

/// The value a field of `type` holding `current` takes after INCRBY `increment` under
/// `overflow`; nil when the sum overflows and `overflow` is FAIL.
public func bitfieldIncrement(_ current: Int64, by increment: Int64, type: BitfieldType,
                              overflow: BitfieldOverflow) -> Int64? {
    // Direction of overflow: +1 above max, -1 below min, 0 none.
    let direction: Int
    if type.signed {
        direction = signedOverflowDirection(current, increment, type)
    } else {
        // 0 <= current <= max < 2^63 here.
        if increment > 0 { direction = increment > type.max - current ? 1 : 0 } else { direction = increment.magnitude > UInt64(current) ? -1 : 0 }
    }
    return bitfieldApply(direction, UInt64(bitPattern: current) &+ UInt64(bitPattern: increment), type, overflow)
}

/// The value a field of `type` takes after SET `value` under `overflow`; nil when
/// `value` does not fit and `overflow` is FAIL.
public func bitfieldSetValue(_ value: Int64, type: BitfieldType, overflow: BitfieldOverflow) -> Int64? {
    let direction: Int
    if type.signed {
        direction = signedOverflowDirection(value, 0, type)
    } else {
        // A negative value is a huge unsigned one: always above max.
        direction = UInt64(bitPattern: value) > UInt64(type.max) ? 1 : 0
    }
    return bitfieldApply(direction, UInt64(bitPattern: value), type, overflow)
}

/// Redis's signed overflow test for `value + increment` in a field of `type`:
/// +1 above the maximum, -1 below the minimum, 0 when it fits. The differences
/// `max - value` and `min - value` wrap as Redis's C arithmetic does.
private func signedOverflowDirection(_ value: Int64, _ increment: Int64, _ type: BitfieldType) -> Int {
    let full = type.bits == 64
    let maxIncrement = type.max &- value
    let minIncrement = type.min &- value
    if value > type.max || (!full && increment > maxIncrement) || (value >= 0 && increment > 0 && increment > maxIncrement) {
        return 1
    }
    if value < type.min || (!full && increment < minIncrement) || (value < 0 && increment < 0 && increment < minIncrement) {
        return -1
    }
    return 0
}

private func bitfieldApply(_ direction: Int, _ raw: UInt64, _ type: BitfieldType, _ overflow: BitfieldOverflow) -> Int64? {
    if direction == 0 { return type.truncating(raw) }
    switch overflow {
    case .wrap: return type.truncating(raw)
    case .sat: return direction > 0 ? type.max : type.min
    case .fail: return nil
    }
}
