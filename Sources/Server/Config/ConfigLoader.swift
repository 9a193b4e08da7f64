// ConfigLoader: builds a ServerConfig from `cairn-server [CONFIGFILE] [--name value ...]`.
// PLACEHOLDER: the full directive table replaces this (issue 2, config work).
import Engine

public struct ConfigError: Error {
    public let report: String
}

public enum ConfigLoader {
    public static func load(arguments: [String]) throws -> ServerConfig {
        var config = ServerConfig()
        var i = 0
        while i < arguments.count {
            let name = arguments[i].hasPrefix("--") ? String(arguments[i].dropFirst(2)) : arguments[i]
            guard i + 1 < arguments.count else { break }
            let value = arguments[i + 1]
            switch name {
            case "port": config.port = Int(value) ?? 6379
            case "bind": config.bind = [value]
            case "protected-mode": config.protectedMode = value == "yes"
            case "requirepass": config.requirepass = value
            default: break
            }
            i += 2
        }
        return config
    }
}
