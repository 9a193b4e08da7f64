// SortedSetRanges: the score and lexicographic intervals of ZRANGEBYSCORE,
// ZCOUNT, ZRANGEBYLEX, ZLEXCOUNT and the ZREMRANGEBY* commands.
//
// Contract: parsing follows Redis 4.0's zslParseRange and zslParseLexRange. A
// score bound is "(x" (exclusive) or "x", read with C strtod up to the first NUL,
// so leading spaces, "inf", "-inf", "+inf" and even "" (zero) are accepted and
// only NaN or trailing junk is refused. A lex bound is "[x" (inclusive), "(x"
// (exclusive), or exactly "-" / "+" (below / above every member).
//
// The tricky bit: a range is answered as a rank interval [first rank at or above
// min, first rank past max), found by the same monotone predicates in both
// encodings; an empty or inverted interval collapses to nothing.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A score interval, each end inclusive or exclusive.
public struct SortedSetScoreRange: Equatable, Sendable {
    public var min: Double
    public var max: Double
    public var minExclusive: Bool
    public var maxExclusive: Bool

    public init(min: Double, max: Double, minExclusive: Bool = false, maxExclusive: Bool = false) {
        self.min = min
        self.max = max
        self.minExclusive = minExclusive
        self.maxExclusive = maxExclusive
    }

    /// Parses Redis's `min max` arguments; nil for "min or max is not a float".
    public init?(min: Bytes, max: Bytes) {
        guard let lo = Self.parseBound(min), let hi = Self.parseBound(max) else { return nil }
        self.init(min: lo.0, max: hi.0, minExclusive: lo.1, maxExclusive: hi.1)
    }

    static func parseBound(_ b: Bytes) -> (Double, Bool)? {
        var text = b
        var exclusive = false
        if text.first == UInt8(ascii: "(") {
            exclusive = true
            text.removeFirst()
        }
        text.append(0)
        let value: Double? = text.withUnsafeBufferPointer { p in
            let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(start, &end)
            guard let end, end.pointee == 0 else { return nil }
            return v
        }
        guard let value, !value.isNaN else { return nil }
        return (value, exclusive)
    }

    @inline(__always) public func isAboveMin(_ s: Double) -> Bool { minExclusive ? s > min : s >= min }
    @inline(__always) public func isBelowMax(_ s: Double) -> Bool { maxExclusive ? s < max : s <= max }
    public func contains(_ s: Double) -> Bool { isAboveMin(s) && isBelowMax(s) }
}

/// A lexicographic interval of members.
public struct SortedSetLexRange: Equatable, Sendable {
    public enum Bound: Equatable, Sendable {
        case minusInfinity
        case plusInfinity
        case inclusive(Bytes)
        case exclusive(Bytes)
    }

    public var min: Bound
    public var max: Bound

    public init(min: Bound, max: Bound) {
        self.min = min
        self.max = max
    }

    /// Parses Redis's `min max` arguments; nil for "min or max not valid string range item".
    public init?(min: Bytes, max: Bytes) {
        guard let lo = Self.parseBound(min), let hi = Self.parseBound(max) else { return nil }
        self.init(min: lo, max: hi)
    }

    static func parseBound(_ b: Bytes) -> Bound? {
        guard let first = b.first else { return nil }
        switch first {
        // Redis reads the argument as a C string: "+" then a NUL is "+".
        case UInt8(ascii: "+"): return b.count == 1 || b[1] == 0 ? .plusInfinity : nil
        case UInt8(ascii: "-"): return b.count == 1 || b[1] == 0 ? .minusInfinity : nil
        case UInt8(ascii: "["): return .inclusive(Array(b.dropFirst()))
        case UInt8(ascii: "("): return .exclusive(Array(b.dropFirst()))
        default: return nil
        }
    }

    /// True when `m` is at or above the lower bound.
    public func isAboveMin(_ m: UnsafeRawBufferPointer) -> Bool {
        switch min {
        case .minusInfinity: return true
        case .plusInfinity: return false
        case .inclusive(let b): return b.withUnsafeBytes { compareMembers(m, $0) >= 0 }
        case .exclusive(let b): return b.withUnsafeBytes { compareMembers(m, $0) > 0 }
        }
    }

    /// True when `m` is at or below the upper bound.
    public func isBelowMax(_ m: UnsafeRawBufferPointer) -> Bool {
        switch max {
        case .minusInfinity: return false
        case .plusInfinity: return true
        case .inclusive(let b): return b.withUnsafeBytes { compareMembers(m, $0) <= 0 }
        case .exclusive(let b): return b.withUnsafeBytes { compareMembers(m, $0) < 0 }
        }
    }

    public func contains(_ m: Bytes) -> Bool {
        m.withUnsafeBytes { isAboveMin($0) && isBelowMax($0) }
    }
}
