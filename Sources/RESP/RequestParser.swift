// RequestParser: turns the bytes a client sends into commands (arrays of byte
// strings), as Redis reads its query buffer.
//
// Two forms arrive on the wire: multibulk (`*<n>\r\n` then n times
// `$<len>\r\n<bytes>\r\n`) and inline (a line of space-separated words, with
// Redis's quoting rules), chosen by the first byte. The parser is resumable: a
// command split across reads keeps the arguments already parsed, so a huge
// command arriving in many small reads is parsed once, not once per read.
//
// Contract: `next(from:)` consumes only whole units (a header line, a complete
// bulk) and returns nil when it needs more bytes. A malformed request throws a
// `ProtocolError` whose message is Redis's; the caller replies and closes the
// connection, since the stream cannot be resynchronised.
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request or reply that breaks the protocol. The stream cannot be resynchronised
/// after one: the server replies with `message` and closes, a client drops the link.
public struct ProtocolError: Error, Equatable, Sendable {
    /// The reply text, e.g. "ERR Protocol error: invalid bulk length".
    public let message: String
    /// An error carrying `message` verbatim (the parser passes Redis's wording).
    public init(_ message: String) { self.message = message }
}

/// The sizes past which `RequestParser` rejects a request, as Redis's config sets them;
/// the defaults are Redis's.
public struct RequestLimits: Sendable {
    /// `proto-max-bulk-len`: the largest argument accepted.
    public var maxBulkLength: Int = 512 * 1024 * 1024
    /// The most arguments one multibulk command may have.
    public var maxMultibulkCount: Int = 1024 * 1024
    /// The longest inline command or header line without a newline (PROTO_INLINE_MAX_SIZE).
    public var maxInlineLength: Int = 64 * 1024
    /// Redis's default limits; set the fields to change them.
    public init() {}
}

/// The resumable parser for one connection's request stream: keep one per connection
/// and call `next(from:)` after each read until it returns nil.
public struct RequestParser {
    /// The limits checked while parsing; a change applies from the next header or line read.
    public var limits: RequestLimits
    var argv: [[UInt8]] = []
    /// Arguments of the current multibulk command stored so far; `argv` may hold more, the
    /// previous command's, kept for their storage.
    var filled = 0
    /// Arguments still to read of the current multibulk command; 0 when between commands.
    private var remaining = 0
    /// Length of the bulk whose header was read but whose bytes have not arrived; -1 if none.
    private var bulkLength = -1

    /// A parser between commands, checking `limits`.
    public init(limits: RequestLimits = RequestLimits()) { self.limits = limits }

    /// True while part of a multibulk command has been read (its header at least), so
    /// the connection holds an unfinished request; never true for an inline one.
    public var isMidCommand: Bool { remaining > 0 }

