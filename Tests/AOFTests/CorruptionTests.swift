// CorruptionTests: every cut position of a small AOF (with and without an
// RDB preamble) is classified as truncated at the right place, never as bad
// format; random bit flips never crash and never lose the intact prefix.
import XCTest
import Engine
import ChangeStream
import RDB
import CairnTestSupport
@testable import AOF

final class CorruptionTests: XCTestCase {
    /// A small log with two databases and a MULTI block, and its command boundaries.
    func smallLog() -> (bytes: [UInt8], safeCuts: [Int]) {
        var e = CommandEncoder()
        var safe = [0]
        func add(_ db: Int, _ argv: [String], inMulti: Bool = false) {
            if db != e.selectedDB {
                e.appendSelect(db)
                if !inMulti { safe.append(e.buffer.count) }
            }
            e.append(db: db, argv: argv.map { Bytes($0) })
            if !inMulti { safe.append(e.buffer.count) }
        }
        add(0, ["SET", "k", "v"])
        add(0, ["RPUSH", "l", "a", "", "\r\n"])
        add(3, ["INCR", "n"])
        add(3, ["MULTI"], inMulti: true)
        add(3, ["SADD", "s", "m1", "m2"], inMulti: true)
        add(3, ["EXEC"])
        add(1, ["PEXPIREAT", "k", "4102444800000"])
        return (e.buffer, safe)
    }

    func testEveryCutOfACommandLogIsTruncatedAtTheLastSafeBoundary() {
        let (file, safe) = smallLog()
        for cut in 0...file.count {
            let out = readOutcome(Array(file[0..<cut]))
            let expectedValid = safe.last { $0 <= cut }!
            if safe.contains(cut) {
                XCTAssertNil(out.error, "cut \(cut)")
            } else {
                XCTAssertEqual(out.error?.kind, .truncated, "cut \(cut)")
                XCTAssertEqual(out.error?.validUpTo, expectedValid, "cut \(cut)")
                XCTAssertEqual(out.error?.offset, cut, "cut \(cut)")
            }
        }
    }

    func testEveryCutOfAPreambleFileIsClassified() throws {
        var w = RDBWriter(MemorySink())
        try w.header()
        try w.selectDB(0)
        try w.entry(RDBEntry(db: 0, key: Bytes("pk"), value: .list([Bytes("x"), Bytes("y")]), expireMs: 4102444800000))
        try w.finish()
        let rdb = w.sink.bytes
        let (log, safe) = smallLog()
        let file = rdb + log
        for cut in 0...file.count {
            let out = readOutcome(Array(file[0..<cut]))
            if cut == 0 {
                XCTAssertNil(out.error, "an empty file is an empty log")
            } else if cut < rdb.count {
                XCTAssertEqual(out.error?.kind, .preamble, "cut \(cut)")
                XCTAssertEqual(out.error?.validUpTo, 0)
                XCTAssertLessThanOrEqual(out.error?.offset ?? -1, cut)
            } else if safe.contains(cut - rdb.count) {
                XCTAssertNil(out.error, "cut \(cut)")
                XCTAssertTrue(out.items.contains { if case .preamble(.entry(let e)) = $0 { return e.key == Bytes("pk") } else { return false } })
            } else {
                XCTAssertEqual(out.error?.kind, .truncated, "cut \(cut)")
                XCTAssertEqual(out.error?.validUpTo, rdb.count + safe.last { $0 <= cut - rdb.count }!, "cut \(cut)")
            }
        }
    }

    func testRandomBitFlipsKeepTheIntactPrefix() {
        let (file, safe) = smallLog()
        let clean = readOutcome(file).commands
        var g = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            var bad = file
            let flips = Int.random(in: 1...3, using: &g)
            var first = file.count
            for _ in 0..<flips {
                let p = Int.random(in: 0..<bad.count, using: &g)
                bad[p] ^= UInt8(1) << UInt8.random(in: 0...7, using: &g)
                first = Swift.min(first, p)
            }
            for step in [1000, 3] {
                let out = readOutcome(DribbleSource(bad, step: step))
                let intact = clean.filter { $0.end <= first }
                XCTAssertEqual(Array(out.commands.prefix(intact.count)), intact)
                if let e = out.error {
                    XCTAssertGreaterThanOrEqual(e.offset, 0)
                    XCTAssertLessThanOrEqual(e.offset, bad.count)
                    XCTAssertGreaterThanOrEqual(e.validUpTo, safe.last { $0 <= first }!)
                    XCTAssertLessThanOrEqual(e.validUpTo, e.offset)
                }
            }
        }
    }

    func testTruncatedHugeLengthDoesNotAllocateIt() {
        let file = Bytes("*1\r\n$536870912\r\nabc")
        let out = readOutcome(file)
        XCTAssertEqual(out.error?.kind, .truncated)
        XCTAssertEqual(out.error?.validUpTo, 0)
        let tooBig = readOutcome(Bytes("*1\r\n$536870913\r\n"))
        XCTAssertEqual(tooBig.error?.kind, .badFormat)
    }

    /// Found by the AOF fuzzer in CI: a 19-digit length overflowed an Int and trapped.
    func testLengthsTooLongToFitAreBadFormatNotACrash() {
        for digits in 19...40 {
            let number = String(repeating: "9", count: digits)
            for file in ["*2\r\n$\(number)\r\n", "*\(number)\r\n", "*1\r\n$\(number)"] {
                let out = readOutcome(Bytes(file))
                XCTAssertEqual(out.error?.kind, .badFormat, "\(digits) digits: \(file.debugDescription)")
            }
        }
    }
}
