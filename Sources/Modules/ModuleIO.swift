// ModuleIO: the objects behind RedisModuleIO and RedisModuleDigest pointers,
// and the API calls on them (Save*/Load*, EmitAOF, GetContextFromIO,
// LogIOError, DigestAdd*/DigestEndSequence).
//
// Contract: an IO serves one callback of one module type. Saving collects
// fields (ModuleField, written to the RDB in the 4.0 version-2 form by the
// RDB target); loading replays the fields read from the RDB, each Load call
// taking the next field, which must be of the kind asked for (4.0 checks the
// opcode the same way); reading the pre-release form (RDB type 6) takes each
// item from the stream as the kind asked for and records it as a field;
// rewriting collects EmitAOF commands. As in 4.0,
// SaveSigned writes a UINT field and LoadSigned reads one.
// A Load past the last field or of the wrong kind marks the IO failed and
// returns 0, or an empty string (never NULL: a module that does not expect
// failure must not crash); the load is then refused with the reason, where
// 4.0 exits the process. Saving or loading outside a type callback (a forged
// or stale pointer) cannot be detected; the pointers are only valid during
// the callback, as in Redis.
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

final class ModuleIO {
    enum Mode {
        case save
        case load([ModuleField])
        /// Reading the pre-release RDB form (type 6) straight from the stream; what is read
        /// is recorded in `saved` as fields.
        case stream(ModuleFieldStream)
        case rewrite
    }

    /// What a Load call asks for.
    enum Kind: String {
        case unsigned = "an unsigned number", float = "a float", double = "a double", string = "a string"
    }

    let type: ModuleType
    let mode: Mode
    var saved: [ModuleField] = []
    var commands: [[Bytes]] = []
    var cursor = 0
    /// Why the callback failed (the first problem), nil while all went well.
    var error: String? = nil
    /// GetContextFromIO's context, made on first use and finished with the IO.
    var context: ModuleContext? = nil

    init(type: ModuleType, mode: Mode) {
        self.type = type
        self.mode = mode
    }

    var pointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer) -> ModuleIO {
        Unmanaged<ModuleIO>.fromOpaque(p).takeUnretainedValue()
    }

    func fail(_ why: String) {
        if error == nil { error = why }
    }

    func save(_ f: ModuleField) {
        guard case .save = mode else { return fail("a Save call outside rdb_save") }
        saved.append(f)
    }

    /// The next field, or nil (the IO failed) when there is none or it is of another kind.
    func next(_ kind: Kind) -> ModuleField? {
        guard error == nil else { return nil }
        if case .stream(let stream) = mode {
            do {
                let f: ModuleField
                switch kind {
                case .unsigned: f = .unsigned(try stream.unsigned())
                case .float: f = .float(try stream.float())
                case .double: f = .double(try stream.double())
                case .string: f = .string(try stream.string())
                }
                saved.append(f)
                cursor += 1
                return f
            } catch {
                fail("reading \(kind.rawValue) (field \(cursor + 1)): \(error)")
                return nil
            }
        }
        guard case .load(let fields) = mode else {
            fail("a Load call outside rdb_load")
            return nil
        }
        guard cursor < fields.count else {
            fail("the module asked for \(kind.rawValue) after the value's last field (field \(cursor + 1))")
            return nil
        }
        let f = fields[cursor]
        cursor += 1
        return f
    }

    func wrongKind(_ kind: Kind, _ got: ModuleField) {
        fail("the module asked for \(kind.rawValue) where field \(cursor) is \(fieldKind(got))")
    }

    func end() {
        context?.finish()
        context = nil
    }
}

private func fieldKind(_ f: ModuleField) -> String {
    switch f {
    case .signed: return "a signed number"
    case .unsigned: return "an unsigned number"
    case .float: return "a float"
    case .double: return "a double"
    case .string: return "a string"
    }
}

/// The digest being built for one value (Redis's RedisModuleDigest: o, the sequence, and x).
final class ModuleDigest {
    var o = [UInt8](repeating: 0, count: 20)
    var x = [UInt8](repeating: 0, count: 20)

