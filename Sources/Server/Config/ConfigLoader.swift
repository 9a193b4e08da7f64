// ConfigLoader: `cairn-server [CONFIGFILE] [--name value ...]` to a ServerConfig,
// exactly as redis-server reads its command line.
//
// The first argument is the config file unless it starts with "--" ("-" reads
// the file from standard input). Every later `--name` starts a new config line
// and the words after it, each quoted as Redis's sdscatrepr quotes, complete
// that line, so `--save 900 1` is the line `save "900" "1"`. The lines are
// appended to the file's text after one newline and the whole is read as one
// file: flags override the file, and an error in a flag is reported at the line
// number it has in that joined text, as Redis reports it.
#if canImport(Glibc)
import Glibc
#endif
import Engine

package enum ConfigLoader {
    /// What the command line asks for.
    package enum Request {
        case version
        case help
        case run(configFile: String?, options: String)
    }

    /// Reads the command line (without the program name).
    package static func request(_ arguments: [String]) -> Request {
        guard let first = arguments.first else { return .run(configFile: nil, options: "") }
        if first == "-v" || first == "--version" { return .version }
        if first == "-h" || first == "--help" { return .help }
        var rest = arguments[...]
        var configFile: String? = nil
        if !first.hasPrefix("--") {
            configFile = first
            rest = rest.dropFirst()
        }
        var options = ""
        for arg in rest {
            if arg.hasPrefix("--") {
                if arg == "--check-rdb" { continue }
                if !options.isEmpty { options += "\n" }
                options += String(arg.dropFirst(2)) + " "
            } else {
                options += quotedRepresentation(Bytes(arg)) + " "
            }
        }
        return .run(configFile: configFile, options: options)
    }

    /// The configuration for a command line; throws ConfigError with the report to print.
    /// (`--version` and `--help` are the caller's to handle; here they load defaults.)
    package static func load(arguments: [String]) throws -> ServerConfig {
        guard case .run(let file, let options) = request(arguments) else { return ServerConfig() }
        return try load(configFile: file, options: options)
    }

    /// Loads `configFile` (nil: none; "-": standard input) followed by the option lines.
    package static func load(configFile: String?, options: String,
                            directory: String = ConfigValue.currentDirectory()) throws -> ServerConfig {
        var text: Bytes = []
        var parser = ConfigFileParser(directory: directory)
        if let configFile {
            let content = configFile == "-"
                ? ConfigFileParser.readAll(0, closing: false)
                : ConfigFileParser.readFile(ConfigValue.absolute(configFile, from: directory))
            guard let content else { throw ConfigError.unreadable(configFile, errno) }
            text = content
            if configFile != "-" {
                parser.config.configFile = ConfigValue.absolute(configFile, from: directory)
            }
        }
        text.append(UInt8(ascii: "\n"))
        text.append(contentsOf: Bytes(options))
        try parser.load(text)
        var config = parser.config
        config.dir = parser.context.directory
        return config
    }

    /// `--version`'s line.
    package static var versionLine: String {
        "Cairn server v=\(Server.cairnVersion) redis_version=\(Server.implementedRedisVersion) "
            + "sha=00000000:0 malloc=libc bits=\(Int.bitWidth)"
    }

    /// `--help`'s text.
    package static let usage = """
        Usage: ./cairn-server [/path/to/redis.conf] [options]
               ./cairn-server - (read config from stdin)
               ./cairn-server -v or --version
               ./cairn-server -h or --help

        Examples:
               ./cairn-server (run the server with default conf)
               ./cairn-server /etc/redis/6379.conf
               ./cairn-server --port 7777
               ./cairn-server /etc/mycairn.conf --loglevel verbose

        Options are redis.conf directives written as --name value; they are read
        after the file, so they override it.
        """
}
