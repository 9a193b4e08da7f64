// ABIEntries+Collections: the list, sorted set and hash parts of the key API
// (ListPush/ListPop, ZsetAdd/Incrby/Score/Rem and the range iterators,
// HashSet/HashGet, whose variadic halves are in C).
//
// Contract (Redis 4.0): a write on an empty key creates the collection; a
// collection a write leaves empty is deleted; a key of another type refuses
// with REDISMODULE_ERR (0 fields for HashSet). ZsetAdd's in/out flags are
// REDISMODULE_ZADD_XX/NX in, ADDED/UPDATED/NOP out. HashSet counts fields
// updated and deleted, not created, as Redis 4.0's hashTypeSet reports.
#if canImport(Glibc)
import Glibc
#endif
import Engine

private let zaddXX: Int32 = 1 << 0
private let zaddNX: Int32 = 1 << 1
private let zaddAdded: Int32 = 1 << 2
private let zaddUpdated: Int32 = 1 << 3
private let zaddNop: Int32 = 1 << 4
private let hashNX: Int32 = 1 << 0
private let hashXX: Int32 = 1 << 1
private let hashExists: Int32 = 1 << 3

// MARK: lists

@_cdecl("cairn_rm_ListPush")
func cairn_rm_ListPush(_ key: UnsafeMutableRawPointer?, _ where_: Int32, _ ele: UnsafeRawPointer?) -> Int32 {
    guard let key, let ele else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable else { return moduleERR }
    let limits = k.ks.encodingLimits
    let element = ModuleString.from(ele).bytes
    guard let v = k.value() else {
        var list = ListValue()
        list.push(element, atHead: where_ == 0, fill: limits.listMaxNodeSize, depth: limits.listCompressDepth)
        k.store(.list(list))
        return moduleOK
    }
    guard case .list = v else { return moduleERR }
    _ = k.edit { value in
        guard var list = value.takeList() else { return }
        list.push(element, atHead: where_ == 0, fill: limits.listMaxNodeSize, depth: limits.listCompressDepth)
        value = .list(list)
    }
    return moduleOK
}

@_cdecl("cairn_rm_ListPop")
func cairn_rm_ListPop(_ key: UnsafeMutableRawPointer?, _ where_: Int32) -> UnsafeMutableRawPointer? {
    guard let key else { return nil }
    let k = ModuleKey.from(key)
    guard k.writable, let v = k.value(), case .list = v else { return nil }
    let popped: Bytes?? = k.edit { value in
        guard var list = value.takeList() else { return nil }
        let e = list.pop(atHead: where_ == 0)
        value = .list(list)
        return e
    }
    k.deleteIfEmpty()
    guard let element = popped ?? nil else { return nil }
    return k.ctx.newString(element)
}

// MARK: sorted sets

private func zsetAdd(_ key: UnsafeMutableRawPointer?, _ score: Double, _ ele: UnsafeRawPointer?,
                     _ flagsptr: UnsafeMutablePointer<Int32>?, increment: Bool,
                     _ newscore: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let key, let ele else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable else { return moduleERR }
    if let v = k.value() { guard case .zset = v else { return moduleERR } }
    guard !score.isNaN else {
        flagsptr?.pointee = 0
        return moduleERR
    }
    let inFlags = flagsptr?.pointee ?? 0
    let mode = SortedSetValue.AddMode(onlyNew: inFlags & zaddNX != 0, onlyExisting: inFlags & zaddXX != 0,
                                      increment: increment)
    let member = ModuleString.from(ele).bytes
    let limits = k.ks.encodingLimits
    var result = SortedSetValue.AddResult.skipped
    if k.value() == nil {
        var z = SortedSetValue()
        result = z.add(member, score: score, mode: mode, limits: limits)
        if case .added = result { k.store(.zset(z)) }
    } else {
        result = k.edit { value -> SortedSetValue.AddResult in
            guard case .zset(var z) = value else { return .skipped }
            value = .string(.int(0))  // release the reference so the edit is in place
            let r = z.add(member, score: score, mode: mode, limits: limits)
            value = .zset(z)
            return r
        } ?? .skipped
    }
    var out: Int32 = 0
    switch result {
    case .added(let s): out = zaddAdded; newscore?.pointee = s
    case .updated(let s): out = zaddUpdated; newscore?.pointee = s
    case .unchanged(let s): out = 0; newscore?.pointee = s
    case .skipped: out = zaddNop
    case .notANumber:
        flagsptr?.pointee = 0
        return moduleERR
    }
    flagsptr?.pointee = out
    return moduleOK
}

@_cdecl("cairn_rm_ZsetAdd")
func cairn_rm_ZsetAdd(_ key: UnsafeMutableRawPointer?, _ score: Double, _ ele: UnsafeRawPointer?,
                      _ flagsptr: UnsafeMutablePointer<Int32>?) -> Int32 {
    zsetAdd(key, score, ele, flagsptr, increment: false, nil)
}

