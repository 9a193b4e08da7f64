// RequestParserReuseTests: the parser writes a command's arguments over the storage of
// the previous command's (handed back by `recycle`), so what must hold is that no
// command ever sees another's bytes, and that an argument someone else kept (as the
// keyspace keeps a SET's value) is never written over.
import XCTest
import NIOCore
@testable import RESP

final class RequestParserReuseTests: XCTestCase {
    /// Parses `commands` one after another, recycling each as ConnectionHandler does
    /// (nothing else holds the list), and returns what each parse produced.
    private func parseRecycling(_ commands: [[[UInt8]]], splitAt cut: Int? = nil) throws -> [[[UInt8]]] {
        var parser = RequestParser()
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        var seen: [[[UInt8]]] = []
        for argv in commands {
            let wire = multibulk(argv)
            let first = min(cut ?? wire.count, wire.count)
            buffer.writeBytes(wire[0..<first])
            var got = try parser.next(from: &buffer)
            if got == nil {
                buffer.writeBytes(wire[first...])
                got = try parser.next(from: &buffer)
            }
            guard var command = got else { XCTFail("no command for \(argv)"); return seen }
            seen.append(command.map { $0.withUnsafeBufferPointer { Array($0) } })  // a copy of the bytes, not a share of the storage
            parser.recycle(&command)
        }
        return seen
    }

    func testShorterLongerAndEmptyArgumentsAfterOneAnother() throws {
        let commands: [[[UInt8]]] = [
            words("SET", "key:000000000001", "xxx"),
            words("GET", "k"),  // shorter arguments in reused storage
            words("MSET", "a", "1", "bb", "22"),  // more arguments than before
            words("PING"),  // fewer: the leftovers must not show
            words("SET", "", "v"),  // an empty argument
            [Array("SET".utf8), Array(repeating: 0x61, count: 300), Array("y".utf8)],  // too big to keep
            words("GET", "key:000000000002"),
            [Array("APPEND".utf8), Array(repeating: 0x62, count: 40), [0, 13, 10, 255]],  // binary
        ]
        XCTAssertEqual(try parseRecycling(commands), commands)
        for cut in [1, 5, 9, 14, 20] {
            XCTAssertEqual(try parseRecycling(commands, splitAt: cut), commands, "split at \(cut)")
        }
    }

    func testAnArgumentKeptElsewhereIsNotWrittenOver() throws {
        var parser = RequestParser()
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeBytes(multibulk("SET", "k", "value-one"))
        var first = try XCTUnwrap(try parser.next(from: &buffer))
        let kept = first[2]  // what the keyspace would store
        parser.recycle(&first)
        buffer.writeBytes(multibulk("SET", "k", "value-two"))
        let second = try XCTUnwrap(try parser.next(from: &buffer))
        XCTAssertEqual(kept, Array("value-one".utf8))
        XCTAssertEqual(second, words("SET", "k", "value-two"))
    }

    func testAReusedArgumentIsNotOversized() throws {
        var parser = RequestParser()
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeBytes(multibulk("SET", "k", String(repeating: "v", count: 200)))
        var first = try XCTUnwrap(try parser.next(from: &buffer))
        parser.recycle(&first)
        buffer.writeBytes(multibulk("SET", "k", "v"))
        let second = try XCTUnwrap(try parser.next(from: &buffer))
        // A one-byte value must not sit in the 200-byte storage the last value had.
        XCTAssertLessThan(second[2].capacity, RequestParser.reuseSlack + 1)
        XCTAssertEqual(second, words("SET", "k", "v"))
    }
}
