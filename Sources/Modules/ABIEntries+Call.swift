// ABIEntries+Call: RedisModule_Call (its C half builds the arguments), the
// CallReply accessors, Replicate and ReplicateVerbatim.
//
// Contract (Redis 4.0): Call returns NULL with errno EINVAL for an unknown
// command, a wrong arity or a bad format, and otherwise a reply, errors
// included. Format "!" makes the called command's records join the change
// stream inside the MULTI ... EXEC of this module command.
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

private func argvFrom(_ cmdname: UnsafePointer<CChar>, _ args: UnsafePointer<cairn_module_arg>?, _ argc: Int32) -> [Bytes] {
    var argv: [Bytes] = [Bytes(String(cString: cmdname).utf8)]
    argv.reserveCapacity(Int(argc) + 1)
    for i in 0..<Int(max(argc, 0)) {
        let a = args![i]
        argv.append(a.ptr == nil ? [] : Bytes(UnsafeRawBufferPointer(start: a.ptr, count: a.len)))
    }
    return argv
}

@_cdecl("cairn_rm_call_argv")
func cairn_rm_call_argv(_ ctx: UnsafeMutableRawPointer?, _ cmdname: UnsafePointer<CChar>,
                        _ args: UnsafePointer<cairn_module_arg>?, _ argc: Int32, _ replicate: Int32) -> UnsafeMutableRawPointer? {
    guard let ctx else { errno = EINVAL; return nil }
    let c = ModuleContext.from(ctx)
    let argv = argvFrom(cmdname, args, argc)
    // The host checks the name and the arity, then emits MULTI (for "!") before it runs the command.
    guard let proto = c.host.moduleCall(c, argv, replicate: replicate != 0),
          let reply = ModuleCallReply.parse(proto) else {
        errno = EINVAL
        return nil
    }
    reply.adopt(c)
    c.track(reply)
    return Unmanaged.passRetained(reply).toOpaque()
}

@_cdecl("cairn_rm_replicate_argv")
func cairn_rm_replicate_argv(_ ctx: UnsafeMutableRawPointer?, _ cmdname: UnsafePointer<CChar>,
                             _ args: UnsafePointer<cairn_module_arg>?, _ argc: Int32) -> Int32 {
    guard let ctx else { return moduleERR }
    let c = ModuleContext.from(ctx)
    let argv = argvFrom(cmdname, args, argc)
    guard c.host.moduleCommandExists(String(decoding: argv[0], as: UTF8.self).lowercased()) else { return moduleERR }
    c.replicate(argv)
    return moduleOK
}

@_cdecl("cairn_rm_ReplicateVerbatim")
func cairn_rm_ReplicateVerbatim(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return moduleERR }
    ModuleContext.from(ctx).replicateVerbatim()
    return moduleOK
}

@_cdecl("cairn_rm_FreeCallReply")
func cairn_rm_FreeCallReply(_ reply: UnsafeMutableRawPointer?) {
    guard let reply else { return }
    let r = ModuleCallReply.from(reply)
    guard !r.nested else { return }
    // A reply made in an AutoMemory context is on its list: freed now, not again at the end.
    if let ctx = r.context { _ = ctx.untrack(r) }
    Unmanaged.passUnretained(r).release()
}

@_cdecl("cairn_rm_CallReplyType")
func cairn_rm_CallReplyType(_ reply: UnsafeMutableRawPointer?) -> Int32 {
    guard let reply else { return -1 }
    return ModuleCallReply.from(reply).kind.rawValue
}

@_cdecl("cairn_rm_CallReplyLength")
func cairn_rm_CallReplyLength(_ reply: UnsafeMutableRawPointer?) -> Int {
    guard let reply else { return 0 }
    let r = ModuleCallReply.from(reply)
    switch r.kind {
    case .string, .error: return r.textCount
    case .array: return r.elements.count
    default: return 0
    }
}

@_cdecl("cairn_rm_CallReplyArrayElement")
func cairn_rm_CallReplyArrayElement(_ reply: UnsafeMutableRawPointer?, _ idx: Int) -> UnsafeMutableRawPointer? {
    guard let reply else { return nil }
    let r = ModuleCallReply.from(reply)
    guard r.kind == .array, idx >= 0, idx < r.elements.count else { return nil }
    return Unmanaged.passUnretained(r.elements[idx]).toOpaque()
}

@_cdecl("cairn_rm_CallReplyInteger")
func cairn_rm_CallReplyInteger(_ reply: UnsafeMutableRawPointer?) -> Int64 {
    guard let reply else { return Int64.min }
    let r = ModuleCallReply.from(reply)
    return r.kind == .integer ? r.integer : Int64.min
}

@_cdecl("cairn_rm_CallReplyStringPtr")
func cairn_rm_CallReplyStringPtr(_ reply: UnsafeMutableRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    guard let reply else { return nil }
    let r = ModuleCallReply.from(reply)
    guard r.kind == .string || r.kind == .error else { return nil }
    len?.pointee = r.textCount
    return r.textPointer
}

@_cdecl("cairn_rm_CallReplyProto")
func cairn_rm_CallReplyProto(_ reply: UnsafeMutableRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    guard let reply else { return nil }
    let r = ModuleCallReply.from(reply)
    len?.pointee = r.proto.count
    return r.protoPointer
}

@_cdecl("cairn_rm_CreateStringFromCallReply")
func cairn_rm_CreateStringFromCallReply(_ reply: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let reply else { return nil }
    let r = ModuleCallReply.from(reply)
    let ctx = r.context
    switch r.kind {
    case .string, .error:
        return ctx?.newString(r.textBytes) ?? ModuleString(bytes: r.textBytes).retainedPointer()
    case .integer:
        let b = Bytes(String(r.integer).utf8)
        return ctx?.newString(b) ?? ModuleString(bytes: b).retainedPointer()
    default:
        return nil
    }
}
