// Opcodes: the RDB format's constant bytes (opcodes and value type bytes).
//
// Contract: numbers are the ones Redis writes, versions 1 to 11; names are
// the ones Redis uses in redis-check-rdb and DEBUG OBJECT, for messages.
// Tricky bit: type bytes 6 and 19/21 exist in some versions only; 8 is unused.

/// Opcode bytes that may appear where a value type byte is expected.
public enum RDBOpcode {
    public static let function2: UInt8 = 0xF5
    public static let functionPreGA: UInt8 = 0xF6
    public static let moduleAux: UInt8 = 0xF7
    public static let idle: UInt8 = 0xF8
    public static let freq: UInt8 = 0xF9
    public static let aux: UInt8 = 0xFA
    public static let resizeDB: UInt8 = 0xFB
    public static let expireTimeMs: UInt8 = 0xFC
    public static let expireTime: UInt8 = 0xFD
    public static let selectDB: UInt8 = 0xFE
    public static let eof: UInt8 = 0xFF
}

/// Value type bytes, and the encoding each one names.
public enum RDBType: UInt8, Sendable, CaseIterable {
    case string = 0, list = 1, set = 2, zset = 3, hash = 4, zset2 = 5
    case modulePreGA = 6, module2 = 7
    case hashZipmap = 9, listZiplist = 10, setIntset = 11, zsetZiplist = 12, hashZiplist = 13
    case listQuicklist = 14, streamListpacks = 15, hashListpack = 16, zsetListpack = 17
    case listQuicklist2 = 18, streamListpacks2 = 19, setListpack = 20, streamListpacks3 = 21

    /// The data type's name as TYPE reports it.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .list, .listZiplist, .listQuicklist, .listQuicklist2: return "list"
        case .set, .setIntset, .setListpack: return "set"
        case .zset, .zset2, .zsetZiplist, .zsetListpack: return "zset"
        case .hash, .hashZipmap, .hashZiplist, .hashListpack: return "hash"
        case .modulePreGA, .module2: return "module"
        case .streamListpacks, .streamListpacks2, .streamListpacks3: return "stream"
        }
    }

    /// The encoding's name, as OBJECT ENCODING would say for what was stored.
    public var encodingName: String {
        switch self {
        case .string: return "raw"
        case .list: return "linkedlist"
        case .set, .hash: return "hashtable"
        case .zset, .zset2: return "skiplist"
        case .modulePreGA, .module2: return "module"
        case .hashZipmap: return "zipmap"
        case .listZiplist, .zsetZiplist, .hashZiplist: return "ziplist"
        case .setIntset: return "intset"
        case .listQuicklist: return "quicklist"
        case .listQuicklist2: return "quicklist2"
        case .hashListpack, .zsetListpack, .setListpack: return "listpack"
        case .streamListpacks, .streamListpacks2, .streamListpacks3: return "stream"
        }
    }
}
