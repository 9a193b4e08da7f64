// LatencyMonitor: Redis 4.0's latency monitor. Code paths that can stall the
// event loop time themselves and, when they took at least
// `latency-monitor-threshold` milliseconds (0 = off), add a sample to their
// event's series. As in 4.0, a series keeps its latest 160 samples, one per
// second (a second spike in the same second raises that second's sample), and
// an all-time maximum; RESET drops a series altogether.
//
// Events Cairn records (4.0's names): command, fast-command (flag F), expire-cycle,
// eviction-cycle, eviction-del, aof-write (and one of aof-write-pending-fsync,
// aof-write-active-child, aof-write-alone), aof-fsync-always, aof-fstat,
// aof-rewrite-diff-write, aof-rename. docs/design-notes.md lists the rest and why.
import Engine

package final class LatencyMonitor {
    /// Samples kept per event (Redis's LATENCY_TS_LEN).
    package static let historyLength = 160

    package struct Sample: Equatable {
        /// Unix time in seconds.
        package var time: Int64
        package var milliseconds: Int64
    }

    package struct Series {
        /// Oldest first, at most `historyLength`.
        package private(set) var samples: [Sample] = []
        package private(set) var maximum: Int64 = 0

        mutating func add(_ milliseconds: Int64, at time: Int64) {
            maximum = max(maximum, milliseconds)
            if let last = samples.indices.last, samples[last].time == time {
                samples[last].milliseconds = max(samples[last].milliseconds, milliseconds)
                return
            }
            if samples.count == LatencyMonitor.historyLength { samples.removeFirst() }
            samples.append(Sample(time: time, milliseconds: milliseconds))
        }
    }

    /// latency-monitor-threshold, in milliseconds; 0 turns the monitor off.
    package var threshold = 0
    /// Series by event name, and the names in the order they first appeared (LATEST's order).
    package private(set) var series: [String: Series] = [:]
    package private(set) var eventNames: [String] = []

    package init() {}

    package var isOn: Bool { threshold > 0 }

    /// A start time for `record`, or 0 when the monitor is off (no clock read).
    @inline(__always) package func start() -> UInt64 { isOn ? monotonicNanoseconds() : 0 }

    /// Records `event` if the time since `started` (from `start()`) reached the threshold.
    @inline(__always) package func record(_ event: String, since started: UInt64) {
        guard isOn, started != 0 else { return }
        add(event, milliseconds: Int64((monotonicNanoseconds() - started) / 1_000_000))
    }

    /// Adds a measured latency if it reaches the threshold.
    package func add(_ event: String, milliseconds: Int64, now: Int64 = wallClockMilliseconds() / 1000) {
        guard isOn, milliseconds >= Int64(threshold) else { return }
        if series[event] == nil { eventNames.append(event) }
        series[event, default: Series()].add(milliseconds, at: now)
    }

    /// Drops the named series (all with nil; names match in any case, as 4.0's reset
    /// compares them); returns how many existed.
    package func reset(_ names: [String]?) -> Int {
        let asked = names.map { Set($0.map { $0.lowercased() }) }
        let doomed = Set(eventNames.filter { asked?.contains($0.lowercased()) ?? true })
        for name in doomed { series[name] = nil }
        eventNames.removeAll { doomed.contains($0) }
        return doomed.count
    }
}
