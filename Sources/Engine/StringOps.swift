// StringOps: the data side of the string commands, free of any protocol.
//
// Contract: pure functions over `Bytes` and `StringValue` that the Server's string
// handlers call: Redis's inclusive range arithmetic (GETRANGE, BITCOUNT, BITPOS),
// overwriting at an offset with zero padding (SETRANGE), integer increments with
// Redis's overflow rule, and INCRBYFLOAT's long double arithmetic.
//
// The tricky bit: the range arithmetic. Negative indexes count from the end, and
// out-of-range indexes are clamped rather than refused; a reversed range of two
// negative indexes is empty before clamping (GETRANGE, BITCOUNT) but BITPOS has no
// such rule, so a start past a negative end clamps to the first byte there.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest string value Redis lets a command build (512 MB, `checkStringLength`).
public let maxStringLength = 512 * 1024 * 1024

extension StringValue {
    /// The value as INCR reads it: the integer, or nil when the text is not a canonical integer.
    @inlinable public var integerValue: Int64? {
        switch self {
        case .int(let v): return v
        case .bytes(let b, _): return b.parseInt64()
        case .embedded(let box, let n): return box.withBytes(Int(n)) { parseInt64($0) }
        }
    }
}

/// The byte range `[start, end]` (inclusive, negative counting from the end) selects
/// in a string of `length` bytes, clamped as GETRANGE and BITCOUNT do; nil when empty.
/// With `reversedNegativesEmpty` false (BITPOS), two reversed negative indexes are
/// clamped like any others instead of meaning "empty".
public func inclusiveByteRange(start: Int64, end: Int64, length: Int,
                               reversedNegativesEmpty: Bool = true) -> Range<Int>? {
    if reversedNegativesEmpty && start < 0 && end < 0 && start > end { return nil }
    let n = Int64(length)
    // length < 2^63, so adding a negative index cannot overflow.
    var s = start < 0 ? n + start : start
    var e = end < 0 ? n + end : end
    if s < 0 { s = 0 }
    if e < 0 { e = 0 }
    if e >= n { e = n - 1 }
    if s > e || n == 0 { return nil }
    return Int(s)..<Int(e + 1)
}

/// `value + increment` under INCRBY's rule, or nil when it leaves the 64-bit range.
@inlinable public func incrementedInteger(_ value: Int64, by increment: Int64) -> Int64? {
    let (sum, overflow) = value.addingReportingOverflow(increment)
    return overflow ? nil : sum
}

extension Array where Element == UInt8 {
    /// Copies `patch` over the bytes at `offset`, first growing with zero bytes as
    /// needed (SETRANGE). The caller checks the result against `maxStringLength`.
    public mutating func overwrite(at offset: Int, with patch: Bytes) {
        guard !patch.isEmpty else { return }
        let end = offset + patch.count
        if end > count { append(contentsOf: repeatElement(0, count: end - count)) }
        withUnsafeMutableBytes { dst in
            patch.withUnsafeBytes { src in
                (dst.baseAddress! + offset).copyMemory(from: src.baseAddress!, byteCount: src.count)
            }
        }
    }

    /// Grows the string with zero bytes to at least `length` bytes (SETBIT, BITFIELD).
    public mutating func growZeroed(to length: Int) {
        if length > count { append(contentsOf: repeatElement(0, count: length - count)) }
    }
}

// MARK: INCRBYFLOAT

#if arch(x86_64) || arch(i386)
/// The float type Redis's INCRBYFLOAT computes in (C `long double`: 80-bit on x86).
public typealias LongDouble = Float80

/// Parses INCRBYFLOAT's operand and stored values (strtold, whole string, no leading space).
@inlinable public func parseLongDoubleValue(_ b: Bytes) -> LongDouble? { b.parseLongDouble() }

/// The text INCRBYFLOAT stores (`%.17Lf`, trailing zeros removed).
@inlinable public func formatLongDoubleValue(_ v: LongDouble) -> Bytes { formatLongDouble(v) }
#else
/// Where the platform has no 80-bit float, `Double` stands in for C `long double`.
public typealias LongDouble = Double

@inlinable public func parseLongDoubleValue(_ b: Bytes) -> LongDouble? { b.parseDouble() }

public func formatLongDoubleValue(_ v: LongDouble) -> Bytes {
    if v.isInfinite { return v > 0 ? Bytes("inf") : Bytes("-inf") }
    var buf = [CChar](repeating: 0, count: 400)
    let n = withVaList([v]) { vsnprintf(&buf, 400, "%.17f", $0) }
    return trimmedFixedPoint(buf[0..<Int(max(0, min(n, 399)))].map { UInt8(bitPattern: $0) })
}
#endif

/// Why an INCRBYFLOAT could not be applied.
public enum FloatIncrementError: Error, Equatable {
    /// The stored value or the increment is not a valid float.
    case notFloat
    /// The sum is NaN or infinite.
    case notFinite
}

/// The text INCRBYFLOAT stores: `current` (nil for a missing key, read as 0) plus `increment`.
public func incrementedFloatText(_ current: StringValue?, by increment: Bytes) -> Result<Bytes, FloatIncrementError> {
    var value: LongDouble = 0
    switch current {
    case .none: break
    case .int(let v)?: value = LongDouble(v)
    case let text?:
        guard let v = parseLongDoubleValue(text.bytes) else { return .failure(.notFloat) }
        value = v
    }
    guard let delta = parseLongDoubleValue(increment) else { return .failure(.notFloat) }
    value += delta
    guard value.isFinite else { return .failure(.notFinite) }
    return .success(formatLongDoubleValue(value))
}
