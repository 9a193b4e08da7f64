// Value: what a key holds.
//
// Strings keep Redis's encodings as real representations: a canonical integer is
// stored as an `Int64` (OBJECT ENCODING "int"), other strings as bytes. Redis
// reports "embstr" for short strings created whole and "raw" for long ones and
// for strings modified in place (APPEND, SETRANGE, SETBIT); `raw` records that
// history so OBJECT ENCODING answers as Redis does. The collection types of
// issue 3 join this enum as further cases.

/// The largest string Redis stores as embstr.
public let embstrSizeLimit = 44

public enum StringValue: Equatable, Sendable {
    case int(Int64)
    case bytes(Bytes, raw: Bool)

    /// The encoding Redis would choose for `bytes` set whole (SET, GETSET, ...).
    public init(encoding bytes: Bytes) {
        if bytes.count <= 20, let v = bytes.parseInt64() {
            self = .int(v)
        } else {
            self = .bytes(bytes, raw: false)
        }
    }

    public var bytes: Bytes {
        switch self {
        case .int(let v): return bytesOf(v)
        case .bytes(let b, _): return b
        }
    }

    public var length: Int {
        switch self {
        case .int(let v): return decimalLength(v)
        case .bytes(let b, _): return b.count
        }
    }

    public var encodingName: String {
        switch self {
        case .int: return "int"
        case .bytes(let b, let raw): return raw || b.count > embstrSizeLimit ? "raw" : "embstr"
        }
    }
}

public enum Value: Equatable, Sendable {
    case string(StringValue)

    /// The name TYPE answers.
    public var typeName: String {
        switch self {
        case .string: return "string"
        }
    }

    public var encodingName: String {
        switch self {
        case .string(let s): return s.encodingName
        }
    }
}

/// Number of characters in the decimal form of `v`.
@inlinable public func decimalLength(_ v: Int64) -> Int {
    var n = v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(v.magnitude)
    var digits = 1
    while n >= 10 { n /= 10; digits += 1 }
    return v < 0 ? digits + 1 : digits
}
