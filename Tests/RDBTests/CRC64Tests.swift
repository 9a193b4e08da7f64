// CRC64Tests: the carry-less multiply path (CairnCRC) against the table path,
// over every length to 4096 at every alignment, split points, and 1 MiB.
import XCTest
import CairnTestSupport
@testable import RDB

final class CRC64Tests: XCTestCase {
    /// Seeded random bytes.
    func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            let w = rng.next()
            for k in 0..<min(8, n - i) { out[i + k] = UInt8(truncatingIfNeeded: w >> (8 * k)) }
            i += 8
        }
        return out
    }

    /// The CPU flags /proc/cpuinfo lists (empty off Linux).
    func cpuFlags() -> Set<Substring> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " "))
    }

    /// The fast path is taken wherever the CPU can take it, so the comparisons below are
    /// not the table against itself.
    func testCarrylessMultiplyIsUsedWhereTheCPUHasIt() {
        #if arch(x86_64)
        let flags = cpuFlags()
        XCTAssertFalse(flags.isEmpty)
        XCTAssertEqual(CRC64.usesCarrylessMultiply, flags.contains("pclmulqdq") && flags.contains("sse4_1"))
        #else
        XCTAssertFalse(CRC64.usesCarrylessMultiply)
        #endif
    }

    func testCheckValueBothPaths() {
        let check = Array("123456789".utf8)
        XCTAssertEqual(check.withUnsafeBytes { CRC64.tableUpdate(0, $0) }, 0xe9c6d914c4b8d9ca)
        // 9 bytes stay on the table; 9 * 8 = 72 bytes do not, and must match byte-by-byte feeding.
        // The carry-less path runs only where the CPU has it (testCarrylessMultiplyIsUsedWhereTheCPUHasIt
        // says whether it must); `update` is checked either way.
        let long = Array(repeating: check, count: 8).flatMap { $0 }
        let bytewise = long.reduce(UInt64(0)) { c, b in CRC64.tableUpdate(c, UnsafeRawBufferPointer(start: [b], count: 1)) }
        if CRC64.usesCarrylessMultiply { XCTAssertEqual(long.withUnsafeBytes { CRC64.clmulUpdate(0, $0) }, bytewise) }
        XCTAssertEqual(CRC64.checksum(long), bytewise)
    }

    /// Every length 0...4096 at start offsets 0...15, from 0 and from a running value; both
    /// `clmulUpdate` itself (which takes lengths from 16) and the public `update`.
    func testEveryLengthAndAlignmentMatchesTheTable() {
        let fast = CRC64.usesCarrylessMultiply
        let data = randomBytes(4096 + 16, seed: 0xC2C64)
        data.withUnsafeBytes { all in
            for offset in 0..<16 {
                let start: UInt64 = offset % 2 == 0 ? 0 : 0x0123_4567_89AB_CDEF &* UInt64(offset)
                for n in 0...4096 {
                    let raw = UnsafeRawBufferPointer(rebasing: all[offset..<offset + n])
                    let want = CRC64.tableUpdate(start, raw)
                    if fast && CRC64.clmulUpdate(start, raw) != want { XCTFail("clmulUpdate: length \(n) offset \(offset)"); return }
                    if CRC64.update(start, raw) != want { XCTFail("update: length \(n) offset \(offset)"); return }
                }
            }
        }
    }

    /// Updating in pieces (random split points, pieces of every size class) equals one update.
    func testRandomSplitsMatchOneUpdate() {
        var rng = SplitMix64(seed: 0x5B117)
        for round in 0..<200 {
            let n = Int.random(in: 0...20_000, using: &rng)
            let data = randomBytes(n, seed: UInt64(round) &+ 77)
            let whole = data.withUnsafeBytes { CRC64.tableUpdate(0, $0) }
            XCTAssertEqual(CRC64.checksum(data), whole, "round \(round) \(rng)")
            var c: UInt64 = 0
            var i = 0
            while i < n {
                let piece = Int.random(in: 0...[16, 100, 8000].randomElement(using: &rng)!, using: &rng)
                let end = min(n, i + piece)
                c = CRC64.update(c, data[i..<end])
                i = end
            }
            XCTAssertEqual(c, whole, "round \(round) \(rng)")
        }
    }

    func testOneMebibyteBothWays() {
        let data = randomBytes(1 << 20, seed: 0x1B)
        let table = data.withUnsafeBytes { CRC64.tableUpdate(0, $0) }
        XCTAssertEqual(CRC64.checksum(data), table)
        XCTAssertEqual(data.withUnsafeBytes { CRC64.tableUpdate(0, UnsafeRawBufferPointer(rebasing: $0[3...])) },
                       CRC64.checksum(data[3...]))
        if CRC64.usesCarrylessMultiply {
            XCTAssertEqual(data.withUnsafeBytes { CRC64.clmulUpdate(0, $0) }, table)
        }
    }
}
