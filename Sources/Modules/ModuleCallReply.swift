// ModuleCallReply: the object behind a RedisModuleCallReply pointer, the reply
// of a command run with RedisModule_Call.
//
// The host returns the reply as RESP bytes; they are copied once into a
// malloc'd buffer shared by the whole tree, and parsed into nodes that name
// their slice of it: their protocol (CallReplyProto, ReplyWithCallReply) and,
// for strings and errors, their text (CallReplyStringPtr points into the
// buffer, not NUL-terminated, as in Redis). The top reply is the module's to
// free (FreeCallReply, or AutoMemory); elements live as long as their top
// reply, and freeing one is a no-op.
#if canImport(Glibc)
import Glibc
#endif
import Engine

/// The protocol bytes of one reply tree (a NUL after them).
final class CallReplyBytes {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    init(_ bytes: [UInt8]) {
        count = bytes.count
        base = malloc(bytes.count + 1)!.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBytes { if let b = $0.baseAddress, bytes.count > 0 { memcpy(base, b, bytes.count) } }
        base[bytes.count] = 0
    }

    deinit { free(base) }
}

public final class ModuleCallReply {
    enum Kind: Int32 {
        case string = 0, error = 1, integer = 2, array = 3, null = 4
    }

    let kind: Kind
    private let bytes: CallReplyBytes
    private let protoStart: Int
    let protoCount: Int
    private let textStart: Int
    let textCount: Int
    let integer: Int64
    let elements: [ModuleCallReply]
    /// Nested replies are owned by the top one; FreeCallReply ignores them.
    let nested: Bool
    /// The context whose AutoMemory list holds the top reply (strings made from it join that list too).
    weak var context: ModuleContext?

    private init(_ kind: Kind, _ bytes: CallReplyBytes, proto: Range<Int>, text: Range<Int> = 0..<0,
                 integer: Int64 = 0, elements: [ModuleCallReply] = [], nested: Bool) {
        self.kind = kind
        self.bytes = bytes
        protoStart = proto.lowerBound
        protoCount = proto.count
        textStart = text.lowerBound
        textCount = text.count
        self.integer = integer
        self.elements = elements
        self.nested = nested
    }

    var proto: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes.base + protoStart, count: protoCount) }

    var protoPointer: UnsafePointer<CChar> {
        UnsafeRawPointer(bytes.base + protoStart).assumingMemoryBound(to: CChar.self)
    }

    var textPointer: UnsafePointer<CChar>? {
        kind == .string || kind == .error ? UnsafeRawPointer(bytes.base + textStart).assumingMemoryBound(to: CChar.self) : nil
    }

    var textBytes: Bytes { Bytes(UnsafeBufferPointer(start: bytes.base + textStart, count: textCount)) }

    /// Sets the owning context on this reply and every element.
    func adopt(_ ctx: ModuleContext) {
        context = ctx
        for e in elements { e.adopt(ctx) }
    }

    static func from(_ p: UnsafeRawPointer) -> ModuleCallReply {
        Unmanaged<ModuleCallReply>.fromOpaque(p).takeUnretainedValue()
    }

    /// Parses one whole reply; nil if `proto` is not exactly one well-formed RESP2 reply.
    static func parse(_ proto: [UInt8]) -> ModuleCallReply? {
        let storage = CallReplyBytes(proto)
        var parser = Parser(bytes: storage, b: UnsafeBufferPointer(start: storage.base, count: storage.count))
        guard let r = parser.one(nested: false, depth: 0), parser.at == storage.count else { return nil }
        return r
    }

    private struct Parser {
        let bytes: CallReplyBytes
        let b: UnsafeBufferPointer<UInt8>
        var at = 0

        /// The line after the type byte (its range), moving past its CRLF.
        mutating func line() -> Range<Int>? {
            var i = at + 1
            while i + 1 < b.count {
                if b[i] == 13 && b[i + 1] == 10 {
                    let r = (at + 1)..<i
                    at = i + 2
                    return r
                }
                i += 1
            }
            return nil
        }

        func number(_ r: Range<Int>) -> Int64? { Array(b[r]).parseInt64() }

        mutating func one(nested: Bool, depth: Int) -> ModuleCallReply? {
            guard at < b.count, depth < 1000 else { return nil }
            let start = at
            let type = b[at]
            guard let l = line() else { return nil }
            switch type {
            case UInt8(ascii: "+"):
                return ModuleCallReply(.string, bytes, proto: start..<at, text: l, nested: nested)
            case UInt8(ascii: "-"):
                return ModuleCallReply(.error, bytes, proto: start..<at, text: l, nested: nested)
            case UInt8(ascii: ":"):
                guard let v = number(l) else { return nil }
                return ModuleCallReply(.integer, bytes, proto: start..<at, integer: v, nested: nested)
            case UInt8(ascii: "$"):
                guard let n = number(l) else { return nil }
                if n < 0 { return ModuleCallReply(.null, bytes, proto: start..<at, nested: nested) }
                guard n <= b.count - at - 2 else { return nil }
                let end = at + Int(n)
                guard b[end] == 13 && b[end + 1] == 10 else { return nil }
                let text = at..<end
                at = end + 2
                return ModuleCallReply(.string, bytes, proto: start..<at, text: text, nested: nested)
            case UInt8(ascii: "*"):
                guard let n = number(l) else { return nil }
                if n < 0 { return ModuleCallReply(.null, bytes, proto: start..<at, nested: nested) }
                guard n <= b.count else { return nil }
                var items: [ModuleCallReply] = []
                items.reserveCapacity(Int(n))
                for _ in 0..<n {
                    guard let item = one(nested: true, depth: depth + 1) else { return nil }
                    items.append(item)
                }
                return ModuleCallReply(.array, bytes, proto: start..<at, elements: items, nested: nested)
            default:
                return nil
            }
        }
    }
}
