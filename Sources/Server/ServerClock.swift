// ServerClock: wall-clock milliseconds derived from the monotonic clock.
//
// Each command needs the wall time (expiry) and a monotonic start and end
// (command stats, slow log). Reading the clock is not free on every machine, so
// the wall time is derived from the monotonic start reading: base + elapsed, and
// the monotonic readings come from the time-stamp counter where it can be trusted.
// The cron recalibrates the base at `hz`, so a wall-clock step (NTP) shows up
// within one cron period, and between calibrations time never goes backwards.
import Engine

package struct ServerClock {
    // Microseconds, so the derived milliseconds are not truncated a second time.
    private var wallBaseMicros: Int64
    private var monotonicBase: UInt64
    /// What commands are timed with (TickClock.swift), calibrated with the rest.
    package private(set) var ticks = TickClock()

    package init() {
        monotonicBase = monotonicNanoseconds()
        wallBaseMicros = wallClockMicroseconds()
    }

    /// Wall-clock milliseconds at the monotonic reading `monotonic`.
    package func wallMilliseconds(at monotonic: UInt64) -> Int64 {
        let elapsed = monotonic >= monotonicBase ? Int64((monotonic - monotonicBase) / 1000) : 0
        return (wallBaseMicros + elapsed) / 1000
    }

    /// Re-reads both clocks.
    package mutating func recalibrate() {
        ticks.calibrate()
        monotonicBase = monotonicNanoseconds()
        wallBaseMicros = wallClockMicroseconds()
    }
}
