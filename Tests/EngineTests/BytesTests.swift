// BytesTests: Redis's strict number parsing and formatting.
//
// Every table here was checked against redis-server 7.0.15: integers with
// SET + INCRBY 0, doubles with ZADD + ZSCORE, long doubles and their formatting
// with INCRBYFLOAT. Where 4.0 differs (and Cairn follows 4.0) the case says so.
import XCTest
import CairnTestSupport
@testable import Engine

final class BytesTests: XCTestCase {
    func b(_ s: String) -> Bytes { latin1(s) }

    func testParseInt64() {
        let accepted: [(String, Int64)] = [
            ("0", 0), ("1", 1), ("-1", -1), ("10", 10), ("1234567890", 1234567890),
            ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
            ("9223372036854775806", Int64.max - 1), ("-9223372036854775807", Int64.min + 1),
        ]
        for (text, value) in accepted { XCTAssertEqual(b(text).parseInt64(), value, text) }
        let refused = ["", "-", "-0", "01", "00", "-01", "+1", " 1", "1 ", "1e3", "0x10", "12a", "123\u{0}",
                       "9223372036854775808", "-9223372036854775809",           // overflow by one
                       "18446744073709551615", "18446744073709551616",          // 20 chars, past Int64
                       "100000000000000000000", "-10000000000000000000",        // 21 chars
                       "-18446744073709551616", "99999999999999999999999999"]
        for text in refused { XCTAssertNil(b(text).parseInt64(), text.debugDescription) }
    }

    func testParseDouble() {
        // Accepted by ZADD (strtod: hex, inf spellings, a leading '+', bare dots are fine).
        let accepted: [(String, Double)] = [
            ("1e5", 100000), ("inf", .infinity), ("-inf", -.infinity), ("+inf", .infinity), ("infinity", .infinity),
            ("INF", .infinity), (".5", 0.5), ("5.", 5), ("0x10", 16), ("0X1p4", 16), ("+1", 1), ("-0", 0),
            ("1e-310", Double("1e-310")!), ("0.1", 0.1), ("00012", 12), ("3.0e-5", 3e-5), ("-.5e+2", -50),
        ]
        for (text, value) in accepted { XCTAssertEqual(b(text).parseDouble(), value, text) }
        XCTAssertEqual(b("-0").parseDouble()?.sign, .minus)
        // Refused by ZADD with "value is not a valid float".
        let refused = ["nan", "NaN", " 1", "1 ", "1e-400", "1e400", "\t1", "\u{0B}1", "\u{0C}1", "\r1", "\n1",
                       "1\u{0}", "", "1e", "e1", "--1", "1_000", "1,5"]
        for text in refused { XCTAssertNil(b(text).parseDouble(), text.debugDescription) }
        XCTAssertNil(Bytes(repeating: UInt8(ascii: "1"), count: 6000).parseDouble(), "absurdly long")
    }

    func testFormatDouble() {
        let cases: [(Double, String)] = [
            (0, "0"), (1, "1"), (-1.5, "-1.5"), (0.1, "0.10000000000000001"), (1e17, "1e+17"),
            (123456789012345680, "1.2345678901234568e+17"), (1e-5, "1.0000000000000001e-05"),
            (.infinity, "inf"), (-.infinity, "-inf"), (-0.0, "-0"), (2.5, "2.5"), (1e300, "1.0000000000000001e+300"),
        ]
        for (value, text) in cases { XCTAssertEqual(formatDouble(value).text, text, "\(value)") }
    }

