// Bytes: the binary-safe byte string every key and value is made of.
//
// Contract: a key or value is a plain `[UInt8]`. Two different byte sequences are
// always two different keys (Swift `String` would merge canonically equivalent
// Unicode and cannot hold arbitrary bytes, see DESIGN.md). The numeric parsers
// here follow Redis's strict rules: no spaces, no '+', no leading zeros, so that
// "01" or " 1" are strings, never integers, exactly as Redis decides.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public typealias Bytes = [UInt8]

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `s`.
    @inlinable public init(_ s: String) { self = Array(s.utf8) }

    /// A lossy text rendering for logs and error messages.
    public var text: String { String(decoding: self, as: UTF8.self) }

    /// Parses a signed 64-bit integer the way Redis's string2ll does: optional '-',
    /// digits without leading zeros, at most 20 characters, no overflow.
    @inlinable public func parseInt64() -> Int64? {
        withUnsafeBytes { Engine.parseInt64($0) }
    }

    /// Parses a double the way Redis 4.0's getDoubleFromObject does (strtod, whole
    /// string consumed, no leading space, NaN refused, any length).
    public func parseDouble() -> Double? { withUnsafeBytes { Engine.parseDouble($0) } }

    /// C's strtod over a NUL-terminated copy (errno reset first): the value, the
    /// number of bytes it consumed (it stops at an embedded NUL), and whether errno
    /// came back ERANGE (overflow, or underflow to a subnormal or zero).
    public func cStrtod() -> (value: Double, consumed: Int, rangeError: Bool) {
        withUnsafeBytes { Engine.cStrtod($0) }
    }

    #if arch(x86_64) || arch(i386)
    /// Parses a long double as Redis 4.0's getLongDoubleFromObject does (INCRBYFLOAT's
    /// stored value, and INCRBYFLOAT's and HINCRBYFLOAT's argument): strtold must
    /// consume every byte (so an embedded NUL refuses), no leading isspace byte, no
    /// NaN; a range error refuses only an overflow to infinity or an underflow to 0.
    public func parseLongDouble() -> Float80? {
        if isEmpty || isCSpace(self[0]) { return nil }
        let r = cStrtold()
        guard r.consumed == count else { return nil }
        return Self.acceptedLongDouble(r)
    }

    /// Parses a long double as Redis 4.0's string2ld does (HINCRBYFLOAT's stored
    /// field): at most 255 bytes, read as a C string, so "" is 0 and the text stops
    /// at an embedded NUL; otherwise the rules of `parseLongDouble`.
    public func parseLongDoubleAsCString() -> Float80? {
        if count >= 256 { return nil }
        if let first, isCSpace(first) { return nil }
        let r = cStrtold()
        guard r.consumed == count || self[r.consumed] == 0 else { return nil }
        return Self.acceptedLongDouble(r)
    }

    private static func acceptedLongDouble(_ r: (value: Float80, consumed: Int, rangeError: Bool)) -> Float80? {
        if r.value.isNaN { return nil }
        if r.rangeError && (r.value.isInfinite || r.value == 0) { return nil }
        return r.value
    }

    /// C's strtold over a NUL-terminated copy, as `cStrtod`.
    func cStrtold() -> (value: Float80, consumed: Int, rangeError: Bool) {
        var buffer = self
        buffer.append(0)
        return buffer.withUnsafeBufferPointer { p in
            let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let value = strtold(start, &end)
            let consumed = end.map { $0 - UnsafeMutablePointer(mutating: start) } ?? 0
            return (value, consumed, errno == ERANGE)
        }
    }
    #endif
}

