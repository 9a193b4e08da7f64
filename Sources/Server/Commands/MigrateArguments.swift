// MigrateArguments: MIGRATE's argument rules, apart from any socket so tests can check them.
//
// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
//         [KEYS key [key ...]]
// Redis 4.0's order of checks and words: options first (an unknown one, or AUTH
// without a password, is a syntax error; KEYS with a non-empty key argument has
// its own error and takes every argument after it as a key), then the timeout,
// then the database, both as integers. A timeout of 0 or less means 1000 ms. The
// port is read as atoi reads it (leading digits, else 0), and the database is
// not range-checked: the target's SELECT answers for it.
import Engine

package struct MigrateRequest: Equatable {
    package var host: String
    package var port: Int
    /// The cache's name for the target: host and port as the command spelled them.
    package var target: String
    package var db: Int64
    package var timeoutMs: Int64
    package var copy = false
    package var replace = false
    package var password: Bytes? = nil
    package var keys: [Bytes]

    /// The request, or the error reply's text.
    package static func parse(_ argv: [Bytes]) -> Result<MigrateRequest, MigrateArgumentError> {
        guard argv.count >= 6 else { return .failure(MigrateArgumentError("ERR wrong number of arguments for 'migrate' command")) }
        var copy = false, replace = false
        var password: Bytes? = nil
        var keys = [argv[3]]
        var j = 6
        while j < argv.count {
            switch argv[j].text.lowercased() {
            case "copy": copy = true
            case "replace": replace = true
            case "auth":
                guard j + 1 < argv.count else { return .failure(.syntax) }
                j += 1
                password = argv[j]
            case "keys":
                guard argv[3].isEmpty else {
                    return .failure(MigrateArgumentError(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"))
                }
                keys = Array(argv[(j + 1)...])
                j = argv.count
                continue
            default:
                return .failure(.syntax)
            }
            j += 1
        }
        guard let timeout = argv[5].parseInt64(), let db = argv[4].parseInt64() else { return .failure(.notInteger) }
        let host = argv[1].text
        let request = MigrateRequest(
            host: host, port: atoiPort(argv[2]), target: host + ":" + argv[2].text, db: db,
            timeoutMs: timeout <= 0 ? 1000 : timeout, copy: copy, replace: replace, password: password, keys: keys)
        return .success(request)
    }

    /// Positions of the keys in `argv` (COMMAND GETKEYS): the key argument, or those after KEYS
    /// when the key argument is empty.
    package static func keyPositions(_ argv: [Bytes]) -> [Int] {
        guard argv.count > 3 else { return [] }
        if argv.count > 6, argv[3].isEmpty,
           let k = argv[6...].firstIndex(where: { $0.text.lowercased() == "keys" }) {
            return Array((k + 1)..<argv.count)
        }
        return [3]
    }

    /// atoi's reading: optional spaces and sign, then leading digits; anything else is 0.
    private static func atoiPort(_ b: Bytes) -> Int {
        var s = Substring(b.text.drop(while: { $0 == " " || $0 == "\t" }))
        var sign = 1
        if let c = s.first, c == "-" || c == "+" {
            if c == "-" { sign = -1 }
            s = s.dropFirst()
        }
        let digits = s.prefix(while: { $0.isASCII && $0.isNumber }).prefix(10)
        return sign * (Int(digits) ?? 0)
    }
}

package struct MigrateArgumentError: Error, Equatable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package static let syntax = MigrateArgumentError("ERR syntax error")
    package static let notInteger = MigrateArgumentError("ERR value is not an integer or out of range")
}
