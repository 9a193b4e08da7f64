// ModuleABITests: the parts of the module ABI that need no server: the API
// table against Redis 4.0's own redismodule.h, the call-reply parser, and the
// command flag words. (Loading real modules is tools/tests/test_modules.py.)
import Foundation
import XCTest
import CairnModuleABI
@testable import Modules

final class ModuleABITests: XCTestCase {
    /// redismodule.h from the reference tarball (shared/reference, or $CAIRN_SHARED).
    private func referenceHeader() throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shared = ProcessInfo.processInfo.environment["CAIRN_SHARED"] ?? repo.appendingPathComponent("../shared").path
        let tarball = shared + "/reference/redis-4.0.14.tar.gz"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-xzOf", tarball, "redis-4.0.14/src/redismodule.h"]
        let pipe = Pipe()
        tar.standardOutput = pipe
        try tar.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        tar.waitUntilExit()
        XCTAssertEqual(tar.terminationStatus, 0, "tar could not read \(tarball)")
        return String(decoding: data, as: UTF8.self)
    }

    func testEveryNameTheHeaderAsksForIsAnsweredAndNoOther() throws {
        let header = try referenceHeader()
        let regex = try NSRegularExpression(pattern: #"REDISMODULE_GET_API\((\w+)\)"#)
        let range = NSRange(header.startIndex..., in: header)
        // Every REDISMODULE_GET_API(Name) line of Init (the macro's own definition names "name").
        let names = Set(regex.matches(in: header, range: range)
            .map { (header as NSString).substring(with: $0.range(at: 1)) }
            .filter { $0 != "name" }
            .map { "RedisModule_" + $0 })
        XCTAssertGreaterThan(names.count, 100)
        for name in names { XCTAssertEqual(cairn_module_api_known(name), 1, name) }
        // The table holds those names plus GetApi itself (which Init reads from the context).
        let table = Set((0..<Int(cairn_module_api_count())).map { String(cString: cairn_module_api_name(Int32($0))!) })
        XCTAssertEqual(table, names.union(["RedisModule_GetApi"]))
        XCTAssertEqual(cairn_module_api_known("RedisModule_FutureThing"), 0)
    }

    func testCallReplyParsing() throws {
        let proto = Array("*4\r\n:42\r\n$3\r\na\0b\r\n*2\r\n+OK\r\n-ERR bad\r\n$-1\r\n".utf8)
        let r = try XCTUnwrap(ModuleCallReply.parse(proto))
        XCTAssertEqual(r.kind, .array)
        XCTAssertEqual(r.elements.count, 4)
        XCTAssertEqual(r.elements[0].integer, 42)
        XCTAssertEqual(r.elements[1].textBytes, [97, 0, 98])
        XCTAssertEqual(r.elements[2].elements.map(\.kind), [.string, .error])
        XCTAssertEqual(r.elements[2].elements[1].textBytes, Array("ERR bad".utf8))
        XCTAssertEqual(r.elements[3].kind, .null)
        XCTAssertEqual(Array(r.elements[2].proto), Array("*2\r\n+OK\r\n-ERR bad\r\n".utf8))
        XCTAssertTrue(r.elements.allSatisfy(\.nested))
        for bad in ["", "*2\r\n:1\r\n", "$5\r\nab\r\n", ":x\r\n", "?\r\n", ":1\r\n:2\r\n"] {
            XCTAssertNil(ModuleCallReply.parse(Array(bad.utf8)), bad)
        }
    }

    func testCommandFlagWords() {
        XCTAssertEqual(ModuleCommandFlags(words: "write deny-oom"), [.write, .denyoom])
        XCTAssertEqual(ModuleCommandFlags(words: "  READONLY   fast getkeys-api "), [.readonly, .fast, .getkeysAPI])
        XCTAssertEqual(ModuleCommandFlags(words: ""), [])
        XCTAssertNil(ModuleCommandFlags(words: "write sparkly"))
    }
}
