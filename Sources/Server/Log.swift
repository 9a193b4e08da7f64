// Log: the server's log, Redis's levels and lines, through swift-log.
//
// Contract: `ServerLog` is what the server calls (`log.notice(...)` and its
// siblings); each call goes through a swift-log `Logger` whose handler
// (`RedisLineHandler`, LogOutput.swift) writes Redis's line format,
// `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`, to stdout or the
// `logfile`, and to syslog with `syslog-enabled`. Redis's levels map onto
// swift-log's: debug -> debug, verbose -> info, notice -> notice,
// warning -> warning; `level` filters as `loglevel` does. A message below the
// level is never built (the argument is an autoclosure).
// Anything that exits the process right after logging calls `flush()` first.
// Tricky bit: swift-log's `LoggingSystem.bootstrap` is process-wide and
// one-shot, while tests run many servers with their own logs in one process;
// so each ServerLog builds its Logger with its own handler instead.
import Logging
import Synchronization

/// The server's log: Redis's levels and line format, written through swift-log.
package final class ServerLog: Sendable {
    let output = LogOutput()
    /// Copied out under the lock for each line, so `level` may change from any thread.
    private let logger: Mutex<Logger>

    /// A log at `level`, to `path` ("" for stdout).
    package init(level: LogLevel = .notice, path: String = "") {
        let output = self.output
        var logger = Logger(label: "cairn-server") { _ in RedisLineHandler(output: output, logLevel: .notice) }
        logger.logLevel = level.swiftLogLevel
        self.logger = Mutex(logger)
        setPath(path)
    }

    /// The log a started server uses: `loglevel`, `logfile` (relative to `dir`, as after
    /// Redis's chdir), and syslog under `syslog-ident`/`syslog-facility` with `syslog-enabled`.
    package convenience init(config: ServerConfig) {
        self.init(level: config.loglevel,
                  path: config.logfile.isEmpty ? "" : ConfigValue.absolute(config.logfile, from: config.dir))
        if config.syslogEnabled { output.enableSyslog(ident: config.syslogIdent, facility: config.syslogFacility) }
    }

    /// Lines below this level are dropped (`loglevel`).
    package var level: LogLevel {
        get { LogLevel(logger.withLock { $0.logLevel }) }
        set { logger.withLock { $0.logLevel = newValue.swiftLogLevel } }
    }

    /// The role letter after the pid: 'M' on a master, 'S' on a replica.
    package var role: Character {
        get { output.role }
        set { output.role = newValue }
    }

    /// Sends further lines to `path` ("" for stdout); on failure they go to stdout, with a warning.
    package func setPath(_ path: String) {
        if let error = output.setPath(path) {
            warning("Can't open the log file \(path): \(error)")
        }
    }

    package func debug(_ s: @autoclosure () -> String) { write(.debug, s()) }
    package func verbose(_ s: @autoclosure () -> String) { write(.verbose, s()) }
    package func notice(_ s: @autoclosure () -> String) { write(.notice, s()) }
    package func warning(_ s: @autoclosure () -> String) { write(.warning, s()) }

    /// Logs `message` at `l` when `l` is at least `level`.
    package func write(_ l: LogLevel, _ message: @autoclosure () -> String) {
        let logger = self.logger.withLock { $0 }
        logger.log(level: l.swiftLogLevel, "\(message())")
    }

    /// Returns once every line logged so far is out of the process (in the kernel, or with
    /// syslog). Called before any exit, so a fatal line is never lost.
    package func flush() { output.flush() }
}
