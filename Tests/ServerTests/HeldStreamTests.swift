// HeldStreamTests: held replication bytes leave in order, whole, and only as
// fast as the client's output limit allows.
import XCTest
import NIOCore
import CairnTestSupport
@testable import Server

final class HeldStreamTests: XCTestCase {
    func testBytesLeaveInOrderAndOnlyUnderTheLimit() {
        for seed in TestSeed.seeds(1...20) {
            var rng = SplitMix64(seed: seed)
            var held = HeldStream()
            var expected: [UInt8] = []
            for n in 0..<Int.random(in: 1...200, using: &rng) {
                // Each piece is its own byte value, so order and boundaries show in the output.
                let piece = [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: Int.random(in: 0...40_000, using: &rng))
                piece.withUnsafeBytes { held.append($0) }
                expected += piece
            }
            XCTAssertEqual(held.count, expected.count, "\(rng)")
            let client = Client(id: 1)
            var out: [UInt8] = []
            var rounds = 0
            while !held.drain(into: client, limit: 100_000) {
                XCTAssertLessThan(client.outputBytes, 100_000 + HeldStream.chunkBytes, "over the limit: \(rng)")
                out += client.output.readBytes(length: client.output.readableBytes) ?? []
                rounds += 1
            }
            out += client.output.readBytes(length: client.output.readableBytes) ?? []
            XCTAssertEqual(out, expected, "\(rng)")
            XCTAssertTrue(held.isEmpty)
            if expected.count > 200_000 { XCTAssertGreaterThan(rounds, 0, "a large hold leaves in several turns: \(rng)") }
        }
    }
}