    /// Reads the next complete command, or nil when more bytes are needed; bytes of a
    /// partial multibulk command are consumed and kept, so call again with more input.
    /// An empty array means an empty command (blank inline line, `*0`): ignore it.
    /// Throws `ProtocolError` (Redis's message) on a malformed or oversized request.
    public mutating func next(from buffer: inout ByteBuffer) throws -> [[UInt8]]? {
        if remaining == 0 {
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
            if first != UInt8(ascii: "*") { return try parseInline(&buffer) }
            if let command = nextWhole(from: &buffer) { return command }
            guard let header = try readHeader(&buffer, tooLong: "ERR Protocol error: too big mbulk count string") else { return nil }
            guard let n = header.number, n <= limits.maxMultibulkCount else {
                throw ProtocolError("ERR Protocol error: invalid multibulk length")
            }
            if n <= 0 { return [] }
            remaining = n
            filled = 0
            argv.reserveCapacity(min(n, 1024))
        }
        while remaining > 0 {
            if bulkLength < 0 {
                // Like Redis, the header's first byte is judged once its whole line is in.
                guard let header = try readHeader(&buffer, tooLong: "ERR Protocol error: too big bulk count string") else { return nil }
                let first = header.first
                guard first == UInt8(ascii: "$") else {
                    let shown = String(decoding: [first], as: UTF8.self)
                    reset()
                    throw ProtocolError("ERR Protocol error: expected '$', got '\(shown)'")
                }
                guard let n = header.number, n >= 0, n <= limits.maxBulkLength else {
                    reset()
                    throw ProtocolError("ERR Protocol error: invalid bulk length")
                }
                bulkLength = n
            }
            guard buffer.readableBytes >= bulkLength + 2 else { return nil }
            let n = bulkLength
            buffer.withUnsafeReadableBytes { storeArgument(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            buffer.moveReaderIndex(forwardBy: n + 2)
            bulkLength = -1
            remaining -= 1
        }
        return takeCommand()
    }

    /// The command whose arguments were stored, handed out (its storage comes back by `recycle`).
    mutating func takeCommand() -> [[UInt8]] {
        if argv.count > filled { argv.removeLast(argv.count - filled) }  // a longer command's leftovers
        let command = argv
        argv = []
        return command
    }

    /// Stores `bytes` as argument `filled`, into the previous command's argument in that
    /// place when its storage is the size a fresh array would get (so a value the keyspace
    /// keeps is never oversized). Storage nothing else holds is written over, saving an
    /// allocation and a free; storage shared (the keyspace kept that argument) is left to
    /// its holder, and `removeAll(keepingCapacity:)` allocates anew.
    mutating func storeArgument(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        defer { filled += 1 }
        guard filled < argv.count else { return argv.append(Array(bytes)) }
        let capacity = argv[filled].capacity
        guard n > 0, capacity >= n, capacity - n < Self.reuseSlack else {
            argv[filled] = Array(bytes)
            return
        }
        if argv[filled].count == n {  // the usual case (a command name, keys of one form): a plain copy
            argv[filled].withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        } else {
            argv[filled].removeAll(keepingCapacity: true)
            argv[filled].append(contentsOf: bytes)
        }
    }

    /// How much larger than an argument its reused storage may be: under one small malloc
    /// size class, so it is what a fresh array of that length would have.
    static let reuseSlack = 16

    /// Takes back the storage of a command `next` returned, once the caller is done with it,
    /// so the next command's argument list needs no allocation. Storage still shared (a
    /// queued MULTI command) is copied when the next command writes it, as a fresh list
    /// would be made; storage grown large is left to the caller.
    public mutating func recycle(_ storage: inout [[UInt8]]) {
        guard remaining == 0, argv.capacity == 0, storage.capacity <= Self.recycledCapacity else { return }
        // Small arguments stay for the next command to write over; large ones go now.
        if storage.contains(where: { $0.capacity > Self.keptArgumentCapacity }) {
            storage.removeAll(keepingCapacity: true)
        }
        swap(&argv, &storage)
    }

    /// The largest argument list kept for reuse.
    static let recycledCapacity = 64
    /// The largest argument storage kept between commands.
    static let keptArgumentCapacity = 256

    private mutating func reset() {
        argv = []
        filled = 0
        remaining = 0
        bulkLength = -1
    }

    /// Finds the next line: its length without the line ending, and the bytes to consume
    /// through its "\n". Nil when no "\n" has arrived yet (an error past the inline limit).
    private func locateLine(_ buffer: ByteBuffer, tooLong: String) throws -> (length: Int, consumed: Int)? {
        let found: (Int, Int)? = buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0,
                  let hit = memchr(base, Int32(UInt8(ascii: "\n")), raw.count) else { return nil }
            let newline = UnsafeRawPointer(hit) - base
            let length = newline > 0 && raw[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            return (length, newline + 1)
        }
        if found == nil && buffer.readableBytes > limits.maxInlineLength { throw ProtocolError(tooLong) }
        return found
    }

    /// Reads a header line ("*N", "$N"): its first byte (judged once the whole line is in,
    /// as Redis does) and the number after it, nil when malformed.
    private func readHeader(_ buffer: inout ByteBuffer, tooLong: String) throws -> (first: UInt8, number: Int?)? {
        guard let (length, consumed) = try locateLine(buffer, tooLong: tooLong) else { return nil }
        let header = buffer.withUnsafeReadableBytes { raw in
            (raw[0], Self.parseNumber(UnsafeRawBufferPointer(rebasing: raw[1..<max(length, 1)])))
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        return header
    }

    /// Reads one line (without its ending) as bytes; nil if incomplete.
    private func readLine(_ buffer: inout ByteBuffer, tooLong: String) throws -> [UInt8]? {
        guard let (length, consumed) = try locateLine(buffer, tooLong: tooLong) else { return nil }
        let line = buffer.getBytes(at: buffer.readerIndex, length: length) ?? []
        buffer.moveReaderIndex(forwardBy: consumed)
        return line
    }

    /// Parses a signed decimal with Redis's string2ll rules ("0" alone, else no
    /// leading zero, no "+", no "-0"); nil if malformed.
    static func parseNumber(_ digits: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let end = digits.count
        guard i < end else { return nil }
        if end == 1 && digits[0] == UInt8(ascii: "0") { return 0 }
        var negative = false
        if digits[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end, end - i <= 19, digits[i] != UInt8(ascii: "0") else { return nil }
        var v = 0
        while i < end {
            let d = digits[i] &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (sum, o2) = m.addingReportingOverflow(Int(d))
            if o1 || o2 { return nil }
            v = sum
            i += 1
        }
        return negative ? -v : v
    }

    private mutating func parseInline(_ buffer: inout ByteBuffer) throws -> [[UInt8]]? {
        guard let line = try readLine(&buffer, tooLong: "ERR Protocol error: too big inline request") else { return nil }
        guard let words = splitArguments(line) else {
            throw ProtocolError("ERR Protocol error: unbalanced quotes in request")
        }
        return words
    }
}

/// Splits a line into words as Redis's sdssplitargs does: whitespace separates words,
/// "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes'
/// take \' only; a closing quote must be followed by whitespace or the end.
/// A bare word ends only at space, tab, CR or LF (a \v or \f inside it is kept,
/// as in Redis). Returns nil for unbalanced quotes.
public func splitArguments(_ line: [UInt8]) -> [[UInt8]]? {
    var words: [[UInt8]] = []
    var i = 0
    let n = line.count
    func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 11 || c == 12 }
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
    while true {
        while i < n && isSpace(line[i]) { i += 1 }
        if i >= n { return words }
        var word: [UInt8] = []
        var inDouble = false
        var inSingle = false
        var done = false
        while !done {
            if inDouble {
                if i >= n { return nil }
                let c = line[i]
                if c == UInt8(ascii: "\\") && i + 3 < n && line[i + 1] == UInt8(ascii: "x"),
                   let h = hex(line[i + 2]), let l = hex(line[i + 3]) {
                    word.append(h * 16 + l)
                    i += 3
                } else if c == UInt8(ascii: "\\") && i + 1 < n {
                    i += 1
                    switch line[i] {
                    case UInt8(ascii: "n"): word.append(10)
                    case UInt8(ascii: "r"): word.append(13)
                    case UInt8(ascii: "t"): word.append(9)
                    case UInt8(ascii: "b"): word.append(8)
                    case UInt8(ascii: "a"): word.append(7)
                    default: word.append(line[i])
                    }
                } else if c == UInt8(ascii: "\"") {
                    if i + 1 < n && !isSpace(line[i + 1]) { return nil }
                    done = true
                } else {
                    word.append(c)
                }
            } else if inSingle {
                if i >= n { return nil }
                let c = line[i]
                if c == UInt8(ascii: "\\") && i + 1 < n && line[i + 1] == UInt8(ascii: "'") {
                    i += 1
                    word.append(UInt8(ascii: "'"))
                } else if c == UInt8(ascii: "'") {
                    if i + 1 < n && !isSpace(line[i + 1]) { return nil }
                    done = true
                } else {
                    word.append(c)
                }
            } else {
                if i >= n { break }
                let c = line[i]
                // Only these end a bare word: a vertical tab or form feed stays in it.
                if c == 32 || c == 10 || c == 13 || c == 9 {
                    done = true
                } else if c == UInt8(ascii: "\"") {
                    inDouble = true
                } else if c == UInt8(ascii: "'") {
                    inSingle = true
                } else {
                    word.append(c)
                }
            }
            if i < n { i += 1 }
        }
        words.append(word)
    }
}

/// `argv` as a client sends it: a RESP multibulk command (`*N`, then `$len` and each argument).
/// The same bytes as `ByteBuffer.writeCommand(_:)`, as an array, for code without a buffer.
public func multibulk(_ argv: [[UInt8]]) -> [UInt8] {
    var out = Array("*\(argv.count)\r\n".utf8)
    for arg in argv {
        out += Array("$\(arg.count)\r\n".utf8)
        out += arg
        out += [13, 10]
    }
    return out
}
