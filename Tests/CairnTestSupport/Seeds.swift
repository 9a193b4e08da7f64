// Seeds: the one seeded generator every test target uses, and the CAIRN_SEED
// override that replays a failing seed.
//
// Job: random tests draw from `SplitMix64`, a small generator whose whole
// output follows from one 64-bit seed, so a failure found once is found again.
//
// Contract: every seeded test names its seed in its failure messages (print
// the generator: "seed 42 (replay: CAIRN_SEED=42)"). Setting the environment
// variable CAIRN_SEED (decimal or 0x-hex) replays one seed:
//
//     CAIRN_SEED=17 swift test --skip-build --filter EngineTests.ScanTests
//
// With it set, `TestSeed.seeds(1...60)` runs seed 17 only, and every
// `SplitMix64(seed:)` starts from 17 whatever seed the test wrote, so a test
// that derives its seed (say from a config under test) replays too.
//
// The tricky bit: the override is read once per process; a test that wants
// several independent streams under one seed must derive them from the
// generator itself (`SplitMix64(seed: g.next())`), not from fixed seeds.
import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, statistically sound, and
/// replayable from its seed.
public struct SplitMix64: RandomNumberGenerator, CustomStringConvertible {
    /// The seed this generator started from (after the CAIRN_SEED override).
    public let seed: UInt64
    private var state: UInt64

    /// A generator starting from `seed`, or from CAIRN_SEED when that is set.
    public init(seed: UInt64) {
        self.seed = TestSeed.override ?? seed
        state = self.seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// "seed N (replay: CAIRN_SEED=N)", for failure messages.
    public var description: String { TestSeed.describe(seed) }
}

/// The seeds a test runs, and how a failure names its seed.
public enum TestSeed {
    /// CAIRN_SEED from the environment, if set and a valid decimal or 0x-hex UInt64.
    public static let override: UInt64? = {
        guard let text = ProcessInfo.processInfo.environment["CAIRN_SEED"]?.trimmingCharacters(in: .whitespaces),
              !text.isEmpty else { return nil }
        let parsed = text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let parsed else { fatalError("CAIRN_SEED=\(text) is not a decimal or 0x-hex UInt64") }
        return parsed
    }()

    /// The seeds to run: `defaults`, or only the CAIRN_SEED one when that is set.
    public static func seeds<S: Sequence>(_ defaults: S) -> [UInt64] where S.Element == UInt64 {
        override.map { [$0] } ?? Array(defaults)
    }

    /// One seed: `seed`, or the CAIRN_SEED one when that is set.
    public static func seed(_ seed: UInt64) -> UInt64 { override ?? seed }

    /// "seed N (replay: CAIRN_SEED=N)".
    public static func describe(_ seed: UInt64) -> String { "seed \(seed) (replay: CAIRN_SEED=\(seed))" }
}
