// PipelineScanTests: the look-ahead scan finds the first key of each complete
// multibulk command, never reads past a partial or unusual one, and respects its limit.
import XCTest
@testable import RESP

final class PipelineScanTests: XCTestCase {
    private func keys(_ bytes: [UInt8], limit: Int = 64) -> [String] {
        var found: [String] = []
        bytes.withUnsafeBytes { raw in
            scanFirstKeys(raw, limit: limit) { found.append(String(decoding: $0, as: UTF8.self)) }
        }
        return found
    }

    func testFirstArgumentOfEachCompleteCommand() {
        let batch = multibulk("SET", "k1", "v") + multibulk("PING") + multibulk("GET", "k2") + multibulk("INCR", "")
        XCTAssertEqual(keys(batch), ["k1", "k2", ""])
    }

    func testStopsAtPartialCommand() {
        let whole = multibulk("GET", "a") + multibulk("GET", "bb")
        XCTAssertEqual(keys(whole), ["a", "bb"])
        for cut in 0..<whole.count {
            let seen = keys(Array(whole[..<cut]))
            XCTAssertTrue(seen == [] || seen == ["a"], "cut \(cut): \(seen)")
        }
    }

    func testStopsAtInlineOrMalformed() {
        XCTAssertEqual(keys(multibulk("GET", "a") + Array("GET b\r\n".utf8) + multibulk("GET", "c")), ["a"])
        XCTAssertEqual(keys(Array("*2\r\n$3\r\nGET\r\n$-1\r\n".utf8)), [])
        XCTAssertEqual(keys(Array("*2\r\n$3\r\nGET\r\n$x\r\n".utf8)), [])
        XCTAssertEqual(keys(Array("*\r\n".utf8)), [])
    }

    func testFirstKeyOfEvalAndEvalsha() {
        let batch = multibulk("EVAL", "return 1", "1", "k1", "a") + multibulk("evalsha", "abc", "2", "k2", "k3")
            + multibulk("EVAL", "return 1", "0") + multibulk("EVALS", "x", "y", "z") + multibulk("evalx", "a", "b", "c")
        XCTAssertEqual(keys(batch), ["k1", "k2", "x", "a"])
    }

    func testLimit() {
        let batch = (0..<10).flatMap { multibulk("GET", "k\($0)") }
        XCTAssertEqual(keys(batch, limit: 3), ["k0", "k1", "k2"])
    }
}
