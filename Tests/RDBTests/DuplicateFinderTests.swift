// DuplicateFinderTests: the load's duplicate check (DuplicateFinder.swift)
// against a plain Set, over more calls than its 16-bit generation counts, so
// the table's clearing when the generation runs out is crossed too.
import XCTest
import Engine
import CairnTestSupport
@testable import RDB

final class DuplicateFinderTests: XCTestCase {
    func testAgreesWithASetAcrossGenerations() {
        var g = SplitMix64(seed: 0xD0F1)
        let finder = DuplicateFinder()
        let staging = PackedStaging()
        var found = 0
        for round in 0..<70_000 {
            // Texts that differ only at their end (the hard case for a weak hash), some
            // integers, and now and then one repeated.
            let n = 2 + Int(g.next() % 24)
            var texts = (0..<n).map { _ in Bytes("field:\(g.next() % 40)") }
            if round % 7 == 0 { texts.append(Bytes("\(g.next() % 50)")) }
            let stride = round % 2 == 0 ? 1 : 2
            staging.reset()
            for t in texts { t.withUnsafeBytes { staging.append(.bytes($0)) } }
            let checked = Swift.stride(from: 0, to: texts.count, by: stride).map { texts[$0] }
            let expected = Set(checked).count != checked.count
            if expected { found += 1 }
            XCTAssertEqual(finder.hasDuplicates(staging, stride: stride), expected, "round \(round): \(checked.map { String(decoding: $0, as: UTF8.self) })")
        }
        // Both answers were exercised many times.
        XCTAssertGreaterThan(found, 1_000)
        XCTAssertLessThan(found, 69_000)
    }
}
