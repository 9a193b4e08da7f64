// EngineValueEncoding: writes the engine's own values (Engine.Value) to an RDB
// stream directly, without the neutral RDBValue model in between, so SAVE,
// BGSAVE, the AOF preamble and DUMP pay no per-element copies.
//
// Contract: the encoding follows the value's representation, as Redis 4.0's
// rdbSaveObject does: an intset set as an intset blob, a packed hash or sorted
// set as a ziplist, a list as a quicklist of its ziplist nodes, table forms as
// the plain types (sorted sets as ZSET_2, highest score first, as 4.0 writes
// them). An integer-encoded string is written with the integer encoding when
// it fits 32 bits. Tricky bit: the quicklist nodes are already ziplists in
// Redis's byte format, so they are written as they are (LZF-compressed as
// any long string when `compression` is on).
import Engine

extension RDBWriter {
    /// Writes one key with its value and absolute expiry (ms). Empty collections are skipped.
    public mutating func entry(key: Bytes, value: Value, expireAt: Int64?) throws {
        if value.elementCount == 0 { return }
        if let ms = expireAt {
            putByte(RDBOpcode.expireTimeMs)
            putLE(UInt64(bitPattern: ms), 8)
        }
        putByte(Self.typeByte(of: value))
        try string(key)
        try object(value)
    }

    /// The RDB type byte `value` is written with.
    public static func typeByte(of value: Value) -> UInt8 {
        switch value {
        case .string: return RDBType.string.rawValue
        case .list: return RDBType.listQuicklist.rawValue
        case .set(let s): return s.isIntset ? RDBType.setIntset.rawValue : RDBType.set.rawValue
        case .zset(let z): return z.isPacked ? RDBType.zsetZiplist.rawValue : RDBType.zset2.rawValue
        case .hash(let h): return h.isPacked ? RDBType.hashZiplist.rawValue : RDBType.hash.rawValue
        case .module: return RDBType.module2.rawValue
        }
    }

    /// Writes the value's body (what follows the type byte and key); DUMP payloads are the same bytes.
    public mutating func object(_ value: Value) throws {
        switch value {
        case .string(.int(let v)):
            try integer(v)
        case .string(.bytes(let b, _)):
            try string(b)
        case .string(let s):
            try s.withBytes { try string(view: $0) }
        case .list(let list):
            let nodes = list.packedNodes
            try length(nodes.count)
            for node in nodes { try string(node) }
        case .set(let set):
            if let intset = set.intset {
                try string(intset.blob)
            } else {
                try length(set.count)
                try set.forEach { try string($0) }
            }
        case .zset(let zset):
            if zset.isPacked {
                let z = ZiplistBuilder(capacity: 256)
                zset.forEach(ranks: 0..<zset.count) { member, score in
                    z.append(.bytes(member))
                    scoreText(score).withUnsafeBytes { z.append(.bytes($0)) }
                }
                try string(z.finishBytes())
            } else {
                try length(zset.count)
                var failure: Error?
                zset.forEach(ranks: 0..<zset.count, reverse: true) { member, score in
                    do {
                        try string(view: member)
                        putLE(score.bitPattern, 8)
                        try drainIfFull()
                    } catch { failure = failure ?? error }
                }
                if let failure { throw failure }
            }
        case .hash(let hash):
            if hash.isPacked {
                let z = ZiplistBuilder(capacity: 256)
                hash.forEachView { f, v in
                    z.append(.bytes(UnsafeRawBufferPointer(f)))
                    z.append(.bytes(UnsafeRawBufferPointer(v)))
                }
                try string(z.finishBytes())
            } else {
                try length(hash.count)
                try hash.forEachView { f, v in
                    try string(view: UnsafeRawBufferPointer(f))
                    try string(view: UnsafeRawBufferPointer(v))
                }
            }
        case .module(let m):
            // Frozen in a snapshot, or the type's rdb_save now (SAVE, DUMP: the keyspace thread).
            let fields: [ModuleField]
            do { fields = try m.fields() } catch let e as ModuleTypeError {
                throw RDBError(offset: written, key: nil, message: "module type \(m.type.name): \(e.message)")
            }
            try moduleBody(id: m.type.id, fields: fields)
        }
        try drainIfFull()
    }
}
