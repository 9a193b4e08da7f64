// MemoryCommandTests: MEMORY USAGE's block sizes are jemalloc's (Engine/MemoryUsage.swift
// checked against nallocx and the thread's allocation counters), and MEMORY's replies
// through the dispatcher (Server/Commands/MemoryCommand.swift).
import XCTest
import RESP
import Engine
@testable import Server

final class MemoryCommandTests: XCTestCase {
    func testSizeClassesAreJemallocs() {
        for n in Array(1...4096) + [5000, 9000, 14337, 16384, 16385, 70000, 1 << 20, (1 << 20) + 1, 3_000_001] {
            XCTAssertEqual(HeapBlock.sizeClass(n), ProcessStats.allocatorSizeClass(n), "request of \(n) bytes")
        }
    }

    func testAnArraysBlockIsWhatTheAllocatorCounted() {
        for size in [1, 20, 100, 1000, 20_000] {
            let before = ProcessStats.threadAllocatedNet()
            let bytes = Bytes(repeating: 7, count: size)
            let counted = ProcessStats.threadAllocatedNet() - before
            XCTAssertEqual(HeapBlock.array(bytes), counted, "\(size) bytes")
        }
    }

    func testUsageGrowsWithTheValueAndIsNilForAMissingKey() {
        let h = Harness()
        XCTAssertEqual(h.run("MEMORY", "USAGE", "nope"), .null)
        h.put("s", "x")
        guard case .integer(let small) = h.run("MEMORY", "USAGE", "s") else { return XCTFail() }
        h.put("s", String(repeating: "x", count: 1000))
        guard case .integer(let large) = h.run("MEMORY", "USAGE", "s") else { return XCTFail() }
        XCTAssertGreaterThan(large, small + 1000)
        _ = h.run(["RPUSH", "l"].map { Bytes($0) } + (0..<2000).map { Bytes("e\($0)") })
        guard case .integer(let sampled) = h.run("MEMORY", "USAGE", "l"),
              case .integer(let all) = h.run("MEMORY", "USAGE", "l", "SAMPLES", "0") else { return XCTFail() }
        XCTAssertEqual(Double(sampled), Double(all), accuracy: Double(all) * 0.2, "sampling extrapolates")
        XCTAssertEqual(h.run("MEMORY", "USAGE", "l", "SAMPLES", "-1"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("MEMORY", "NOPE"), .error("ERR Syntax error. Try MEMORY HELP"))
    }
}
