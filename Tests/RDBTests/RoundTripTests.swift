// RoundTripTests: the writer's output reads back to the same dataset, and
// hand-made files in older versions and encodings (RDB 1-8, zipmap, ziplist,
// quicklist v1, second-precision expiries) read correctly.
import XCTest
import Engine
@testable import RDB

/// A dataset covering every type at small and large sizes, expiries, several dbs, binary keys.
func sampleDataset() -> [RDBEntry] {
    var es: [RDBEntry] = []
    func add(_ db: Int, _ key: String, _ v: RDBValue, _ exp: Int64? = nil) { es.append(RDBEntry(db: db, key: Bytes(key), value: v, expireMs: exp)) }
    add(0, "s", .string(Bytes("hello")))
    add(0, "n", .string(Bytes("-12345")))
    add(0, "big", .string(Bytes("9223372036854775807")))
    add(0, "lzf", .string(Bytes(String(repeating: "abcdefgh", count: 300))))
    add(0, "e", .string([]), 4_102_444_800_000)
    es.append(RDBEntry(db: 0, key: [0, 0xFF, 10, 13], value: .string([0, 1, 2, 0xFF])))
    add(0, "l-small", .list(["a", "1", "-1", "70000", "", String(repeating: "q", count: 300)].map { Bytes($0) }))
    add(0, "l-large", .list((0..<5000).map { Bytes("element-\($0)") }), 4_102_444_800_001)
    add(0, "set-int", .set((0..<100).map { bytesOf(Int64($0 * 1000 - 50000)) }))
    add(0, "set-int-large", .set((0..<600).map { bytesOf(Int64($0)) }))
    add(0, "set-str", .set(["x", "y", "010"].map { Bytes($0) }))
    add(0, "z-small", .zset([ZMember(Bytes("a"), 1), ZMember(Bytes("b"), 2.5), ZMember(Bytes("c"), -0.1),
                             ZMember(Bytes("d"), .infinity), ZMember(Bytes("e"), -.infinity), ZMember(Bytes("f"), 1e300)]))
    add(0, "z-large", .zset((0..<300).map { ZMember(Bytes("m\($0)"), Double($0) / 3) }))
    add(0, "z-long", .zset([ZMember(Bytes(String(repeating: "m", count: 100)), 5)]))
    add(1, "h-small", .hash([HashField(Bytes("f"), Bytes("v")), HashField(Bytes("n"), Bytes("12"))]), 4_102_444_800_002)
    add(1, "h-large", .hash((0..<700).map { HashField(Bytes("f\($0)"), Bytes("v\($0)")) }))
    add(1, "h-long", .hash([HashField(Bytes("f"), Bytes(String(repeating: "v", count: 65)))]))
    add(9, "db9", .string(Bytes("nine")))
    return es
}

func assertSameDataset(_ a: [RDBEntry], _ b: [RDBEntry], _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
    func index(_ es: [RDBEntry]) -> [String: (RDBValue, Int64?)] {
        var d: [String: (RDBValue, Int64?)] = [:]
        for e in es { d["\(e.db):\(e.key.hex)"] = (canonical(e.value), e.expireMs) }
        return d
    }
    let x = index(a), y = index(b)
    XCTAssertEqual(Set(x.keys), Set(y.keys), context, file: file, line: line)
    for (k, v) in x {
        XCTAssertEqual(v.0, y[k]?.0, "\(context) \(k)", file: file, line: line)
        XCTAssertEqual(v.1, y[k]?.1, "\(context) \(k)", file: file, line: line)
    }
}

