// RDBWriter: writes an RDB stream, version 8 (what Redis 4.0 writes), to a
// ByteSink: header, aux fields, databases, entries, EOF and CRC64 trailer.
//
// Contract: call `header()`, then `aux`/`standardAux`, then per database
// `selectDB` (+ `resizeDB`) and `entry` for each key, then `finish()`. Values
// are written as Redis 4.0 would: ziplist hashes/zsets and intsets under the
// default thresholds (configurable in `limits`), quicklists of ziplist nodes up
// to 8 KB for lists, plain encodings otherwise; strings integer-encoded when
// canonical and short, LZF-compressed past 20 bytes when `compression` is on.
// Tricky bit: the CRC covers every byte before it, so all writes go through
// `put`, which buffers and folds the checksum.
import Engine

/// Thresholds for the compact encodings (Redis 4.0's defaults).
public struct CompactLimits: Sendable {
    public var hashMaxZiplistEntries = 512, hashMaxZiplistValue = 64
    public var setMaxIntsetEntries = 512
    public var zsetMaxZiplistEntries = 128, zsetMaxZiplistValue = 64
    /// Bytes per quicklist node (list-max-ziplist-size -2 = 8 KB).
    public var listNodeBytes = 8192
    public init() {}
}

/// Writes RDB version 8 to a sink.
public struct RDBWriter<Sink: ByteSink> {
    /// The destination; after `finish()` it holds everything written.
    public private(set) var sink: Sink
    @usableFromInline var buffer: [UInt8] = []
    var crc: UInt64 = 0
    var flushed = 0
    /// LZF-compress strings longer than 20 bytes (rdbcompression).
    public var compression = true
    /// Write a real CRC64 trailer (rdbchecksum); zero otherwise.
    public var checksum = true
    /// Thresholds for compact encodings.
    public var limits = CompactLimits()
    /// Bytes written so far.
    public var written: Int { flushed + buffer.count }

    public init(_ sink: Sink) {
        self.sink = sink
        buffer.reserveCapacity(1 << 16)
    }

    /// Hands the buffer to the sink once it is large; the checksum folds whole buffers.
    @inlinable mutating func drainIfFull() throws {
        if buffer.count >= 1 << 16 { try drain() }
    }

