// ConfigValues: how directive arguments are read and written back.
//
// Reading follows Redis's rules, made strict where Redis 4.0 was lax (4.0's
// atoi/memtoll turn "abc" into 0; Cairn rejects it as 7.0 does): yes/no are
// case-insensitive, integers are strict decimal, memory values take an optional
// unit (b, k=1000, kb=1024, m, mb, g, gb; any case). Writing follows CONFIG
// REWRITE's formats: memory in the largest exact gb/mb/kb unit, strings quoted
// as sdscatrepr quotes them.
#if canImport(Glibc)
import Glibc
#endif
import Engine

/// Why a directive's value was refused. `message` is the reason line of the
/// fatal config report; CONFIG SET shows it only when `verbatim` (otherwise it
/// replies with Redis's generic "Invalid argument").
package struct ConfigProblem: Error, Equatable {
    package let message: String
    package let verbatim: Bool
    /// A problem reported as `message`; `verbatim` shows it as is to a CONFIG SET caller.
    package init(_ message: String, verbatim: Bool = false) {
        self.message = message
        self.verbatim = verbatim
    }

    /// The arguments do not fit the directive at all.
    static let badDirective = ConfigProblem("Bad directive or wrong number of arguments")
    static let notYesNo = ConfigProblem("argument must be 'yes' or 'no'")
    static let notInteger = ConfigProblem("argument couldn't be parsed into an integer")
    static let notMemory = ConfigProblem("argument must be a memory value")

    /// A value that would switch on a feature this version does not have.
    static func notBuilt(_ name: String, _ args: [Bytes], _ feature: String) -> ConfigProblem {
        let shown = ([name] + args.map { $0.isEmpty ? "\"\"" : $0.text }).joined(separator: " ")
        return ConfigProblem("'\(shown)' is not supported yet: \(feature) not built in this version of Cairn",
                             verbatim: true)
    }
}

/// Readers and writers of directive values.
package enum ConfigValue {
    static func yesNo(_ b: Bytes) throws -> Bool {
        switch b.text.lowercased() {
        case "yes": return true
        case "no": return false
        default: throw ConfigProblem.notYesNo
        }
    }

    static func integer(_ b: Bytes) throws -> Int {
        guard let v = b.parseInt64() else { throw ConfigProblem.notInteger }
        return Int(v)
    }

    /// `<digits>[unit]`, as Redis's memtoll reads it (but refusing junk).
    static func memory(_ b: Bytes) throws -> Int {
        var i = 0
        if i < b.count && b[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < b.count && b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > digitsStart, let number = Int64(Bytes(b[0..<i]).text) else { throw ConfigProblem.notMemory }
        let multiplier: Int64
        switch Bytes(b[i...]).text.lowercased() {
        case "", "b": multiplier = 1
        case "k": multiplier = 1000
        case "kb": multiplier = 1024
        case "m": multiplier = 1000 * 1000
        case "mb": multiplier = 1024 * 1024
        case "g": multiplier = 1000 * 1000 * 1000
        case "gb": multiplier = 1024 * 1024 * 1024
        default: throw ConfigProblem.notMemory
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ConfigProblem.notMemory }
        return Int(product)
    }

    /// One of `choices`, case-insensitively.
    static func choice<E: RawRepresentable>(_ b: Bytes, _ choices: [E], _ message: String) throws -> E
        where E.RawValue == String {
        let word = b.text.lowercased()
        guard let found = choices.first(where: { $0.rawValue == word }) else { throw ConfigProblem(message) }
        return found
    }

    /// Memory as CONFIG REWRITE writes it: "2gb", "64mb", "16kb" or plain bytes.
    static func formatMemory(_ v: Int) -> String {
        if v != 0 && v % (1 << 30) == 0 { return "\(v / (1 << 30))gb" }
        if v != 0 && v % (1 << 20) == 0 { return "\(v / (1 << 20))mb" }
        if v != 0 && v % (1 << 10) == 0 { return "\(v / (1 << 10))kb" }
        return "\(v)"
    }

    /// A string argument quoted so that splitArguments reads it back unchanged.
    static func quoted(_ s: String) -> String { quotedRepresentation(Bytes(s)) }

    /// `path` made absolute against `base` (already absolute).
    static func absolute(_ path: String, from base: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "." || path.isEmpty { return base }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// The process's working directory ("/" if it cannot be read).
    package static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
