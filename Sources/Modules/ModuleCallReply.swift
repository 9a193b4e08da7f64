// ModuleCallReply: the object behind a RedisModuleCallReply pointer, the reply
// of a command run with RedisModule_Call.
//
// The host returns the reply as RESP bytes; they are parsed once into a tree
// whose nodes keep their own slice of the protocol (CallReplyProto,
// ReplyWithCallReply) and, for strings and errors, their text, NUL-terminated
// in a buffer of their own so CallReplyStringPtr stays valid while the reply
// lives. The top reply is the module's to free (FreeCallReply, or AutoMemory);
// elements live as long as their top reply, and freeing one is a no-op.
#if canImport(Glibc)
import Glibc
#endif
import Engine

public final class ModuleCallReply {
    enum Kind: Int32 {
        case string = 0, error = 1, integer = 2, array = 3, null = 4
    }

    let kind: Kind
    /// This reply's protocol bytes (NUL after them, for CallReplyProto).
    private let protoData: UnsafeMutablePointer<UInt8>
    let protoCount: Int
    let integer: Int64
    /// String/error text (NUL after it), nil for other kinds.
    private let text: UnsafeMutablePointer<UInt8>?
    let textCount: Int
    let elements: [ModuleCallReply]
    /// Nested replies are owned by the top one; FreeCallReply ignores them.
    let nested: Bool
    /// The context whose AutoMemory list holds the top reply (strings made from it join that list too).
    weak var context: ModuleContext?

    private init(kind: Kind, proto: [UInt8], integer: Int64 = 0, text: ArraySlice<UInt8>? = nil,
                 elements: [ModuleCallReply] = [], nested: Bool) {
        self.kind = kind
        protoCount = proto.count
        let pd = malloc(proto.count + 1)!.assumingMemoryBound(to: UInt8.self)
        proto.withUnsafeBytes { if let b = $0.baseAddress, proto.count > 0 { memcpy(pd, b, proto.count) } }
        pd[proto.count] = 0
        protoData = pd
        self.integer = integer
        self.elements = elements
        self.nested = nested
        if let text {
            textCount = text.count
            let p = malloc(text.count + 1)!.assumingMemoryBound(to: UInt8.self)
            text.withUnsafeBytes { if let b = $0.baseAddress, text.count > 0 { memcpy(p, b, text.count) } }
            p[text.count] = 0
            self.text = p
        } else {
            textCount = 0
            self.text = nil
        }
    }

    deinit {
        free(text)
        free(protoData)
    }

    var proto: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: protoData, count: protoCount) }

    var protoPointer: UnsafePointer<CChar> { UnsafeRawPointer(protoData).assumingMemoryBound(to: CChar.self) }

    /// Sets the owning context on this reply and every element.
    func adopt(_ ctx: ModuleContext) {
        context = ctx
        for e in elements { e.adopt(ctx) }
    }

    var textPointer: UnsafePointer<CChar>? { text.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } }

    var textBytes: Bytes { text.map { Bytes(UnsafeBufferPointer(start: $0, count: textCount)) } ?? [] }

    static func from(_ p: UnsafeRawPointer) -> ModuleCallReply {
        Unmanaged<ModuleCallReply>.fromOpaque(p).takeUnretainedValue()
    }

    /// Parses one whole reply; nil if `proto` is not exactly one well-formed RESP2 reply.
    static func parse(_ proto: [UInt8]) -> ModuleCallReply? {
        var at = 0
        guard let r = parseOne(proto, &at, nested: false, depth: 0), at == proto.count else { return nil }
        return r
    }

    private static func line(_ b: [UInt8], _ at: inout Int) -> ArraySlice<UInt8>? {
        var i = at + 1
        while i + 1 < b.count {
            if b[i] == 13 && b[i + 1] == 10 {
                let l = b[(at + 1)..<i]
                at = i + 2
                return l
            }
            i += 1
        }
        return nil
    }

    private static func parseOne(_ b: [UInt8], _ at: inout Int, nested: Bool, depth: Int) -> ModuleCallReply? {
        guard at < b.count, depth < 1000 else { return nil }
        let start = at
        let type = b[at]
        guard let l = line(b, &at) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            return ModuleCallReply(kind: .string, proto: Array(b[start..<at]), text: l, nested: nested)
        case UInt8(ascii: "-"):
            return ModuleCallReply(kind: .error, proto: Array(b[start..<at]), text: l, nested: nested)
        case UInt8(ascii: ":"):
            guard let v = Array(l).parseInt64() else { return nil }
            return ModuleCallReply(kind: .integer, proto: Array(b[start..<at]), integer: v, nested: nested)
        case UInt8(ascii: "$"):
            guard let n = Array(l).parseInt64() else { return nil }
            if n < 0 { return ModuleCallReply(kind: .null, proto: Array(b[start..<at]), nested: nested) }
            let end = at + Int(n)
            guard end + 2 <= b.count else { return nil }
            let body = b[at..<end]
            at = end + 2
            return ModuleCallReply(kind: .string, proto: Array(b[start..<at]), text: body, nested: nested)
        case UInt8(ascii: "*"):
            guard let n = Array(l).parseInt64() else { return nil }
            if n < 0 { return ModuleCallReply(kind: .null, proto: Array(b[start..<at]), nested: nested) }
            var items: [ModuleCallReply] = []
            for _ in 0..<n {
                guard let item = parseOne(b, &at, nested: true, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return ModuleCallReply(kind: .array, proto: Array(b[start..<at]), elements: items, nested: nested)
        default:
            return nil
        }
    }
}
