import XCTest
import CairnTestSupport
@testable import Engine

/// Vectors captured from real redis-server 7.0.15: the same adds must give the same
/// bytes (sparse layout included) and the same counts.
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
        let count = HyperLogLog.estimate(try HyperLogLog.registers(h))
        XCTAssertEqual(count, 5)
        HyperLogLog.storeCardinality(&h, count)
        XCTAssertEqual(hex(Array(h.prefix(16))), "48594c4c010000000500000000000000")
    }

    func testMidSizeSparseAndDenseMatchRedis() throws {
        let mid = try build((0..<300).map { "x\($0)" })
        XCTAssertEqual(mid.count, 688)
        XCTAssertEqual(DatasetDigest.hex(SHA1.hash(mid)), "b2d5ca386299e4574789441de1531968be251129")
        XCTAssertEqual(HyperLogLog.estimate(try HyperLogLog.registers(mid)), 299)

        var big = try build((0..<5000).map { "item:\($0)" })
        XCTAssertEqual(big.count, HyperLogLog.denseSize, "past hll-sparse-max-bytes it is dense")
        XCTAssertEqual(HyperLogLog.estimate(try HyperLogLog.registers(big)), 5052)
        // Captured after PFCOUNT, which caches the count in the header.
        HyperLogLog.storeCardinality(&big, 5052)
        XCTAssertEqual(DatasetDigest.hex(SHA1.hash(big)), "862946cc9abd12084970e400ef1a2fcf2d896871")
    }

    func testEmptyAndValidity() throws {
        let e = HyperLogLog.empty()
        XCTAssertTrue(HyperLogLog.isValid(e))
        XCTAssertEqual(HyperLogLog.cachedCardinality(e), 0)
        XCTAssertEqual(HyperLogLog.estimate(try HyperLogLog.registers(e)), 0)
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
}
