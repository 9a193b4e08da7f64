// RDBReader: a streaming reader of RDB files, versions 1 to 11, yielding one
// event (header, aux field, db switch, key...) at a time.
//
// Contract: `next()` returns the next event, nil after `.end`, or throws an
// RDBError with the offset, the key when inside an entry, and what was wrong.
// Memory is bounded by the largest value. The CRC64 trailer (version 5+) is
// verified unless it is zero; trailing bytes after it are an error only when
// `strictEnd` is set (an AOF preamble is followed by commands).
// Tricky bit: types Cairn does not hold but that can be skipped exactly
// (streams and module aux data) come out as `.unsupported` entries / skipped
// events so a tool can go on; a server load refuses them. Module values (type
// 7) are read as their fields (`.module`); a server needs the module to load them.
import Engine

/// Streams events out of an RDB byte stream.
public struct RDBReader<Source: ByteSource> {
    var input: RDBInput
    /// The RDB version, once the header is read.
    public internal(set) var version = 0
    var db = 0
    var state = 0 // 0 before header, 1 in body, 2 done
    /// Fail if bytes follow the checksum.
    public var strictEnd = true
    /// When set, compact encodings become engine values at once (`.engine`), under
    /// these limits (PackedLoading.swift); tools leave it nil for the neutral model.
    public var engineLimits: EncodingLimits?
    let scratch = PackedScratch()

    public init(_ source: Source) { input = RDBInput(source) }

    /// Current offset in the stream.
    public var offset: Int { input.offset }

    /// The next event, or nil at the end.
    public mutating func next() throws -> RDBEvent? {
        switch state {
        case 0:
            let magic = try input.bytes(5)
            guard magic == Array("REDIS".utf8) else { throw input.error("not an RDB file (no REDIS magic)", at: 0) }
            let digits = try input.bytes(4)
            guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int(String(decoding: digits, as: UTF8.self)) else {
                throw input.error("bad RDB version field", at: 5)
            }
            guard v >= 1 && v <= 11 else { throw input.error("unsupported RDB version \(v)", at: 5) }
            version = v; state = 1
            return .header(version: v)
        case 1: return try body()
        default: return nil
        }
    }

    mutating func body() throws -> RDBEvent? {
        var expire: Int64?, idle: UInt64?, freq: UInt8?
        var entryStart: Int?
        while true {
            let at = input.offset
            input.currentKey = nil
            let op = try input.byte()
            switch op {
            case RDBOpcode.expireTime:
                entryStart = entryStart ?? at
                expire = Int64(Int32(bitPattern: UInt32(try input.uintLE(4)))) &* 1000
            case RDBOpcode.expireTimeMs:
                entryStart = entryStart ?? at
                expire = Int64(bitPattern: try input.uintLE(8))
            case RDBOpcode.idle:
                entryStart = entryStart ?? at
                idle = try input.length()
            case RDBOpcode.freq:
                entryStart = entryStart ?? at
                freq = try input.byte()
            case RDBOpcode.selectDB:
                let n = try input.length()
                guard n <= UInt64(Int32.max) else { throw input.error("database number too large: \(n)", at: at) }
                db = Int(n)
                return .selectDB(db)
            case RDBOpcode.resizeDB:
                let a = try input.length(), b = try input.length()
                return .resizeDB(dbSize: a, expiresSize: b)
            case RDBOpcode.aux:
                let k = try input.string(), v = try input.string()
                return .aux(k, v)
            case RDBOpcode.moduleAux:
                let id = try input.length()
                let name = moduleName(id)
                let whenOp = try input.length()
                guard whenOp == 2 else { throw input.error("module aux data of \(name) has a bad 'when' field", at: at) }
                _ = try input.length()
                try skipModuleValue(name)
                return .moduleAux(name: name, offset: at)
            case RDBOpcode.function2:
                return .function(try input.string(), offset: at)
            case RDBOpcode.functionPreGA:
                throw input.error("function library in the pre-release Redis 7.0 format is not supported", at: at)
            case RDBOpcode.eof:
                state = 2
                if version < 5 { return .end(checksum: nil, verified: false) }
                let computed = input.crc
                let stored = try input.uintLE(8)
                if stored != 0 && stored != computed {
                    throw input.error("checksum mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))", at: at + 1)
                }
                if strictEnd, !(try input.atEnd()) { throw input.error("unexpected data after the checksum") }
                return .end(checksum: stored, verified: stored != 0)
            default:
                guard let type = RDBType(rawValue: op) else {
                    throw input.error("unknown type or opcode byte 0x\(String(op, radix: 16))", at: at)
                }
                let start = entryStart ?? at
                let key = try input.string()
                input.currentKey = key
                let value = try readValue(type, typeOffset: at, entryStart: start)
                input.currentKey = nil
                return .entry(RDBEntry(db: db, key: key, value: value, expireMs: expire, idle: idle, freq: freq,
                                       type: type, offset: start))
            }
        }
    }

