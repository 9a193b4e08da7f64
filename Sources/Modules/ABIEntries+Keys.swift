// ABIEntries+Keys: the generic and string parts of the low-level key API
// (OpenKey, CloseKey, KeyType, ValueLength, DeleteKey, UnlinkKey,
// GetExpire/SetExpire, StringSet, StringDMA, StringTruncate).
//
// Contract (Redis 4.0): OpenKey for reading returns NULL for a missing key;
// for writing it returns a handle to an empty key. Writes through a handle
// opened for reading fail with REDISMODULE_ERR; so do type mismatches.
#if canImport(Glibc)
import Glibc
#endif
import Engine

/// The largest string StringTruncate makes (proto-max-bulk-len's default, Redis's 512 MB).
private let maxStringLength = 512 * 1024 * 1024

@_cdecl("cairn_rm_OpenKey")
func cairn_rm_OpenKey(_ ctx: UnsafeMutableRawPointer?, _ keyname: UnsafeRawPointer?, _ mode: Int32) -> UnsafeMutableRawPointer? {
    guard let ctx, let keyname else { return nil }
    let c = ModuleContext.from(ctx)
    let name = ModuleString.from(keyname).bytes
    let ks = c.host.moduleKeyspace
    if mode & keyModeWrite == 0 {
        guard ks.lookupRead(c.db, name) != nil else { return nil }
    } else {
        _ = ks.lookupWrite(c.db, name)
    }
    let key = ModuleKey(ctx: c, db: c.db, name: name, mode: mode)
    c.openKeys[ObjectIdentifier(key)] = key
    return Unmanaged.passUnretained(key).toOpaque()
}

@_cdecl("cairn_rm_CloseKey")
func cairn_rm_CloseKey(_ key: UnsafeMutableRawPointer?) {
    guard let key else { return }
    let k = ModuleKey.from(key)
    k.close()
    // The context's table holds the key object; dropping it ends the handle.
    k.ctx.openKeys[ObjectIdentifier(k)] = nil
}

@_cdecl("cairn_rm_KeyType")
func cairn_rm_KeyType(_ key: UnsafeMutableRawPointer?) -> Int32 {
    guard let key, let v = ModuleKey.from(key).value() else { return 0 }
    switch v {
    case .string: return 1
    case .list: return 2
    case .hash: return 3
    case .set: return 4
    case .zset: return 5
    case .module: return 6
    }
}

@_cdecl("cairn_rm_ValueLength")
func cairn_rm_ValueLength(_ key: UnsafeMutableRawPointer?) -> Int {
    guard let key, let v = ModuleKey.from(key).value() else { return 0 }
    if case .string(let s) = v { return s.length }
    if case .module = v { return 0 }  // as 4.0
    return v.elementCount
}

@_cdecl("cairn_rm_DeleteKey")
func cairn_rm_DeleteKey(_ key: UnsafeMutableRawPointer?) -> Int32 {
    deleteKey(key, lazily: false)
}

@_cdecl("cairn_rm_UnlinkKey")
func cairn_rm_UnlinkKey(_ key: UnsafeMutableRawPointer?) -> Int32 {
    deleteKey(key, lazily: true)
}

private func deleteKey(_ key: UnsafeMutableRawPointer?, lazily: Bool) -> Int32 {
    guard let key else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable else { return moduleERR }
    k.range = nil
    if k.slot() != nil, k.ks.delete(k.db, k.name, lazily: lazily) { k.ks.dirty += 1 }
    return moduleOK
}

@_cdecl("cairn_rm_GetExpire")
func cairn_rm_GetExpire(_ key: UnsafeMutableRawPointer?) -> Int64 {
    guard let key else { return -1 }
    let k = ModuleKey.from(key)
    guard let i = k.slot(), let at = k.ks.expireAt(k.db, i) else { return -1 }
    return max(at - wallClockMilliseconds(), 0)
}

@_cdecl("cairn_rm_SetExpire")
func cairn_rm_SetExpire(_ key: UnsafeMutableRawPointer?, _ expire: Int64) -> Int32 {
    guard let key else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable, let i = k.slot() else { return moduleERR }
    k.ks.setExpire(k.db, i, at: expire == -1 ? nil : wallClockMilliseconds() &+ expire)
    k.ks.dirty += 1
    return moduleOK
}

@_cdecl("cairn_rm_StringSet")
func cairn_rm_StringSet(_ key: UnsafeMutableRawPointer?, _ str: UnsafeRawPointer?) -> Int32 {
    guard let key, let str else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable, k.range == nil else { return moduleERR }
    k.syncDMA()
    // Redis's setKey: the value replaced whatever type was there, and the TTL goes with it.
    k.ks.set(k.db, k.name, .string(StringValue(encoding: ModuleString.from(str).bytes)))
    k.ks.dirty += 1
    return moduleOK
}

/// A pointer of static storage for empty keys, as Redis returns for them (never written).
private let emptyDMA: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.pointee = 0
    return p
}()

@_cdecl("cairn_rm_StringDMA")
func cairn_rm_StringDMA(_ key: UnsafeMutableRawPointer?, _ len: UnsafeMutablePointer<Int>?, _ mode: Int32) -> UnsafeMutablePointer<CChar>? {
    guard let key else { return nil }
    let k = ModuleKey.from(key)
    guard let v = k.value() else {
        len?.pointee = 0
        return emptyDMA
    }
    guard case .string = v else { return nil }
    guard let (p, n) = k.dmaPointer(writable: k.writable && mode & keyModeWrite != 0) else { return nil }
    len?.pointee = n
    return UnsafeMutableRawPointer(p).assumingMemoryBound(to: CChar.self)
}

@_cdecl("cairn_rm_StringTruncate")
func cairn_rm_StringTruncate(_ key: UnsafeMutableRawPointer?, _ newlen: Int) -> Int32 {
    guard let key else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable, newlen >= 0, newlen <= maxStringLength else { return moduleERR }
    guard let v = k.value() else {
        if newlen > 0 { k.store(.string(.bytes(Bytes(repeating: 0, count: newlen), raw: true))) }
        return moduleOK
    }
    guard case .string(let s) = v else { return moduleERR }
    var bytes = s.bytes
    if newlen > bytes.count {
        bytes.append(contentsOf: repeatElement(0, count: newlen - bytes.count))
    } else {
        bytes.removeLast(bytes.count - newlen)
    }
    k.store(.string(.bytes(bytes, raw: true)))
    return moduleOK
}
