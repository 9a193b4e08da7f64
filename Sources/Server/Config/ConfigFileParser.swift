// ConfigFileParser: redis.conf text to a ServerConfig, line by line.
//
// Contract: one directive per line; lines are trimmed, `#` lines and blank lines
// skipped, the rest split with splitArguments (quotes, escapes) and the name
// lowercased; later lines win. `include PATH` loads another file in place
// (relative to the current directory, which a `dir` line moves, as Redis's
// chdir does), and its errors name its own line numbers. The first problem stops
// loading with Redis's fatal report, naming the line and the reason.
#if canImport(Glibc)
import Glibc
#endif
import RESP
import Engine

/// A configuration that cannot be loaded: `report` is what goes to stderr.
package struct ConfigError: Error, CustomStringConvertible {
    package let report: String
    /// The 1-based line of the offending text (nil for a file that cannot be read).
    package let line: Int?
    /// The reason alone (the last line of the report).
    package let reason: String

    package init(report: String, line: Int? = nil, reason: String? = nil) {
        self.report = report
        self.line = line
        self.reason = reason ?? report
    }

    package var description: String { report }

    /// Redis's report for a bad line.
    static func fatal(line: Int, text: String, reason: String) -> ConfigError {
        ConfigError(report: "\n*** FATAL CONFIG FILE ERROR ***\n"
                        + "Reading the configuration file, at line \(line)\n"
                        + ">>> '\(text)'\n"
                        + reason,
                    line: line, reason: reason)
    }

    static func unreadable(_ path: String, _ code: Int32) -> ConfigError {
        ConfigError(report: "Fatal error, can't open config file '\(path)': \(ConfigValue.errnoText(code))")
    }
}

/// Applies config text line by line to `config`.
package struct ConfigFileParser {
    /// The configuration so far.
    package var config: ServerConfig
    /// Where relative paths resolve (moved by `dir` lines).
    package var context: ConfigContext
    private var includeDepth = 0
    static let maxIncludeDepth = 16

    /// Starts from `config`, with relative paths resolved against `directory`.
    package init(config: ServerConfig = ServerConfig(), directory: String = ConfigValue.currentDirectory()) {
        self.config = config
        self.context = ConfigContext(source: .file, directory: directory)
    }

    /// Applies every directive of `text`, in order.
    package mutating func load(_ text: Bytes) throws {
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            let line = Self.trimmed(Bytes(raw))
            if line.isEmpty || line[0] == UInt8(ascii: "#") { continue }
            do {
                try apply(line)
            } catch let problem as ConfigProblem {
                throw ConfigError.fatal(line: i + 1, text: line.text, reason: problem.message)
            }
        }
    }

    /// Loads the file at `path` (relative to the current directory).
    package mutating func loadFile(_ path: String) throws {
        guard let text = Self.readFile(ConfigValue.absolute(path, from: context.directory)) else {
            throw ConfigError.unreadable(path, errno)
        }
        try load(text)
    }

    private mutating func apply(_ line: Bytes) throws {
        guard let words = splitArguments(line) else {
            throw ConfigProblem("Unbalanced quotes in configuration line")
        }
        guard let first = words.first else { return }
        let args = Array(words.dropFirst())
        guard let directive = ConfigTable.lookup(first.text), directive.inFile,
              directive.arguments.contains(args.count) else {
            throw ConfigProblem.badDirective
        }
        if directive.isInclude {
            guard includeDepth < Self.maxIncludeDepth else {
                throw ConfigProblem("Too many nested include directives (does a file include itself?)")
            }
            includeDepth += 1
            defer { includeDepth -= 1 }
            try loadFile(args[0].text)
            return
        }
        context.spelling = first.text.lowercased()
        try directive.apply(args, to: &config, &context)
    }

    /// `line` without leading and trailing spaces, tabs, CR and LF (Redis's sdstrim set).
    static func trimmed(_ line: Bytes) -> Bytes {
        func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }
        var start = 0
        var end = line.count
        while start < end && isBlank(line[start]) { start += 1 }
        while end > start && isBlank(line[end - 1]) { end -= 1 }
        return Bytes(line[start..<end])
    }

    /// The whole content of a file, or nil with errno set.
    static func readFile(_ path: String) -> Bytes? {
        let fd = open(path, O_RDONLY)
        return fd < 0 ? nil : readAll(fd, closing: true)
    }

    static func readAll(_ fd: Int32, closing: Bool) -> Bytes? {
        defer { if closing { close(fd) } }
        var content: Bytes = []
        var buffer = Bytes(repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return content }
            content.append(contentsOf: buffer[0..<n])
        }
    }
}
