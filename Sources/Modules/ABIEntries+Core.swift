// ABIEntries+Core: memory, registration and context functions of the module
// API (RedisModule_Alloc ... Milliseconds), as C entry points.
//
// Each @_cdecl function has the exact C signature redismodule.h (Redis 4.0)
// declares for RedisModule_<Name>; module_api_table.c maps the name to it.
// Module pointers arrive as raw pointers and are turned back into the objects
// behind them (ModuleContext.from, ModuleString.from, ...).
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

let moduleOK: Int32 = 0
let moduleERR: Int32 = 1

// MARK: memory (the process allocator: jemalloc in cairn-server)

@_cdecl("cairn_rm_Alloc")
func cairn_rm_Alloc(_ bytes: Int) -> UnsafeMutableRawPointer? { malloc(max(bytes, 1)) }

@_cdecl("cairn_rm_Calloc")
func cairn_rm_Calloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? { calloc(max(count, 1), max(size, 1)) }

@_cdecl("cairn_rm_Realloc")
func cairn_rm_Realloc(_ p: UnsafeMutableRawPointer?, _ bytes: Int) -> UnsafeMutableRawPointer? { realloc(p, max(bytes, 1)) }

@_cdecl("cairn_rm_Free")
func cairn_rm_Free(_ p: UnsafeMutableRawPointer?) { free(p) }

@_cdecl("cairn_rm_Strdup")
func cairn_rm_Strdup(_ s: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    guard let s else { return nil }
    return strdup(s)
}

@_cdecl("cairn_rm_PoolAlloc")
func cairn_rm_PoolAlloc(_ ctx: UnsafeMutableRawPointer?, _ bytes: Int) -> UnsafeMutableRawPointer? {
    guard let ctx else { return nil }
    // Word-aligned, as Redis's pool gives.
    return ModuleContext.from(ctx).poolAlloc((bytes + 7) & ~7)
}

// MARK: loading

@_cdecl("cairn_rm_unknown_api")
func cairn_rm_unknown_api(_ name: UnsafePointer<CChar>) {
    let text = String(cString: name)
    if let ctx = loadingContext {
        ctx.unknownAPIs.append(text)
    } else {
        // Asked outside a load (a module looking an API up later): no load to fail, only the log.
        loadingRegistry?.host.moduleLog(.warning, "A module asked for an unknown API function: \(text)")
    }
}

@_cdecl("cairn_rm_SetModuleAttribs")
func cairn_rm_SetModuleAttribs(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ ver: Int32, _ apiver: Int32) {
    guard let ctx, let name else { return }
    let c = ModuleContext.from(ctx)
    guard c.module == nil else { return }
    c.module = LoadedModule(name: String(cString: name), version: Int(ver), apiVersion: Int(apiver),
                            path: c.loadingPath ?? "")
}

@_cdecl("cairn_rm_IsModuleNameBusy")
func cairn_rm_IsModuleNameBusy(_ name: UnsafePointer<CChar>?) -> Int32 {
    guard let name, let registry = loadingRegistry else { return 0 }
    return registry.modules[String(cString: name)] != nil ? 1 : 0
}

@_cdecl("cairn_rm_CreateCommand")
func cairn_rm_CreateCommand(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?,
                            _ function: UnsafeMutableRawPointer?, _ strflags: UnsafePointer<CChar>?,
                            _ firstkey: Int32, _ lastkey: Int32, _ keystep: Int32) -> Int32 {
    guard let ctx, let name, let function else { return moduleERR }
    let c = ModuleContext.from(ctx)
    // Registration belongs in OnLoad, after Init named the module.
    guard let module = c.module, loadingContext === c else { return moduleERR }
    guard let flags = ModuleCommandFlags(words: strflags.map { String(cString: $0) } ?? "") else { return moduleERR }
    let commandName = String(cString: name).lowercased()
    guard !commandName.isEmpty, !c.host.moduleCommandExists(commandName) else { return moduleERR }
    let command = ModuleCommand(module: module, name: commandName, function: function, flags: flags,
                                firstKey: Int(firstkey), lastKey: Int(lastkey), keyStep: Int(keystep))
    guard c.host.moduleRegister(command) else { return moduleERR }
    module.commands.append(command)
    return moduleOK
}

// MARK: the calling context

@_cdecl("cairn_rm_WrongArity")
func cairn_rm_WrongArity(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return moduleOK }
    let c = ModuleContext.from(ctx)
    let name = c.argv.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    c.replyError("ERR wrong number of arguments for '\(name)' command")
    return moduleOK
}

@_cdecl("cairn_rm_GetSelectedDb")
func cairn_rm_GetSelectedDb(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return 0 }
    return Int32(ModuleContext.from(ctx).db)
}

@_cdecl("cairn_rm_SelectDb")
func cairn_rm_SelectDb(_ ctx: UnsafeMutableRawPointer?, _ id: Int32) -> Int32 {
    guard let ctx else { return moduleERR }
    let c = ModuleContext.from(ctx)
    guard id >= 0, Int(id) < c.host.moduleKeyspace.databaseCount else { return moduleERR }
    c.db = Int(id)
    return moduleOK
}

@_cdecl("cairn_rm_GetClientId")
func cairn_rm_GetClientId(_ ctx: UnsafeMutableRawPointer?) -> UInt64 {
    guard let ctx else { return 0 }
    return ModuleContext.from(ctx).clientID
}

@_cdecl("cairn_rm_GetContextFlags")
func cairn_rm_GetContextFlags(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return 0 }
    let c = ModuleContext.from(ctx)
    return c.host.moduleContextFlags(c)
}

@_cdecl("cairn_rm_Milliseconds")
func cairn_rm_Milliseconds() -> Int64 { wallClockMilliseconds() }

@_cdecl("cairn_rm_IsKeysPositionRequest")
func cairn_rm_IsKeysPositionRequest(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return 0 }
    return ModuleContext.from(ctx).keysPositionRequest ? 1 : 0
}

@_cdecl("cairn_rm_KeyAtPos")
func cairn_rm_KeyAtPos(_ ctx: UnsafeMutableRawPointer?, _ pos: Int32) {
    guard let ctx else { return }
    let c = ModuleContext.from(ctx)
    guard c.keysPositionRequest, pos > 0 else { return }
    c.keyPositions.append(Int(pos))
}

@_cdecl("cairn_rm_AutoMemory")
func cairn_rm_AutoMemory(_ ctx: UnsafeMutableRawPointer?) {
    guard let ctx else { return }
    ModuleContext.from(ctx).autoMemory = true
}

// MARK: logging (the C side formats)

@_cdecl("cairn_rm_log")
func cairn_rm_log(_ ctx: UnsafeMutableRawPointer?, _ level: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>) {
    let levelName = level.map { String(cString: $0) } ?? "verbose"
    let text = String(cString: message)
    if let ctx {
        let c = ModuleContext.from(ctx)
        c.host.moduleLog(ModuleLogLevel(name: levelName), "<\(c.module?.name ?? "module")> \(text)")
    } else if let host = loadingRegistry?.host ?? ModuleRegistry.defaultHost {
        host.moduleLog(ModuleLogLevel(name: levelName), "<module> \(text)")
    }
}
