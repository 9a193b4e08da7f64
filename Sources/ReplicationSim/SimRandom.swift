// SimRandom: the simulator's one kind of randomness, a seeded SplitMix64.
//
// Job: every random choice of a run (the scenario, the network's cuts and
// delays, connection faults) is drawn from a `SimRNG`, so a run follows from
// its seed. The same SplitMix64 step as CairnTestSupport's generator, kept
// apart on purpose: that one is test-only and replaces every seed with
// CAIRN_SEED when it is set, which would collapse the simulator's forked
// streams into one; this one ships with the simulator and never overrides.
// Contract: helpers draw a fixed number of values per call (`below` one,
// `chance` one), so a caller that makes the same calls gets the same stream.
// Tricky bit: independent streams (scenario, network) are forked from the seed
// with `fork()`, so a change in how often one stream is used (say, a payload
// cut into a different number of pieces) never shifts the other.

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, replayable from its seed.
public struct SimRNG: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<n (n > 0); one draw.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(\(n))")
        return Int(next() % UInt64(n))
    }

    /// A uniform integer in `range`; one draw.
    public mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A uniform fraction in [0, 1); one draw.
    public mutating func fraction() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// True with probability `p`; one draw.
    public mutating func chance(_ p: Double) -> Bool { fraction() < p }

    /// One element of a non-empty array; one draw.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// A new, independent stream seeded from this one (one draw).
    public mutating func fork() -> SimRNG { SimRNG(seed: next()) }
}
