// DirectivesPersistence: RDB snapshots and the append-only file.
//
// CONFIG SET appendonly yes starts a rewrite that creates the AOF, as Redis
// does; `no` closes it. Without a config file the
// save points are Redis's defaults (3600/1 300/100 60/10000); `save ""` clears the points. A file line holds
// one `<seconds> <changes>` pair (several pairs per line, as Redis 7 allows,
// are read too); CONFIG SET save takes all pairs in one space-separated string.
import Engine

let persistenceDirectives: [ConfigDirective] = [
    ConfigDirective(
        "save", status: .built, arguments: 1...Int.max, settable: true,
        apply: { config, args, context in
            let words: [Bytes]
            if context.source == .runtime {
                words = OutputLimits.split(args[0])
            } else if args == [[]] {
                words = []
            } else if args.count == 1 && args[0].contains(UInt8(ascii: " ")) {
                // One quoted argument holding the pairs (`--save "900 1"`), as Redis 7 accepts.
                words = OutputLimits.split(args[0])
            } else {
                guard args.count % 2 == 0 else { throw ConfigProblem.badDirective }
                words = args
            }
            guard words.count % 2 == 0 else { throw ConfigProblem("Invalid save parameters") }
            var points: [SavePoint] = []
            var i = 0
            while i < words.count {
                guard let seconds = words[i].parseInt64(), let changes = words[i + 1].parseInt64(),
                      seconds >= 1, changes >= 0 else { throw ConfigProblem("Invalid save parameters") }
                points.append(SavePoint(seconds: Int(seconds), changes: Int(changes)))
                i += 2
            }
            config.savePoints = points
        },
        get: { $0.savePoints.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") },
        rewrite: { config in
            // No points is written as `save ""`, since a file without a save line gets the defaults.
            let changed = config.savePoints != ServerConfig().savePoints
            if config.savePoints.isEmpty { return [("\"\"", true)] }
            return config.savePoints.map { ("\($0.seconds) \($0.changes)", changed) }
        }),
    .bool("stop-writes-on-bgsave-error", \.stopWritesOnBgsaveError, status: .built, settable: true),
    .bool("rdbcompression", \.rdbCompression, status: .built, settable: true),
    .bool("rdbchecksum", \.rdbChecksum, status: .built, settable: false),
    .string("dbfilename", \.dbfilename, status: .built, settable: true, rewriteDefault: "dump.rdb",
            check: { v, _ in
                if v.contains("/") { throw ConfigProblem("dbfilename can't be a path, just a filename", verbatim: true) }
            }),
    .bool("appendonly", \.appendonly, status: .built, settable: true, effect: { server, _ in
        if let problem = server.persistence.setAppendOnly(server.config.appendonly) {
            server.log.warning("CONFIG SET appendonly: \(problem)")
            throw ConfigProblem("Unable to turn on AOF. Check server logs.", verbatim: true)
        }
    }),
    .string("appendfilename", \.appendfilename, status: .built, settable: false, rewriteDefault: "appendonly.aof",
            check: { v, _ in
                if v.contains("/") {
                    throw ConfigProblem("appendfilename can't be a path, just a filename", verbatim: true)
                }
            }),
    .choice("appendfsync", \.appendfsync, status: .built, settable: true,
            problem: "argument must be 'no', 'always' or 'everysec'"),
    .bool("no-appendfsync-on-rewrite", \.noAppendfsyncOnRewrite, status: .built, settable: true),
    .int("auto-aof-rewrite-percentage", \.autoAofRewritePercentage, status: .built, settable: true,
         range: 0...Int.max, problem: "Invalid negative percentage for AOF auto rewrite"),
    .int("auto-aof-rewrite-min-size", \.autoAofRewriteMinSize, status: .built, settable: true, range: 0...Int.max,
         problem: "auto-aof-rewrite-min-size can't be negative", memory: true),
    .bool("aof-load-truncated", \.aofLoadTruncated, status: .built, settable: true),
    .bool("aof-use-rdb-preamble", \.aofUseRdbPreamble, status: .built, settable: true),
    .bool("aof-rewrite-incremental-fsync", \.aofRewriteIncrementalFsync, status: .built, settable: true),
]
