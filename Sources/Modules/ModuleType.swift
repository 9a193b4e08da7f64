// ModuleType: the object behind a RedisModuleType pointer
// (RedisModule_CreateDataType), and the key API calls on module values
// (ModuleTypeSetValue, ModuleTypeGetType, ModuleTypeGetValue).
//
// Contract (Redis 4.0): the name is 9 characters of A-Z a-z 0-9 - _, the
// encoding version 0...1023, the name unique among loaded types; anything else
// makes CreateDataType return NULL (logged here). The type implements the
// Engine's ModuleDataType over the module's callbacks; each callback runs
// with a ModuleIO (ModuleIO.swift) collecting or replaying what the module
// saves or loads. A callback the module left NULL is refused with an error
// where 4.0 would crash (rdb_save, rdb_load, aof_rewrite), and skipped where
// 4.0 skips it (digest, mem_usage, free).
// Tricky bit: a module mutates its object in place through the pointer
// ModuleTypeGetValue returns, unseen by the keyspace, so a key opened for
// reading or writing is captured by an active snapshot before the pointer is handed out.
import CairnModuleABI
import Engine

public final class ModuleType: ModuleDataType, @unchecked Sendable {
    public let name: String
    public let id: UInt64
    /// The module that registered the type (its name for the log).
    let moduleName: String
    weak var host: ModuleHost?
    let rdbLoad, rdbSave, aofRewrite, memUsage, digestFunction, freeFunction: UnsafeMutableRawPointer?

    init(name: String, id: UInt64, moduleName: String, host: ModuleHost, methods: UnsafeMutableRawPointer) {
        self.name = name
        self.id = id
        self.moduleName = moduleName
        self.host = host
        // RedisModuleTypeMethods of 4.0: uint64_t version, then six function pointers.
        let words = methods.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        rdbLoad = words[1]
        rdbSave = words[2]
        aofRewrite = words[3]
        memUsage = words[4]
        digestFunction = words[5]
        freeFunction = words[6]
    }

    var pointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer) -> ModuleType {
        Unmanaged<ModuleType>.fromOpaque(p).takeUnretainedValue()
    }

    func missing(_ callback: String) -> ModuleTypeError {
        ModuleTypeError("the module type '\(name)' of module '\(moduleName)' has no \(callback) callback")
    }

    public func save(_ value: UnsafeMutableRawPointer) throws -> [ModuleField] {
        guard let rdbSave else { throw missing("rdb_save") }
        let io = ModuleIO(type: self, mode: .save)
        defer { io.end() }
        cairn_module_call_rdb_save(rdbSave, io.pointer, value)
        if let error = io.error { throw ModuleTypeError(error) }
        return io.saved
    }

    public func rewrite(key: Bytes, _ value: UnsafeMutableRawPointer) throws -> [[Bytes]] {
        guard let aofRewrite else { throw missing("aof_rewrite") }
        let io = ModuleIO(type: self, mode: .rewrite)
        defer { io.end() }
        let keyString = ModuleString(bytes: key)
        withExtendedLifetime(keyString) {
            cairn_module_call_aof_rewrite(aofRewrite, io.pointer, Unmanaged.passUnretained(keyString).toOpaque(), value)
        }
        if let error = io.error { throw ModuleTypeError(error) }
        return io.commands
    }

    public func load(_ fields: [ModuleField], encodingVersion: Int) throws -> UnsafeMutableRawPointer {
        guard let rdbLoad else { throw missing("rdb_load") }
        let io = ModuleIO(type: self, mode: .load(fields))
        defer { io.end() }
        let value = cairn_module_call_rdb_load(rdbLoad, io.pointer, Int32(encodingVersion))
        var problem = io.error
        if problem == nil && io.cursor != fields.count {
            problem = "the module read \(io.cursor) of the \(fields.count) fields of the value"
        }
        if problem == nil && value == nil { problem = "the module's rdb_load returned NULL" }
        if let problem {
            if let value { free(value) }
            host?.moduleLog(.warning, "Error loading a value of module type '\(name)' (module '\(moduleName)'): \(problem)")
            throw ModuleTypeError(problem)
        }
        return value!
    }

    public func fieldsOfVersion1(_ stream: ModuleFieldStream, encodingVersion: Int) throws -> [ModuleField] {
        guard let rdbLoad else { throw missing("rdb_load") }
        let io = ModuleIO(type: self, mode: .stream(stream))
        defer { io.end() }
        let value = cairn_module_call_rdb_load(rdbLoad, io.pointer, Int32(encodingVersion))
        if let value { free(value) }  // loaded again from the fields, on the keyspace thread
        if let error = io.error { throw ModuleTypeError(error) }
        return io.saved
    }

    public func digest(_ value: UnsafeMutableRawPointer) -> [UInt8]? {
        guard let digestFunction else { return nil }
        let md = ModuleDigest()
        withExtendedLifetime(md) {
            cairn_module_call_rdb_save(digestFunction, Unmanaged.passUnretained(md).toOpaque(), value)
        }
        return md.x
    }

    public func memoryUsage(_ value: UnsafeMutableRawPointer) -> Int {
        guard let memUsage else { return 0 }
        return Int(clamping: cairn_module_call_mem_usage(memUsage, value))
    }

    public func free(_ value: UnsafeMutableRawPointer) {
        if let freeFunction { cairn_module_call_free(freeFunction, value) }
    }
}

