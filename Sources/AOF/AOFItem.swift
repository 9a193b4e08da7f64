// AOFItem: what the AOF reader yields (commands, and the RDB preamble's
// events) and the error it throws, classified the way Redis's loader and
// redis-check-aof act on it.
//
// Contract: offsets are byte offsets from the start of the file. A command
// carries the offset of its '*' and of the byte after its last CRLF, and the
// database it runs in (as changed by SELECT before it). An AOFReadError says
// what kind of damage was found, where, and `validUpTo`: the length the file
// may be cut to so that it holds only whole commands and no unfinished
// MULTI block (what `aof-load-truncated` and `check --fix` truncate to).
// Tricky bit: a file that ends inside a command is `truncated` (fixable by
// cutting it); a byte that no valid file could hold at that place is
// `badFormat`, even if the file also ends soon after.
import Engine
import RDB

/// One command read from an AOF.
public struct AOFCommand: Equatable, Sendable {
    /// The arguments, the command name first.
    public var argv: [Bytes]
    /// The database the command runs in (after SELECT takes effect, for a SELECT).
    public var db: Int
    /// Offset of the command's first byte (its '*').
    public var offset: Int
    /// Offset just past the command's last byte.
    public var end: Int

    public init(argv: [Bytes], db: Int, offset: Int, end: Int) {
        self.argv = argv; self.db = db; self.offset = offset; self.end = end
    }
}

/// What the reader yields, in file order.
public enum AOFItem: Equatable, Sendable {
    /// An event of the RDB preamble (header, aux fields, keys, end).
    case preamble(RDBEvent)
    /// A command of the log.
    case command(AOFCommand)
}

/// Damage found while reading an AOF.
public struct AOFReadError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The file ends inside a command (or inside a MULTI block): cutting it at `validUpTo` repairs it.
        case truncated
        /// A byte that cannot be there: the file is corrupt at `offset`.
        case badFormat = "bad format"
        /// The RDB preamble is damaged (Redis refuses such a file outright).
        case preamble = "bad RDB preamble"
        /// The file could not be read.
        case io = "read error"
    }
    public var kind: Kind
    /// Where the problem is: the bad byte, or the end of the file for `truncated`.
    public var offset: Int
    /// The file length that keeps only whole commands outside unfinished transactions.
    public var validUpTo: Int
    /// Whole commands before `validUpTo` (those of an unfinished MULTI block not counted).
    public var commands: Int
    /// What was wrong, in words.
    public var message: String
    /// The file ends, after whole commands, inside a MULTI block (Redis logs a revert for it).
    public var endsInsideTransaction = false

    public init(kind: Kind, offset: Int, validUpTo: Int, commands: Int, message: String) {
        self.kind = kind; self.offset = offset; self.validUpTo = validUpTo
        self.commands = commands; self.message = message
    }

    public var description: String { "\(kind.rawValue) at offset \(offset): \(message)" }
}
