// AccessTracking: the per-key LRU clock or LFU counter that OBJECT IDLETIME,
// OBJECT FREQ and eviction (Eviction.swift) read.
//
// LRU keeps a 24-bit clock in seconds (Redis's LRU_CLOCK_RESOLUTION is 1000 ms).
// LFU keeps 16 bits of minutes since the last decrement and an 8-bit logarithmic
// counter that starts at 5 (LFU_INIT_VAL) and grows with probability
// 1/((counter-5)*lfu-log-factor+1), decaying by one per `lfu-decay-time` minutes.

public enum AccessPolicy: Equatable, Sendable {
    case lru
    case lfu(logFactor: Int, decayMinutes: Int)

    static let lruClockMax: UInt32 = (1 << 24) - 1
    static let lfuInitialCounter: UInt32 = 5

    public var isLFU: Bool { if case .lfu = self { return true } else { return false } }

    static func lruClock(nowMs: Int64) -> UInt32 { UInt32(truncatingIfNeeded: nowMs / 1000) & lruClockMax }
    static func minutes(nowMs: Int64) -> UInt32 { UInt32(truncatingIfNeeded: nowMs / 60000) & 0xFFFF }

    /// The access field of a newly written key.
    public func fresh(nowMs: Int64) -> UInt32 {
        switch self {
        case .lru: return Self.lruClock(nowMs: nowMs)
        case .lfu: return (Self.minutes(nowMs: nowMs) << 8) | Self.lfuInitialCounter
        }
    }

    /// The access field after one more access; `rng` draws the LFU counter's coin.
    public func touched<G: RandomNumberGenerator>(_ field: UInt32, nowMs: Int64, using rng: inout G) -> UInt32 {
        switch self {
        case .lru:
            return Self.lruClock(nowMs: nowMs)
        case .lfu(let logFactor, _):
            var counter = decayedCounter(field, nowMs: nowMs)
            if counter < 255 {
                let base = Double(max(Int(counter) - Int(Self.lfuInitialCounter), 0))
                let p = 1.0 / (base * Double(logFactor) + 1)
                if Double.random(in: 0..<1, using: &rng) < p { counter += 1 }
            }
            return (Self.minutes(nowMs: nowMs) << 8) | counter
        }
    }

    /// The access field after one more access, with a fresh generator (tests, rare paths).
    public func touched(_ field: UInt32, nowMs: Int64) -> UInt32 {
        var rng = FastRandom()
        return touched(field, nowMs: nowMs, using: &rng)
    }

    /// How good a candidate for eviction the key is: higher evicts first. LRU: seconds
    /// idle; LFU: 255 minus the decayed counter (as Redis 4.0's pool orders them).
    public func evictionScore(_ field: UInt32, nowMs: Int64) -> UInt64 {
        switch self {
        case .lru: return UInt64(idleSeconds(field, nowMs: nowMs))
        case .lfu: return UInt64(255 - decayedCounter(field, nowMs: nowMs))
        }
    }

    /// Seconds since the last access under LRU.
    public func idleSeconds(_ field: UInt32, nowMs: Int64) -> Int64 {
        let clock = Self.lruClock(nowMs: nowMs)
        let stored = field & Self.lruClockMax
        let delta = clock >= stored ? clock - stored : (Self.lruClockMax - stored) + clock
        return Int64(delta)
    }

    /// The LFU counter after applying decay (what OBJECT FREQ reports).
    public func decayedCounter(_ field: UInt32, nowMs: Int64) -> UInt32 {
        guard case .lfu(_, let decayMinutes) = self else { return 0 }
        let counter = field & 0xFF
        let last = (field >> 8) & 0xFFFF
        let nowMinutes = Self.minutes(nowMs: nowMs)
        let elapsed = nowMinutes >= last ? nowMinutes - last : 65535 - last + nowMinutes
        guard decayMinutes > 0 else { return counter }
        let periods = elapsed / UInt32(decayMinutes)
        return periods >= counter ? 0 : counter - periods
    }
}