@_cdecl("cairn_rm_CreateDataType")
func cairn_rm_CreateDataType(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ encver: Int32,
                             _ methods: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let ctx, let name, let methods else { return nil }
    let c = ModuleContext.from(ctx)
    guard let module = c.module else { return nil }
    let typeName = String(cString: name)
    func refuse(_ why: String) -> UnsafeMutableRawPointer? {
        c.host.moduleLog(.warning, "<\(module.name)> RedisModule_CreateDataType(\"\(typeName)\", \(encver)) refused: \(why)")
        return nil
    }
    guard let id = ModuleTypes.encodeID(name: Bytes(typeName.utf8), encodingVersion: Int(encver)) else {
        return refuse("the name must be 9 characters of A-Z a-z 0-9 - _ and the encoding version 0...1023")
    }
    guard ModuleTypes.lookup(name: typeName) == nil else { return refuse("a type of that name is loaded") }
    guard methods.load(as: UInt64.self) != 0 else { return refuse("the type methods have version 0") }
    let type = ModuleType(name: typeName, id: id, moduleName: module.name, host: c.host, methods: methods)
    module.types.append(type)
    ModuleTypes.register(type)
    return type.pointer
}

@_cdecl("cairn_rm_ModuleTypeSetValue")
func cairn_rm_ModuleTypeSetValue(_ key: UnsafeMutableRawPointer?, _ type: UnsafeMutableRawPointer?,
                                 _ value: UnsafeMutableRawPointer?) -> Int32 {
    guard let key, let type, let value else { return moduleERR }
    let k = ModuleKey.from(key)
    guard k.writable, k.range == nil else { return moduleERR }
    k.syncDMA()
    let moduleType = ModuleType.from(type)
    // Setting the value the key already holds: 4.0 frees it first and stores a dangling
    // pointer; here the value simply stays (its TTL goes, as with any set).
    if let i = k.slot(), case .module(let m) = k.ks.value(k.db, i), m.pointer == value, m.type === moduleType {
        k.ks.setExpire(k.db, i, at: nil)
        k.ks.dirty += 1
        return moduleOK
    }
    // Redis's DeleteKey + setKey: the old value is freed, the TTL goes.
    k.ks.set(k.db, k.name, .module(ModuleValue(type: moduleType, pointer: value)))
    k.ks.dirty += 1
    return moduleOK
}

/// The module value at the key, or nil.
private func moduleValue(_ key: UnsafeMutableRawPointer?) -> (ModuleKey, Int, ModuleValue)? {
    guard let key else { return nil }
    let k = ModuleKey.from(key)
    guard let i = k.slot(), case .module(let m) = k.ks.value(k.db, i) else { return nil }
    return (k, i, m)
}

@_cdecl("cairn_rm_ModuleTypeGetType")
func cairn_rm_ModuleTypeGetType(_ key: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let (_, _, m) = moduleValue(key), let type = m.type as? ModuleType else { return nil }
    return type.pointer
}

@_cdecl("cairn_rm_ModuleTypeGetValue")
func cairn_rm_ModuleTypeGetValue(_ key: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let (k, i, m) = moduleValue(key) else { return nil }
    // The module may change its object through this pointer (even on a key opened for
    // reading, which 4.0 does not stop): an active snapshot takes the value as it is now first.
    k.ks.preserveBeforeInPlaceWrite(k.db, i)
    return m.pointer
}
