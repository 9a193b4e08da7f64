// LatencyCommands: LATENCY LATEST | HISTORY event | RESET [event ...] | GRAPH event
// | DOCTOR | HELP over the latency monitor (LatencyMonitor.swift), with Redis
// 4.0's reply shapes: LATEST an array of [event, time, latest ms, all-time max ms],
// HISTORY an array of [time, ms], RESET the number of series dropped. 4.0 has no
// HELP (it answers a syntax error); Cairn lists the subcommands, as later Redis does.
import Engine

let latencyCommands: [Command] = [
    Command("latency", arity: -2, flags: "aslt") { call in latencyCommand(call) },
]

private func latencyCommand(_ call: Call) {
    let monitor = call.server.latency
    let argc = call.argv.count
    switch call.option(1) {
    case "history" where argc == 3:
        let samples = monitor.series[call.argv[2].text]?.samples ?? []
        call.array(samples.count)
        for s in samples {
            call.array(2)
            call.integer(s.time)
            call.integer(s.milliseconds)
        }
    case "graph" where argc == 3:
        let event = call.argv[2].text
        guard let series = monitor.series[event] else {
            call.error("ERR No samples available for event '\(event)'")
            return
        }
        call.bulk(latencyGraph(event, series, now: wallClockMilliseconds() / 1000))
    case "latest" where argc == 2:
        call.array(monitor.eventNames.count)
        for name in monitor.eventNames {
            let series = monitor.series[name]!
            call.array(4)
            call.bulk(name)
            call.integer(series.samples.last?.time ?? 0)
            call.integer(series.samples.last?.milliseconds ?? 0)
            call.integer(series.maximum)
        }
    case "doctor" where argc == 2:
        call.bulk(latencyDoctorReport(monitor, now: wallClockMilliseconds() / 1000))
    case "reset":
        call.integer(monitor.reset(argc == 2 ? nil : call.argv[2...].map(\.text)))
    case "help" where argc == 2:
        call.bulkArray([
            "LATENCY <subcommand> [arg ...]. Subcommands:",
            "LATEST                -- Each event's latest spike: event, time, latency (ms), all-time maximum (ms).",
            "HISTORY <event>       -- The event's samples (at most 160, one per second): time, latency (ms).",
            "RESET [event ...]     -- Drop the named events' samples (all events without names).",
            "GRAPH <event>         -- An ASCII graph of the event's samples.",
            "DOCTOR                -- A report on the spikes recorded, with advice.",
        ].map { Bytes($0) })
    default:
        call.syntaxError()
    }
}