    mutating func readValue(_ type: RDBType, typeOffset: Int, entryStart: Int) throws -> RDBValue {
        if let limits = engineLimits, let value = try engineValue(type, limits: limits, entryStart: entryStart) {
            return .engine(value)
        }
        let start = input.offset
        func compact<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as CompactError {
                throw input.error("\(type.encodingName) value of type \(type.typeName): \(e.message)", at: start)
            }
        }
        switch type {
        case .string:
            return .string(try input.string())
        case .list, .set:
            let n = try input.count("element count")
            var items: [Bytes] = []
            for _ in 0..<n { items.append(try input.string()) }
            return type == .list ? .list(items) : .set(items)
        case .zset, .zset2:
            let n = try input.count("element count")
            var items: [ZMember] = []
            for _ in 0..<n {
                let m = try input.string()
                items.append(ZMember(m, type == .zset ? try input.textDouble() : try input.binaryDouble()))
            }
            return .zset(items)
        case .hash:
            let n = try input.count("field count")
            var items: [HashField] = []
            for _ in 0..<n { items.append(HashField(try input.string(), try input.string())) }
            return .hash(items)
        case .hashZipmap:
            let blob = try input.string()
            return .hash(try compact { try ZipmapDecoder.pairs(blob).map { HashField($0.0, $0.1) } })
        case .listZiplist:
            let blob = try input.string()
            return .list(try compact { try ZiplistDecoder.entries(blob) })
        case .setIntset:
            let blob = try input.string()
            return .set(try compact { try IntsetDecoder.members(blob) })
        case .setListpack:
            let blob = try input.string()
            return .set(try compact { try ListpackDecoder.entries(blob) })
        case .zsetZiplist, .zsetListpack:
            let blob = try input.string()
            let flat = try compact { type == .zsetZiplist ? try ZiplistDecoder.entries(blob) : try ListpackDecoder.entries(blob) }
            guard flat.count % 2 == 0 else { throw input.error("\(type.encodingName) zset has an odd number of entries", at: start) }
            var items: [ZMember] = []
            for i in stride(from: 0, to: flat.count, by: 2) {
                guard let s = parseScore(flat[i + 1]) else { throw input.error("invalid score in \(type.encodingName) zset", at: start) }
                items.append(ZMember(flat[i], s))
            }
            return .zset(items)
        case .hashZiplist, .hashListpack:
            let blob = try input.string()
            let flat = try compact { type == .hashZiplist ? try ZiplistDecoder.entries(blob) : try ListpackDecoder.entries(blob) }
            guard flat.count % 2 == 0 else { throw input.error("\(type.encodingName) hash has an odd number of entries", at: start) }
            return .hash(stride(from: 0, to: flat.count, by: 2).map { HashField(flat[$0], flat[$0 + 1]) })
        case .listQuicklist, .listQuicklist2:
            let n = try input.count("quicklist node count")
            var items: [Bytes] = []
            for _ in 0..<n {
                let (plain, blob) = try quicklistNode(type, valueStart: start)
                if plain { items.append(blob); continue }
                let node = try compact { type == .listQuicklist ? try ZiplistDecoder.entries(blob) : try ListpackDecoder.entries(blob) }
                // An empty node holds nothing; Redis 7.0 skips it too (and then a list left empty).
                items.append(contentsOf: node)
            }
            return .list(items)
        case .module2:
            let id = try input.length()
            return .module(id: id, fields: try input.moduleFields(moduleName(id)))
        case .modulePreGA:
            // Type 6 has no field opcodes: read with the module's help, then held as type 7's fields.
            let id = try input.length()
            return .module(id: id, fields: try input.moduleV1Fields(id: id, at: typeOffset))
        case .streamListpacks, .streamListpacks2, .streamListpacks3:
            input.beginTap()
            try skipStream(type)
            return .unsupported(typeName: "stream", typeByte: type.rawValue, fingerprint: input.endTap())
        }
    }

    /// One quicklist node: its blob, and whether it is a plain node (one element as it is, RDB 11).
    mutating func quicklistNode(_ type: RDBType, valueStart: Int) throws -> (plain: Bool, blob: Bytes) {
        (try quicklistNodeIsPlain(type, valueStart: valueStart), try input.string())
    }

    /// A quicklist node's container: true for a plain node (one element), false for a packed one.
    mutating func quicklistNodeIsPlain(_ type: RDBType, valueStart: Int) throws -> Bool {
        guard type == .listQuicklist2 else { return false }
        let container = try input.length()
        guard container == 1 || container == 2 else { throw input.error("bad quicklist node container \(container)", at: valueStart) }
        return container == 1
    }

    /// Skips a self-describing module value: typed fields up to an EOF opcode.
    mutating func skipModuleValue(_ name: String) throws {
        _ = try input.moduleFields(name)
    }

    /// Skips a stream value (listpacks, metadata, consumer groups).
    mutating func skipStream(_ type: RDBType) throws {
        let nodes = try input.count("stream node count")
        for _ in 0..<nodes { _ = try input.string(); _ = try input.string() }
        _ = try input.length(); _ = try input.length(); _ = try input.length() // length, last id
        if type != .streamListpacks {
            for _ in 0..<5 { _ = try input.length() } // first id, max deleted id, entries added
        }
        let groups = try input.count("consumer group count")
        for _ in 0..<groups {
            _ = try input.string()
            _ = try input.length(); _ = try input.length()
            if type != .streamListpacks { _ = try input.length() }
            let pel = try input.count("pending entry count")
            for _ in 0..<pel { try input.skip(16 + 8); _ = try input.length() }
            let consumers = try input.count("consumer count")
            for _ in 0..<consumers {
                _ = try input.string()
                try input.skip(8)
                if type == .streamListpacks3 { try input.skip(8) }
                let cpel = try input.count("consumer pending count")
                try input.skip(16 &* cpel)
            }
        }
    }
}

/// The 9-character name and version of a module type from its 64-bit id ("hellotype-0").
public func moduleName(_ id: UInt64) -> String {
    ModuleTypes.name(ofID: id) + "-" + String(id & 1023)
}

extension RDBReader {
    /// Reads the whole stream into memory: version, aux fields and entries (for tests and small files).
    public mutating func readAll() throws -> (version: Int, aux: [(Bytes, Bytes)], entries: [RDBEntry]) {
        var aux: [(Bytes, Bytes)] = [], entries: [RDBEntry] = []
        while let ev = try next() {
            switch ev {
            case .aux(let k, let v): aux.append((k, v))
            case .entry(let e): entries.append(e)
            default: break
            }
        }
        return (version, aux, entries)
    }
}
