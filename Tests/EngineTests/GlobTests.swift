// GlobTests: globMatch against answers recorded from redis-server 7.0.15 (x86-64).
//
// The keys below were SET in an empty database, then KEYS <pattern> was run for
// each pattern; the expected lists are Redis's replies. Strings are written as
// Latin-1 (each scalar one byte) so bytes like \x80 and \xff stay single bytes.
// The nocase cases come from CONFIG GET, which matches without case.
//
// The tricky bits these pin down: signed-char ranges ([a-\xff] holds \x00...a and
// \xff), "**" not matching the empty key while a lone "*" does (KEYS shortcuts
// it), unterminated classes, and a class range eating its closing bracket ([a-]).
import XCTest
@testable import Engine

func latin1(_ s: String) -> Bytes { s.unicodeScalars.map { UInt8($0.value) } }

final class GlobTests: XCTestCase {
    static let keys: [String] = [
        "", "a", "b", "c", "ab", "abc", "aXc", "a*c", "a?c", "a[c", "a]c", "a-c", "a\\c", "A", "ABC", "hello", "hallo", "hxllo", "hllo", "heeeello", "^", "]", "-", "\\", "[", "\u{80}", "\u{FF}", "\u{00}", "z", "Z", "_", "`", "abcabc", "aaa", "aaab", "a\u{00}c", "ba", "abab",
    ]

