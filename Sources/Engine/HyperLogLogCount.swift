// HyperLogLogCount: Redis 4.0's cardinality estimate (LogLog-Beta), bit for bit.
//
// Contract: PFCOUNT caches its answer in the HLL's header and that header is
// part of the value's bytes (GET, DUMP, DEBUG DIGEST), so the count must be the
// very double Redis 4.0 computes, not just a close estimate. (Redis 5 moved to
// Ertl's estimator; 4.0 is the reference here.)
//
// The tricky bit: floating-point sums depend on their order, and 4.0 sums
// SUM(2^-register) three ways: the dense form in groups of 16 registers as
// eight pair sums; the sparse form per opcode (2^-v times the run, zeros added
// at the end); the raw registers of a multi-key PFCOUNT in words of 8 with
// zeros added at the end. Each is repeated here in its order. pow(x, 2) is x*x
// as gcc compiles it; the other powers go to the C library as in Redis.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HyperLogLog {
    /// 2^-j for a register value j.
    private static let inversePowers: [Double] = (0..<64).map { $0 == 0 ? 1 : 1.0 / Double(UInt64(1) << UInt64($0)) }

    /// The cardinality of an HLL string in either encoding, as PFCOUNT of one key
    /// computes it; throws for a sparse form whose runs do not cover every register.
    public static func count(_ b: Bytes) throws -> UInt64 {
        let (sum, zeros) = isSparse(b) ? try sparseSum(b) : denseSum(b)
        return estimate(sum: sum, zeros: zeros)
    }

    /// The cardinality of a register array (a multi-key PFCOUNT's merged registers).
    public static func count(registers regs: [UInt8]) -> UInt64 {
        let pe = inversePowers
        var sum = 0.0
        var zeros = 0
        var w = 0
        while w < regs.count {
            var allZero = true
            for k in 0..<8 where regs[w + k] != 0 { allZero = false; break }
            if allZero {
                zeros += 8
            } else {
                for k in 0..<8 {
                    let v = Int(regs[w + k])
                    if v != 0 { sum += pe[v] } else { zeros += 1 }
                }
            }
            w += 8
        }
        return estimate(sum: sum + Double(zeros), zeros: zeros)
    }

    /// SUM(2^-register) of a dense HLL: 16 registers (12 bytes) a step, as eight pair sums.
    static func denseSum(_ b: Bytes) -> (Double, Int) {
        let pe = inversePowers
        var sum = 0.0
        var zeros = 0
        var r = [Int](repeating: 0, count: 16)
        b.withUnsafeBufferPointer { p in
            var o = headerSize
            for _ in 0..<(registerCount / 16) {
                for half in 0..<2 {
                    let q = o + half * 6
                    let b0 = Int(p[q]), b1 = Int(p[q + 1]), b2 = Int(p[q + 2])
                    let b3 = Int(p[q + 3]), b4 = Int(p[q + 4]), b5 = Int(p[q + 5])
                    let base = half * 8
                    r[base] = b0 & 63
                    r[base + 1] = (b0 >> 6 | b1 << 2) & 63
                    r[base + 2] = (b1 >> 4 | b2 << 4) & 63
                    r[base + 3] = (b2 >> 2) & 63
                    r[base + 4] = b3 & 63
                    r[base + 5] = (b3 >> 6 | b4 << 2) & 63
                    r[base + 6] = (b4 >> 4 | b5 << 4) & 63
                    r[base + 7] = (b5 >> 2) & 63
                }
                for v in r where v == 0 { zeros += 1 }
                var group = pe[r[0]] + pe[r[1]]
                for k in stride(from: 2, to: 16, by: 2) { group = group + (pe[r[k]] + pe[r[k + 1]]) }
                sum += group
                o += 12
            }
        }
        return (sum, zeros)
    }

    /// SUM(2^-register) of a sparse HLL, opcode by opcode.
    static func sparseSum(_ b: Bytes) throws -> (Double, Int) {
        let pe = inversePowers
        var sum = 0.0
        var zeros = 0
        var index = 0
        try forEachSparseRun(b) { run in
            index += run.length
            if run.value == 0 { zeros += run.length } else { sum += pe[Int(run.value)] * Double(run.length) }
            return true
        }
        guard index == registerCount else { throw Failure.corrupt }
        return (sum + Double(zeros), zeros)
    }

    /// LogLog-Beta (Qin, Kim, Tung) over SUM(2^-register) and the zero registers.
    static func estimate(sum: Double, zeros ez: Int) -> UInt64 {
        let m = Double(registerCount)
        let alpha = 0.7213 / (1 + 1.079 / m)
        let z = Double(ez)
        let zl = log(z + 1)
        var beta = -0.370393911 * z
        beta = beta + 0.070471823 * zl
        beta = beta + 0.17393686 * (zl * zl)
        beta = beta + 0.16339839 * pow(zl, 3)
        beta = beta + -0.09237745 * pow(zl, 4)
        beta = beta + 0.03738027 * pow(zl, 5)
        beta = beta + -0.005384159 * pow(zl, 6)
        beta = beta + 0.00042419 * pow(zl, 7)
        let e = alpha * m * (m - z) * (1 / (sum + beta))
        return UInt64(e.rounded(.toNearestOrAwayFromZero))
    }
}
