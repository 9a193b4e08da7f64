// AOFReader: a streaming reader of append-only files: an optional RDB
// preamble (a file that starts with "REDIS"), then RESP multibulk commands.
//
// Contract: `next()` yields the preamble's events, then each command with
// its database and byte range, and nil at a clean end; it throws an
// AOFReadError classifying the damage (see AOFItem.swift). The syntax is
// redis-check-aof's: a command is `*<argc>\r\n` then argc times
// `$<len>\r\n<len bytes>\r\n`; lines starting with '#' between commands are
// Redis 7 annotations, skipped (a last one may lack its LF, as
// redis-check-aof accepts). With `checkTransactions` (the
// default) a nested MULTI or an EXEC without MULTI is a format error, and a
// file ending inside MULTI...EXEC is truncated back to before the MULTI, as
// redis-check-aof and Redis's loader do. Commands inside a MULTI block are
// yielded as they are read: a loader queues them until EXEC itself.
// Memory: the file is read in chunks; only the command being parsed is held.
// Tricky bit: a command that spans chunks is re-parsed from its start after
// each refill, and the refill size doubles while one command stays
// incomplete, so a huge command costs O(n log n), not O(n^2). The RDB reader
// buffers ahead, so the source is shared through `SharedSource`, which
// remembers the last chunk it handed out: the bytes the RDB reader did not
// consume are the tail of that chunk.
import Engine
import RDB

/// A byte source several readers take turns on: bytes pushed back are served
/// first, and the last chunk handed out is remembered.
final class SharedSource<Inner: ByteSource>: ByteSource {
    var inner: Inner
    var pending: [UInt8] = []
    var lastChunk: [UInt8] = []
    var handedOut = 0

    init(_ inner: Inner) { self.inner = inner }

    func read(max: Int) throws -> [UInt8] {
        if !pending.isEmpty {
            let n = Swift.min(Swift.max(1, max), pending.count)
            lastChunk = Array(pending[0..<n])
            pending.removeSubrange(0..<n)
        } else {
            lastChunk = try inner.read(max: max)
        }
        handedOut += lastChunk.count
        return lastChunk
    }
}

/// Streams the preamble events and the commands of an AOF.
public struct AOFReader<Source: ByteSource> {
    let source: SharedSource<Source>
    var rdb: RDBReader<SharedSource<Source>>?
    var buf: [UInt8] = []
    var pos = 0
    var base = 0
    var eof = false
    var readSize = AOFReader.chunk
    var state = 0 // 0 start, 1 preamble, 2 commands, 3 done
    var multiStart: Int?
    /// Whole commands before the open MULTI block (what survives a cut at `validUpTo`).
    var commandsBeforeMulti = 0

    /// The database the next command runs in.
    public private(set) var db = 0
    /// Whole commands read so far.
    public private(set) var commandCount = 0
    /// Offset just past the last whole command (or the preamble).
    public private(set) var lastCommandEnd = 0
    /// Whether the file starts with an RDB preamble.
    public private(set) var hasPreamble = false
    /// Offset just past the preamble's checksum (0 without a preamble).
    public private(set) var preambleEnd = 0
    /// The first and last `#TS:<unix seconds>` annotations seen (Redis 7.0 writes them with aof-timestamp-enabled).
    public private(set) var firstTimestamp: Int64?
    public private(set) var lastTimestamp: Int64?
    /// Track MULTI blocks: a file that ends inside one is truncated there.
    public var checkTransactions = true
    /// With `checkTransactions`, a nested MULTI or an EXEC without MULTI is bad
    /// format (redis-check-aof's view); without, they pass (a loader's view: they fail as commands).
    public var refuseUnpairedTransactions = true
    /// The longest argument accepted (Redis's largest string, 512 MB).
    public var maxArgumentLength = 512 << 20
    /// Passed to the preamble's reader: packed values become engine values at once (server loads).
    public var engineLimits: EncodingLimits?

    static var chunk: Int { 1 << 16 }

    public init(_ source: Source) { self.source = SharedSource(source) }

    /// The file length that keeps whole commands only, outside any unfinished MULTI block.
    public var validUpTo: Int { multiStart ?? lastCommandEnd }

    /// The next preamble event or command; nil at a clean end.
    public mutating func next() throws -> AOFItem? {
        switch state {
        case 0:
            while buf.count < 5, !eof { try fill() }
            if buf.count >= 5, buf[0..<5].elementsEqual("REDIS".utf8) {
                source.pending = buf
                source.handedOut -= buf.count
                buf = []
                var r = RDBReader(source)
                r.strictEnd = false
                r.engineLimits = engineLimits
                rdb = r
                hasPreamble = true
                state = 1
            } else if eof, !buf.isEmpty, "REDIS".utf8.starts(with: buf) {
                state = 3
                throw AOFReadError(kind: .preamble, offset: buf.count, validUpTo: 0, commands: 0,
                                   message: "RDB preamble: the file ends inside the \"REDIS\" magic")
            } else {
                state = 2
            }
            return try next()
        case 1: return try preambleEvent()
        case 2: return try command()
        default: return nil
        }
    }

