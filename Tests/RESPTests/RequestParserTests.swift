// RequestParserTests: multibulk and inline requests, the empty and binary cases,
// and every protocol error with Redis's exact reply text.
//
// Each expected outcome below was checked against redis-server 7.0.15 over a raw
// socket (the reply, and whether the connection was closed or left waiting);
// where Redis 4.0 differs, the test follows 4.0 and says so.
import XCTest
import NIOCore
@testable import RESP

final class RequestParserTests: XCTestCase {
    func testMultibulkCommand() {
        XCTAssertEqual(parse(multibulk("SET", "key", "value")),
                       ParseOutcome(commands: [words("SET", "key", "value")], leftover: 0))
    }

    func testPipelinedMultibulkAndInline() {
        let input = multibulk("PING") + Array("PING\r\nECHO hi\n".utf8) + multibulk("GET", "k") + Array("\r\n".utf8)
        XCTAssertEqual(parse(input), ParseOutcome(
            commands: [words("PING"), words("PING"), words("ECHO", "hi"), words("GET", "k"), []], leftover: 0))
    }

    func testIncompleteCommandWaits() {
        let full = multibulk("SET", "key", "value")
        for cut in 0..<full.count {
            let outcome = parse(Array(full[0..<cut]))
            XCTAssertEqual(outcome.commands, [], "cut \(cut)")
            XCTAssertNil(outcome.error, "cut \(cut)")
        }
    }

