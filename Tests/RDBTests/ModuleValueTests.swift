// ModuleValueTests: module values (RDB type 7) without a real module: the
// type id from a name, the fields' RDB form read back, a fake module type in
// the keyspace (decoding through it, freeing, and a snapshot that captures a
// value before the module changes it in place).
import XCTest
import Engine
@testable import RDB

/// A module type whose values are Int64 cells; counts frees.
final class CellType: ModuleDataType, @unchecked Sendable {
    let name: String
    let id: UInt64
    var frees = 0
    init(name: String = "CellType1", version: Int = 3) {
        self.name = name
        id = ModuleTypes.encodeID(name: Bytes(name.utf8), encodingVersion: version)!
    }
    func make(_ v: Int64) -> UnsafeMutableRawPointer {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        p.pointee = v
        return UnsafeMutableRawPointer(p)
    }
    func save(_ value: UnsafeMutableRawPointer) throws -> [ModuleField] {
        [.unsigned(UInt64(bitPattern: value.load(as: Int64.self))), .string(Bytes("cell"))]
    }
    func rewrite(key: Bytes, _ value: UnsafeMutableRawPointer) throws -> [[Bytes]] {
        [[Bytes("CELL.SET"), key, bytesOf(value.load(as: Int64.self))]]
    }
    func load(_ fields: [ModuleField], encodingVersion: Int) throws -> UnsafeMutableRawPointer {
        guard fields.count == 2, case .unsigned(let u) = fields[0] else { throw ModuleTypeError("bad cell") }
        return make(Int64(bitPattern: u))
    }
    func fieldsOfVersion1(_ stream: ModuleFieldStream, encodingVersion: Int) throws -> [ModuleField] {
        [.unsigned(try stream.unsigned()), .string(try stream.string())]
    }
    func digest(_ value: UnsafeMutableRawPointer) -> [UInt8]? { nil }
    func memoryUsage(_ value: UnsafeMutableRawPointer) -> Int { 8 }
    func free(_ value: UnsafeMutableRawPointer) {
        frees += 1
        value.deallocate()
    }
}

final class ModuleValueTests: XCTestCase {
    func testTypeIDsAsRedisMakesThem() {
        // hellotype, encoding version 0, as Redis 4.0 writes it in RDB files.
        XCTAssertEqual(ModuleTypes.encodeID(name: Bytes("hellotype".utf8), encodingVersion: 0), 9_649_355_426_779_199_488)
        XCTAssertEqual(ModuleTypes.name(ofID: 9_649_355_426_779_199_488 | 7), "hellotype")
        XCTAssertEqual(moduleName(9_649_355_426_779_199_488 | 7), "hellotype-7")
        XCTAssertNil(ModuleTypes.encodeID(name: Bytes("short".utf8), encodingVersion: 0))
        XCTAssertNil(ModuleTypes.encodeID(name: Bytes("hello.typ".utf8), encodingVersion: 0))
        XCTAssertNil(ModuleTypes.encodeID(name: Bytes("hellotype".utf8), encodingVersion: 1024))
        XCTAssertNil(ModuleTypes.encodeID(name: Bytes("hellotype".utf8), encodingVersion: -1))
        XCTAssertNotNil(ModuleTypes.encodeID(name: Bytes("Az09-_xyz".utf8), encodingVersion: 1023))
    }

    func testEveryFieldKindReadsBack() throws {
        let id = ModuleTypes.encodeID(name: Bytes("fieldtest".utf8), encodingVersion: 9)!
        let fields: [ModuleField] = [
            .unsigned(0), .unsigned(63), .unsigned(16383), .unsigned(UInt64(UInt32.max) + 1), .unsigned(.max),
            .signed(-1), .float(1.5), .float(.infinity), .double(.nan), .double(-0.0), .double(1e300),
            .string([]), .string(Bytes("12345")), .string([0, 255, 10]), .string(Bytes(String(repeating: "lzf ", count: 40).utf8)),
        ]
        for compression in [true, false] {
            let file = try writeRDB([RDBEntry(db: 2, key: Bytes("m"), value: .module(id: id, fields: fields), expireMs: 5)],
                                    compression: compression)
            let (_, _, es) = try readAll(file)
            XCTAssertEqual(es.count, 1)
            XCTAssertEqual(es[0].value, .module(id: id, fields: fields))
            XCTAssertEqual(es[0].type, .module2)
            XCTAssertEqual(es[0].value.typeName, "fieldtest")
            XCTAssertEqual(es[0].expireMs, 5)
        }
    }

