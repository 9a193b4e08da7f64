// FormatTests: CRC64, LZF, length encodings and the compact codecs.
import XCTest
import Engine
import CairnTestSupport
@testable import RDB

final class FormatTests: XCTestCase {
    func testCRC64CheckValue() {
        XCTAssertEqual(CRC64.checksum(Array("123456789".utf8)), 0xe9c6d914c4b8d9ca)
        XCTAssertEqual(CRC64.update(CRC64.checksum(Array("1234".utf8)), Array("56789".utf8)), 0xe9c6d914c4b8d9ca)
    }

    func testLZFRoundTripAndLimits() {
        var rng = SplitMix64(seed: 0x1F)
        for size in [1, 5, 21, 100, 1000, 70_000] {
            for kind in 0..<3 {
                let data: [UInt8] = (0..<size).map { i in
                    kind == 0 ? UInt8(i % 7) : kind == 1 ? UInt8.random(in: 0...3, using: &rng) : UInt8.random(in: 0...255, using: &rng)
                }
                if let c = LZF.compress(data, limit: size + size / 16 + 64) {
                    XCTAssertEqual(LZF.decompress(c, length: size), data, "size \(size) kind \(kind) \(rng)")
                }
            }
        }
        let long = [UInt8](repeating: 65, count: 1000)
        let c = LZF.compress(long, limit: 996)!
        XCTAssertLessThan(c.count, 30)
        XCTAssertNil(LZF.decompress(c, length: 999), "wrong length is an error")
        XCTAssertNil(LZF.decompress([0x20, 0x05], length: 4), "back reference before the start")
        XCTAssertNil(LZF.decompress([0x05, 1, 2], length: 6), "literal run past the input")
        XCTAssertNil(LZF.compress(Array(0..<50), limit: 46), "incompressible input")
    }

    func testLengthEncodingsRead() throws {
        for n: UInt64 in [0, 63, 64, 16383, 16384, 1 << 32 - 1, 1 << 32, 1 << 40] {
            var input = RDBInput(MemorySource(RDBWriter<MemorySink>.lengthBytes(n)))
            XCTAssertEqual(try input.length(), n)
        }
        var bad = RDBInput(MemorySource([0x82]))
        XCTAssertThrowsError(try bad.length())
    }

    func testIntegerEncodedStringsRead() throws {
        let cases: [([UInt8], String)] = [([0xC0, 0xFF], "-1"), ([0xC1, 0x00, 0x80], "-32768"),
                                          ([0xC2, 0xFF, 0xFF, 0xFF, 0x7F], "2147483647"), ([0x03, 0x61, 0x62, 0x63], "abc")]
        for (raw, want) in cases {
            var input = RDBInput(MemorySource(raw))
            XCTAssertEqual(try input.string(), Array(want.utf8))
        }
    }

    func testZiplistRoundTripEveryIntegerWidth() throws {
        let items: [Bytes] = ["0", "12", "13", "-1", "127", "-128", "128", "32767", "-32769", "8388607", "-8388609",
                              "2147483648", "-9223372036854775808", "9223372036854775807", "01", "+1", "-0", "",
                              String(repeating: "x", count: 63), String(repeating: "y", count: 300),
                              String(repeating: "z", count: 20000)].map { Bytes($0) }
        let zl = CompactEncoder.ziplist(items)
        XCTAssertEqual(try ZiplistDecoder.entries(zl), items)
        XCTAssertEqual(try ZiplistDecoder.entries(CompactEncoder.ziplist([])), [])
        var broken = zl; broken[10] = 7 // first prevlen must be 0
        XCTAssertThrowsError(try ZiplistDecoder.entries(broken))
    }

    func testIntsetWidthsAndOrder() throws {
        XCTAssertEqual(try IntsetDecoder.members(CompactEncoder.intset([3, 1, 2, 1])), ["1", "2", "3"].map { Bytes($0) })
        let wide = CompactEncoder.intset([Int64.min, 0, 70000])
        XCTAssertEqual(wide[0], 8)
        XCTAssertEqual(try IntsetDecoder.members(wide).map { $0.text }, ["-9223372036854775808", "0", "70000"])
        XCTAssertEqual(CompactEncoder.intset([70000])[0], 4)
        var unsorted = CompactEncoder.intset([1, 2]); unsorted.swapAt(8, 10)
        XCTAssertThrowsError(try IntsetDecoder.members(unsorted))
    }

    func testListpackHandMade() throws {
        // "a", 5 (7-bit uint), -1 (13-bit), 300 as int16, "hello" ; each entry then its back-length.
        var body: [UInt8] = [0x81, 0x61, 0x02, 0x05, 0x01, 0xDF, 0xFF, 0x02, 0xF1, 0x2C, 0x01, 0x03,
                             0x85, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x06]
        body.append(0xFF)
        let total = body.count + 6
        let lp: [UInt8] = [UInt8(total), 0, 0, 0, 5, 0] + body
        XCTAssertEqual(try ListpackDecoder.entries(lp).map { $0.text }, ["a", "5", "-1", "300", "hello"])
        var bad = lp; bad[8] = 0x03 // wrong back-length of the first entry
        XCTAssertThrowsError(try ListpackDecoder.entries(bad))
    }

    func testZipmapHandMade() throws {
        // zmlen 2; "f" -> "vv" with 1 free byte; "g" -> "" ; end.
        let zm: [UInt8] = [2, 1, 0x66, 2, 1, 0x76, 0x76, 0x00, 1, 0x67, 0, 0, 0xFF]
        let pairs = try ZipmapDecoder.pairs(zm)
        XCTAssertEqual(pairs.map { $0.0.text + "=" + $0.1.text }, ["f=vv", "g="])
        XCTAssertThrowsError(try ZipmapDecoder.pairs(Array(zm.dropLast())))
    }

    func testModuleNameDecoding() {
        // "mytype123" with encver 5, built the way module type ids are.
        let chars: [Character] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var id: UInt64 = 0
        for c in "mytype123" { id = id << 6 | UInt64(chars.firstIndex(of: c)!) }
        id = id << 10 | 5
        XCTAssertEqual(moduleName(id), "mytype123-5")
    }
}