    func testMidCommandState() throws {
        var parser = RequestParser()
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        XCTAssertFalse(parser.isMidCommand)
        buffer.writeString("*2\r\n$3\r\nGET\r\n$1\r")
        XCTAssertNil(try parser.next(from: &buffer))
        XCTAssertTrue(parser.isMidCommand)
        buffer.writeString("\nk\r\n")
        XCTAssertEqual(try parser.next(from: &buffer), words("GET", "k"))
        XCTAssertFalse(parser.isMidCommand)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testArgumentsAlreadyReadAreConsumed() throws {
        // A command split across reads keeps its parsed arguments: the buffer does not
        // hold them again, so a huge command is parsed once.
        var parser = RequestParser()
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        buffer.writeString("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva")
        XCTAssertNil(try parser.next(from: &buffer))
        XCTAssertEqual(buffer.readableBytes, "$5\r\nva".utf8.count - 4, "only the unfinished bulk's bytes stay")
        buffer.writeString("lue\r\n")
        XCTAssertEqual(try parser.next(from: &buffer), words("SET", "k", "value"))
    }

    func testBinaryArguments() {
        let every = (0...255).map { UInt8($0) }
        let argv: [[UInt8]] = [[0], [13, 10], Array("a\r\nb\0c".utf8), every, Array("$3\r\n*1\r\n".utf8)]
        XCTAssertEqual(parse(multibulk(argv)), ParseOutcome(commands: [argv], leftover: 0))
    }

    func testEmptyBulk() {
        XCTAssertEqual(parse("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n"),
                       ParseOutcome(commands: [words("SET", "", "")], leftover: 0))
    }

    func testEmptyAndNegativeMultibulkAreEmptyCommands() {
        // Redis: "*0", "*-1", "*-5" are skipped and the next command runs (PONG).
        for header in ["*0", "*-1", "*-5", "*-1000000000000000000"] {
            XCTAssertEqual(parse(header + "\r\nPING\r\n"), ParseOutcome(commands: [[], words("PING")], leftover: 0), header)
        }
    }

    func testTrailingBytesOfABulkAreNotChecked() {
        // Redis skips the two bytes after a bulk without looking at them.
        XCTAssertEqual(parse("*1\r\n$4\r\nPINGxyPING\r\n"),
                       ParseOutcome(commands: [words("PING"), words("PING")], leftover: 0))
    }

    func testLargestAllowedCountsWait() {
        // Accepted headers whose payload has not arrived: the parser waits.
        XCTAssertEqual(parse("*1048576\r\n"), ParseOutcome(leftover: 0))
        XCTAssertEqual(parse("*1\r\n$536870912\r\n"), ParseOutcome(leftover: 0))
    }

    // MARK: errors

    func testMultibulkLengthErrors() {
        let invalid = "ERR Protocol error: invalid multibulk length"
        // string2ll rules: no leading zero, no '+', no "-0", digits only.
        for input in ["*01\r\n$4\r\nPING\r\n", "*-0\r\nPING\r\n", "*+1\r\n$4\r\nPING\r\n", "*\r\nPING\r\n",
                      "*x\r\n", "*1x\r\n", "* 1\r\n", "*2147483648\r\n", "*99999999999999999999\r\n"] {
            XCTAssertEqual(parse(input), ParseOutcome(error: invalid), input.debugDescription)
        }
        // Redis 4.0 caps the count at 1024*1024; 7.0 allows up to INT_MAX (and waits here).
        XCTAssertEqual(parse("*1048577\r\n"), ParseOutcome(error: invalid))
    }

    func testBulkLengthErrors() {
        let invalid = "ERR Protocol error: invalid bulk length"
        for header in ["$01", "$-0", "$-1", "$+4", "$", "$abc", "$4x", "$600000000", "$536870913",
                       "$99999999999999999999"] {
            let input = "*1\r\n" + header + "\r\nPING\r\n"
            XCTAssertEqual(parse(input), ParseOutcome(error: invalid), header)
        }
    }

    func testBulkLengthHonoursProtoMaxBulkLen() {
        var limits = RequestLimits()
        limits.maxBulkLength = 10
        XCTAssertEqual(parse("*1\r\n$10\r\n0123456789\r\n", limits: limits),
                       ParseOutcome(commands: [words("0123456789")], leftover: 0))
        XCTAssertEqual(parse("*1\r\n$11\r\n01234567890\r\n", limits: limits),
                       ParseOutcome(error: "ERR Protocol error: invalid bulk length"))
    }

    func testExpectedDollar() {
        XCTAssertEqual(parse("*1\r\nx4\r\nPING\r\n"), ParseOutcome(error: "ERR Protocol error: expected '$', got 'x'"))
        XCTAssertEqual(parse("*1\r\n:4\r\nPING\r\n"), ParseOutcome(error: "ERR Protocol error: expected '$', got ':'"))
        // From Redis's own protocol tests.
        XCTAssertEqual(parse("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"),
                       ParseOutcome(error: "ERR Protocol error: expected '$', got 'f'"))
        // Judged once the header line is complete, as Redis does.
        XCTAssertEqual(parse("*1\r\nx4"), ParseOutcome(leftover: 2))
    }

    func testCommandsBeforeAnErrorStillRun() {
        XCTAssertEqual(parse(multibulk("PING") + Array("*1\r\n$-1\r\n".utf8)),
                       ParseOutcome(commands: [words("PING")], error: "ERR Protocol error: invalid bulk length"))
    }

    func testTooBigLinesWithoutNewline() {
        let k = 64 * 1024
        let a = String(repeating: "a", count: k)
        let ones = String(repeating: "1", count: k)
        XCTAssertEqual(parse(a), ParseOutcome(leftover: k), "exactly 64 KiB waits")
        XCTAssertEqual(parse(a + "a"), ParseOutcome(error: "ERR Protocol error: too big inline request"))
        XCTAssertEqual(parse("*" + ones), ParseOutcome(error: "ERR Protocol error: too big mbulk count string"))
        XCTAssertEqual(parse("*" + ones.dropLast()), ParseOutcome(leftover: k))
        // The bulk header is measured from its own start (after "*1\r\n"), as in Redis 7.0.
        XCTAssertEqual(parse("*1\r\n$" + ones), ParseOutcome(error: "ERR Protocol error: too big bulk count string"))
        XCTAssertEqual(parse("*1\r\n$" + ones.dropLast()), ParseOutcome(leftover: k))
        XCTAssertEqual(parse("*1\r\nx" + ones), ParseOutcome(error: "ERR Protocol error: too big bulk count string"))
    }

    func testLongInlineLineWithNewlineIsFine() {
        let arg = String(repeating: "a", count: 64 * 1024 + 10)
        XCTAssertEqual(parse("ECHO " + arg + "\r\n"), ParseOutcome(commands: [words("ECHO", arg)], leftover: 0))
    }

    // MARK: inline

    func testInlineLineEndings() {
        XCTAssertEqual(parse("PING\nPING\r\nPING\n"),
                       ParseOutcome(commands: [words("PING"), words("PING"), words("PING")], leftover: 0))
        // Only one "\r" before the "\n" is part of the ending; another ends a word.
        XCTAssertEqual(parse("ECHO a\r\r\n"), ParseOutcome(commands: [words("ECHO", "a")], leftover: 0))
        XCTAssertEqual(parse("ECHO a\rb\r\n"), ParseOutcome(commands: [words("ECHO", "a", "b")], leftover: 0))
        XCTAssertEqual(parse("PING"), ParseOutcome(leftover: 4), "no newline yet")
    }

    func testBlankInlineLinesAreEmptyCommands() {
        XCTAssertEqual(parse("\r\n\n   \r\n\t \nPING\r\n"),
                       ParseOutcome(commands: [[], [], [], [], words("PING")], leftover: 0))
    }

    /// (line without its "\r\n", the words Redis 7.0 made of it, or nil for
    /// "ERR Protocol error: unbalanced quotes in request").
    static let inlineCases: [(String, [String]?)] = [
        ("SET  key   value ", ["SET", "key", "value"]),
        ("ECHO \"a\\x41\\x4g\\n\"", ["ECHO", "aAx4g\n"]),
        ("ECHO \"\\xff\\x00\\XFF\\xFf\"", ["ECHO", "\u{ff}\u{0}XFF\u{ff}"]),
        ("ECHO \"\\t\\b\\a\\r\\n\"", ["ECHO", "\t\u{8}\u{7}\r\n"]),
        ("ECHO \"\\q\\\\\\\"\"", ["ECHO", "q\\\""]),
        ("ECHO \"unbalanced", nil),
        ("ECHO 'unbalanced", nil),
        ("ECHO \"a\"b", nil),
        ("ECHO 'a'b", nil),
        ("ECHO \"x\\\"", nil),
        ("ECHO \"\\", nil),
        ("ECHO 'a\\'", nil),
        ("ECHO 'it\\'s'", ["ECHO", "it's"]),
        ("ECHO 'a\\nb'", ["ECHO", "a\\nb"]),
        ("ECHO 'a\"b'", ["ECHO", "a\"b"]),
        ("ECHO \"a'b\"", ["ECHO", "a'b"]),
        ("ECHO a\u{0B}b", ["ECHO", "a\u{0B}b"]),
        ("ECHO a\u{0C}b", ["ECHO", "a\u{0C}b"]),
        ("ECHO \"a\"\u{0B}", ["ECHO", "a"]),
        ("ECHO  \u{0B}\u{0C} x", ["ECHO", "x"]),
        ("ECHO a\tb", ["ECHO", "a", "b"]),
        ("ECHO \"\"", ["ECHO", ""]),
        ("ECHO ''", ["ECHO", ""]),
        ("ECHO \"\" ''", ["ECHO", "", ""]),
        ("ECHO a\"b c\"", ["ECHO", "ab c"]),
        ("ECHO a'b c'd", nil),
        ("ECHO \"a b\"\t'c d'", ["ECHO", "a b", "c d"]),
    ]

    func testInlineQuotingMatchesRedis() {
        for (line, expected) in Self.inlineCases {
            let bytes = Array(line.unicodeScalars.map { UInt8($0.value) }) + [13, 10]
            let want: ParseOutcome
            if let expected {
                want = ParseOutcome(commands: [expected.map { Array($0.unicodeScalars.map { UInt8($0.value) }) }], leftover: 0)
            } else {
                want = ParseOutcome(error: "ERR Protocol error: unbalanced quotes in request")
            }
            XCTAssertEqual(parse(bytes), want, line.debugDescription)
        }
    }

    func testSplitArgumentsDirectly() {
        XCTAssertEqual(splitArguments([]), [])
        XCTAssertEqual(splitArguments(Array("   ".utf8)), [])
        XCTAssertEqual(splitArguments(Array("a b".utf8)), words("a", "b"))
        XCTAssertNil(splitArguments(Array("\"a".utf8)))
        // A NUL byte is data here (Redis never sees one: its line search stops there).
        XCTAssertEqual(splitArguments([UInt8(ascii: "a"), 0, UInt8(ascii: "b")]), [[UInt8(ascii: "a"), 0, UInt8(ascii: "b")]])
    }
}
