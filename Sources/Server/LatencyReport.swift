// LatencyReport: the texts LATENCY GRAPH and LATENCY DOCTOR answer, drawn from
// the monitor's series (LatencyMonitor.swift) in Cairn's own layout and words.
//
// The graph is a column chart, one column per sample (the latest 80), four rows
// of half-cell steps between the lowest and highest sample, each column's age
// ("12s", "5m", "3h", "2d") written downwards under it. The doctor gives each
// event's count, average, mean deviation, spacing and worst latency, then
// advice for the kinds of events seen.
import Engine

private let graphColumns = 80
private let graphRows = 4

/// "12s", "5m", "3h", "2d": how long ago `time` was.
private func age(_ time: Int64, now: Int64) -> String {
    let s = max(now - time, 0)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86400 { return "\(s / 3600)h" }
    return "\(s / 86400)d"
}

func latencyGraph(_ event: String, _ series: LatencyMonitor.Series, now: Int64) -> String {
    let samples = Array(series.samples.suffix(graphColumns))
    let values = samples.map(\.milliseconds)
    let low = values.min() ?? 0, high = values.max() ?? 0
    var out = "\(event): highest \(high) ms, lowest \(low) ms, all-time highest \(series.maximum) ms\n"
    out += String(repeating: "=", count: graphColumns) + "\n"
    // Each column's height in half cells: at least one, the highest sample filling all rows.
    let steps = graphRows * 2
    let heights = values.map { v in high == low ? steps : 1 + Int((v - low) * Int64(steps - 1) / (high - low)) }
    for row in (0..<graphRows).reversed() {
        let line = heights.map { h -> Character in
            h >= (row + 1) * 2 ? "#" : h == row * 2 + 1 ? "." : " "
        }
        out += String(line) + "\n"
    }
    let labels = samples.map { age($0.time, now: now) }
    for i in 0..<(labels.map(\.count).max() ?? 0) {
        out += String(labels.map { i < $0.count ? $0[$0.index($0.startIndex, offsetBy: i)] : " " }) + "\n"
    }
    return out
}

/// What each kind of event usually means, and what to try.
private func advice(for event: String) -> String? {
    switch event {
    case "command":
        return "Slow commands: look at SLOWLOG GET for O(N) commands (KEYS, SMEMBERS, LRANGE over big ranges, "
            + "SORT, DEL of big keys) and at slowlog-log-slower-than to catch them."
    case "fast-command":
        return "O(1) and O(log N) commands were slow: the host itself stalls the process (an overloaded or "
            + "shared machine, a virtual machine's steal time, swapping, transparent huge pages)."
    case "expire-cycle":
        return "The active expire cycle ran long: many keys expire at the same moment; spread their TTLs."
    case "eviction-cycle", "eviction-del":
        return "Eviction ran long: a big key was evicted or many keys went at once; set lazyfree-lazy-eviction "
            + "or raise maxmemory gradually."
    case let e where e.hasPrefix("aof-"):
        return "The append-only file stalled on the disk: another process, a snapshot or a rewrite competes for "
            + "it. Consider appendfsync everysec, no-appendfsync-on-rewrite yes, or a faster local disk."
    default:
        return nil
    }
}

func latencyDoctorReport(_ monitor: LatencyMonitor, now: Int64) -> String {
    if monitor.eventNames.isEmpty {
        return monitor.isOn
            ? "No latency spike of \(monitor.threshold) ms or more has been recorded since the monitor was last reset.\n"
            : "The latency monitor is off (latency-monitor-threshold is 0). Turn it on with "
                + "CONFIG SET latency-monitor-threshold <milliseconds>.\n"
    }
    var out = "Latency spikes recorded (latency-monitor-threshold \(monitor.threshold) ms):\n\n"
    var tips: [String] = []
    for (n, name) in monitor.eventNames.enumerated() {
        let s = monitor.series[name]!
        let values = s.samples.map(\.milliseconds)
        let average = values.reduce(0, +) / Int64(max(values.count, 1))
        let deviation = values.reduce(0) { $0 + abs($1 - average) } / Int64(max(values.count, 1))
        let span = max(now - (s.samples.first?.time ?? now), 1)
        out += "\(n + 1). \(name): \(values.count) samples, average \(average) ms, mean deviation \(deviation) ms, "
            + "one every \(format2(Double(span) / Double(max(values.count, 1)))) s; worst ever \(s.maximum) ms.\n"
        if let tip = advice(for: name), !tips.contains(tip) { tips.append(tip) }
    }
    if !tips.isEmpty { out += "\nAdvice:\n" + tips.map { "- " + $0 + "\n" }.joined() }
    return out
}
