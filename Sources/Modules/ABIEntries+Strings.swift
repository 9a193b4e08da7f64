// ABIEntries+Strings: RedisModuleString creation, access, conversion and
// ownership (CreateString*, FreeString, RetainString, StringPtrLen,
// StringTo*, StringAppendBuffer, StringCompare).
//
// Ownership as in Redis 4.0: a string the module creates is its own to free;
// with AutoMemory the context frees what the module did not, and FreeString
// or RetainString take it off that list. Argument strings belong to the call.
#if canImport(Glibc)
import Glibc
#endif
import Engine

extension ModuleContext {
    /// A new string owned by the module (and tracked when AutoMemory is on).
    func newString(_ source: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        let s = ModuleString(source)
        track(s)
        return s.retainedPointer()
    }

    func newString(_ bytes: Bytes) -> UnsafeMutableRawPointer {
        bytes.withUnsafeBytes { newString($0) }
    }
}

/// A string made without a context (ctx NULL is allowed by Redis for some calls): never tracked.
private func newString(_ ctx: UnsafeMutableRawPointer?, _ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
    if let ctx { return ModuleContext.from(ctx).newString(bytes) }
    return ModuleString(bytes).retainedPointer()
}

@_cdecl("cairn_rm_create_string")
func cairn_rm_create_string(_ ctx: UnsafeMutableRawPointer?, _ ptr: UnsafePointer<CChar>?, _ len: Int) -> UnsafeMutableRawPointer? {
    newString(ctx, UnsafeRawBufferPointer(start: ptr, count: ptr == nil ? 0 : len))
}

@_cdecl("cairn_rm_CreateString")
func cairn_rm_CreateString(_ ctx: UnsafeMutableRawPointer?, _ ptr: UnsafePointer<CChar>?, _ len: Int) -> UnsafeMutableRawPointer? {
    newString(ctx, UnsafeRawBufferPointer(start: ptr, count: ptr == nil ? 0 : len))
}

@_cdecl("cairn_rm_CreateStringFromLongLong")
func cairn_rm_CreateStringFromLongLong(_ ctx: UnsafeMutableRawPointer?, _ v: Int64) -> UnsafeMutableRawPointer? {
    Array(String(v).utf8).withUnsafeBytes { newString(ctx, $0) }
}

@_cdecl("cairn_rm_CreateStringFromString")
func cairn_rm_CreateStringFromString(_ ctx: UnsafeMutableRawPointer?, _ str: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    guard let str else { return nil }
    let s = ModuleString.from(str)
    return newString(ctx, UnsafeRawBufferPointer(start: s.data, count: s.count))
}

@_cdecl("cairn_rm_FreeString")
func cairn_rm_FreeString(_ ctx: UnsafeMutableRawPointer?, _ str: UnsafeMutableRawPointer?) {
    guard let str else { return }
    let s = ModuleString.from(str)
    if let ctx { _ = ModuleContext.from(ctx).untrack(s) }
    Unmanaged.passUnretained(s).release()
}

@_cdecl("cairn_rm_RetainString")
func cairn_rm_RetainString(_ ctx: UnsafeMutableRawPointer?, _ str: UnsafeMutableRawPointer?) {
    guard let str else { return }
    let s = ModuleString.from(str)
    // Taking a string off the automatic list keeps it alive with the reference it had.
    if let ctx, ModuleContext.from(ctx).untrack(s) { return }
    _ = Unmanaged.passUnretained(s).retain()
}

@_cdecl("cairn_rm_StringPtrLen")
func cairn_rm_StringPtrLen(_ str: UnsafeRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    guard let str else {
        len?.pointee = 0
        return nil
    }
    let s = ModuleString.from(str)
    len?.pointee = s.count
    return UnsafeRawPointer(s.data).assumingMemoryBound(to: CChar.self)
}

@_cdecl("cairn_rm_string_bytes")
func cairn_rm_string_bytes(_ str: UnsafeRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    cairn_rm_StringPtrLen(str, len)
}

@_cdecl("cairn_rm_StringToLongLong")
func cairn_rm_StringToLongLong(_ str: UnsafeRawPointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guard let str, let v = ModuleString.from(str).int64 else { return moduleERR }
    out?.pointee = v
    return moduleOK
}

@_cdecl("cairn_rm_StringToDouble")
func cairn_rm_StringToDouble(_ str: UnsafeRawPointer?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let str, let v = ModuleString.from(str).double else { return moduleERR }
    out?.pointee = v
    return moduleOK
}

@_cdecl("cairn_rm_StringCompare")
func cairn_rm_StringCompare(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?) -> Int32 {
    guard let a, let b else { return a == nil ? (b == nil ? 0 : -1) : 1 }
    let x = ModuleString.from(a), y = ModuleString.from(b)
    // Binary comparison, shorter first on a common prefix (memcmp, then length), as Redis's compareStringObjects.
    let common = min(x.count, y.count)
    let r = memcmp(x.data, y.data, common)
    if r != 0 { return r < 0 ? -1 : 1 }
    return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
}

@_cdecl("cairn_rm_StringAppendBuffer")
func cairn_rm_StringAppendBuffer(_ ctx: UnsafeMutableRawPointer?, _ str: UnsafeMutableRawPointer?,
                                 _ buf: UnsafeRawPointer?, _ len: Int) -> Int32 {
    guard let str else { return moduleERR }
    ModuleString.from(str).append(UnsafeRawBufferPointer(start: buf, count: buf == nil ? 0 : len))
    return moduleOK
}