    static func from(_ p: UnsafeMutableRawPointer) -> ModuleDigest {
        Unmanaged<ModuleDigest>.fromOpaque(p).takeUnretainedValue()
    }
}

// MARK: saving and loading

@_cdecl("cairn_rm_SaveUnsigned")
func cairn_rm_SaveUnsigned(_ io: UnsafeMutableRawPointer?, _ v: UInt64) {
    guard let io else { return }
    ModuleIO.from(io).save(.unsigned(v))
}

/// The next field's value when it is of the kind `extract` accepts; else `zero`, the IO failed.
private func load<T>(_ io: UnsafeMutableRawPointer?, _ kind: ModuleIO.Kind, _ zero: T, _ extract: (ModuleField) -> T?) -> T {
    guard let io else { return zero }
    let m = ModuleIO.from(io)
    guard let f = m.next(kind) else { return zero }
    guard let v = extract(f) else {
        m.wrongKind(kind, f)
        return zero
    }
    return v
}

@_cdecl("cairn_rm_LoadUnsigned")
func cairn_rm_LoadUnsigned(_ io: UnsafeMutableRawPointer?) -> UInt64 {
    load(io, .unsigned, 0) { if case .unsigned(let v) = $0 { v } else { nil } }
}

@_cdecl("cairn_rm_SaveSigned")
func cairn_rm_SaveSigned(_ io: UnsafeMutableRawPointer?, _ v: Int64) {
    cairn_rm_SaveUnsigned(io, UInt64(bitPattern: v))
}

@_cdecl("cairn_rm_LoadSigned")
func cairn_rm_LoadSigned(_ io: UnsafeMutableRawPointer?) -> Int64 {
    Int64(bitPattern: cairn_rm_LoadUnsigned(io))
}

@_cdecl("cairn_rm_SaveString")
func cairn_rm_SaveString(_ io: UnsafeMutableRawPointer?, _ s: UnsafeRawPointer?) {
    guard let io else { return }
    guard let s else { return ModuleIO.from(io).fail("RedisModule_SaveString of NULL") }
    ModuleIO.from(io).save(.string(ModuleString.from(s).bytes))
}

@_cdecl("cairn_rm_SaveStringBuffer")
func cairn_rm_SaveStringBuffer(_ io: UnsafeMutableRawPointer?, _ p: UnsafePointer<CChar>?, _ len: Int) {
    guard let io else { return }
    guard let p else {
        if len == 0 { ModuleIO.from(io).save(.string([])) } else { ModuleIO.from(io).fail("RedisModule_SaveStringBuffer of NULL") }
        return
    }
    ModuleIO.from(io).save(.string(Bytes(UnsafeRawBufferPointer(start: p, count: max(len, 0)))))
}

/// The next field as a string, or empty after a failure.
private func loadString(_ io: UnsafeMutableRawPointer?) -> Bytes {
    load(io, .string, []) { if case .string(let b) = $0 { b } else { nil } }
}

@_cdecl("cairn_rm_LoadString")
func cairn_rm_LoadString(_ io: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    // Not tracked by any context: the module frees it (RedisModule_FreeString), as in 4.0.
    ModuleString(bytes: loadString(io)).retainedPointer()
}

