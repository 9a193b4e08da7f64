// RDBValue: the neutral data model the reader yields and the writer takes.
//
// Contract: values are plain collections of byte strings, independent of the
// Engine's representation (the server converts). An entry carries its db, key,
// expiry (absolute Unix ms), LRU idle / LFU freq when stored, the type byte it
// was read from, and the stream offset of its first byte.
// Tricky bit: `unsupported` entries (streams, pre-release module values) were skipped, not read:
// a server load must refuse them; tools may report and continue.
import Engine

/// A value as stored in an RDB file.
public enum RDBValue: Equatable, Sendable {
    case string(Bytes)
    case list([Bytes])
    case set([Bytes])
    case zset([ZMember])
    case hash([HashField])
    /// A value of a module data type: the type's 64-bit id and the fields its rdb_save wrote.
    case module(id: UInt64, fields: [ModuleField])
    /// A type Cairn does not hold; `typeName` is e.g. "stream" or "module:MyType-01".
    /// It was skipped, not read: `fingerprint` (CRC64 of its serialized bytes) tells two apart.
    case unsupported(typeName: String, typeByte: UInt8, fingerprint: UInt64)
    /// A value the reader built in the engine's form at once (`RDBReader.engineLimits`).
    case engine(Value)

    /// The TYPE name of the value.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .hash: return "hash"
        case .module(let id, _): return ModuleTypes.name(ofID: id)
        case .unsupported(let name, _, _): return name
        case .engine(let v): return v.typeName
        }
    }

    /// Number of elements (1 for a string).
    public var count: Int {
        switch self {
        case .string: return 1
        case .list(let l): return l.count
        case .set(let s): return s.count
        case .zset(let z): return z.count
        case .hash(let h): return h.count
        case .module: return 1
        case .unsupported: return 0
        case .engine(let v): return v.elementCount
        }
    }
}

/// Why a tool's switch over `RDBValue` never meets `.engine`: only server loads set `RDBReader.engineLimits`.
public let engineModeUnused = "an .engine value in the neutral model: RDBReader.engineLimits is for server loads"

/// A sorted set member and its score.
public struct ZMember: Equatable, Sendable {
    public var member: Bytes
    public var score: Double
    public init(_ member: Bytes, _ score: Double) { self.member = member; self.score = score }
    public static func == (a: ZMember, b: ZMember) -> Bool {
        a.member == b.member && (a.score == b.score || (a.score.isNaN && b.score.isNaN))
    }
}

/// A hash field and its value.
public struct HashField: Equatable, Sendable {
    public var field: Bytes
    public var value: Bytes
    public init(_ field: Bytes, _ value: Bytes) { self.field = field; self.value = value }
}

/// One key of the dataset as read from (or to be written to) an RDB stream.
public struct RDBEntry: Equatable, Sendable {
    public var db: Int
    public var key: Bytes
    public var value: RDBValue
    /// Absolute expiry time in Unix milliseconds, if any.
    public var expireMs: Int64?
    /// LRU idle time in seconds (RDB 9+), if stored.
    public var idle: UInt64?
    /// LFU frequency counter (RDB 9+), if stored.
    public var freq: UInt8?
    /// The type byte the value was read from (its encoding); nil when built in memory.
    public var type: RDBType?
    /// Offset of the entry's first byte (its expiry opcode or type byte).
    public var offset: Int

    public init(db: Int, key: Bytes, value: RDBValue, expireMs: Int64? = nil, idle: UInt64? = nil,
                freq: UInt8? = nil, type: RDBType? = nil, offset: Int = 0) {
        self.db = db; self.key = key; self.value = value; self.expireMs = expireMs
        self.idle = idle; self.freq = freq; self.type = type; self.offset = offset
    }
}

extension RDBEntry {
    /// Throws the error a server load reports for a value Cairn cannot hold:
    /// it names the key, the type and the file offset.
    public func requireSupported() throws {
        if case .unsupported(let name, let byte, _) = value {
            throw RDBError(offset: offset, key: key,
                           message: "value of type \(name) (RDB type \(byte)) cannot be loaded by Cairn")
        }
    }
}

/// What the streaming reader yields, in file order.
public enum RDBEvent: Equatable, Sendable {
    /// The header: the RDB version number.
    case header(version: Int)
    /// An AUX field (name, value).
    case aux(Bytes, Bytes)
    /// SELECTDB.
    case selectDB(Int)
    /// RESIZEDB hints: keys and keys with expiry.
    case resizeDB(dbSize: UInt64, expiresSize: UInt64)
    /// Module auxiliary data (skipped), with the module type name.
    case moduleAux(name: String, offset: Int)
    /// A function library (RDB 10 FUNCTION2): its code.
    case function(Bytes, offset: Int)
    /// A key.
    case entry(RDBEntry)
    /// EOF: the stored checksum (nil for versions without one, 0 if disabled) and whether it was verified.
    case end(checksum: UInt64?, verified: Bool)
}
