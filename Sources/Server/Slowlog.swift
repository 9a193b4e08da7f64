// Slowlog: the last `slowlog-max-len` commands that ran longer than
// `slowlog-log-slower-than` microseconds, newest first, as SLOWLOG GET shows them.
// Arguments are cut as Redis cuts them: at most 32 (the last one saying how many
// more there were), each at most 128 bytes (with how many more bytes there were).
import Engine

package struct SlowlogEntry: Sendable {
    package let id: Int64
    package let timestamp: Int64
    package let microseconds: Int64
    package let argv: [Bytes]
    package let clientAddress: String
    package let clientName: Bytes
}

package struct Slowlog: Sendable {
    package private(set) var entries: [SlowlogEntry] = []
    private var nextId: Int64 = 0

    static let maxArgs = 32
    static let maxArgLength = 128

    package init() {}

    package mutating func add(argv: [Bytes], microseconds: Int64, client: Client, maxLength: Int) {
        var kept: [Bytes] = []
        let shown = min(argv.count, Self.maxArgs)
        for j in 0..<shown {
            if shown != argv.count && j == shown - 1 {
                kept.append(Bytes("... (\(argv.count - shown + 1) more arguments)"))
            } else if argv[j].count > Self.maxArgLength {
                kept.append(Array(argv[j].prefix(Self.maxArgLength)) + Bytes("... (\(argv[j].count - Self.maxArgLength) more bytes)"))
            } else {
                kept.append(argv[j])
            }
        }
        entries.insert(SlowlogEntry(id: nextId, timestamp: wallClockMilliseconds() / 1000, microseconds: microseconds,
                                    argv: kept, clientAddress: client.address, clientName: client.name ?? []),
                       at: 0)
        nextId += 1
        trim(to: maxLength)
    }

    package mutating func trim(to maxLength: Int) {
        if entries.count > max(maxLength, 0) { entries.removeLast(entries.count - max(maxLength, 0)) }
    }

    package mutating func reset() { entries.removeAll() }
}

/// Instantaneous per-second rates (ops, input and output kbps), averaged over the
/// last 16 samples taken by the cron, as INFO's instantaneous_* fields are.
package struct InstantaneousSampler: Sendable {
    private var last: (time: Int64, commands: Int64, input: Int64, output: Int64)? = nil
    private var ops: [Double] = []
    private var inputRates: [Double] = []
    private var outputRates: [Double] = []
    private var lastSampleTime: Int64 = 0
    static let samples = 16
    static let intervalMs: Int64 = 100

    package init() {}

    package mutating func sample(now: Int64, commands: Int64, input: Int64, output: Int64) {
        guard now - lastSampleTime >= Self.intervalMs else { return }
        lastSampleTime = now
        if let last, now > last.time {
            let dt = Double(now - last.time) / 1000
            push(&ops, Double(commands - last.commands) / dt)
            push(&inputRates, Double(input - last.input) / dt / 1024)
            push(&outputRates, Double(output - last.output) / dt / 1024)
        }
        last = (now, commands, input, output)
    }

    private func push(_ a: inout [Double], _ v: Double) {
        a.append(v)
        if a.count > Self.samples { a.removeFirst() }
    }

    private func mean(_ a: [Double]) -> Double { a.isEmpty ? 0 : a.reduce(0, +) / Double(a.count) }

    package var opsPerSecond: Int64 { Int64(mean(ops)) }
    package var inputKbps: Double { mean(inputRates) }
    package var outputKbps: Double { mean(outputRates) }
}
