// DirectivesGeneral: process, logging and working-directory directives, plus
// `include` and `loadmodule`.
//
// The tricky bit is `dir`: Redis chdirs the moment it reads the line, so later
// relative paths (an `include`, a `logfile` checked for opening) resolve against
// it. Loading here does not chdir the process (tests load configs in-process);
// it validates the directory and moves the context's directory instead, and
// Launch chdirs once loading is done. CONFIG SET dir does chdir, as Redis does.
#if canImport(Glibc)
import Glibc
#endif
import Engine

let generalDirectives: [ConfigDirective] = [
    ConfigDirective("include", status: .built, settable: false, isInclude: true,
                    apply: { _, _, _ in }, get: nil, rewrite: nil),
    .bool("daemonize", \.daemonize, status: .built, settable: false),
    .choice("supervised", \.supervised, status: .built, settable: false,
            problem: "Invalid option for 'supervised'. Allowed values: 'upstart', 'systemd', 'auto', or 'no'"),
    .string("pidfile", \.pidfile, status: .built, settable: false, rewriteDefault: "/var/run/redis.pid",
            emptyIsUnset: true),
    ConfigDirective(
        "loglevel", status: .built, settable: true,
        apply: { config, args, _ in
            let word = args[0].text.lowercased()
            guard let level = LogLevel.allCases.first(where: { $0.name == word }) else {
                throw ConfigProblem("Invalid log level. Must be one of debug, verbose, notice, warning")
            }
            config.loglevel = level
        },
        get: { $0.loglevel.name },
        rewrite: { [($0.loglevel.name, $0.loglevel != .notice)] },
        effect: { server, _ in server.log.level = server.config.loglevel }),
    .string("logfile", \.logfile, status: .built, settable: false, rewriteDefault: "",
            check: { path, context in
                guard !path.isEmpty else { return }
                // As Redis does: make sure the file can be opened now, since later failures cannot stop the start.
                guard let f = fopen(ConfigValue.absolute(path, from: context.directory), "a") else {
                    throw ConfigProblem("Can't open the log file: \(ConfigValue.errnoText())")
                }
                fclose(f)
            }),
    .bool("syslog-enabled", \.syslogEnabled, status: .built, settable: false),
    .string("syslog-ident", \.syslogIdent, status: .built, settable: false, rewriteDefault: "redis"),
    .choice("syslog-facility", \.syslogFacility, status: .built, settable: false,
            problem: "Invalid log facility. Must be one of USER or between LOCAL0-LOCAL7"),
    .int("databases", \.databases, status: .built, settable: false, range: 1...Int.max,
         problem: "Invalid number of databases"),
    .bool("always-show-logo", \.alwaysShowLogo, status: .built, settable: false, rewritten: false),
    ConfigDirective(
        "dir", status: .built, settable: true,
        apply: { config, args, context in
            let given = args[0].text
            let path = ConfigValue.absolute(given, from: context.directory)
            if context.source == .runtime {
                guard chdir(path) == 0 else {
                    throw ConfigProblem("Changing directory: \(ConfigValue.errnoText())", verbatim: true)
                }
                config.dir = ConfigValue.currentDirectory()
            } else {
                if let problem = Directory.searchProblem(path) {
                    throw ConfigProblem("Can't chdir to '\(given)': \(problem)")
                }
                config.dir = Directory.normalized(path)
            }
            context.directory = config.dir
        },
        get: { Directory.shown($0.dir) },
        rewrite: { [(ConfigValue.quoted(Directory.shown($0.dir)), true)] }),
    .int("hz", \.hz, status: .built, settable: true, runtimeRange: 0...Int.max, problem: "Invalid hz value",
         clamp: 1...500),
    ConfigDirective(
        "loadmodule", status: .built, arguments: 1...Int.max, settable: false,
        apply: { config, args, _ in config.loadModules.append(args) },
        get: nil, rewrite: nil),
    // As in Redis 4.0: CONFIG SET/GET only (no file line, never rewritten).
    .int("watchdog-period", \.watchdogPeriod, status: .built, settable: true, inFile: false,
         range: 0...Int.max, problem: "Invalid watchdog period", rewritten: false,
         effect: { server, _ in server.applyWatchdogPeriod() }),
]

/// Checks and names of directories, for `dir`.
enum Directory {
    /// Why a chdir to `path` would fail (strerror's words), or nil if it would succeed.
    static func searchProblem(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return ConfigValue.errnoText() }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return ConfigValue.errnoText(ENOTDIR) }
        guard access(path, X_OK) == 0 else { return ConfigValue.errnoText() }
        return nil
    }

    /// `path` with "." and ".." parts and repeated slashes removed (it must be absolute).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The directory as CONFIG GET reports it: always absolute, as Redis's getcwd.
    static func shown(_ dir: String) -> String {
        dir.hasPrefix("/") ? dir : normalized(ConfigValue.absolute(dir, from: ConfigValue.currentDirectory()))
    }
}
