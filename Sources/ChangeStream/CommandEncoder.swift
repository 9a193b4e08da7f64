// CommandEncoder: turns propagation records into RESP multibulk bytes
// (`*N\r\n$len\r\narg\r\n...`), with a SELECT written whenever a record's
// database differs from the last one written. The AOF and the replication
// stream each keep one: the bytes of both are commands as a client sends them.
//
// Contract: `append(_:)` adds one record to `buffer` (a SELECT first when the
// database changes); `take()` hands the bytes over and empties the buffer but
// keeps the selected database, so consecutive batches stay consistent. After
// a rewrite, a new file, or a full sync, `forgetSelectedDB()` forces the next
// record to select its database again (Redis sets aof_selected_db and
// slaveseldb to -1).
// Tricky bit: this is on the write path of every command, so arguments and
// decimal lengths are appended straight into the one buffer: no temporary
// strings or arrays per argument.
import Engine

/// Appends commands to a byte buffer, tracking the selected database.
public struct CommandEncoder {
    /// The encoded bytes not yet taken.
    public var buffer: [UInt8] = []
    /// The database the file has selected last; -1 when unknown.
    public private(set) var selectedDB: Int

    /// Starts an encoder; `selectedDB` -1 means the first record writes a SELECT.
    public init(selectedDB: Int = -1, capacity: Int = 0) {
        self.selectedDB = selectedDB
        buffer.reserveCapacity(capacity)
    }

    /// Appends one record, preceded by a SELECT when its database is not the selected one.
    public mutating func append(_ record: PropagationRecord) {
        append(db: record.db, argv: record.argv)
    }

    /// Appends `argv` as run in database `db`.
    public mutating func append(db: Int, argv: [Bytes]) {
        if db != selectedDB { appendSelect(db) }
        appendCommand(argv)
    }

    /// Appends `SELECT db` and records it as the selected database.
    public mutating func appendSelect(_ db: Int) {
        beginCommand(argumentCount: 2)
        appendArgument(selectLiteral)
        appendArgument(Int64(db))
        selectedDB = db
    }

    /// Appends `argv` as one command, without any SELECT.
    public mutating func appendCommand(_ argv: [Bytes]) {
        beginCommand(argumentCount: argv.count)
        for a in argv { appendArgument(a) }
    }

    /// Makes the next record write a SELECT, whatever its database.
    public mutating func forgetSelectedDB() { selectedDB = -1 }

    /// Returns the encoded bytes and empties the buffer (the selected database is kept).
    public mutating func take() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    // MARK: the pieces of a command, for writers that build arguments in place

    /// Appends the `*N\r\n` header of a command of `argumentCount` arguments.
    public mutating func beginCommand(argumentCount: Int) {
        buffer.append(UInt8(ascii: "*"))
        appendDecimal(argumentCount)
        buffer.append(13); buffer.append(10)
    }

    /// Appends one bulk argument.
    public mutating func appendArgument(_ bytes: Bytes) {
        bytes.withUnsafeBytes { appendArgument($0) }
    }

    /// Appends one bulk argument from raw memory.
    public mutating func appendArgument(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(UInt8(ascii: "$"))
        appendDecimal(bytes.count)
        buffer.append(13); buffer.append(10)
        buffer.append(contentsOf: bytes)
        buffer.append(13); buffer.append(10)
    }

    /// Appends an integer as a bulk argument in decimal text.
    public mutating func appendArgument(_ value: Int64) {
        buffer.append(UInt8(ascii: "$"))
        appendDecimal(decimalLength(value))
        buffer.append(13); buffer.append(10)
        appendDecimal(value)
        buffer.append(13); buffer.append(10)
    }

    /// Appends the decimal digits of a non-negative count.
    mutating func appendDecimal(_ n: Int) { appendDecimal(Int64(n)) }

    /// Appends the decimal text of `v`, digits written back to front in place.
    mutating func appendDecimal(_ v: Int64) {
        if v >= 0 && v < 10 { buffer.append(UInt8(ascii: "0") + UInt8(v)); return }
        let length = decimalLength(v)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: length))
        var magnitude = v.magnitude
        var i = start + length - 1
        while magnitude > 0 {
            buffer[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            i -= 1
        }
        if v < 0 { buffer[start] = UInt8(ascii: "-") }
    }
}

private let selectLiteral = Bytes("SELECT")

/// One command as RESP multibulk bytes (for tests and tools; streams use CommandEncoder).
public func encodeCommand(_ argv: [Bytes]) -> [UInt8] {
    var e = CommandEncoder(selectedDB: 0)
    e.appendCommand(argv)
    return e.buffer
}
