// ModuleFields: a module value in the RDB (type 7, RDB_TYPE_MODULE_2): the
// type's 64-bit id as a length, then the fields the type's rdb_save wrote,
// each an RDB_MODULE_OPCODE_* length and its value, then the EOF opcode.
//
// Type 6 (the pre-release form, no opcodes) needs the module to be read at all:
// its rdb_load runs over the stream and what it read becomes the same fields.
// Contract: reading type 7 needs no module (the form is self-describing), so tools
// can report module values and a server can refuse the ones no loaded module
// owns by name; turning the fields back into a value (EngineValueDecoding)
// needs the type. Values: UINT and SINT as lengths, FLOAT as 4 bytes and
// DOUBLE as 8 bytes little-endian IEEE, STRING as an RDB string.
import Engine

/// The opcodes of a module value's fields.
public enum ModuleOpcode {
    public static let eof: UInt64 = 0
    public static let signed: UInt64 = 1
    public static let unsigned: UInt64 = 2
    public static let float: UInt64 = 3
    public static let double: UInt64 = 4
    public static let string: UInt64 = 5
}

extension RDBInput {
    /// The fields of a module value up to its EOF opcode.
    mutating func moduleFields(_ name: String) throws -> [ModuleField] {
        var fields: [ModuleField] = []
        while true {
            let at = offset
            switch try length() {
            case ModuleOpcode.eof: return fields
            case ModuleOpcode.signed: fields.append(.signed(Int64(bitPattern: try length())))
            case ModuleOpcode.unsigned: fields.append(.unsigned(try length()))
            case ModuleOpcode.float: fields.append(.float(Float(bitPattern: UInt32(try uintLE(4)))))
            case ModuleOpcode.double: fields.append(.double(Double(bitPattern: try uintLE(8))))
            case ModuleOpcode.string: fields.append(.string(try string()))
            case let op: throw error("bad field opcode \(op) in module \(name) data", at: at)
            }
        }
    }
}

/// The pre-release form's items read from the RDB stream while a module's rdb_load asks for them.
final class ModuleV1Input: ModuleFieldStream {
    var input: RDBInput
    init(_ input: RDBInput) { self.input = input }
    func unsigned() throws -> UInt64 { try input.length() }
    func float() throws -> Float { Float(bitPattern: UInt32(try input.uintLE(4))) }
    func double() throws -> Double { try input.binaryDouble() }
    func string() throws -> Bytes { try input.string() }
}

extension RDBInput {
    /// A module value in the pre-release form (type 6): only the loaded module knows its
    /// layout, so its rdb_load runs here to read it (Redis 4.0 loads it the same way).
    mutating func moduleV1Fields(id: UInt64, at: Int) throws -> [ModuleField] {
        guard let type = ModuleTypes.lookup(id: id) else {
            throw error("module value in the pre-release format (RDB type 6) of type '\(ModuleTypes.name(ofID: id))': "
                + "only its module can read it, and no loaded module registered that type", at: at)
        }
        let stream = ModuleV1Input(self)
        defer { self = stream.input }
        do {
            return try type.fieldsOfVersion1(stream, encodingVersion: Int(id & 1023))
        } catch let e as RDBError {
            throw e
        } catch {
            throw self.error("module value of type '\(type.name)' in the pre-release format: \(error)", at: at)
        }
    }
}

extension RDBWriter {
    /// Writes a module value's body: its type id, its fields and the EOF opcode.
    public mutating func moduleBody(id: UInt64, fields: [ModuleField]) throws {
        Self.appendLength(id, to: &buffer)
        for f in fields {
            switch f {
            case .signed(let v):
                Self.appendLength(ModuleOpcode.signed, to: &buffer)
                Self.appendLength(UInt64(bitPattern: v), to: &buffer)
            case .unsigned(let v):
                Self.appendLength(ModuleOpcode.unsigned, to: &buffer)
                Self.appendLength(v, to: &buffer)
            case .float(let v):
                Self.appendLength(ModuleOpcode.float, to: &buffer)
                putLE(UInt64(v.bitPattern), 4)
            case .double(let v):
                Self.appendLength(ModuleOpcode.double, to: &buffer)
                putLE(v.bitPattern, 8)
            case .string(let s):
                Self.appendLength(ModuleOpcode.string, to: &buffer)
                try string(s)
            }
            try drainIfFull()
        }
        Self.appendLength(ModuleOpcode.eof, to: &buffer)
    }
}
