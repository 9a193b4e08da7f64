// ABIEntries+NotBuilt: the part of the Redis 4.0 module API Cairn does not
// have yet: module data types (CreateDataType and the RDB/AOF/digest IO calls).
//
// Every module's Init asks for these names, so each must exist; each refuses
// in the way the module can see and the log explains, never pretending to
// work: CreateDataType returns NULL (a module checking it fails its OnLoad,
// with the reason in the log), the others return REDISMODULE_ERR, NULL or 0. No IO or
// digest handle is ever given out, so the IO functions are unreachable
// through the API; they log if called with a forged pointer.
import Engine

private func notBuilt(_ ctx: UnsafeMutableRawPointer?, _ what: String) {
    let message = "\(what) is not supported by this server (Cairn has no module \(what) yet)"
    if let ctx {
        let c = ModuleContext.from(ctx)
        c.host.moduleLog(.warning, "<\(c.module?.name ?? "module")> \(message)")
    } else {
        ModuleRegistry.defaultHost?.moduleLog(.warning, message)
    }
}

// MARK: data types

@_cdecl("cairn_rm_CreateDataType")
func cairn_rm_CreateDataType(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ encver: Int32,
                             _ methods: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    notBuilt(ctx, "RedisModule_CreateDataType (data types)")
    return nil
}

@_cdecl("cairn_rm_ModuleTypeSetValue")
func cairn_rm_ModuleTypeSetValue(_ key: UnsafeMutableRawPointer?, _ type: UnsafeMutableRawPointer?,
                                 _ value: UnsafeMutableRawPointer?) -> Int32 { moduleERR }

@_cdecl("cairn_rm_ModuleTypeGetType")
func cairn_rm_ModuleTypeGetType(_ key: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { nil }

@_cdecl("cairn_rm_ModuleTypeGetValue")
func cairn_rm_ModuleTypeGetValue(_ key: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { nil }

private func noIO() { notBuilt(nil, "RDB/AOF IO (data types)") }

@_cdecl("cairn_rm_SaveUnsigned") func cairn_rm_SaveUnsigned(_ io: UnsafeMutableRawPointer?, _ v: UInt64) { noIO() }
@_cdecl("cairn_rm_LoadUnsigned") func cairn_rm_LoadUnsigned(_ io: UnsafeMutableRawPointer?) -> UInt64 { noIO(); return 0 }
@_cdecl("cairn_rm_SaveSigned") func cairn_rm_SaveSigned(_ io: UnsafeMutableRawPointer?, _ v: Int64) { noIO() }
@_cdecl("cairn_rm_LoadSigned") func cairn_rm_LoadSigned(_ io: UnsafeMutableRawPointer?) -> Int64 { noIO(); return 0 }
@_cdecl("cairn_rm_SaveString") func cairn_rm_SaveString(_ io: UnsafeMutableRawPointer?, _ s: UnsafeRawPointer?) { noIO() }
@_cdecl("cairn_rm_SaveStringBuffer")
func cairn_rm_SaveStringBuffer(_ io: UnsafeMutableRawPointer?, _ p: UnsafePointer<CChar>?, _ len: Int) { noIO() }
@_cdecl("cairn_rm_LoadString") func cairn_rm_LoadString(_ io: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { noIO(); return nil }
@_cdecl("cairn_rm_LoadStringBuffer")
func cairn_rm_LoadStringBuffer(_ io: UnsafeMutableRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<CChar>? {
    noIO()
    return nil
}
@_cdecl("cairn_rm_SaveDouble") func cairn_rm_SaveDouble(_ io: UnsafeMutableRawPointer?, _ v: Double) { noIO() }
@_cdecl("cairn_rm_LoadDouble") func cairn_rm_LoadDouble(_ io: UnsafeMutableRawPointer?) -> Double { noIO(); return 0 }
@_cdecl("cairn_rm_SaveFloat") func cairn_rm_SaveFloat(_ io: UnsafeMutableRawPointer?, _ v: Float) { noIO() }
@_cdecl("cairn_rm_LoadFloat") func cairn_rm_LoadFloat(_ io: UnsafeMutableRawPointer?) -> Float { noIO(); return 0 }
@_cdecl("cairn_rm_GetContextFromIO")
func cairn_rm_GetContextFromIO(_ io: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { noIO(); return nil }
@_cdecl("cairn_rm_DigestAddStringBuffer")
func cairn_rm_DigestAddStringBuffer(_ md: UnsafeMutableRawPointer?, _ p: UnsafeMutablePointer<UInt8>?, _ len: Int) { noIO() }
@_cdecl("cairn_rm_DigestAddLongLong") func cairn_rm_DigestAddLongLong(_ md: UnsafeMutableRawPointer?, _ v: Int64) { noIO() }
@_cdecl("cairn_rm_DigestEndSequence") func cairn_rm_DigestEndSequence(_ md: UnsafeMutableRawPointer?) { noIO() }

@_cdecl("cairn_rm_emit_aof_argv")
func cairn_rm_emit_aof_argv(_ io: UnsafeMutableRawPointer?, _ cmdname: UnsafePointer<CChar>?,
                            _ args: UnsafeRawPointer?, _ argc: Int32) { noIO() }

@_cdecl("cairn_rm_log_io")
func cairn_rm_log_io(_ io: UnsafeMutableRawPointer?, _ level: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>) {
    ModuleRegistry.defaultHost?.moduleLog(ModuleLogLevel(name: level.map { String(cString: $0) } ?? "verbose"),
                                          "<module> \(String(cString: message))")
}
