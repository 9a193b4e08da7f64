// FastRandom: a cheap pseudo-random generator for the keyspace's hot paths
// (the LFU counter's coin, eviction sampling). SystemRandomNumberGenerator asks
// the kernel on every call; these draws need no secrecy, only speed, as Redis
// uses rand() for them.

public struct FastRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeded from the system generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public init(seed: UInt64) { state = seed }

    /// wyrand: one add and one 64x64->128-bit multiply per number.
    public mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }
}
