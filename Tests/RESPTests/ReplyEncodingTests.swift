// ReplyEncodingTests: the exact bytes of every RESP2 reply writer, and
// RESPValue.decode reading them back (whole, nested, and cut short).
//
// The tricky bit: decode must return nil for every proper prefix of a value and
// leave the buffer untouched, and must throw (never trap) on malformed input.
import XCTest
import NIOCore
@testable import RESP

final class ReplyEncodingTests: XCTestCase {
    func written(_ write: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        write(&buffer)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    func bytes(_ write: (inout ByteBuffer) -> Void) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        write(&buffer)
        return Array(buffer.readableBytesView)
    }

    func testSimpleStringsAndErrors() {
        XCTAssertEqual(written { $0.writeSimpleString("OK" as StaticString) }, "+OK\r\n")
        XCTAssertEqual(written { $0.writeSimpleString(String("QUEUED")) }, "+QUEUED\r\n")
        XCTAssertEqual(written { $0.writeError("ERR unknown command") }, "-ERR unknown command\r\n")
        XCTAssertEqual(written { $0.writeError("ERR a\r\nb\nc") }, "-ERR a  b c\r\n", "newlines become spaces")
    }

    func testIntegers() {
        for v: Int64 in [0, 1, 9, 10, -1, -9, -10, 99, 100, 1234567890, Int64.max, Int64.min, Int64.min + 1, Int64.max - 1] {
            XCTAssertEqual(written { $0.writeIntegerReply(v) }, ":\(v)\r\n")
            XCTAssertEqual(written { $0.writeDecimal(v) }, "\(v)")
            XCTAssertEqual(written { $0.writeBulkDecimal(v) }, "$\(String(v).count)\r\n\(v)\r\n")
        }
        XCTAssertEqual(written { $0.writeIntegerReply(-42 as Int) }, ":-42\r\n")
        // Every power of ten and its neighbours, where digit counts change.
        var p: Int64 = 1
        for _ in 0..<18 {
            for v in [p - 1, p, p + 1, -p + 1, -p, -p - 1] {
                XCTAssertEqual(written { $0.writeDecimal(v) }, "\(v)")
                XCTAssertEqual(written { $0.writeIntegerReply(v) }, ":\(v)\r\n")
            }
            p *= 10
        }
    }

    func testBulks() {
        XCTAssertEqual(written { $0.writeBulk(Array("hello".utf8)) }, "$5\r\nhello\r\n")
        XCTAssertEqual(written { $0.writeBulk("") }, "$0\r\n\r\n")
        XCTAssertEqual(written { $0.writeBulk("héllo") }, "$6\r\nhéllo\r\n")
        XCTAssertEqual(bytes { $0.writeBulk([0, 13, 10, 255]) }, Array("$4\r\n".utf8) + [0, 13, 10, 255] + [13, 10])
        XCTAssertEqual(written { $0.writeBulk(Array("abcdef".utf8)[1..<4]) }, "$3\r\nbcd\r\n", "any collection")
        XCTAssertEqual(written { $0.writeNullBulk() }, "$-1\r\n")
    }

    func testByteArrayBulksOfEveryDigitCountAfterOtherReplies() {
        // The array writer frames in one pass: its length digits and its place after
        // what the buffer held already must match the general writer's.
        for n in [0, 1, 9, 10, 99, 100, 999, 1000, 4095, 4096, 65_537, 1_000_000] {
            let payload = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let framed = bytes { $0.writeStaticString("+OK\r\n"); $0.writeBulk(payload); $0.writeBulk(payload[...]) }
            let bulk = Array("$\(n)\r\n".utf8) + payload + [13, 10]
            XCTAssertEqual(framed, Array("+OK\r\n".utf8) + bulk + bulk, "length \(n)")
        }
    }

