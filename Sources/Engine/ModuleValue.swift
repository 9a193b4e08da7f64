// ModuleValue: a value of a data type a loaded module registered
// (RedisModule_CreateDataType): an opaque C object and the type whose
// callbacks serialize, digest, measure and free it.
//
// Contract: the Engine knows a module type only through `ModuleDataType`
// (the Modules target implements it over the module's C callbacks). A live
// value owns its C object: it is freed (the type's free callback) when the
// last reference goes, whichever way the key went (DEL, overwrite, FLUSHALL,
// expiry, eviction). The callbacks may only run on the keyspace thread, so a
// snapshot (KeyspaceSnapshot) never holds a live value: when it captures one
// it asks the type for its serialized form there and then (`frozen`), and
// the background writer only ever sees that form.
// Tricky bit: module types must stay registered while values of them exist;
// MODULE UNLOAD of a module with types is refused, as in Redis 4.0.
import Synchronization

/// One field of a module value's serialized form (RDB_MODULE_OPCODE_*).
public enum ModuleField: Equatable, Sendable {
    case signed(Int64)     // opcode 1 (read only: 4.0 saves signed numbers as UINT)
    case unsigned(UInt64)  // opcode 2
    case float(Float)      // opcode 3
    case double(Double)    // opcode 4
    case string(Bytes)     // opcode 5

    public static func == (a: ModuleField, b: ModuleField) -> Bool {
        switch (a, b) {
        case (.signed(let x), .signed(let y)): return x == y
        case (.unsigned(let x), .unsigned(let y)): return x == y
        case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
        case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x == y
        default: return false
        }
    }
}

/// Why a module value could not be serialized or loaded.
public struct ModuleTypeError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the engine needs of a module data type. Every method runs the module's
/// code, so call them on the keyspace thread only (or while loading a dataset).
public protocol ModuleDataType: AnyObject, Sendable {
    /// The 9-character type name (TYPE's answer).
    var name: String { get }
    /// The 64-bit id: the name's 54 bits and the 10-bit encoding version.
    var id: UInt64 { get }
    /// The value's fields as its rdb_save callback writes them.
    func save(_ value: UnsafeMutableRawPointer) throws -> [ModuleField]
    /// The commands its aof_rewrite callback emits for `key`.
    func rewrite(key: Bytes, _ value: UnsafeMutableRawPointer) throws -> [[Bytes]]
    /// A value built by its rdb_load callback from `fields` (all must be read).
    func load(_ fields: [ModuleField], encodingVersion: Int) throws -> UnsafeMutableRawPointer
    /// The fields of a value in the pre-release form (RDB type 6, no field opcodes): its
    /// rdb_load runs over `stream`, each Load call reading the next item of the kind it asks
    /// for, and what it read is returned as fields (the value it built is freed).
    func fieldsOfVersion1(_ stream: ModuleFieldStream, encodingVersion: Int) throws -> [ModuleField]
    /// The 20 bytes its digest callback produced, or nil without a digest callback.
    func digest(_ value: UnsafeMutableRawPointer) -> [UInt8]?
    /// Its mem_usage callback's answer (0 without one).
    func memoryUsage(_ value: UnsafeMutableRawPointer) -> Int
    /// Its free callback.
    func free(_ value: UnsafeMutableRawPointer)
}

/// Reads the items of a module value in the pre-release RDB form, each of the kind asked for.
public protocol ModuleFieldStream: AnyObject {
    func unsigned() throws -> UInt64
    func float() throws -> Float
    func double() throws -> Double
    func string() throws -> Bytes
}

/// The serialized form of a module value, taken on the keyspace thread.
public struct FrozenModuleValue: Sendable {
    public var fields: Result<[ModuleField], ModuleTypeError>
    public var commands: Result<[[Bytes]], ModuleTypeError>
}

/// A module value: live (it owns `pointer`) or frozen for a snapshot.
public final class ModuleValue: @unchecked Sendable {
    public let type: ModuleDataType
    /// The module's object; nil in a frozen copy.
    public let pointer: UnsafeMutableRawPointer?
    public let frozen: FrozenModuleValue?