    #if arch(x86_64) || arch(i386)
    /// What INCRBYFLOAT replies: (initial value or nil, increment, reply); a nil
    /// reply is "ERR value is not a valid float", "nan/inf" the NaN-or-Infinity error.
    static let incrbyfloat: [(String?, String, String?)] = [
        (nil, "0.1", "0.1"), ("10.5", "0.1", "10.6"), ("5.0e3", "2.0e2", "5200"), (nil, "1e5", "100000"),
        (nil, "0x10", "16"), (nil, "inf", "nan/inf"), (nil, "-0", "0"), (nil, "-1e-20", "-0"), (nil, "1e-20", "0"),
        ("3", "-3", "0"), (nil, "1.5", "1.5"), ("0.1", "0.2", "0.3"), (nil, "3.14159265358979323846", "3.14159265358979324"),
        ("1", "-1.1", "-0.1"), (nil, "1e17", "100000000000000000"), (nil, "1e18", "1000000000000000000"),
        (nil, "12345678901234567890", "12345678901234567890"), (nil, "0.00000000000000001", "0.00000000000000001"),
        (nil, "0.000000000000000001", "0"), (nil, "-123.456", "-123.456"), ("abc", "1", nil), (nil, " 1", nil),
        (nil, "1 ", nil), (nil, ".5", "0.5"), (nil, "5.", "5"), (nil, "+5", "5"), (nil, "1e4933", nil),
        ("10", "1e-17", "10.00000000000000001"), (nil, "2.5", "2.5"), (nil, "nan", nil), ("1", "0", "1"),
        (nil, "0.1e-5", "0.000001"), ("-5", "0.0000001", "-4.9999999"), (nil, "123456789.123456789", "123456789.12345678899873747"),
        ("9223372036854775807", "1", "9223372036854775808"), ("-9223372036854775808", "-1", "-9223372036854775809"),
        (nil, "5e-18", "0"), (nil, "4e-18", "0"), (nil, "0.99999999999999999999", "1"),
        // Redis 4.0 replies "-0" to these two (7.0: "0").
        ("-0", "-0", "-0"), (nil, "-5e-18", "-0"),
        (nil, "-1e50", "-100000000000000000003583830118858923890798487404544"),
    ]

    func incr(_ start: String?, _ by: String) -> String? {
        guard let increment = b(by).parseLongDouble() else { return nil }
        var value: Float80 = 0
        if let start {
            guard let v = b(start).parseLongDouble() else { return nil }
            value = v
        }
        let result = value + increment
        if result.isNaN || result.isInfinite { return "nan/inf" }
        return formatLongDouble(result).text
    }

    func testIncrbyfloatTableMatchesRedis() {
        for (start, by, expected) in Self.incrbyfloat {
            XCTAssertEqual(incr(start, by), expected, "\(start ?? "(none)") + \(by)")
        }
    }

    func testHugeIncrbyfloatResults() {
        // (start, increment, length, first 30 digits, last 30 digits) as Redis 7.0 replied.
        let cases: [(String?, String, Int, String, String)] = [
            (nil, "1e308", 308, "999999999999999999966858796558", "424510452728255046343928578048"),
            ("1e308", "1e308", 309, "199999999999999999993371759311", "849020905456510092687857156096"),
            (nil, "1e4932", 4933, "100000000000000000000601894938", "163141086538418113791886622720"),
            ("1e4000", "1", 4000, "999999999999999999996546387309", "272729951206648276349901340672"),
            (nil, "1.7976931348623157e308", 309, "179769313486231569995921046774", "159985926376802466863339536384"),
        ]
        for (start, by, length, head, tail) in cases {
            guard let text = incr(start, by) else { XCTFail(by); continue }
            XCTAssertEqual(text.count, length, by)
            XCTAssertEqual(String(text.prefix(30)), head, by)
            XCTAssertEqual(String(text.suffix(30)), tail, by)
        }
    }

    func testParseLongDoubleEdges() {
        XCTAssertNil(b("\u{0B}1").parseLongDouble(), "any isspace first byte is refused")
        XCTAssertNil(b("\r1").parseLongDouble())
        XCTAssertNil(b("").parseLongDouble())
        XCTAssertNil(b("nan").parseLongDouble())
        XCTAssertNil(b("1\u{0}").parseLongDouble(), "an embedded NUL stops strtold short of the end")
        // Redis 4.0 refuses a range error only for an overflow or an underflow to 0: a
        // subnormal long double is accepted.
        XCTAssertNotNil(b("1e-4940").parseLongDouble())
        XCTAssertNil(b("1e-5000").parseLongDouble())
        XCTAssertNil(b("1e5000").parseLongDouble())
        XCTAssertEqual(b("inf").parseLongDouble(), .infinity)
        XCTAssertEqual(b("0x10").parseLongDouble(), 16)
        XCTAssertEqual(b("0" + String(repeating: "0", count: 6000) + "1").parseLongDouble(), 1, "no length limit")
        XCTAssertEqual(formatLongDouble(.infinity).text, "inf")
        XCTAssertEqual(formatLongDouble(-.infinity).text, "-inf")
        XCTAssertEqual(formatLongDouble(-Float80.nan).text, "-nan")
        XCTAssertEqual(formatLongDouble(-0.0).text, "-0")
        XCTAssertEqual(formatLongDouble(100).text, "100", "zeros before the dot stay")
    }

