// RESPValue: a decoded reply, for the client side (tests, tools that replay
// logs into a server, replication links reading a master's replies).
//
// Contract: `RESPValue.decode(from:)` consumes one whole value or nothing, and
// returns nil when more bytes are needed; malformed input throws.
import NIOCore

/// One RESP2 reply as a client receives it; arrays nest. Equality is structural, so
/// tests compare whole replies.
public indirect enum RESPValue: Equatable, Sendable, CustomStringConvertible {
    /// A status reply (`+OK`), without its `+` and line ending.
    case simple(String)
    /// An error reply (`-ERR ...`), without its `-`; the text starts with the error code.
    case error(String)
    /// An integer reply (`:42`).
    case integer(Int64)
    /// A bulk string (`$3` then `foo`): its bytes, binary-safe.
    case bulk([UInt8])
    /// The null bulk string (`$-1`), e.g. GET of a missing key.
    case null
    /// An array reply (`*N` then N values), possibly empty.
    case array([RESPValue])
    /// The null array (`*-1`), e.g. a timed-out BLPOP or an aborted EXEC.
    case nullArray

    /// Decodes one whole value from the front of `buffer` and consumes it; returns nil,
    /// consuming nothing, when more bytes are needed. Throws `ProtocolError` on a
    /// malformed reply (bad type byte or length, nesting deeper than 1000).
    public static func decode(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var copy = buffer
        guard let value = try decodeOne(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    private static func line(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let nl = view.firstIndex(of: UInt8(ascii: "\n")), nl > view.startIndex,
              view[nl - 1] == UInt8(ascii: "\r") else { return nil }
        let text = String(decoding: view[view.startIndex..<(nl - 1)], as: UTF8.self)
        buffer.moveReaderIndex(to: nl + 1)
        return text
    }

    private static func decodeOne(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth < 1000 else { throw ProtocolError("reply nested too deeply") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let text = line(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simple(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"):
            guard let v = Int64(text) else { throw ProtocolError("bad integer reply") }
            return .integer(v)
        case UInt8(ascii: "$"):
            guard let n = Int(text), n >= -1 else { throw ProtocolError("bad bulk length") }
            if n == -1 { return .null }
            // `n <= readable - 2`, not `readable >= n + 2`: a huge length must not overflow.
            guard n <= buffer.readableBytes - 2, let bytes = buffer.readBytes(length: n) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulk(bytes)
        case UInt8(ascii: "*"):
            guard let n = Int(text), n >= -1 else { throw ProtocolError("bad array length") }
            if n == -1 { return .nullArray }
            var items: [RESPValue] = []
            items.reserveCapacity(min(n, 1024))
            for _ in 0..<n {
                guard let item = try decodeOne(&buffer, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw ProtocolError("unknown reply type byte \(type)")
        }
    }

    /// redis-cli-like rendering (`(integer) 1`, `(nil)`, bulks quoted, arrays in brackets),
    /// for test failure messages and tool output; bulks are decoded as UTF-8, lossily.
    public var description: String {
        switch self {
        case .simple(let s): return s
        case .error(let s): return "(error) \(s)"
        case .integer(let v): return "(integer) \(v)"
        case .bulk(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
        case .null: return "(nil)"
        case .nullArray: return "(nil array)"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// The bytes of a bulk or simple string, nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b): return b
        case .simple(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// A bulk's text (lossy UTF-8), a simple string, an error's message; nil for the
    /// other cases (integers are not rendered).
    public var text: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .simple(let s), .error(let s): return s
        default: return nil
        }
    }
}
