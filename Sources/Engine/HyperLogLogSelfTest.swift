// HyperLogLogSelfTest: what PFSELFTEST checks, on Cairn's own HLL code.
//
// Contract: as Redis 4.0's command, two checks, and the first failure's message
// (Redis's wording) or nil: (1) 1000 rounds of setting every dense register to a
// random value and reading it back; (2) adding `elements` distinct 8-byte
// elements to a dense and a sparse HLL at once, checking at 1, 10, 100, ... that
// a small sparse HLL is still sparse, that both forms count the same, and that
// the count is within six standard errors (one at 10).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HyperLogLog {
    public static func selfTest(sparseMaxBytes: Int, elements: Int = 10_000_000, rounds: Int = 1000) -> String? {
        var rng = FastRandom()  // the kernel generator costs a system call per draw (15 s in all)
        var dense = toDenseEmpty()
        var expected = [UInt8](repeating: 0, count: registerCount)
        for _ in 0..<rounds {
            for i in 0..<registerCount {
                let r = UInt8.random(in: 0...63, using: &rng)
                expected[i] = r
                denseSet(&dense, i, r)
            }
            for i in 0..<registerCount where denseGet(dense, i) != expected[i] {
                return "TESTFAILED Register \(i) should be \(expected[i]) but is \(denseGet(dense, i))"
            }
        }

        dense = toDenseEmpty()
        var sparse = empty()
        let relativeError = 1.04 / Double(registerCount).squareRoot()
        var checkpoint = 1
        let seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        var element = [UInt8](repeating: 0, count: 8)
        var j = 1
        while j <= elements {
            let v = UInt64(j) ^ seed
            for k in 0..<8 { element[k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
            do {
                _ = try add(&dense, element, sparseMaxBytes: sparseMaxBytes)
                _ = try add(&sparse, element, sparseMaxBytes: sparseMaxBytes)
            } catch {
                return "TESTFAILED sparse encoding corrupted"
            }
            if j == checkpoint {
                if j < sparseMaxBytes / 2 && !isSparse(sparse) { return "TESTFAILED sparse encoding not used" }
                let fromDense = (try? count(dense)) ?? 0
                if fromDense != (try? count(sparse)) { return "TESTFAILED dense/sparse disagree" }
                let absoluteError = abs(Int64(checkpoint) - Int64(fromDense))
                let allowed = j == 10 ? 1 : Int64(ceil(relativeError * 6 * Double(checkpoint)))
                if absoluteError > allowed {
                    return "TESTFAILED Too big error. card:\(checkpoint) abserr:\(absoluteError)"
                }
                checkpoint *= 10
            }
            j += 1
        }
        return nil
    }

    /// An empty HLL in the dense encoding.
    static func toDenseEmpty() -> Bytes {
        var b = magic + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        b += [UInt8](repeating: 0, count: denseSize - headerSize)
        return b
    }
}
