// ListZiplistTests: the node format byte for byte (Redis's ziplist layout),
// prevlen cascades in both directions, and random edits against an array model.
import XCTest
import CairnTestSupport
@testable import Engine

final class ListZiplistTests: XCTestCase {
    private func b(_ s: String) -> Bytes { Bytes(s) }

    func testEmptyLayout() {
        XCTAssertEqual(Ziplist().bytes, [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF])
        XCTAssertTrue(Ziplist.isValid(Ziplist().bytes))
    }

    func testEntryEncodingsByteForByte() {
        // "hello": prevlen 0, 6-bit length header; "1": immediate; "300": int16 LE.
        let z = Ziplist([b("hello"), b("1"), b("300")])
        XCTAssertEqual(z.bytes, [24, 0, 0, 0, 19, 0, 0, 0, 3, 0,
                                 0x00, 0x05, 104, 101, 108, 108, 111,
                                 0x07, 0xF2,
                                 0x02, 0xC0, 0x2C, 0x01,
                                 0xFF])
        XCTAssertTrue(Ziplist.isValid(z.bytes))
    }

    func testIntegerEncodingsChosenAsRedis() {
        let cases: [(String, UInt8, Int)] = [
            ("0", 0xF1, 0), ("12", 0xFD, 0), ("13", 0xFE, 1), ("-1", 0xFE, 1), ("-128", 0xFE, 1),
            ("128", 0xC0, 2), ("-32768", 0xC0, 2), ("32768", 0xF0, 3), ("-8388608", 0xF0, 3),
            ("8388608", 0xD0, 4), ("2147483647", 0xD0, 4), ("2147483648", 0xE0, 8),
            ("-9223372036854775808", 0xE0, 8), ("9223372036854775807", 0xE0, 8),
        ]
        for (text, encoding, dataSize) in cases {
            let z = Ziplist([b(text)])
            XCTAssertEqual(z.bytes[11], encoding, text)
            XCTAssertEqual(z.bytes.count, 11 + 2 + dataSize, text)
            XCTAssertEqual(z.element(at: 10), b(text), text)
        }
        // Not canonical integers, or too long: strings.
        for text in ["01", "+1", " 1", "1 ", "-0", "", "9223372036854775808", String(repeating: "1", count: 40)] {
            let z = Ziplist([b(text)])
            XCTAssertLessThan(z.bytes[11], 0xC0, text)
            XCTAssertEqual(z.element(at: 10), b(text), text)
        }
    }

    func testStringHeaderSizes() {
        for (n, header) in [(63, 1), (64, 2), (16383, 2), (16384, 5)] {
            let z = Ziplist([Bytes(repeating: 97, count: n)])
            XCTAssertEqual(z.bytes.count, 11 + 1 + header + n)
            XCTAssertTrue(Ziplist.isValid(z.bytes))
            XCTAssertEqual(z.element(at: 10).count, n)
        }
    }

    func testPrevlenGrowsAndShrinksInCascade() {
        // Entries of 250..253 bytes each: one more byte of prevlen makes the next entry
        // cross 254, so an insert at the head cascades through all of them.
        var values: [Bytes] = []
        for _ in 0..<6 { values.append(Bytes(repeating: 120, count: 250)) }
        var z = Ziplist(values)
        XCTAssertTrue(Ziplist.isValid(z.bytes))
        let big = Bytes(repeating: 121, count: 300)
        z.insert(big, at: 10)
        values.insert(big, at: 0)
        XCTAssertTrue(Ziplist.isValid(z.bytes))
        XCTAssertEqual(z.bytes, Ziplist(values).bytes, "same bytes as built fresh")
        z.delete(at: 10, count: 1)
        values.removeFirst()
        XCTAssertTrue(Ziplist.isValid(z.bytes))
        XCTAssertEqual(z.bytes, Ziplist(values).bytes)
    }

    func testValidationRejectsDamage() {
        let good = Ziplist([b("a"), b("bb"), b("12345")]).bytes
        XCTAssertTrue(Ziplist.isValid(good))
        var wrongCount = good
        wrongCount[8] = 5
        XCTAssertFalse(Ziplist.isValid(wrongCount))
        var wrongTail = good
        wrongTail[4] = 11
        XCTAssertFalse(Ziplist.isValid(wrongTail))
        var wrongPrev = good
        wrongPrev[13] = 9
        XCTAssertFalse(Ziplist.isValid(wrongPrev))
        XCTAssertFalse(Ziplist.isValid(Array(good.dropLast())))
        var longString = good
        longString[11] = 0x3F
        XCTAssertFalse(Ziplist.isValid(longString))
        XCTAssertNil(Ziplist(validating: [1, 2, 3]))
    }

    func testRandomEditsMatchModel() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<120 {
            var z = Ziplist()
            var model: [Bytes] = []
            for _ in 0..<60 {
                let op = rng.next() % 5
                if op <= 1 || model.isEmpty {
                    let v = randomValue(&rng)
                    let at = Int(rng.next() % UInt64(model.count + 1))
                    z.insert(v, at: at == model.count ? z.endOffset : z.offset(ofIndex: at))
                    model.insert(v, at: at)
                } else if op == 2 {
                    let at = Int(rng.next() % UInt64(model.count))
                    let n = 1 + Int(rng.next() % 3)
                    z.delete(at: z.offset(ofIndex: at), count: n)
                    model.removeSubrange(at..<min(at + n, model.count))
                } else if op == 3 {
                    let at = Int(rng.next() % UInt64(model.count))
                    let v = randomValue(&rng)
                    z.replace(at: z.offset(ofIndex: at), with: v)
                    model[at] = v
                } else {
                    let k = Int(rng.next() % UInt64(model.count + 1))
                    let right = z.split(at: k)
                    XCTAssertEqual(elements(right), Array(model[k...]))
                    z.appendEntries(of: right)
                }
                XCTAssertTrue(Ziplist.isValid(z.bytes), "round \(round)")
                XCTAssertEqual(z.count, model.count)
            }
            XCTAssertEqual(elements(z), model, "round \(round)")
            XCTAssertEqual(z.bytes, Ziplist(model).bytes, "canonical bytes, round \(round)")
        }
    }

    private func elements(_ z: Ziplist) -> [Bytes] {
        var out: [Bytes] = []
        var p = 10
        while !z.isEnd(p) {
            out.append(z.element(at: p))
            p = z.next(p)
        }
        return out
    }

    private func randomValue(_ rng: inout SplitMix64) -> Bytes {
        switch rng.next() % 6 {
        case 0: return bytesOf(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 1: return bytesOf(Int(rng.next() % 30))
        case 2: return Bytes(repeating: 97, count: 240 + Int(rng.next() % 30))
        case 3: return Bytes(repeating: 98, count: Int(rng.next() % 70))
        case 4: return Bytes(repeating: 99, count: rng.next() % 8 == 0 ? 16380 + Int(rng.next() % 10) : 60 + Int(rng.next() % 10))
        default: return Bytes("v\(rng.next() % 100)".utf8)
        }
    }
}

