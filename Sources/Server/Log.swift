// Log: lines in Redis's format, `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`,
// where the level mark is '.' debug, '-' verbose, '*' notice, '#' warning.
// Written to stdout, or appended to `logfile` when one is set.
#if canImport(Glibc)
import Glibc
#endif
import Engine

public final class ServerLog {
    public var level: LogLevel
    public var role: Character = "M"
    private var file: UnsafeMutablePointer<FILE>?
    private let pid = getpid()

    public init(level: LogLevel = .notice, path: String = "") {
        self.level = level
        setPath(path)
    }

    /// Sends further lines to `path` ("" for stdout).
    public func setPath(_ path: String) {
        if let f = file, f != stdout { fclose(f) }
        file = path.isEmpty ? stdout : fopen(path, "a")
        if file == nil {
            file = stdout
            warning("Can't open the log file \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func debug(_ s: @autoclosure () -> String) { write(.debug, s()) }
    public func verbose(_ s: @autoclosure () -> String) { write(.verbose, s()) }
    public func notice(_ s: @autoclosure () -> String) { write(.notice, s()) }
    public func warning(_ s: @autoclosure () -> String) { write(.warning, s()) }

    public func write(_ l: LogLevel, _ message: String) {
        guard l >= level, let file else { return }
        let marks: [Character] = [".", "-", "*", "#"]
        let line = "\(pid):\(role) \(Self.timestamp()) \(marks[l.rawValue]) \(message)\n"
        fputs(line, file)
        fflush(file)
    }

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