    /// (pattern, the keys KEYS returned), from redis-server 7.0.15 on x86-64.
    static let keysResults: [(String, [String])] = [
        ("**", ["\u{00}", "-", "A", "ABC", "Z", "[", "\\", "]", "^", "_", "`", "a", "a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "aaa", "aaab", "ab", "abab", "abc", "abcabc", "b", "ba", "c", "hallo", "heeeello", "hello", "hllo", "hxllo", "z", "\u{80}", "\u{FF}"]),
        ("*?", ["\u{00}", "-", "A", "ABC", "Z", "[", "\\", "]", "^", "_", "`", "a", "a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "aaa", "aaab", "ab", "abab", "abc", "abcabc", "b", "ba", "c", "hallo", "heeeello", "hello", "hllo", "hxllo", "z", "\u{80}", "\u{FF}"]),
        ("?*", ["\u{00}", "-", "A", "ABC", "Z", "[", "\\", "]", "^", "_", "`", "a", "a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "aaa", "aaab", "ab", "abab", "abc", "abcabc", "b", "ba", "c", "hallo", "heeeello", "hello", "hllo", "hxllo", "z", "\u{80}", "\u{FF}"]),
        ("a*", ["a", "a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "aaa", "aaab", "ab", "abab", "abc", "abcabc"]),
        ("*c", ["a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "abc", "abcabc", "c"]),
        ("a*c", ["a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "abc", "abcabc"]),
        ("*a*", ["a", "a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "aaa", "aaab", "ab", "abab", "abc", "abcabc", "ba", "hallo"]),
        ("a*b*c", ["abc", "abcabc"]),
        ("?", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("??", ["ab", "ba"]),
        ("a?c", ["a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "abc"]),
        ("[abc]", ["a", "b", "c"]),
        ("[^abc]", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "z", "\u{80}", "\u{FF}"]),
        ("[a-c]", ["a", "b", "c"]),
        ("[c-a]", ["a", "b", "c"]),
        ("h[ae]llo", ["hallo", "hello"]),
        ("h[^e]llo", ["hallo", "hxllo"]),
        ("h[a-b]llo", ["hallo"]),
        ("h*llo", ["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h?llo", ["hallo", "hello", "hxllo"]),
        ("a\\*c", ["a*c"]),
        ("a\\?c", ["a?c"]),
        ("a\\[c", ["a[c"]),
        ("a\\]c", ["a]c"]),
        ("a[", []),
        ("a[^", ["ab"]),
        ("a[b", ["ab"]),
        ("[", []),
        ("[^", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("[]", []),
        ("[^]", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("[]]", []),
        ("[]a]", []),
        ("[a-]", ["]", "^", "_", "`", "a"]),
        ("[-a]", ["-", "a"]),
        ("[\\]]", ["]"]),
        ("[\\-]", ["-"]),
        ("[\\]", ["]"]),
        ("a\\", []),
        ("\\", ["\\"]),
        ("\\\\", ["\\"]),
        ("\\a", ["a"]),
        ("a[\\", []),
        ("[\u{00}-\u{FF}]", ["\u{00}", "\u{FF}"]),
        ("[a-\u{FF}]", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "a", "\u{FF}"]),
        ("[\u{80}-\u{FF}]", ["\u{80}", "\u{FF}"]),
        ("[\u{FF}-\u{80}]", ["\u{80}", "\u{FF}"]),
        ("[\u{00}-a]", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "^", "_", "`", "a"]),
        ("[^a]*", ["\u{00}", "-", "A", "ABC", "Z", "[", "\\", "]", "^", "_", "`", "b", "ba", "c", "hallo", "heeeello", "hello", "hllo", "hxllo", "z", "\u{80}", "\u{FF}"]),
        ("[Z-a]", ["Z", "[", "\\", "]", "^", "_", "`", "a"]),
        ("[z-A]", ["A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z"]),
        ("[A-z]", ["A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z"]),
        ("[\\a-c]", ["-", "a", "c"]),
        ("[a-c\\]", ["]", "a", "b", "c"]),
        ("a[^b]c", ["a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c"]),
        ("a[\\x]c", []),
        ("*\\", ["\\"]),
        ("[*]", []),
        ("[?]", []),
        ("a\u{00}c", ["a\u{00}c"]),
        ("a?", ["ab"]),
        ("[ab][ab]", ["ab", "ba"]),
        ("[a-bc-d]", ["a", "b", "c"]),
        ("[--]", ["-", "A", "Z", "[", "\\", "]"]),
        ("[^-]", ["\u{00}", "A", "Z", "[", "\\", "]", "^", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("[a-c-e]", ["-", "a", "b", "c"]),
        ("*[", []),
        ("ab*", ["ab", "abab", "abc", "abcabc"]),
        ("abc*", ["abc", "abcabc"]),
        ("*abc", ["abc", "abcabc"]),
        ("*b*", ["aaab", "ab", "abab", "abc", "abcabc", "b", "ba"]),
        ("a**c", ["a\u{00}c", "a*c", "a-c", "a?c", "aXc", "a[c", "a\\c", "a]c", "abc", "abcabc"]),
        ("[^\\]]", ["\u{00}", "-", "A", "Z", "[", "\\", "^", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("[\u{00}]", ["\u{00}"]),
        ("?\u{00}?", ["a\u{00}c"]),
        ("[^^]", ["\u{00}", "-", "A", "Z", "[", "\\", "]", "_", "`", "a", "b", "c", "z", "\u{80}", "\u{FF}"]),
        ("[\\^]", ["^"]),
    ]

    func testMatchesRedisKeysTable() {
        XCTAssertEqual(Self.keysResults.count, 77)
        for (pattern, expected) in Self.keysResults {
            let got = Self.keys.filter { globMatch(latin1(pattern), latin1($0)) }
            XCTAssertEqual(Set(got.map(latin1)), Set(expected.map(latin1)), "pattern \(pattern.debugDescription)")
        }
    }

    func testLoneStarMatchesEverythingIncludingEmpty() {
        // KEYS * and SCAN without MATCH return the empty key; Redis shortcuts "*" before matching.
        for key in Self.keys { XCTAssertTrue(globMatch(latin1("*"), latin1(key))) }
        XCTAssertTrue(globMatch([], []))
        XCTAssertFalse(globMatch([], latin1("a")))
        XCTAssertFalse(globMatch(latin1("**"), []))
        XCTAssertFalse(globMatch(latin1("?"), []))
    }

    /// (pattern, does it match "appendonly" without case), from CONFIG GET on redis-server 7.0.15.
    static let nocaseResults: [(String, Bool)] = [
        ("APPENDONLY", true), ("[Z-a]ppendonly", false), ("[z-A]ppendonly", true), ("[A-Z]ppendonly", true),
        ("[\\A]ppendonly", false), ("[\\a]ppendonly", true), ("Appendonl?", true), ("[^A]ppendonly", false),
        ("[B-A]ppendonly", true), ("[a-A]ppendonly", true),
    ]

    func testNocaseMatchesRedisConfigGet() {
        for (pattern, expected) in Self.nocaseResults {
            XCTAssertEqual(globMatch(latin1(pattern), latin1("appendonly"), caseInsensitive: true), expected, pattern)
        }
        XCTAssertFalse(globMatch(latin1("APPENDONLY"), latin1("appendonly")), "case matters by default")
        XCTAssertTrue(globMatch(latin1("\\A*"), latin1("appendonly"), caseInsensitive: true), "an escape outside a class folds")
        XCTAssertFalse(globMatch(latin1("[[]"), latin1("{"), caseInsensitive: true), "only ASCII letters fold")
    }

    func testPathologicalPatternsAreFast() {
        // Without giving up early, "*a*a*...*b" against a run of a's is exponential.
        let pattern = latin1(String(repeating: "*a", count: 30) + "*b")
        let subject = latin1(String(repeating: "a", count: 60))
        let start = monotonicNanoseconds()
        XCTAssertFalse(globMatch(pattern, subject))
        XCTAssertTrue(globMatch(pattern, subject + [UInt8(ascii: "b")]))
        XCTAssertLessThan(monotonicNanoseconds() - start, 2_000_000_000)
        // Deep star nesting hits the recursion bound and does not match, as in Redis.
        let deep = latin1(String(repeating: "*x", count: 1100))
        XCTAssertFalse(globMatch(deep, latin1(String(repeating: "x", count: 1100))))
        XCTAssertTrue(globMatch(latin1(String(repeating: "*x", count: 900)), latin1(String(repeating: "x", count: 900))))
    }
}