    @usableFromInline mutating func drain() throws {
        if buffer.isEmpty { return }
        if checksum { crc = CRC64.update(crc, buffer) }
        flushed += buffer.count
        try sink.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    @inlinable mutating func put(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        try drainIfFull()
    }

    @inlinable mutating func put(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        try drainIfFull()
    }

    @inlinable mutating func putByte(_ b: UInt8) { buffer.append(b) }

    /// Appends `v` little-endian in `size` bytes.
    @inlinable mutating func putLE(_ v: UInt64, _ size: Int) {
        for i in 0..<size { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// The length encoding of `n`.
    public static func lengthBytes(_ n: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        appendLength(n, to: &out)
        return out
    }

    @inlinable static func appendLength(_ n: UInt64, to out: inout [UInt8]) {
        if n < 64 { out.append(UInt8(n)); return }
        if n < 16384 { out.append(0x40 | UInt8(n >> 8)); out.append(UInt8(n & 0xFF)); return }
        let size: UInt64 = n <= UInt64(UInt32.max) ? 4 : 8
        out.append(size == 4 ? 0x80 : 0x81)
        for i in 0..<size { out.append(UInt8(truncatingIfNeeded: n >> (8 * (size - 1 - i)))) }
    }

    @inlinable mutating func length(_ n: Int) throws { Self.appendLength(UInt64(n), to: &buffer) }

    /// Writes an integer with the smallest integer encoding, or as decimal text past 32 bits.
    public mutating func integer(_ v: Int64) throws {
        if let x = Int8(exactly: v) { putByte(0xC0); putByte(UInt8(bitPattern: x)); return }
        if let x = Int16(exactly: v) { putByte(0xC1); putLE(UInt64(UInt16(bitPattern: x)), 2); return }
        if let x = Int32(exactly: v) { putByte(0xC2); putLE(UInt64(UInt32(bitPattern: x)), 4); return }
        try string(bytesOf(v))
    }

    /// Writes a string with the smallest encoding (integer, LZF or raw).
    public mutating func string(_ s: Bytes) throws {
        try s.withUnsafeBytes { try string(view: $0) }
    }

    /// Writes a string given as a view.
    public mutating func string(view s: UnsafeRawBufferPointer) throws {
        if s.count <= 11, let v = CompactEncoder.canonicalInt(s), Int32(exactly: v) != nil {
            return try integer(v)
        }
        if compression && s.count > 20, let packed = LZF.compress(s, limit: s.count - 4) {
            putByte(0xC3); try length(packed.count); try length(s.count); try put(packed)
            return
        }
        try length(s.count); try put(s)
    }

    /// Writes the "REDIS0008" header.
    public mutating func header() throws { try put(Array("REDIS0008".utf8)) }

    /// Writes one AUX field.
    public mutating func aux(_ name: String, _ value: Bytes) throws {
        try put([RDBOpcode.aux]); try string(Array(name.utf8)); try string(value)
    }

    /// Writes Redis 4.0's aux fields; the replication ones when `replID` is given.
    public mutating func standardAux(redisVersion: String = "4.0.14", ctime: Int64, usedMem: Int64,
                                     replStreamDB: Int? = nil, replID: Bytes? = nil, replOffset: Int64 = 0,
                                     aofPreamble: Bool = false) throws {
        try aux("redis-ver", Array(redisVersion.utf8))
        try aux("redis-bits", bytesOf(Int64(Int.bitWidth)))
        try aux("ctime", bytesOf(ctime))
        try aux("used-mem", bytesOf(usedMem))
        if let replID {
            try aux("repl-stream-db", bytesOf(Int64(replStreamDB ?? 0)))
            try aux("repl-id", replID)
            try aux("repl-offset", bytesOf(replOffset))
        }
        try aux("aof-preamble", aofPreamble ? [0x31] : [0x30])
    }

    /// Starts database `db`.
    public mutating func selectDB(_ db: Int) throws { try put([RDBOpcode.selectDB]); try length(db) }

    /// Writes the RESIZEDB hint.
    public mutating func resizeDB(dbSize: Int, expiresSize: Int) throws {
        try put([RDBOpcode.resizeDB]); try length(dbSize); try length(expiresSize)
    }

    /// Writes one key (the caller has selected its database). Empty collections are skipped.
    public mutating func entry(_ e: RDBEntry) throws {
        if case .engine(let value) = e.value { return try entry(key: e.key, value: value, expireAt: e.expireMs) }
        if case .unsupported(let name, _, _) = e.value {
            throw RDBError(offset: written, key: e.key, message: "cannot write a value of type \(name)")
        }
        if e.value.count == 0 { return }
        if let ms = e.expireMs {
            try put([RDBOpcode.expireTimeMs] + (0..<8).map { UInt8(truncatingIfNeeded: ms >> (8 * Int64($0))) })
        }
        switch e.value {
        case .string(let s):
            try put([RDBType.string.rawValue]); try string(e.key); try string(s)
        case .list(let items):
            try put([RDBType.listQuicklist.rawValue]); try string(e.key)
            var nodes: [[Bytes]] = [], cur: [Bytes] = [], size = 11
            for s in items {
                let add = CompactEncoder.ziplistEntrySize(s)
                if !cur.isEmpty && (size + add > limits.listNodeBytes || cur.count >= 65535) { nodes.append(cur); cur = []; size = 11 }
                cur.append(s); size += add
            }
            if !cur.isEmpty { nodes.append(cur) }
            try length(nodes.count)
            for n in nodes { try string(CompactEncoder.ziplist(n)) }
        case .set(let items):
            let ints = items.count <= limits.setMaxIntsetEntries ? items.compactMap { CompactEncoder.canonicalInt($0) } : []
            if !items.isEmpty && ints.count == items.count && Set(ints).count == ints.count {
                try put([RDBType.setIntset.rawValue]); try string(e.key); try string(CompactEncoder.intset(ints))
            } else {
                try put([RDBType.set.rawValue]); try string(e.key); try length(items.count)
                for s in items { try string(s) }
            }
        case .zset(let items):
            if items.count <= limits.zsetMaxZiplistEntries && items.allSatisfy({ $0.member.count <= limits.zsetMaxZiplistValue && !$0.score.isNaN }) {
                let sorted = items.sorted { $0.score != $1.score ? $0.score < $1.score : $0.member.lexicographicallyPrecedes($1.member) }
                var flat: [Bytes] = []
                for m in sorted { flat.append(m.member); flat.append(scoreText(m.score)) }
                try put([RDBType.zsetZiplist.rawValue]); try string(e.key); try string(CompactEncoder.ziplist(flat))
            } else {
                try put([RDBType.zset2.rawValue]); try string(e.key); try length(items.count)
                for m in items.reversed() {
                    try string(m.member)
                    try put((0..<8).map { UInt8(truncatingIfNeeded: m.score.bitPattern >> (8 * UInt64($0))) })
                }
            }
        case .hash(let fields):
            if fields.count <= limits.hashMaxZiplistEntries && fields.allSatisfy({ $0.field.count <= limits.hashMaxZiplistValue && $0.value.count <= limits.hashMaxZiplistValue }) {
                var flat: [Bytes] = []
                for f in fields { flat.append(f.field); flat.append(f.value) }
                try put([RDBType.hashZiplist.rawValue]); try string(e.key); try string(CompactEncoder.ziplist(flat))
            } else {
                try put([RDBType.hash.rawValue]); try string(e.key); try length(fields.count)
                for f in fields { try string(f.field); try string(f.value) }
            }
        case .module(let id, let fields):
            try put([RDBType.module2.rawValue]); try string(e.key); try moduleBody(id: id, fields: fields)
        case .unsupported, .engine: break
        }
    }

    /// Writes EOF and the checksum, and flushes the sink.
    public mutating func finish() throws {
        putByte(RDBOpcode.eof)
        try drain()
        putLE(checksum ? crc : 0, 8)
        try drain()
        try sink.flush()
    }
}

/// A score as Redis 4.0 stores it in a ziplist (integral values as integers, else %.17g).
func scoreText(_ d: Double) -> Bytes {
    if d == 0 && d.sign == .minus { return Bytes("-0".utf8) }  // as Redis's d2string: -0 stays negative
    if d.isFinite, d == d.rounded(), abs(d) < 1e17, let v = Int64(exactly: d) { return bytesOf(v) }
    return formatDouble(d)
}
