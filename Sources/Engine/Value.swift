// Value: what a key holds.
//
// Strings keep Redis's encodings as real representations: a canonical integer is
// stored as an `Int64` (OBJECT ENCODING "int"), a string of at most 44 bytes set
// whole (Redis's "embstr") in a StringBox, other strings as a byte array. Redis
// reports "raw" for long strings and for strings modified in place (APPEND,
// SETRANGE, SETBIT); `raw` records that history so OBJECT ENCODING answers as
// Redis does. Each collection type lives in Types/ and conforms to
// CollectionValue, so the generic code here (TYPE, OBJECT ENCODING, DEBUG
// DIGEST) needs one line per type.

/// The largest string Redis stores as embstr.
public let embstrSizeLimit = 44

public enum StringValue: Equatable, Sendable {
    case int(Int64)
    case bytes(Bytes, raw: Bool)
    /// At most `embstrSizeLimit` bytes set whole, in a box (16 bytes of header
    /// where an array has 32); the length beside it fits the enum's spare room.
    case embedded(StringBox, count: UInt8)

    /// The encoding Redis would choose for `bytes` set whole (SET, GETSET, ...).
    @inlinable public init(encoding bytes: Bytes) {
        self = bytes.withUnsafeBytes { StringValue(encoding: $0) }
    }

    /// The encoding Redis would choose for these bytes set whole (copied).
    @inlinable public init(encoding bytes: UnsafeRawBufferPointer) {
        if bytes.count <= 20, let v = parseInt64(bytes) {
            self = .int(v)
        } else if bytes.count <= embstrSizeLimit {
            self = .embedded(StringBox.make(bytes), count: UInt8(bytes.count))
        } else {
            self = .bytes(Bytes(bytes), raw: false)
        }
    }

    /// The value's bytes (a new array unless stored as one).
    public var bytes: Bytes {
        switch self {
        case .int(let v): return bytesOf(v)
        case .bytes(let b, _): return b
        case .embedded(let box, let n): return box.withBytes(Int(n)) { Bytes($0) }
        }
    }

    /// The value's bytes lent to `body` without a copy (an integer's decimal text on the stack).
    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .embedded(let box, let n): return try box.withBytes(Int(n), body)
        case .bytes(let b, _): return try b.withUnsafeBytes(body)
        case .int(let v):
            return try withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { buf in
                let n = ListElement.int(v).writeText(to: buf.baseAddress!.assumingMemoryBound(to: UInt8.self))
                return try body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
            }
        }
    }

    public var length: Int {
        switch self {
        case .int(let v): return decimalLength(v)
        case .bytes(let b, _): return b.count
        case .embedded(_, let n): return Int(n)
        }
    }

    public var encodingName: String {
        switch self {
        case .int: return "int"
        case .embedded: return "embstr"
        case .bytes(let b, let raw): return raw || b.count > embstrSizeLimit ? "raw" : "embstr"
        }
    }

    /// Equal when both are the same integer, or both text with the same bytes and
    /// the same history (`raw`): how a string is stored does not count.
    public static func == (a: StringValue, b: StringValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.int, _), (_, .int): return false
        default:
            guard a.isRaw == b.isRaw, a.length == b.length else { return false }
            return a.withBytes { x in b.withBytes { y in x.elementsEqual(y) } }
        }
    }

    /// Whether the string was modified in place (APPEND, SETRANGE, ...), as OBJECT ENCODING "raw" says.
    var isRaw: Bool {
        if case .bytes(_, let raw) = self { return raw }
        return false
    }
}

/// What every collection type gives the engine's generic code.
public protocol CollectionValue: Equatable, Sendable {
    /// The name OBJECT ENCODING answers (Redis 4.0's: ziplist, quicklist, intset, hashtable, skiplist).
    var encodingName: String { get }
    /// Number of elements (members, fields, entries).
    var count: Int { get }
    /// Mixes this value into a key's DEBUG DIGEST exactly as Redis does for its type,
    /// using `DatasetDigest.mix` / `xorIn`, so digests agree with real Redis.
    func mixDigest(into digest: inout [UInt8])
}

public enum Value: Equatable, Sendable {
    case string(StringValue)
    case list(ListValue)
    case hash(HashValue)
    case set(SetValue)
    case zset(SortedSetValue)
    /// A value of a module's data type (ModuleValue.swift); equal only to itself.
    case module(ModuleValue)

    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.hash(let x), .hash(let y)): return x == y
        case (.set(let x), .set(let y)): return x == y
        case (.zset(let x), .zset(let y)): return x == y
        case (.module(let x), .module(let y)): return x === y
        default: return false
        }
    }

    /// The name TYPE answers.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .zset: return "zset"
        case .module(let m): return m.type.name
        }
    }

    public var encodingName: String {
        switch self {
        case .string(let s): return s.encodingName
        case .list(let v): return v.encodingName
        case .hash(let v): return v.encodingName
        case .set(let v): return v.encodingName
        case .zset(let v): return v.encodingName
        case .module: return "raw"  // Redis 4.0 creates module objects with the raw encoding
        }
    }

    /// Elements in a collection; 1 for a string or a module value.
    public var elementCount: Int {
        switch self {
        case .string: return 1
        case .list(let v): return v.count
        case .hash(let v): return v.count
        case .set(let v): return v.count
        case .zset(let v): return v.count
        case .module: return 1
        }
    }

    /// Redis's type number (OBJ_STRING = 0 ... OBJ_HASH = 4, OBJ_MODULE = 5), used by digests and RDB.
    public var typeNumber: UInt32 {
        switch self {
        case .string: return 0
        case .list: return 1
        case .set: return 2
        case .zset: return 3
        case .hash: return 4
        case .module: return 5
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