    func testBadFieldOpcodeAndTruncationAreErrors() throws {
        let id = ModuleTypes.encodeID(name: Bytes("fieldtest".utf8), encodingVersion: 0)!
        let file = try writeRDB([RDBEntry(db: 0, key: Bytes("m"), value: .module(id: id, fields: [.unsigned(7)]))], checksum: false)
        // The field opcode UINT (2) follows the 9-byte id; make it 9.
        guard let at = file.indices.first(where: { i in i + 11 < file.count && file[i] == 7 && file[i + 1] == 1 && file[i + 2] == 0x6D }) else {
            return XCTFail("no module entry found")
        }
        var bad = file
        bad[at + 3 + 9] = 9
        XCTAssertThrowsError(try readAll(bad)) { XCTAssertTrue(String(describing: $0).contains("bad field opcode 9 in module fieldtest")) }
        XCTAssertThrowsError(try readAll(Array(file.prefix(at + 14))))
    }

    func testPreReleaseFormReadsWithTheTypesHelp() throws {
        let type = CellType(name: "CellTypeV")
        // Type 6, key "v", the id, then what the type's rdb_load reads: a length and a string.
        var body: [UInt8] = [0xFE, 0x00, 6, 1, 0x76] + RDBWriter<MemorySink>.lengthBytes(type.id)
        body += [0x40, 0x64, 2] + Bytes("ok".utf8)
        var file = Bytes("REDIS0008".utf8) + body + [0xFF] + [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try readAll(file)) {
            XCTAssertTrue(String(describing: $0).contains("pre-release format (RDB type 6) of type 'CellTypeV'"), "\($0)")
        }
        ModuleTypes.register(type)
        defer { ModuleTypes.unregister(type) }
        let (_, _, es) = try readAll(file)
        XCTAssertEqual(es.map(\.value), [.module(id: type.id, fields: [.unsigned(100), .string(Bytes("ok".utf8))])])
        file.removeLast(10)  // cut inside the value
        XCTAssertThrowsError(try readAll(file))
    }

    func testDecodingNeedsTheTypeAndFreesOnce() throws {
        let type = CellType()
        let entry = RDBEntry(db: 0, key: Bytes("c"), value: .module(id: type.id, fields: [.unsigned(42), .string(Bytes("cell"))]))
        XCTAssertThrowsError(try entry.engineValue(limits: EncodingLimits())) {
            XCTAssertTrue(String(describing: $0).contains("module data of type 'CellType1'"), "\($0)")
        }
        ModuleTypes.register(type)
        defer { ModuleTypes.unregister(type) }
        do {
            let value = try entry.engineValue(limits: EncodingLimits())
            guard case .module(let m) = value else { return XCTFail("not a module value") }
            XCTAssertEqual(m.pointer?.load(as: Int64.self), 42)
            XCTAssertEqual(value.typeName, "CellType1")
            XCTAssertEqual(value.encodingName, "raw")
            let bad = RDBEntry(db: 0, key: Bytes("c"), value: .module(id: type.id, fields: [.string([])]))
            XCTAssertThrowsError(try bad.engineValue(limits: EncodingLimits())) {
                XCTAssertTrue(String(describing: $0).contains("could not load its data: bad cell"), "\($0)")
            }
        }
        XCTAssertEqual(type.frees, 1)
    }

    func testSnapshotTakesTheValueBeforeAnInPlaceChange() throws {
        let type = CellType()
        let ks = Keyspace(databases: 1)
        let cell = type.make(1)
        ks.set(0, Bytes("k"), .module(ModuleValue(type: type, pointer: cell)))
        let snap = try XCTUnwrap(ks.beginSnapshot())
        // What ModuleTypeGetValue does before handing the pointer out; then the module writes.
        ks.preserveBeforeInPlaceWrite(0, try XCTUnwrap(ks.lookupWrite(0, Bytes("k"))))
        cell.storeBytes(of: 2, as: Int64.self)
        XCTAssertTrue(ks.snapshotStep(budget: 100))
        let items = snap.takePending()
        ks.endSnapshot()
        XCTAssertEqual(items.count, 1)
        guard case .module(let frozen) = items[0].value else { return XCTFail("not a module value") }
        XCTAssertNil(frozen.pointer)
        XCTAssertEqual(try frozen.fields(), [.unsigned(1), .string(Bytes("cell"))])
        XCTAssertThrowsError(try frozen.commands(key: Bytes("k")))  // an RDB snapshot: fields only
        let other = CellType(name: "CellType2")
        let live = ModuleValue(type: other, pointer: other.make(5))
        XCTAssertEqual(try live.freeze(key: Bytes("k"), asCommands: true).commands(key: Bytes("k")),
                       [[Bytes("CELL.SET"), Bytes("k"), Bytes("5")]])
        // The frozen copy writes the old value; the keyspace holds the new one.
        var w = RDBWriter(MemorySink())
        try w.entry(key: items[0].key, value: items[0].value, expireAt: nil)
        try w.drain()
        XCTAssertEqual(w.sink.bytes.first, RDBType.module2.rawValue)
        XCTAssertEqual(try DumpPayload.make(ks.value(0, ks.lookupWrite(0, Bytes("k"))!)).count, w.sink.bytes.count - 2 + 10)
        XCTAssertEqual(type.frees, 0)
        _ = ks.delete(0, Bytes("k"))
        XCTAssertEqual(type.frees, 1)
    }
}
