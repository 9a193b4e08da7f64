// ReplicationWire: the few byte forms the replication handshake writes and
// reads outside the command stream.
//
// Contract: `command` encodes a command as a RESP multibulk array (what
// every Redis since 1.2 accepts, and safe for arguments with spaces, unlike
// Redis 4.0's inline handshake lines). `LineReader` collects the master's
// one-line replies (`+...`/`-...` ending in "\n", the "\r" dropped) from
// chunks split anywhere; a line longer than its bound is an error, so a
// master sending garbage without newlines cannot grow memory without end.

import RESP

/// Encodings shared by the replica link and the server.
public enum ReplicationWire {
    /// `words` as a RESP multibulk command: `*N\r\n$len\r\nword\r\n...`.
    public static func command(_ words: [String]) -> [UInt8] {
        command(words.map { Array($0.utf8) })
    }

    /// `words` as a RESP multibulk command.
    public static func command(_ words: [[UInt8]]) -> [UInt8] { multibulk(words) }

    /// `REPLCONF ACK <offset>`, the replica's report of its applied offset.
    public static func ack(offset: Int64) -> [UInt8] {
        command(["REPLCONF", "ACK", String(offset)])
    }
}

/// Splits a byte stream into "\n"-terminated lines, as the handshake reads replies.
struct LineReader {
    /// The longest line accepted (without its "\r\n").
    static let maxLineLength = 4096

    private(set) var pending: [UInt8] = []

    enum Outcome: Equatable {
        /// A whole line, without "\r\n".
        case line([UInt8])
        /// No whole line yet.
        case needMore
        /// More than `maxLineLength` bytes without a newline.
        case tooLong
    }

    mutating func append(_ bytes: [UInt8]) {
        pending += bytes
    }

    /// Takes the next whole line.
    mutating func nextLine() -> Outcome {
        let searched = pending.prefix(Self.maxLineLength + 2)
        guard let newline = searched.firstIndex(of: UInt8(ascii: "\n")) else {
            return pending.count > Self.maxLineLength + 1 ? .tooLong : .needMore
        }
        var line = Array(pending[..<newline])
        pending.removeFirst(newline + 1)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return .line(line)
    }

    /// Takes everything not yet read as a line (what follows the last reply).
    mutating func takeRest() -> [UInt8] {
        defer { pending = [] }
        return pending
    }
}
