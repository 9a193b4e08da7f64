// ServerConfig: the values of every directive whose feature is built.
//
// One field per directive, with Redis 4.0's default. The directive table
// (ConfigDirectives.swift) maps names to these fields for the config file,
// command-line flags, CONFIG GET/SET and CONFIG REWRITE; nothing else parses
// configuration.
import Engine

public enum LogLevel: Int, Comparable, Sendable {
    case debug = 0, verbose, notice, warning
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    public var name: String { ["debug", "verbose", "notice", "warning"][rawValue] }
}

/// `client-output-buffer-limit <class> <hard> <soft> <soft seconds>`.
public struct OutputBufferLimit: Equatable, Sendable {
    public var hardBytes: Int
    public var softBytes: Int
    public var softSeconds: Int
    public init(hardBytes: Int, softBytes: Int, softSeconds: Int) {
        self.hardBytes = hardBytes
        self.softBytes = softBytes
        self.softSeconds = softSeconds
    }
}

public enum ClientClass: String, CaseIterable, Sendable {
    case normal, slave, pubsub
}

public enum MaxmemoryPolicy: String, CaseIterable, Sendable {
    case volatileLRU = "volatile-lru", allkeysLRU = "allkeys-lru"
    case volatileLFU = "volatile-lfu", allkeysLFU = "allkeys-lfu"
    case volatileRandom = "volatile-random", allkeysRandom = "allkeys-random"
    case volatileTTL = "volatile-ttl", noeviction
    public var isLFU: Bool { self == .volatileLFU || self == .allkeysLFU }
}

public struct ServerConfig: Sendable {
    public var port = 6379
    /// Empty means every interface (Redis's default when no `bind` line is given).
    public var bind: [String] = []
    public var protectedMode = true
    public var requirepass: String? = nil
    public var databases = 16
    public var dir = "."
    public var logfile = ""
    public var loglevel = LogLevel.notice
    /// Idle seconds before a normal client is closed; 0 never.
    public var timeout = 0
    public var tcpKeepalive = 300
    public var tcpBacklog = 511
    public var hz = 10
    public var maxclients = 10000
    public var protoMaxBulkLen = 512 * 1024 * 1024
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    public var clientOutputBufferLimits: [ClientClass: OutputBufferLimit] = [
        .normal: OutputBufferLimit(hardBytes: 0, softBytes: 0, softSeconds: 0),
        .slave: OutputBufferLimit(hardBytes: 256 << 20, softBytes: 64 << 20, softSeconds: 60),
        .pubsub: OutputBufferLimit(hardBytes: 32 << 20, softBytes: 8 << 20, softSeconds: 60),
    ]
    /// Microseconds; negative disables the slow log, 0 logs every command.
    public var slowlogLogSlowerThan = 10000
    public var slowlogMaxLen = 128
    public var maxmemoryPolicy = MaxmemoryPolicy.noeviction
    public var lfuLogFactor = 10
    public var lfuDecayTime = 1
    public var daemonize = false
    public var pidfile = ""
    public var supervised = "no"
    public var syslogEnabled = false
    public var syslogIdent = "redis"
    public var syslogFacility = "local0"
    public var unixsocket = ""
    public var unixsocketperm = 0
    /// The config file the server was started with ("" when none), for CONFIG REWRITE and INFO.
    public var configFile = ""

    public init() {}

    /// The access tracking the keyspace keeps under this configuration.
    public var accessPolicy: AccessPolicy {
        maxmemoryPolicy.isLFU ? .lfu(logFactor: lfuLogFactor, decayMinutes: lfuDecayTime) : .lru
    }
}