final class RoundTripTests: XCTestCase {
    func testWriterRoundTripAllOptions() throws {
        let data = sampleDataset()
        for (compression, checksum) in [(true, true), (false, true), (true, false), (false, false)] {
            let bytes = try writeRDB(data, compression: compression, checksum: checksum)
            let (version, aux, entries) = try readAll(bytes)
            XCTAssertEqual(version, 8)
            XCTAssertEqual(aux.map { $0.0.text }, ["redis-ver", "redis-bits", "ctime", "used-mem", "repl-stream-db", "repl-id", "repl-offset", "aof-preamble"])
            assertSameDataset(entries, data)
            // The encodings Redis 4.0 would pick.
            let types = Dictionary(entries.map { ($0.key.text, $0.type!) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(types["l-large"], .listQuicklist)
            XCTAssertEqual(types["set-int"], .setIntset)
            XCTAssertEqual(types["set-int-large"], .set)
            XCTAssertEqual(types["set-str"], .set)
            XCTAssertEqual(types["z-small"], .zsetZiplist)
            XCTAssertEqual(types["z-large"], .zset2)
            XCTAssertEqual(types["z-long"], .zset2)
            XCTAssertEqual(types["h-small"], .hashZiplist)
            XCTAssertEqual(types["h-large"], .hash)
            XCTAssertEqual(types["h-long"], .hash)
        }
        XCTAssertLessThan(try writeRDB(data, compression: true).count, try writeRDB(data, compression: false).count)
    }

    func testRedis7FixtureThroughWriterAndBack() throws {
        let (_, _, entries) = try readAll(try fixture("redis7-all.rdb"))
        let (_, _, again) = try readAll(try writeRDB(entries))
        assertSameDataset(again, entries)
    }

    /// Builds a file by hand: header of `version`, then raw body bytes, EOF and (v5+) a checksum.
    func handMade(_ version: Int, _ body: [UInt8], checksum: Bool = true) -> [UInt8] {
        var f = Bytes("REDIS" + String(format: "%04d", version)) + body + [0xFF]
        if version >= 5 {
            let c = checksum ? CRC64.checksum(f) : 0
            f += (0..<8).map { UInt8(truncatingIfNeeded: c >> (8 * UInt64($0))) }
        }
        return f
    }
    func str(_ s: Bytes) -> [UInt8] { RDBWriter<MemorySink>.lengthBytes(UInt64(s.count)) + s }

    func testOldVersionsAndEncodings() throws {
        let zipmap: [UInt8] = [2, 1, 0x66, 2, 1, 0x76, 0x76, 0x00, 1, 0x67, 0, 0, 0xFF]
        let zl = CompactEncoder.ziplist(["a", "100", "b"].map { Bytes($0) })
        var body: [UInt8] = [0xFE, 0x00]
        body += [0xFD, 0x00, 0xE1, 0xF5, 0x05] + [9] + str(Bytes("zm")) + str(zipmap) // EXPIRETIME in seconds
        body += [10] + str(Bytes("zl")) + str(zl)
        body += [13] + str(Bytes("hz")) + str(CompactEncoder.ziplist(["f", "1"].map { Bytes($0) }))
        body += [12] + str(Bytes("zz")) + str(CompactEncoder.ziplist(["m", "1.5", "n", "3"].map { Bytes($0) }))
        body += [14] + str(Bytes("ql")) + [2] + str(zl) + str(CompactEncoder.ziplist([Bytes("c")]))
        body += [3] + str(Bytes("oldz")) + [2] + str(Bytes("m")) + [3] + Bytes("2.5") + str(Bytes("inf")) + [254]
        body += [0xFE, 0x03, 1] + str(Bytes("l")) + [1] + str(Bytes("x"))
        for version in [1, 4, 5, 6, 7, 8, 9] {
            let (v, _, es) = try readAll(handMade(version, body))
            XCTAssertEqual(v, version)
            let d = Dictionary(es.map { ($0.key.text, $0) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(d["zm"]?.value, .hash([HashField(Bytes("f"), Bytes("vv")), HashField(Bytes("g"), [])]))
            XCTAssertEqual(d["zm"]?.expireMs, 100_000_000_000)
            XCTAssertEqual(d["zl"]?.value, .list(["a", "100", "b"].map { Bytes($0) }))
            XCTAssertEqual(d["hz"]?.value, .hash([HashField(Bytes("f"), Bytes("1"))]))
            XCTAssertEqual(d["zz"]?.value, .zset([ZMember(Bytes("m"), 1.5), ZMember(Bytes("n"), 3)]))
            XCTAssertEqual(d["ql"]?.value, .list(["a", "100", "b", "c"].map { Bytes($0) }))
            XCTAssertEqual(d["oldz"]?.value, .zset([ZMember(Bytes("m"), 2.5), ZMember(Bytes("inf"), .infinity)]))
            XCTAssertEqual(d["l"]?.db, 3)
        }
        // Zero checksum means none; a wrong one is an error naming the offset.
        XCTAssertNoThrow(try readAll(handMade(8, body, checksum: false)))
        var bad = handMade(8, body); bad[bad.count - 1] ^= 1
        XCTAssertThrowsError(try readAll(bad)) { XCTAssertTrue(String(describing: $0).contains("checksum mismatch")) }
    }

    func testIdleFreqAndModuleAux() throws {
        var body: [UInt8] = [0xFE, 0x00]
        // MODULE_AUX: id, when-opcode UINT, when, a UINT, a STRING, EOF.
        body += [0xF7, 0x81, 0, 0, 0, 0, 0, 0, 1, 0x05, 2, 2, 2, 7, 5] + str(Bytes("blob")) + [0]
        body += [0xF8, 0x40, 0x64] + [0] + str(Bytes("idle")) + str(Bytes("v"))
        body += [0xF9, 0x07] + [0] + str(Bytes("freq")) + str(Bytes("v"))
        let evs = try events(handMade(9, body))
        XCTAssertTrue(evs.contains { if case .moduleAux = $0 { return true }; return false })
        let es = evs.compactMap { e -> RDBEntry? in if case .entry(let x) = e { return x }; return nil }
        XCTAssertEqual(es.map { $0.idle }, [100, nil])
        XCTAssertEqual(es.map { $0.freq }, [nil, 7])
    }
}
