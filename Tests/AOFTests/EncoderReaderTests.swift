// EncoderReaderTests: the encoder's exact bytes and SELECT rule, and the
// reader on encoder output: round trips, chunk boundaries, offsets, db tracking.
import XCTest
import Engine
import ChangeStream
import RDB
import CairnTestSupport
@testable import AOF

final class EncoderReaderTests: XCTestCase {
    func testEncodesMultibulkExactly() {
        XCTAssertEqual(encodeCommand([Bytes("SET"), Bytes("k"), Bytes("")]), Bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"))
        var e = CommandEncoder(selectedDB: 0)
        e.beginCommand(argumentCount: 4)
        e.appendArgument(Bytes("X"))
        e.appendArgument(Int64(-1234567890123))
        e.appendArgument(Int64(0))
        e.appendArgument(Int64.min)
        XCTAssertEqual(e.buffer.text, "*4\r\n$1\r\nX\r\n$14\r\n-1234567890123\r\n$1\r\n0\r\n$20\r\n-9223372036854775808\r\n")
    }

    func testSelectIsWrittenOnlyWhenTheDatabaseChanges() {
        var e = CommandEncoder()
        e.append(PropagationRecord(db: 0, argv: [Bytes("SET"), Bytes("a"), Bytes("1")]))
        e.append(PropagationRecord(db: 0, argv: [Bytes("DEL"), Bytes("a")]))
        e.append(PropagationRecord(db: 12, argv: [Bytes("INCR"), Bytes("n")]))
        let first = e.take()
        XCTAssertTrue(e.buffer.isEmpty)
        e.append(PropagationRecord(db: 12, argv: [Bytes("INCR"), Bytes("n")]))
        e.forgetSelectedDB()
        e.append(PropagationRecord(db: 12, argv: [Bytes("INCR"), Bytes("n")]))
        let names = splitCommands(first + e.buffer).map { $0.map { $0.text }.joined(separator: " ") }
        XCTAssertEqual(names, ["SELECT 0", "SET a 1", "DEL a", "SELECT 12", "INCR n", "INCR n", "SELECT 12", "INCR n"])
    }

    func testRoundTripWithDatabasesOffsetsAndAnyChunking() throws {
        var g = SplitMix64(seed: 7)
        var e = CommandEncoder()
        var expected: [(db: Int, argv: [Bytes])] = []
        for _ in 0..<300 {
            let db = Int.random(in: 0..<3, using: &g)
            let argv = [Bytes("CMD")] + (0..<Int.random(in: 0...5, using: &g)).map { _ in randomArgument(&g) }
            if db != e.selectedDB { expected.append((db, [Bytes("SELECT"), bytesOf(db)])) }
            e.append(db: db, argv: argv)
            expected.append((db, argv))
        }
        let file = e.buffer
        for step in [1, 2, 3, 7, 1000] {
            let out = readOutcome(DribbleSource(file, step: step))
            XCTAssertNil(out.error)
            let cmds = out.commands
            XCTAssertEqual(cmds.count, expected.count)
            for (c, x) in zip(cmds, expected) {
                XCTAssertEqual(c.argv, x.argv)
                XCTAssertEqual(c.db, x.db)
                XCTAssertEqual(Array(file[c.offset..<c.end]), encodeCommand(x.argv))
            }
            XCTAssertEqual(cmds.last?.end, file.count)
        }
    }

    func testBigArgumentAcrossManyChunks() throws {
        let big = Bytes(repeating: 0x41, count: 300_000)
        let many = [Bytes("RPUSH"), Bytes("l")] + (0..<20_000).map { bytesOf($0) }
        let file = encodeCommand([Bytes("SET"), Bytes("k"), big]) + encodeCommand(many)
        let out = readOutcome(file)
        XCTAssertNil(out.error)
        XCTAssertEqual(out.commands.map { $0.argv }, [[Bytes("SET"), Bytes("k"), big], many])
    }

    func testAnnotationsAreSkippedAndTrailingOnesAreValid() {
        let file = Bytes("#TS:1\r\n") + encodeCommand([Bytes("PING")]) + Bytes("#TS:2\r\n#TS:3")
        let out = readOutcome(file)
        XCTAssertNil(out.error)
        XCTAssertEqual(out.commands.map { $0.offset }, [7])
        var r = AOFReader(MemorySource(file))
        while (try? r.next()) != nil {}
        XCTAssertEqual(r.validUpTo, file.count)
    }

    func testSelectChangesTheDatabaseOfLaterCommands() {
        let file = encodeCommand([Bytes("SET"), Bytes("a"), Bytes("1")]) + encodeCommand([Bytes("select"), Bytes("5")])
            + encodeCommand([Bytes("GET"), Bytes("a")]) + encodeCommand([Bytes("SELECT"), Bytes("x")])
            + encodeCommand([Bytes("GET"), Bytes("a")])
        XCTAssertEqual(readOutcome(file).commands.map { $0.db }, [0, 5, 5, 5, 5])
    }

    func testTransactionRules() {
        let multi = encodeCommand([Bytes("MULTI")]), exec = encodeCommand([Bytes("EXEC")])
        let set = encodeCommand([Bytes("SET"), Bytes("a"), Bytes("1")])
        XCTAssertNil(readOutcome(set + multi + set + exec + set).error)

        let stray = readOutcome(set + exec)
        XCTAssertEqual(stray.error?.kind, .badFormat)
        XCTAssertEqual(stray.error?.offset, set.count)
        XCTAssertEqual(stray.error?.validUpTo, set.count)

        let nested = readOutcome(set + multi + set + multi)
        XCTAssertEqual(nested.error?.kind, .badFormat)
        XCTAssertEqual(nested.error?.validUpTo, set.count)

        let open = readOutcome(set + multi + set)
        XCTAssertEqual(open.error?.kind, .truncated)
        XCTAssertEqual(open.error?.validUpTo, set.count)

        // Without the transaction checks (AOF rewrite's reader), unpaired EXEC and nested
        // MULTI are ordinary commands: every one is yielded, in order, with its offsets.
        let unpaired = [set, exec, multi, multi, set, exec]
        var lenient = AOFReader(MemorySource(unpaired.reduce([], +)))
        lenient.checkTransactions = false
        var yielded: [AOFCommand] = []
        XCTAssertNoThrow(try {
            while let item = try lenient.next() { if case .command(let c) = item { yielded.append(c) } }
        }())
        XCTAssertEqual(yielded.map { $0.argv.map { $0.text }.joined(separator: " ") },
                       ["SET a 1", "EXEC", "MULTI", "MULTI", "SET a 1", "EXEC"])
        XCTAssertEqual(yielded.map { $0.offset }, unpaired.indices.map { unpaired[..<$0].reduce(0) { $0 + $1.count } })
        XCTAssertEqual(yielded.last?.end, unpaired.reduce(0) { $0 + $1.count })
    }

    func testBadFormatNamesTheFirstBadByte() {
        let set = encodeCommand([Bytes("SET"), Bytes("a"), Bytes("1")])
        let cases: [(Bytes, Int)] = [
            (Bytes("x"), 0), (Bytes("*x\r\n"), 1), (Bytes("*\r\n"), 1), (Bytes("*0\r\n"), 1), (Bytes("*1\rx"), 3),
            (Bytes("*1\r\n%"), 4), (Bytes("*1\r\n$-1\r\n"), 5), (Bytes("*1\r\n$1\r\nab"), 9), (Bytes("*1\r\n$1\r\na\rb"), 10),
            (Bytes("*1234567890123456789\r\n"), 19),
        ]
        for (tail, at) in cases {
            let out = readOutcome(set + tail)
            XCTAssertEqual(out.error?.kind, .badFormat, tail.text)
            XCTAssertEqual(out.error?.offset, set.count + at, tail.text)
            XCTAssertEqual(out.error?.validUpTo, set.count, tail.text)
            XCTAssertEqual(out.commands.count, 1)
        }
    }
}