    public init(type: ModuleDataType, pointer: UnsafeMutableRawPointer) {
        self.type = type
        self.pointer = pointer
        self.frozen = nil
    }

    init(type: ModuleDataType, frozen: FrozenModuleValue) {
        self.type = type
        self.pointer = nil
        self.frozen = frozen
    }

    deinit { if let pointer { type.free(pointer) } }

    /// A copy holding one serialized form of this value now: the RDB fields (rdb_save), or
    /// the AOF commands (aof_rewrite) when `asCommands`; only that form can be asked of it.
    public func freeze(key: Bytes, asCommands: Bool) -> ModuleValue {
        if frozen != nil { return self }
        let other = ModuleTypeError("the module value was serialized in the other form for this snapshot")
        let form = asCommands
            ? FrozenModuleValue(fields: .failure(other), commands: Result { try commands(key: key) })
            : FrozenModuleValue(fields: Result { try fields() }, commands: .failure(other))
        return ModuleValue(type: type, frozen: form)
    }

    /// The RDB fields: the frozen ones, or the type's rdb_save now (keyspace thread).
    public func fields() throws -> [ModuleField] {
        if let frozen { return try frozen.fields.get() }
        guard let pointer else { throw ModuleTypeError("module value without data") }
        do { return try type.save(pointer) } catch let e as ModuleTypeError { throw e } catch {
            throw ModuleTypeError("\(error)")
        }
    }

    /// The AOF commands: the frozen ones, or the type's aof_rewrite now (keyspace thread).
    public func commands(key: Bytes) throws -> [[Bytes]] {
        if let frozen { return try frozen.commands.get() }
        guard let pointer else { throw ModuleTypeError("module value without data") }
        do { return try type.rewrite(key: key, pointer) } catch let e as ModuleTypeError { throw e } catch {
            throw ModuleTypeError("\(error)")
        }
    }

    public var memoryUsage: Int { pointer.map { type.memoryUsage($0) } ?? 0 }
    public var digest: [UInt8]? { pointer.flatMap { type.digest($0) } }
}

extension Result where Failure == ModuleTypeError {
    init(_ body: () throws -> Success) {
        do { self = .success(try body()) } catch let e as ModuleTypeError { self = .failure(e) } catch {
            self = .failure(ModuleTypeError("\(error)"))
        }
    }
}

/// The module types registered now, found by id when a dataset loads.
public enum ModuleTypes {
    /// Redis's charset for type names: a name's 9 characters are 6 bits each.
    public static let charset = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let registered = Mutex<[ModuleDataType]>([])

    /// The id of `name` with `encodingVersion` (0...1023), or nil when either is invalid.
    public static func encodeID(name: Bytes, encodingVersion: Int) -> UInt64? {
        guard name.count == 9, (0...1023).contains(encodingVersion) else { return nil }
        var id: UInt64 = 0
        for c in name {
            guard let pos = charset.firstIndex(of: c) else { return nil }
            id = id << 6 | UInt64(pos)
        }
        return id << 10 | UInt64(encodingVersion)
    }

    /// The 9-character name inside an id.
    public static func name(ofID id: UInt64) -> String {
        var chars = [UInt8](repeating: 0, count: 9)
        var rest = id >> 10
        for j in (0..<9).reversed() {
            chars[j] = charset[Int(rest & 63)]
            rest >>= 6
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public static func register(_ type: ModuleDataType) {
        registered.withLock { $0.append(type) }
    }

    public static func unregister(_ type: ModuleDataType) {
        registered.withLock { $0.removeAll { $0 === type } }
    }

    /// The type whose name matches `id`'s (any encoding version, as Redis compares).
    public static func lookup(id: UInt64) -> ModuleDataType? {
        registered.withLock { list in list.first { $0.id >> 10 == id >> 10 } }
    }

    public static func lookup(name: String) -> ModuleDataType? {
        registered.withLock { list in list.first { $0.name == name } }
    }
}
