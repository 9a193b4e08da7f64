// TickClock: the monotonic clock a command is timed with, read from the processor's
// time-stamp counter instead of clock_gettime.
//
// Why: every command reads the clock twice (its start, for expiry and its duration, and
// its end). On the virtual machines we measure on, clock_gettime through the vDSO costs
// about 30 ns; the counter about 10. Under a pipelined load that was 4-7% of the server.
//
// Contract: `now()` is CLOCK_MONOTONIC in nanoseconds, to within a microsecond. The
// counter is trusted only where the kernel trusts it (its clocksource is "tsc": the
// counter then runs at a constant rate, does not stop in idle states and agrees across
// cores). Its rate is measured against clock_gettime over all the time since start-up,
// refined at every calibration (the cron, at hz); until the first 50 ms have passed, and
// whenever the counter strays from the system clock by more than a millisecond at a
// calibration (a migrated virtual machine), reads go to clock_gettime. Between
// calibrations `now()` extrapolates from the last one, at most a second ahead.
// Two readings may come out a fraction of a microsecond out of order around a
// calibration, so callers take differences with `elapsed(since:)`, never by subtraction.
import CairnCSystem
import Engine
#if canImport(Glibc)
import Glibc
#endif

package struct TickClock {
    /// The first sample (the rate is measured over all the time since).
    private var originTicks: UInt64 = 0
    private var originNanos: UInt64 = 0
    /// The latest calibration, which readings extrapolate from.
    private var baseTicks: UInt64 = 0
    private var baseNanos: UInt64 = 0
    /// Nanoseconds per counter tick; 0 while reads go to clock_gettime.
    private var nanosPerTick: Double = 0
    /// How far past the last calibration the counter is trusted (about a second at 3 GHz).
    private var maxTicksAhead: UInt64 = 0
    /// False once the counter was found unfit (or the kernel does not use it).
    private var usable: Bool

    package init(useCounter: Bool = TickClock.kernelUsesCounter) {
        usable = useCounter
        guard usable else { return }
        originTicks = cairn_ticks()
        originNanos = monotonicNanoseconds()
        baseTicks = originTicks
        baseNanos = originNanos
    }

    /// True when this reads the counter, not clock_gettime.
    package var readsCounter: Bool { nanosPerTick > 0 }

    /// Monotonic nanoseconds.
    @inline(__always) package func now() -> UInt64 {
        guard nanosPerTick > 0 else { return monotonicNanoseconds() }
        let ticks = cairn_ticks()
        guard ticks > baseTicks else { return baseNanos }
        let ahead = ticks &- baseTicks
        guard ahead < maxTicksAhead else { return monotonicNanoseconds() }
        return baseNanos &+ UInt64(Double(ahead) * nanosPerTick)
    }

    /// Nanoseconds from `start` (a reading of `now()`) to now; 0 if readings crossed.
    @inline(__always) package func elapsed(since start: UInt64) -> UInt64 {
        let end = now()
        return end > start ? end &- start : 0
    }

    /// Samples both clocks: checks the counter against the system clock, then measures its
    /// rate over all the time since the first sample.
    package mutating func calibrate() {
        guard usable else { return }
        let ticks = cairn_ticks(), nanos = monotonicNanoseconds()
        guard ticks > originTicks, nanos > originNanos else { return disable() }
        if nanosPerTick > 0 {
            let predicted = Double(baseNanos) + Double(ticks &- baseTicks) * nanosPerTick
            if abs(predicted - Double(nanos)) > Self.tolerance { return disable() }
        }
        let span = nanos - originNanos
        if span >= Self.minimumSpan {
            nanosPerTick = Double(span) / Double(ticks - originTicks)
            maxTicksAhead = UInt64(1_000_000_000 / nanosPerTick)
        }
        baseTicks = ticks
        baseNanos = nanos
    }

    private mutating func disable() {
        usable = false
        nanosPerTick = 0
    }

    /// The least time over which the rate is first measured.
    static let minimumSpan: UInt64 = 50_000_000
    /// How far (ns) the counter may stray from the system clock between calibrations.
    static let tolerance: Double = 1_000_000

    /// Whether Linux keeps time with the counter (and so vouches for it).
    package static let kernelUsesCounter: Bool = {
        guard cairn_ticks() != 0,
              let file = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 32)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let name = String(cString: line)
        return name == "tsc\n" || name == "tsc"
    }()
}
