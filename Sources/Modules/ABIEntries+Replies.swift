// ABIEntries+Replies: RedisModule_ReplyWith* and ReplySetArrayLength.
//
// Replies are RESP2 bytes built in the context (ModuleContext.reply), written
// to the client when the command returns. A postponed array
// (REDISMODULE_POSTPONED_ARRAY_LEN) leaves its offset on a stack; the next
// ReplySetArrayLength inserts "*<n>\r\n" there for the innermost one still open,
// as Redis's deferred lengths do. Doubles are bulk strings of "%.17g" (inf and
// -inf spelled so), as Redis 4.0's addReplyDouble.
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

extension ModuleContext {
    func append(_ s: String) { reply.append(contentsOf: s.utf8) }

    func replyBulk(_ p: UnsafeRawPointer?, _ count: Int) {
        append("$\(count)\r\n")
        if let p, count > 0 { reply.append(contentsOf: UnsafeRawBufferPointer(start: p, count: count)) }
        append("\r\n")
    }

    /// An error line: "-" plus the text as given (Redis 4.0 adds no "ERR "), newlines made
    /// spaces so the protocol stays whole.
    func replyError(_ message: String) {
        append("-" + String(message.map { $0 == "\r" || $0 == "\n" ? " " : $0 }) + "\r\n")
    }
}

@_cdecl("cairn_rm_ReplyWithLongLong")
func cairn_rm_ReplyWithLongLong(_ ctx: UnsafeMutableRawPointer?, _ v: Int64) -> Int32 {
    guard let ctx else { return moduleOK }
    ModuleContext.from(ctx).append(":\(v)\r\n")
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithError")
func cairn_rm_ReplyWithError(_ ctx: UnsafeMutableRawPointer?, _ err: UnsafePointer<CChar>?) -> Int32 {
    guard let ctx else { return moduleOK }
    ModuleContext.from(ctx).replyError(err.map { String(cString: $0) } ?? "")
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithSimpleString")
func cairn_rm_ReplyWithSimpleString(_ ctx: UnsafeMutableRawPointer?, _ msg: UnsafePointer<CChar>?) -> Int32 {
    guard let ctx else { return moduleOK }
    let given = msg.map { String(cString: $0) } ?? ""
    let text = given.map { $0 == "\r" || $0 == "\n" ? " " : $0 }
    ModuleContext.from(ctx).append("+\(String(text))\r\n")
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithArray")
func cairn_rm_ReplyWithArray(_ ctx: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
    guard let ctx else { return moduleOK }
    let c = ModuleContext.from(ctx)
    if len == -1 {
        c.postponed.append(c.reply.count)
    } else {
        c.append("*\(max(len, 0))\r\n")
    }
    return moduleOK
}

@_cdecl("cairn_rm_ReplySetArrayLength")
func cairn_rm_ReplySetArrayLength(_ ctx: UnsafeMutableRawPointer?, _ len: Int) {
    guard let ctx else { return }
    let c = ModuleContext.from(ctx)
    guard let at = c.postponed.popLast() else {
        c.host.moduleLog(.warning, "API misuse detected in module \(c.module?.name ?? "?"): "
            + "RedisModule_ReplySetArrayLength() called without previous "
            + "RedisModule_ReplyWithArray(ctx,REDISMODULE_POSTPONED_ARRAY_LEN) call.")
        return
    }
    c.reply.insert(contentsOf: Array("*\(max(len, 0))\r\n".utf8), at: at)
}

@_cdecl("cairn_rm_ReplyWithStringBuffer")
func cairn_rm_ReplyWithStringBuffer(_ ctx: UnsafeMutableRawPointer?, _ buf: UnsafeRawPointer?, _ len: Int) -> Int32 {
    guard let ctx else { return moduleOK }
    ModuleContext.from(ctx).replyBulk(buf, len)
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithString")
func cairn_rm_ReplyWithString(_ ctx: UnsafeMutableRawPointer?, _ str: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return moduleOK }
    let c = ModuleContext.from(ctx)
    guard let str else { c.append("$-1\r\n"); return moduleOK }
    let s = ModuleString.from(str)
    c.replyBulk(s.data, s.count)
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithNull")
func cairn_rm_ReplyWithNull(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return moduleOK }
    ModuleContext.from(ctx).append("$-1\r\n")
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithDouble")
func cairn_rm_ReplyWithDouble(_ ctx: UnsafeMutableRawPointer?, _ d: Double) -> Int32 {
    guard let ctx else { return moduleOK }
    let c = ModuleContext.from(ctx)
    if d.isInfinite {
        let text = d > 0 ? "inf" : "-inf"
        c.append("$\(text.utf8.count)\r\n\(text)\r\n")
    } else {
        var buf = [CChar](repeating: 0, count: 64)
        let n = Int(cairn_module_format_double(d, &buf, 64))
        buf.withUnsafeBytes { c.replyBulk($0.baseAddress, n) }
    }
    return moduleOK
}

@_cdecl("cairn_rm_ReplyWithCallReply")
func cairn_rm_ReplyWithCallReply(_ ctx: UnsafeMutableRawPointer?, _ reply: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx, let reply else { return moduleOK }
    let r = ModuleCallReply.from(reply)
    ModuleContext.from(ctx).reply.append(contentsOf: r.proto)
    return moduleOK
}