    mutating func preambleEvent() throws -> AOFItem? {
        let ev: RDBEvent?
        do { ev = try rdb!.next() } catch let e as RDBError {
            state = 3
            throw AOFReadError(kind: .preamble, offset: e.offset, validUpTo: 0, commands: 0, message: "RDB preamble: \(e)")
        }
        guard let ev else { state = 3; return nil }
        if case .end = ev {
            let consumed = rdb!.offset
            let unread = source.handedOut - consumed
            buf = Array(source.lastChunk.suffix(unread))
            pos = 0; base = consumed
            preambleEnd = consumed; lastCommandEnd = consumed
            db = 0
            rdb = nil
            state = 2
        }
        return .preamble(ev)
    }

    /// Reads the next chunk into the buffer, dropping what was consumed.
    mutating func fill() throws {
        if pos > 0 {
            buf.removeSubrange(0..<pos)
            base += pos
            pos = 0
        }
        let chunk: [UInt8]
        do { chunk = try source.read(max: readSize) } catch {
            state = 3
            throw AOFReadError(kind: .io, offset: base + buf.count, validUpTo: validUpTo, commands: commandCount,
                               message: "\(error)")
        }
        if chunk.isEmpty { eof = true } else { buf.append(contentsOf: chunk) }
    }

    func damage(_ kind: AOFReadError.Kind, at offset: Int, _ message: String) -> AOFReadError {
        AOFReadError(kind: kind, offset: offset, validUpTo: validUpTo,
                     commands: multiStart == nil ? commandCount : commandsBeforeMulti, message: message)
    }

    mutating func command() throws -> AOFItem? {
        while true {
            if pos == buf.count {
                if !eof { try fill(); continue }
                state = 3
                if let m = multiStart {
                    var error = damage(.truncated, at: base + buf.count, "the file ends inside the MULTI block started at offset \(m)")
                    error.endsInsideTransaction = true
                    throw error
                }
                return nil
            }
            if buf[pos] == UInt8(ascii: "#") {
                let (end, tooLong) = buf.withUnsafeBufferPointer { annotationEnd($0, from: pos) }
                if let tooLong {
                    state = 3
                    throw damage(.badFormat, at: base + tooLong, "annotation line longer than 1024 bytes")
                }
                if end == nil && !eof { try fill(); continue }
                noteTimestamp(buf[pos..<(end ?? buf.count)])
                pos = end ?? buf.count
                if multiStart == nil { lastCommandEnd = base + pos }
                continue
            }
            let result = buf.withUnsafeBufferPointer { parseCommand($0, from: pos, maxArgument: maxArgumentLength) }
            switch result {
            case .complete(let argv, let start, let end):
                var cmd = AOFCommand(argv: argv, db: db, offset: base + start, end: base + end)
                pos = end
                readSize = AOFReader.chunk
                try account(cmd)
                cmd.db = db
                return .command(cmd)
            case .incomplete:
                if eof {
                    state = 3
                    throw damage(.truncated, at: base + buf.count, "the file ends inside the command starting at offset \(base + pos)")
                }
                if buf.count - pos >= readSize { readSize = Swift.min(readSize * 2, 1 << 26) }
                try fill()
            case .bad(let at, let message):
                state = 3
                throw damage(.badFormat, at: base + at, message)
            }
        }
    }

    /// Remembers the time of a `#TS:<seconds>` annotation line.
    mutating func noteTimestamp(_ line: ArraySlice<UInt8>) {
        let prefix = Array("#TS:".utf8)
        guard line.starts(with: prefix) else { return }
        let digits = line.dropFirst(prefix.count).prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let t = Int64(String(decoding: digits, as: UTF8.self)) else { return }
        if firstTimestamp == nil { firstTimestamp = t }
        lastTimestamp = t
    }

    /// Applies SELECT and the MULTI/EXEC rules, and counts the command.
    mutating func account(_ cmd: AOFCommand) throws {
        let name = cmd.argv[0]
        if name.count == 6, equalsIgnoringCase(name, "select"), cmd.argv.count == 2,
           let n = cmd.argv[1].parseInt64(), n >= 0, n <= Int64(Int32.max) {
            db = Int(n)
        } else if checkTransactions, name.count == 5, equalsIgnoringCase(name, "multi") {
            if let start = multiStart {
                if refuseUnpairedTransactions {
                    state = 3
                    throw damage(.badFormat, at: cmd.offset, "MULTI inside the MULTI block started at offset \(start)")
                }
            } else {
                multiStart = cmd.offset
                commandsBeforeMulti = commandCount
            }
        } else if checkTransactions, name.count == 4, equalsIgnoringCase(name, "exec") {
            if multiStart == nil && refuseUnpairedTransactions {
                state = 3
                throw damage(.badFormat, at: cmd.offset, "EXEC without MULTI")
            }
            multiStart = nil
        }
        commandCount += 1
        lastCommandEnd = cmd.end
    }
}

/// True when `bytes` equals the lowercase ASCII `word` ignoring case.
public func equalsIgnoringCase(_ bytes: Bytes, _ word: StaticString) -> Bool {
    guard bytes.count == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for i in 0..<bytes.count where bytes[i] | 0x20 != w[i] { return false }
    return true
}

extension AOFReader {
    /// Reads every item of an in-memory file (for tests and small files).
    public static func readAll(_ bytes: [UInt8]) throws -> [AOFItem] where Source == MemorySource {
        var r = AOFReader(MemorySource(bytes))
        var out: [AOFItem] = []
        while let item = try r.next() { out.append(item) }
        return out
    }
}
