// DumpPayload: the serialized form DUMP returns and RESTORE takes: one
// value's RDB type byte and body, then the RDB version (2 bytes, little
// endian) and a CRC64 of everything before it (8 bytes, little endian).
//
// Contract: `make` writes version 8 (what Redis 4.0 writes); `parse` accepts
// any version the reader knows (1 to 11), so a payload from Redis 7.0
// (listpack encodings, version 10) restores, and checks the checksum before
// reading a byte of the body. Tricky bit: the body must end exactly where the
// footer starts: trailing bytes mean a corrupt payload.
import Engine

public enum DumpPayload {
    /// The RDB version DUMP writes.
    public static let version: UInt16 = 8

    /// Why a payload was refused (the two error replies Redis gives).
    public enum Problem: Error, Equatable {
        /// "DUMP payload version or checksum are wrong".
        case versionOrChecksum
        /// "Bad data format".
        case badFormat
    }

    /// The DUMP payload of `value`; throws only when a module value's rdb_save failed.
    public static func make(_ value: Value, compression: Bool = true) throws -> [UInt8] {
        var writer = RDBWriter(MemorySink())
        writer.compression = compression
        writer.checksum = false
        writer.putByte(RDBWriter<MemorySink>.typeByte(of: value))
        try writer.object(value)
        try writer.drain()
        var out = writer.sink.bytes
        out.append(UInt8(version & 0xFF))
        out.append(UInt8(version >> 8))
        let crc = CRC64.checksum(out)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        return out
    }

    /// The RDB version a payload says it was written with (nil: too short to say).
    public static func writtenVersion(_ payload: [UInt8]) -> Int? {
        guard payload.count >= 11 else { return nil }
        let footer = payload.count - 10
        return Int(payload[footer]) | Int(payload[footer + 1]) << 8
    }

    /// The value a payload holds, in the neutral model (convert with `RDBEntry.engineValue`).
    public static func parse(_ payload: [UInt8], key: Bytes) throws -> RDBEntry {
        guard payload.count >= 11 else { throw Problem.versionOrChecksum }
        let footer = payload.count - 10
        let version = writtenVersion(payload)!
        guard version >= 1 && version <= 11 else { throw Problem.versionOrChecksum }
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(payload[footer + 2 + i]) << (8 * UInt64(i)) }
        // Unlike a file's trailer, a payload's checksum is always checked: Redis never writes a zero one.
        guard stored == CRC64.checksum(payload[..<(footer + 2)]) else { throw Problem.versionOrChecksum }

        var reader = RDBReader(MemorySource(Array(payload[..<footer])))
        reader.version = version
        do {
            guard let type = RDBType(rawValue: try reader.input.byte()) else { throw Problem.badFormat }
            reader.input.currentKey = key
            let value = try reader.readValue(type, typeOffset: 0, entryStart: 0)
            guard try reader.input.atEnd() else { throw Problem.badFormat }
            return RDBEntry(db: 0, key: key, value: value, type: type)
        } catch is RDBError {
            throw Problem.badFormat
        }
    }
}
