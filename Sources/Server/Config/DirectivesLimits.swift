// DirectivesLimits: protocol and buffer limits, the slow log, the latency monitor,
// keyspace notifications, and the script time limit (not built yet).
//
// `client-output-buffer-limit` is the one directive with a value per client
// class: a file line sets one class (`<class> <hard> <soft> <seconds>`), CONFIG
// SET takes any number of such groups in one space-separated string and applies
// all or none, and CONFIG GET/REWRITE show all three classes. Redis 5's
// `replica` names the `slave` class.
import Engine

let limitDirectives: [ConfigDirective] = [
    .int("proto-max-bulk-len", \.protoMaxBulkLen, status: .built, settable: true, range: 1...Int.max,
         problem: "proto-max-bulk-len must be 1 or greater", memory: true),
    .int("client-query-buffer-limit", \.clientQueryBufferLimit, status: .built, settable: true, range: 1...Int.max,
         problem: "client-query-buffer-limit must be 1 or greater", memory: true),
    ConfigDirective(
        "client-output-buffer-limit", status: .built, arguments: 4...4, settable: true,
        apply: { config, args, context in
            let words = context.source == .runtime ? OutputLimits.split(args[0]) : args
            try OutputLimits.apply(words, to: &config)
        },
        get: { config in
            ClientClass.allCases.map { c in
                let l = config.clientOutputBufferLimits[c]!
                return "\(c.rawValue) \(l.hardBytes) \(l.softBytes) \(l.softSeconds)"
            }.joined(separator: " ")
        },
        rewrite: { config in
            ClientClass.allCases.map { c in
                let l = config.clientOutputBufferLimits[c]!
                let text = "\(c.rawValue) \(ConfigValue.formatMemory(l.hardBytes)) "
                    + "\(ConfigValue.formatMemory(l.softBytes)) \(l.softSeconds)"
                return (text, l != ServerConfig.defaultOutputBufferLimits[c]!)
            }
        },
        lineKey: { OutputLimits.clientClass($0)?.rawValue }),
    .int("slowlog-log-slower-than", \.slowlogLogSlowerThan, status: .built, settable: true,
         runtimeRange: 0...Int.max),
    .int("slowlog-max-len", \.slowlogMaxLen, status: .built, settable: true, runtimeRange: 0...Int.max,
         effect: { server, _ in server.slowlog.trim(to: server.config.slowlogMaxLen) }),
    .int("latency-monitor-threshold", \.latencyMonitorThreshold, status: .built, settable: true,
         range: 0...Int.max, problem: "The latency threshold can't be negative",
         effect: { server, _ in server.latency.threshold = server.config.latencyMonitorThreshold }),
    .int("lua-time-limit", \.luaTimeLimit, status: .built, settable: true, runtimeRange: 0...Int.max),
    ConfigDirective(
        "notify-keyspace-events", status: .built, settable: true,
        apply: { config, args, _ in
            guard let classes = NotificationClass(letters: args[0]) else {
                throw ConfigProblem("Invalid event class character. Use 'g$lshzxeA'.")
            }
            config.notifyKeyspaceEvents = classes.letters
        },
        get: { $0.notifyKeyspaceEvents },
        rewrite: { [(ConfigValue.quoted($0.notifyKeyspaceEvents), !$0.notifyKeyspaceEvents.isEmpty)] },
        effect: { server, _ in
            server.notificationClasses = NotificationClass(letters: Bytes(server.config.notifyKeyspaceEvents)) ?? []
        }),
]

enum OutputLimits {
    /// CONFIG SET's value split on single spaces, as Redis splits it.
    static func split(_ value: Bytes) -> [Bytes] {
        value.isEmpty ? [] : value.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map { Bytes($0) }
    }

    static func clientClass(_ word: Bytes) -> ClientClass? {
        switch word.text.lowercased() {
        case "normal": return .normal
        case "slave", "replica": return .slave
        case "pubsub": return .pubsub
        default: return nil
        }
    }

    /// Applies groups of four words; all of them or none.
    static func apply(_ words: [Bytes], to config: inout ServerConfig) throws {
        guard words.count % 4 == 0 else {
            throw ConfigProblem("Wrong number of arguments in buffer limit configuration.")
        }
        var limits = config.clientOutputBufferLimits
        var i = 0
        while i < words.count {
            guard let c = clientClass(words[i]) else {
                throw ConfigProblem("Unrecognized client limit class: the user specified an invalid one, "
                                    + "or 'master' which has no buffer limits.")
            }
            let hard = try ConfigValue.memory(words[i + 1])
            let soft = try ConfigValue.memory(words[i + 2])
            let seconds = try ConfigValue.integer(words[i + 3])
            guard hard >= 0, soft >= 0 else { throw ConfigProblem.notMemory }
            guard seconds >= 0 else { throw ConfigProblem("Negative number of seconds in soft limit is invalid") }
            limits[c] = OutputBufferLimit(hardBytes: hard, softBytes: soft, softSeconds: seconds)
            i += 4
        }
        config.clientOutputBufferLimits = limits
    }
}
