// ReplicationID: the name of one replication history, as PSYNC2 spells it.
//
// Contract: exactly 40 lowercase hexadecimal characters (Redis's
// CONFIG_RUN_ID_SIZE). A master draws a fresh one when its history begins
// (start-up, promotion, a full resync it cannot continue); a replica adopts
// its master's. `none` (forty zeros) is Redis's spelling of "no second ID".
// Tricky bit: Redis compares IDs with strcasecmp, so the parser accepts
// uppercase hex too and stores it lowercased; two IDs that differ only in
// case are the same ID.

/// A 40-character hexadecimal replication ID (Redis's `replid`).
public struct ReplicationID: Hashable, Sendable, CustomStringConvertible {
    /// The number of characters in an ID.
    public static let length = 40

    /// The ID as sent on the wire: 40 lowercase hex characters.
    public let text: String

    /// Validates `text` as 40 hex characters (either case); nil otherwise.
    public init?(_ text: String) {
        guard text.utf8.count == Self.length,
              text.utf8.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
        self.text = text.lowercased()
    }

    /// Validates raw bytes as 40 hex characters; nil otherwise.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.length, bytes.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    private init(validated text: String) { self.text = text }

    /// Forty zeros: Redis's value for "no secondary replication ID".
    public static let none = ReplicationID(validated: String(repeating: "0", count: length))

    /// A fresh random ID drawn from `generator`.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ReplicationID {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(length)
        for _ in 0..<length {
            text.append(digits[Int(generator.next(upperBound: UInt8(16)))])
        }
        return ReplicationID(validated: String(decoding: text, as: UTF8.self))
    }

    /// A fresh random ID from the system's generator.
    public static func random() -> ReplicationID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public var description: String { text }

    /// The ID's bytes, for building replies.
    public var bytes: [UInt8] { Array(text.utf8) }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (97...102).contains(c) || (65...70).contains(c)
    }
}