/// `parseInt64` over bytes in place (a packed entry's, without copying them out).
@inlinable public func parseInt64(_ p: UnsafeRawBufferPointer) -> Int64? {
    let n = p.count
    if n == 0 || n > 20 { return nil }
    var i = 0
    var negative = false
    if n == 1 && p[0] == UInt8(ascii: "0") { return 0 }
    if p[0] == UInt8(ascii: "-") {
        negative = true
        i = 1
        if n == 1 { return nil }
    }
    guard p[i] >= UInt8(ascii: "1") && p[i] <= UInt8(ascii: "9") else { return nil }
    var magnitude: UInt64 = 0
    while i < n {
        let d = p[i] &- UInt8(ascii: "0")
        if d > 9 { return nil }
        let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 { return nil }
        magnitude = s
        i += 1
    }
    if negative {
        if magnitude > UInt64(Int64.max) + 1 { return nil }
        return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    if magnitude > UInt64(Int64.max) { return nil }
    return Int64(magnitude)
}

/// `parseDouble` over bytes in place. The plain-decimal case is inlined (a load
/// parses every fractional score of a file's sorted sets this way).
@inlinable public func parseDouble(_ p: UnsafeRawBufferPointer) -> Double? {
    if let v = exactDecimal(p) { return v }
    return parseDoubleByStrtod(p)
}

/// 10^k for 0 <= k <= 18, each an exact double. A switch of literals becomes a
/// constant table; a global array would cost a lazy-initialization check per use.
@inlinable @inline(__always) func exactPowerOfTen(_ k: Int) -> Double {
    switch k {
    case 0: return 1
    case 1: return 1e1
    case 2: return 1e2
    case 3: return 1e3
    case 4: return 1e4
    case 5: return 1e5
    case 6: return 1e6
    case 7: return 1e7
    case 8: return 1e8
    case 9: return 1e9
    case 10: return 1e10
    case 11: return 1e11
    case 12: return 1e12
    case 13: return 1e13
    case 14: return 1e14
    case 15: return 1e15
    case 16: return 1e16
    case 17: return 1e17
    default: return 1e18
    }
}

/// `parseDouble` for what `exactDecimal` leaves to strtod.
@usableFromInline func parseDoubleByStrtod(_ p: UnsafeRawBufferPointer) -> Double? {
    if p.isEmpty || isCSpace(p[0]) { return nil }
    let r = cStrtod(p)
    guard r.consumed == p.count, !r.value.isNaN else { return nil }
    if r.rangeError && (r.value == .infinity || r.value == -.infinity || r.value == 0) { return nil }
    return r.value
}

/// strtod's answer for plain decimals, without calling it: "[-]digits[.digits]"
/// of at most 19 characters after the sign, whose digits, read as one integer,
/// stay below 2^53. Both that integer and the power of ten are exact doubles, so
/// the one division is correctly rounded, as strtod is (Clinger's fast path).
/// Anything else is nil, for strtod to decide.
@inlinable func exactDecimal(_ p: UnsafeRawBufferPointer) -> Double? {
    let n = p.count
    guard n > 0 else { return nil }
    let c = p.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let negative = c[0] == UInt8(ascii: "-")
    let first = negative ? 1 : 0
    // At most 19 characters of digits and point: the digits cannot overflow 64 bits.
    guard n - first <= 19 else { return nil }
    var mantissa: UInt64 = 0, point = -1
    for i in first..<n {
        let d = c[i] &- UInt8(ascii: "0")
        if d <= 9 {
            mantissa = mantissa &* 10 &+ UInt64(d)
        } else if c[i] == UInt8(ascii: ".") && point < 0 {
            point = i
        } else {
            return nil
        }
    }
    let fraction = point < 0 ? 0 : n - 1 - point
    guard n - first - (point < 0 ? 0 : 1) > 0, mantissa < 1 << 53 else { return nil }
    let v = Double(mantissa) / exactPowerOfTen(fraction)
    return negative ? -v : v
}

/// C's strtod over a NUL-terminated copy of `p` (on the stack when short), as `cStrtod()`.
public func cStrtod(_ p: UnsafeRawBufferPointer) -> (value: Double, consumed: Int, rangeError: Bool) {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: p.count + 1) { buf in
        let start = buf.baseAddress!
        if p.count > 0 { UnsafeMutableRawPointer(start).copyMemory(from: p.baseAddress!, byteCount: p.count) }
        start[p.count] = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        errno = 0
        let value = strtod(start, &end)
        let consumed = end.map { $0 - start } ?? 0
        return (value, consumed, errno == ERANGE)
    }
}

/// C's isspace in the C locale (space, \t, \n, \v, \f, \r): Redis refuses a number
/// that starts with any of them, though strtod would skip them.
@usableFromInline func isCSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

/// Decimal text of an integer, as bytes.
@inlinable public func bytesOf(_ v: Int64) -> Bytes { Array(String(v).utf8) }
@inlinable public func bytesOf(_ v: Int) -> Bytes { Array(String(v).utf8) }

/// Formats a double as Redis 4.0 does for replies (`%.17g`), with "inf"/"-inf".
public func formatDouble(_ v: Double) -> Bytes {
    if v.isInfinite { return v > 0 ? Bytes("inf") : Bytes("-inf") }
    var buf = [CChar](repeating: 0, count: 64)
    let n = withVaList([v]) { vsnprintf(&buf, 64, "%.17g", $0) }
    return buf[0..<Int(n)].map { UInt8(bitPattern: $0) }
}

#if arch(x86_64) || arch(i386)
/// Formats a long double as Redis 4.0's ld2string in its human-friendly form
/// (INCRBYFLOAT, HINCRBYFLOAT, GEOPOS): "inf" / "-inf"; otherwise `%.17Lf` with
/// trailing fraction zeros and a bare dot removed ("-0" stays "-0", NaN is libc's
/// "nan" or "-nan"). The longest text, about 4950 bytes, fits Redis's 5 KiB buffer.
public func formatLongDouble(_ v: Float80) -> Bytes {
    if v.isInfinite { return v > 0 ? Bytes("inf") : Bytes("-inf") }
    var buf = [CChar](repeating: 0, count: 5200)
    let n = withVaList([v]) { vsnprintf(&buf, 5200, "%.17Lf", $0) }
    return trimmedFixedPoint(buf[0..<Int(max(0, min(n, 5199)))].map { UInt8(bitPattern: $0) })
}
#endif

/// Fixed-point text as ld2string shows it: trailing fraction zeros and a bare
/// trailing dot removed.
func trimmedFixedPoint(_ text: Bytes) -> Bytes {
    var out = text
    if out.contains(UInt8(ascii: ".")) {
        while out.last == UInt8(ascii: "0") { out.removeLast() }
        if out.last == UInt8(ascii: ".") { out.removeLast() }
    }
    return out
}

/// The wall clock in milliseconds since the epoch.
public func wallClockMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// The wall clock in microseconds since the epoch.
public func wallClockMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// A monotonic clock in nanoseconds, for measuring durations.
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