@_cdecl("cairn_rm_LoadStringBuffer")
func cairn_rm_LoadStringBuffer(_ io: UnsafeMutableRawPointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<CChar>? {
    let bytes = loadString(io)
    // RedisModule_Alloc'd (malloc), as the module frees it with RedisModule_Free.
    let p = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
    bytes.withUnsafeBytes { if let b = $0.baseAddress, bytes.count > 0 { memcpy(p, b, bytes.count) } }
    len?.pointee = bytes.count
    return p
}

@_cdecl("cairn_rm_SaveDouble")
func cairn_rm_SaveDouble(_ io: UnsafeMutableRawPointer?, _ v: Double) {
    guard let io else { return }
    ModuleIO.from(io).save(.double(v))
}

@_cdecl("cairn_rm_LoadDouble")
func cairn_rm_LoadDouble(_ io: UnsafeMutableRawPointer?) -> Double {
    load(io, .double, 0) { if case .double(let v) = $0 { v } else { nil } }
}

@_cdecl("cairn_rm_SaveFloat")
func cairn_rm_SaveFloat(_ io: UnsafeMutableRawPointer?, _ v: Float) {
    guard let io else { return }
    ModuleIO.from(io).save(.float(v))
}

@_cdecl("cairn_rm_LoadFloat")
func cairn_rm_LoadFloat(_ io: UnsafeMutableRawPointer?) -> Float {
    load(io, .float, 0) { if case .float(let v) = $0 { v } else { nil } }
}

// MARK: AOF, context, log

@_cdecl("cairn_rm_emit_aof_argv")
func cairn_rm_emit_aof_argv(_ io: UnsafeMutableRawPointer?, _ cmdname: UnsafePointer<CChar>?,
                            _ args: UnsafePointer<cairn_module_arg>?, _ argc: Int32) {
    guard let io else { return }
    let m = ModuleIO.from(io)
    guard case .rewrite = m.mode else { return m.fail("RedisModule_EmitAOF outside aof_rewrite") }
    guard m.error == nil else { return }
    guard let cmdname, argc >= 0 else {
        m.type.host?.moduleLog(.warning, "Fatal: AOF method for module data type '\(m.type.name)' tried to "
            + "call RedisModule_EmitAOF() with wrong format specifiers")
        return m.fail("RedisModule_EmitAOF() with wrong format specifiers")
    }
    let name = String(cString: cmdname)
    guard m.type.host?.moduleCommandExists(name.lowercased()) ?? false else {
        m.type.host?.moduleLog(.warning, "Fatal: AOF method for module data type '\(m.type.name)' tried to "
            + "emit unknown command '\(name)'")
        return m.fail("the aof_rewrite callback emitted the unknown command '\(name)'")
    }
    var argv: [Bytes] = [Bytes(name.utf8)]
    for i in 0..<Int(argc) {
        let a = args![i]
        argv.append(a.ptr == nil ? [] : Bytes(UnsafeRawBufferPointer(start: a.ptr, count: a.len)))
    }
    m.commands.append(argv)
}

@_cdecl("cairn_rm_GetContextFromIO")
func cairn_rm_GetContextFromIO(_ io: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let io else { return nil }
    let m = ModuleIO.from(io)
    if let c = m.context { return c.pointer }
    guard let host = m.type.host else { return nil }
    let module = ModuleRegistry.defaultRegistry?.modules[m.type.moduleName]
    let c = ModuleContext(host: host, module: module, client: nil, clientID: 0, db: 0)
    m.context = c
    return c.pointer
}

@_cdecl("cairn_rm_log_io")
func cairn_rm_log_io(_ io: UnsafeMutableRawPointer?, _ level: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>) {
    let name = io.map { ModuleIO.from($0).type.moduleName } ?? "module"
    let host = io.flatMap { ModuleIO.from($0).type.host } ?? ModuleRegistry.defaultHost
    host?.moduleLog(ModuleLogLevel(name: level.map { String(cString: $0) } ?? "verbose"), "<\(name)> \(String(cString: message))")
}

// MARK: digest

@_cdecl("cairn_rm_DigestAddStringBuffer")
func cairn_rm_DigestAddStringBuffer(_ md: UnsafeMutableRawPointer?, _ p: UnsafeMutablePointer<UInt8>?, _ len: Int) {
    guard let md else { return }
    let bytes = p.map { Bytes(UnsafeBufferPointer(start: $0, count: max(len, 0))) } ?? []
    DatasetDigest.mix(&ModuleDigest.from(md).o, bytes)
}

@_cdecl("cairn_rm_DigestAddLongLong")
func cairn_rm_DigestAddLongLong(_ md: UnsafeMutableRawPointer?, _ v: Int64) {
    guard let md else { return }
    DatasetDigest.mix(&ModuleDigest.from(md).o, bytesOf(v))
}

@_cdecl("cairn_rm_DigestEndSequence")
func cairn_rm_DigestEndSequence(_ md: UnsafeMutableRawPointer?) {
    guard let md else { return }
    let d = ModuleDigest.from(md)
    DatasetDigest.xorIn(&d.x, d.o)
    d.o = [UInt8](repeating: 0, count: 20)
}
