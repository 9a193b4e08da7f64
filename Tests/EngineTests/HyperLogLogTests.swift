import XCTest
import CairnTestSupport
@testable import Engine

/// Vectors captured from real Redis 4.0.14 (the bytes of adds are also 7.0.15's; the
/// counts are 4.0's LogLog-Beta): the same adds must give the same bytes (sparse
/// layout included) and the same counts, cached in the header as PFCOUNT caches them.
final class HyperLogLogTests: XCTestCase {
    private func hex(_ b: Bytes) -> String { b.map { String(format: "%02x", $0) }.joined() }

    private func build(_ elements: [String]) throws -> Bytes {
        var h = HyperLogLog.empty()
        for e in elements { _ = try HyperLogLog.add(&h, Bytes(e), sparseMaxBytes: 3000) }
        return h
    }

    func testSparseBytesAndCountMatchRedis() throws {
        var h = try build(["a", "b", "c", "hello", "world"])
        XCTAssertEqual(hex(h), "48594c4c0100000000000000000000804ab588563c80430a804da5844bfb80425a")
        XCTAssertNil(HyperLogLog.cachedCardinality(h), "adds leave the cache stale")
        let count = try HyperLogLog.count(h)
        XCTAssertEqual(count, 5)
        HyperLogLog.storeCardinality(&h, count)
        XCTAssertEqual(hex(Array(h.prefix(16))), "48594c4c010000000500000000000000")
    }

    func testMidSizeSparseAndDenseMatchRedis() throws {
        let mid = try build((0..<300).map { "x\($0)" })
        XCTAssertEqual(mid.count, 688)
        XCTAssertEqual(DatasetDigest.hex(SHA1.hash(mid)), "b2d5ca386299e4574789441de1531968be251129")
        XCTAssertEqual(try HyperLogLog.count(mid), 299)

        var big = try build((0..<5000).map { "item:\($0)" })
        XCTAssertEqual(big.count, HyperLogLog.denseSize, "past hll-sparse-max-bytes it is dense")
        XCTAssertEqual(try HyperLogLog.count(big), 5057)
        XCTAssertEqual(HyperLogLog.count(registers: try HyperLogLog.registers(big)), 5057, "multi-key sums agree")
        // Captured after PFCOUNT, which caches the count in the header.
        HyperLogLog.storeCardinality(&big, 5057)
        XCTAssertEqual(DatasetDigest.hex(SHA1.hash(big)), "bd73b575e4bbe63abd5a4de0e7386f00fac1eef4")
    }

    func testEmptyAndValidity() throws {
        let e = HyperLogLog.empty()
        XCTAssertTrue(HyperLogLog.isValid(e))
        XCTAssertEqual(HyperLogLog.cachedCardinality(e), 0)
        XCTAssertEqual(try HyperLogLog.count(e), 0)
        XCTAssertFalse(HyperLogLog.isValid(Bytes("HYLL")))
        XCTAssertFalse(HyperLogLog.isValid(Bytes("HYLX") + [UInt8](repeating: 0, count: 20)))
        var truncatedDense = try HyperLogLog.toDense(e)
        truncatedDense.removeLast()
        XCTAssertFalse(HyperLogLog.isValid(truncatedDense))
        // A sparse body that does not cover every register is corrupt, never silently counted.
        var bad = e
        bad[17] = 0x00
        XCTAssertThrowsError(try HyperLogLog.registers(bad))
    }

    func testSparseAndDenseAgreeOnRegisters() throws {
        var sparse = HyperLogLog.empty()
        var rng = SplitMix64(seed: 0x4C4C)
        for _ in 0..<200 { _ = try HyperLogLog.add(&sparse, Bytes("k\(UInt32.random(in: 0...UInt32.max, using: &rng))"), sparseMaxBytes: 100_000) }
        let dense = try HyperLogLog.toDense(sparse)
        XCTAssertEqual(try HyperLogLog.registers(sparse), try HyperLogLog.registers(dense), "\(rng)")
    }

    func testSelfTestPassesOnASmallRun() {
        XCTAssertNil(HyperLogLog.selfTest(sparseMaxBytes: 3000, elements: 20_000, rounds: 3))
    }

    func testSparseRunsAndRaisingRegisters() throws {
        var h = try build(["a", "b", "c"])
        var runs: [String] = []
        try HyperLogLog.forEachSparseRun(h) { runs.append("\($0.xzero ? "Z" : $0.value == 0 ? "z" : "v\($0.value)"):\($0.length)"); return true }
        XCTAssertEqual(runs, ["Z:8436", "v1:1", "Z:4274", "v2:1", "Z:3068", "v1:1", "Z:603"], "PFDEBUG DECODE of Redis 4.0")
        // Raising a register keeps the sparse form while the value fits it...
        try HyperLogLog.raiseRegister(&h, 0, 5, sparseMaxBytes: 3000)
        XCTAssertEqual(h[4], 1)
        XCTAssertEqual(try HyperLogLog.registers(h)[0], 5)
        // ...and promotes to dense for a value above 32, as an add would.
        try HyperLogLog.raiseRegister(&h, 1, 40, sparseMaxBytes: 3000)
        XCTAssertEqual(h.count, HyperLogLog.denseSize)
        XCTAssertEqual(Array(try HyperLogLog.registers(h)[0...1]), [5, 40])
    }
}