    func testArrays() {
        XCTAssertEqual(written { $0.writeArrayHeader(0) }, "*0\r\n")
        XCTAssertEqual(written { $0.writeArrayHeader(12) }, "*12\r\n")
        XCTAssertEqual(written { $0.writeNullArray() }, "*-1\r\n")
        XCTAssertEqual(written { $0.writeCommand([Array("SET".utf8), Array("k".utf8), []]) },
                       "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
    }

    // MARK: decode

    func decodeAll(_ bytes: [UInt8]) throws -> [RESPValue] {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        var out: [RESPValue] = []
        while let v = try RESPValue.decode(from: &buffer) { out.append(v) }
        XCTAssertEqual(buffer.readableBytes, 0)
        return out
    }

    func testDecodesEveryWriterOutput() throws {
        let stream = bytes {
            $0.writeSimpleString("OK" as StaticString)
            $0.writeError("WRONGTYPE Operation against a key holding the wrong kind of value")
            $0.writeIntegerReply(Int64.min)
            $0.writeIntegerReply(Int64.max)
            $0.writeIntegerReply(0)
            $0.writeBulk([0, 13, 10, 255])
            $0.writeBulk("")
            $0.writeNullBulk()
            $0.writeNullArray()
            $0.writeArrayHeader(0)
            // [1, [bulk, null, [], [[-5]]], +x]
            $0.writeArrayHeader(3)
            $0.writeIntegerReply(1)
            $0.writeArrayHeader(4)
            $0.writeBulk("b")
            $0.writeNullBulk()
            $0.writeArrayHeader(0)
            $0.writeArrayHeader(1)
            $0.writeArrayHeader(1)
            $0.writeIntegerReply(-5)
            $0.writeSimpleString("x")
        }
        let expected: [RESPValue] = [
            .simple("OK"),
            .error("WRONGTYPE Operation against a key holding the wrong kind of value"),
            .integer(Int64.min), .integer(Int64.max), .integer(0),
            .bulk([0, 13, 10, 255]), .bulk([]), .null, .nullArray, .array([]),
            .array([.integer(1), .array([.bulk(Array("b".utf8)), .null, .array([]), .array([.array([.integer(-5)])])]), .simple("x")]),
        ]
        XCTAssertEqual(try decodeAll(stream), expected)

        // Every proper prefix of each value decodes to nil and consumes nothing.
        var offset = 0
        for value in expected {
            var probe = ByteBufferAllocator().buffer(capacity: 64)
            probe.writeBytes(stream[offset...])
            XCTAssertEqual(try RESPValue.decode(from: &probe), value)
            let length = stream.count - offset - probe.readableBytes
            for cut in 0..<length {
                var partial = ByteBufferAllocator().buffer(capacity: cut)
                partial.writeBytes(stream[offset..<(offset + cut)])
                XCTAssertNil(try RESPValue.decode(from: &partial), "\(value) cut at \(cut)")
                XCTAssertEqual(partial.readableBytes, cut, "nothing consumed")
            }
            offset += length
        }
    }

    func testMalformedRepliesThrow() {
        for text in ["?x\r\n", ":abc\r\n", ":99999999999999999999\r\n", "$-2\r\n", "$x\r\n", "*-2\r\n", "*x\r\n",
                     "*1\r\n!\r\n"] {
            var buffer = ByteBufferAllocator().buffer(capacity: 16)
            buffer.writeString(text)
            XCTAssertThrowsError(try RESPValue.decode(from: &buffer), text.debugDescription)
        }
    }

    func testHugeDeclaredLengthsWaitWithoutTrapping() throws {
        // A bulk or array announcing more than is there is incomplete, not an overflow.
        for text in ["$9223372036854775807\r\nab", "$9223372036854775806\r\nab", "$9223372036854775805\r\n", "*9223372036854775807\r\n:1\r\n"] {
            var buffer = ByteBufferAllocator().buffer(capacity: 16)
            buffer.writeString(text)
            XCTAssertNil(try RESPValue.decode(from: &buffer), text.debugDescription)
        }
    }

    func testDeepNestingIsRefused() {
        var buffer = ByteBufferAllocator().buffer(capacity: 8000)
        for _ in 0..<2000 { buffer.writeArrayHeader(1) }
        buffer.writeIntegerReply(1)
        XCTAssertThrowsError(try RESPValue.decode(from: &buffer))
    }

    func testDescriptionAndAccessors() {
        XCTAssertEqual(RESPValue.array([.bulk(Array("a".utf8)), .integer(3), .null, .error("ERR x"), .nullArray, .simple("OK")]).description,
                       "[\"a\", (integer) 3, (nil), (error) ERR x, (nil array), OK]")
        XCTAssertEqual(RESPValue.bulk(Array("x".utf8)).bytes, Array("x".utf8))
        XCTAssertEqual(RESPValue.simple("OK").bytes, Array("OK".utf8))
        XCTAssertNil(RESPValue.integer(1).bytes)
        XCTAssertEqual(RESPValue.error("ERR e").text, "ERR e")
        XCTAssertNil(RESPValue.null.text)
    }
}