@_cdecl("cairn_rm_ZsetIncrby")
func cairn_rm_ZsetIncrby(_ key: UnsafeMutableRawPointer?, _ score: Double, _ ele: UnsafeRawPointer?,
                         _ flagsptr: UnsafeMutablePointer<Int32>?, _ newscore: UnsafeMutablePointer<Double>?) -> Int32 {
    zsetAdd(key, score, ele, flagsptr, increment: true, newscore)
}

@_cdecl("cairn_rm_ZsetRem")
func cairn_rm_ZsetRem(_ key: UnsafeMutableRawPointer?, _ ele: UnsafeRawPointer?, _ deleted: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let key, let ele else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable else { return moduleERR }
    guard let v = k.value() else {
        deleted?.pointee = 0
        return moduleOK
    }
    guard case .zset(let z) = v else { return moduleERR }
    let member = ModuleString.from(ele).bytes
    guard z.score(member) != nil else {
        deleted?.pointee = 0
        return moduleOK
    }
    _ = k.edit { value in
        guard case .zset(var z) = value else { return }
        value = .string(.int(0))
        _ = z.remove(member)
        value = .zset(z)
    }
    k.deleteIfEmpty()
    deleted?.pointee = 1
    return moduleOK
}

@_cdecl("cairn_rm_ZsetScore")
func cairn_rm_ZsetScore(_ key: UnsafeMutableRawPointer?, _ ele: UnsafeRawPointer?, _ score: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let key, let ele, let v = ModuleKey.from(key).value(), case .zset(let z) = v,
          let s = z.score(ModuleString.from(ele).bytes) else { return moduleERR }
    score?.pointee = s
    return moduleOK
}

// MARK: hashes (one field at a time; module_variadic.c walks the lists)

@_cdecl("cairn_rm_hash_set_begin")
func cairn_rm_hash_set_begin(_ key: UnsafeMutableRawPointer?) -> Int32 {
    guard let key else { return -1 }
    let k = ModuleKey.from(key)
    guard k.writable else { return -1 }
    if let v = k.value() { guard case .hash = v else { return -1 } }
    return 0
}

@_cdecl("cairn_rm_hash_set_one")
func cairn_rm_hash_set_one(_ key: UnsafeMutableRawPointer?, _ flags: Int32, _ field: UnsafePointer<CChar>?,
                           _ flen: Int, _ value: UnsafeRawPointer?) -> Int32 {
    guard let key, let value else { return 0 }
    let k = ModuleKey.from(key)
    let f = Bytes(UnsafeRawBufferPointer(start: field, count: field == nil ? 0 : flen))
    let exists: Bool
    if let v = k.value(), case .hash(let h) = v { exists = h.contains(f) } else { exists = false }
    if (flags & hashXX != 0 && !exists) || (flags & hashNX != 0 && exists) { return 0 }
    let limits = k.ks.encodingLimits
    if Int(bitPattern: value) == 1 {  // REDISMODULE_HASH_DELETE
        guard exists else { return 0 }
        _ = k.edit { v in
            guard case .hash(var h) = v else { return }
            v = .string(.int(0))
            _ = h.remove(f)
            v = .hash(h)
        }
        return 1
    }
    let bytes = ModuleString.from(value).bytes
    if k.value() == nil {
        var h = HashValue()
        _ = h.set(f, bytes, limits: limits)
        k.store(.hash(h))
    } else {
        _ = k.edit { v in
            guard case .hash(var h) = v else { return }
            v = .string(.int(0))
            _ = h.set(f, bytes, limits: limits)
            v = .hash(h)
        }
    }
    return exists ? 1 : 0
}

@_cdecl("cairn_rm_hash_set_end")
func cairn_rm_hash_set_end(_ key: UnsafeMutableRawPointer?) {
    guard let key else { return }
    ModuleKey.from(key).deleteIfEmpty()
}

@_cdecl("cairn_rm_hash_get_begin")
func cairn_rm_hash_get_begin(_ key: UnsafeMutableRawPointer?) -> Int32 {
    guard let key else { return -1 }
    if let v = ModuleKey.from(key).value() { guard case .hash = v else { return -1 } }
    return 0
}

@_cdecl("cairn_rm_hash_get_one")
func cairn_rm_hash_get_one(_ key: UnsafeMutableRawPointer?, _ flags: Int32, _ field: UnsafePointer<CChar>?,
                           _ flen: Int, _ out: UnsafeMutableRawPointer?) {
    guard let key, let out else { return }
    let k = ModuleKey.from(key)
    let f = Bytes(UnsafeRawBufferPointer(start: field, count: field == nil ? 0 : flen))
    var found: Bytes? = nil
    if let v = k.value(), case .hash(let h) = v { found = h.value(for: f) }
    if flags & hashExists != 0 {
        out.assumingMemoryBound(to: Int32.self).pointee = found != nil ? 1 : 0
    } else {
        out.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee = found.map { k.ctx.newString($0) }
    }
}