    /// string2ld, HINCRBYFLOAT's reading of a stored field (answers checked against Redis 4.0.14).
    func testParseLongDoubleAsCString() {
        XCTAssertEqual(b("").parseLongDoubleAsCString(), 0, "an empty field is 0")
        XCTAssertEqual(b("3\u{0}junk").parseLongDoubleAsCString(), 3, "the number ends at a NUL")
        XCTAssertEqual(b("\u{0}1").parseLongDoubleAsCString(), 0)
        XCTAssertNil(b(" 1").parseLongDoubleAsCString())
        XCTAssertNil(b("1 ").parseLongDoubleAsCString())
        XCTAssertEqual(b(String(repeating: "0", count: 254) + "1").parseLongDoubleAsCString(), 1)
        XCTAssertNil(b(String(repeating: "0", count: 255) + "1").parseLongDoubleAsCString(), "256 bytes or more")
        XCTAssertEqual(b("-inf").parseLongDoubleAsCString(), -.infinity)
        XCTAssertNil(b("nan").parseLongDoubleAsCString())
    }
    #endif

    func testBytesHelpers() {
        XCTAssertEqual(Bytes("héllo"), Array("héllo".utf8))
        XCTAssertEqual(Bytes([0x61, 0xFF]).text, "a\u{FFFD}")
        XCTAssertEqual(bytesOf(Int64.min).text, "-9223372036854775808")
        XCTAssertEqual(bytesOf(42).text, "42")
        XCTAssertGreaterThan(wallClockMilliseconds(), 1_600_000_000_000)
        XCTAssertEqual(wallClockMicroseconds() / 1_000_000, wallClockMilliseconds() / 1000, accuracy: 1)
        let t0 = monotonicNanoseconds()
        XCTAssertGreaterThanOrEqual(monotonicNanoseconds(), t0)
    }

    func testExactDecimalsAgreeWithStrtod() {
        // The fast path must give strtod's double, bit for bit, or step aside.
        var g = SplitMix64(seed: 0xDEC1)
        let digits = Array("0123456789".utf8)
        for round in 0..<20000 {
            var text: [UInt8] = []
            if g.next() % 2 == 0 { text.append(UInt8(ascii: "-")) }
            let whole = Int(g.next() % 18), frac = Int(g.next() % 25)
            for _ in 0..<whole { text.append(digits[Int(g.next() % 10)]) }
            if frac > 0 || g.next() % 4 == 0 { text.append(UInt8(ascii: ".")) }
            for _ in 0..<frac { text.append(digits[Int(g.next() % 10)]) }
            let fast = text.withUnsafeBytes { exactDecimal($0) }
            let slow = text.cStrtod()
            guard let fast else { continue }
            XCTAssertEqual(slow.consumed, text.count, "\(g) round \(round): \(text.text)")
            XCTAssertEqual(fast.bitPattern, slow.value.bitPattern, "\(g) round \(round): \(text.text)")
        }
        XCTAssertEqual(Bytes("-0").withUnsafeBytes { exactDecimal($0) }?.sign, .minus)
        for refused in ["", "-", ".", "-.", "1.2.3", "1e5", "+1", " 1", "9007199254740993", "0.00000000000000000000001"] {
            XCTAssertNil(Bytes(refused).withUnsafeBytes { exactDecimal($0) }, refused)
        }
    }
}
