// RDBError: what went wrong reading or writing an RDB stream, and where.
//
// Contract: `offset` is the byte offset in the (uncompressed) RDB stream where
// the bad item starts or where reading stopped; `key` is set when the error is
// inside a keyed entry. Tricky bit: offsets count from the "REDIS" magic, so
// for an AOF preamble they are relative to the preamble's start.

/// An error in an RDB stream, with its position and, when known, the key.
public struct RDBError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Byte offset in the stream where the problem was found.
    public var offset: Int
    /// The key of the entry being read, when the error is inside an entry.
    public var key: [UInt8]?
    /// What was wrong, in words.
    public var message: String

    public init(offset: Int, key: [UInt8]? = nil, message: String) {
        self.offset = offset
        self.key = key
        self.message = message
    }

    public var description: String {
        var s = "at offset \(offset)"
        if let key { s += ", key \(printableKey(key))" }
        return s + ": " + message
    }
}

/// A key shown for humans: printable ASCII as is, other bytes as \xHH, quoted.
public func printableKey(_ key: [UInt8]) -> String {
    var s = "\""
    for b in key {
        switch b {
        case 0x5C: s += "\\\\"
        case 0x22: s += "\\\""
        case 0x20...0x7E: s.unicodeScalars.append(Unicode.Scalar(b))
        default:
            let hex: [Character] = Array("0123456789abcdef")
            s += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
        }
    }
    return s + "\""
}
