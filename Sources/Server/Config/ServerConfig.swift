// ServerConfig: the value of every directive Redis 4.0's redis.conf knows.
//
// One field per directive, named after it, with Redis 4.0's default. The directive table
// (ConfigDirective.swift and the Directives*.swift files) maps names to these
// fields for the config file, command-line flags, CONFIG GET/SET and CONFIG
// REWRITE; nothing else parses configuration. Fields of features not built yet
// (persistence, replication, cluster...) hold the tunables they will read; the
// table refuses any value that would switch such a feature on.
import Engine

public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
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

/// `appendfsync`: when the append-only file is fsynced.
public enum AppendFsync: String, CaseIterable, Sendable {
    case always, everysec, no
}

/// `supervised`: how a supervisor is told the server is ready.
public enum SupervisedMode: String, CaseIterable, Sendable {
    case upstart, systemd, auto, no
}

/// `syslog-facility`.
public enum SyslogFacility: String, CaseIterable, Sendable {
    case user, local0, local1, local2, local3, local4, local5, local6, local7
}

/// One `save <seconds> <changes>` point.
public struct SavePoint: Equatable, Sendable {
    public var seconds: Int
    public var changes: Int
    public init(seconds: Int, changes: Int) {
        self.seconds = seconds
        self.changes = changes
    }
}

/// The whole configuration of a server.
public struct ServerConfig: Sendable {
    // MARK: network and security (built)
    public var port = 6379
    /// Empty means every interface (Redis's default when no `bind` line is given).
    public var bind: [String] = []
    public var protectedMode = true
    public var requirepass: String? = nil
    public var tcpBacklog = 511
    public var unixsocket = ""
    public var unixsocketperm = 0
    /// Idle seconds before a normal client is closed; 0 never.
    public var timeout = 0
    public var tcpKeepalive = 300
    public var maxclients = 10000

    // MARK: general (built)
    public var databases = 16
    /// The working directory (absolute once loaded from a file or flags).
    public var dir = "."
    public var logfile = ""
    public var loglevel = LogLevel.notice
    public var daemonize = false
    public var pidfile = ""
    public var supervised = SupervisedMode.no
    public var syslogEnabled = false
    public var syslogIdent = "redis"
    public var syslogFacility = SyslogFacility.local0
    public var alwaysShowLogo = false
    public var hz = 10

    // MARK: limits (built)
    public var protoMaxBulkLen = 512 * 1024 * 1024
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    public var clientOutputBufferLimits: [ClientClass: OutputBufferLimit] = ServerConfig.defaultOutputBufferLimits
    /// Microseconds; negative disables the slow log, 0 logs every command.
    public var slowlogLogSlowerThan = 10000
    public var slowlogMaxLen = 128

    // MARK: memory and access tracking
    public var maxmemoryPolicy = MaxmemoryPolicy.noeviction
    public var lfuLogFactor = 10
    public var lfuDecayTime = 1
    public var maxmemorySamples = 5
    /// Later (eviction): only 0 is accepted until then.
    public var maxmemory = 0
    public var lazyfreeLazyEviction = false
    public var lazyfreeLazyExpire = false
    public var lazyfreeLazyServerDel = false
    public var activeDefrag = false
    public var activeDefragIgnoreBytes = 100 << 20
    public var activeDefragThresholdLower = 10
    public var activeDefragThresholdUpper = 100
    public var activeDefragCycleMin = 25
    public var activeDefragCycleMax = 75

    // MARK: persistence (later)
    /// Empty: no RDB save points (Cairn keeps it so until snapshots exist).
    /// Redis's default save points (also without a config file).
    public var savePoints: [SavePoint] = [SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100),
                                          SavePoint(seconds: 60, changes: 10000)]
    public var stopWritesOnBgsaveError = true
    public var rdbCompression = true
    public var rdbChecksum = true
    public var dbfilename = "dump.rdb"
    public var appendonly = false
    public var appendfilename = "appendonly.aof"
    public var appendfsync = AppendFsync.everysec
    public var noAppendfsyncOnRewrite = false
    public var autoAofRewritePercentage = 100
    public var autoAofRewriteMinSize = 64 << 20
    public var aofLoadTruncated = true
    public var aofUseRdbPreamble = false
    public var aofRewriteIncrementalFsync = true

    // MARK: replication (later)
    /// `slaveof <host> <port>`; nil for a primary.
    public var replicaOf: (host: String, port: Int)? = nil
    public var masterauth: String? = nil
    public var replicaServeStaleData = true
    public var replicaReadOnly = true
    public var replDisklessSync = false
    public var replDisklessSyncDelay = 5
    public var replPingReplicaPeriod = 10
    public var replTimeout = 60
    public var replDisableTcpNodelay = false
    public var replBacklogSize = 1 << 20
    public var replBacklogTTL = 3600
    public var replicaPriority = 100
    public var minReplicasToWrite = 0
    public var minReplicasMaxLag = 10
    public var replicaAnnounceIP: String? = nil
    public var replicaAnnouncePort = 0
    public var replicaLazyFlush = false

    // MARK: cluster (later)
    public var clusterEnabled = false
    public var clusterConfigFile = "nodes.conf"
    public var clusterNodeTimeout = 15000
    public var clusterSlaveValidityFactor = 10
    public var clusterMigrationBarrier = 1
    public var clusterRequireFullCoverage = true
    public var clusterSlaveNoFailover = false
    public var clusterAnnounceIP: String? = nil
    public var clusterAnnouncePort = 0
    public var clusterAnnounceBusPort = 0

    // MARK: data structures, scripting, monitoring (tunables)
    public var hashMaxZiplistEntries = 512
    public var hashMaxZiplistValue = 64
    public var listMaxZiplistSize = -2
    public var listCompressDepth = 0
    public var setMaxIntsetEntries = 512
    public var zsetMaxZiplistEntries = 128
    public var zsetMaxZiplistValue = 64
    public var hllSparseMaxBytes = 3000
    public var activeRehashing = true
    public var luaTimeLimit = 5000
    /// Later (latency monitor): only 0 is accepted until then.
    public var latencyMonitorThreshold = 0
    /// Later (keyspace notifications): only "" is accepted until then.
    public var notifyKeyspaceEvents = ""
    /// Later (software watchdog): only 0 is accepted until then.
    public var watchdogPeriod = 0

    /// The config file the server was started with (absolute; "" when none), for CONFIG REWRITE and INFO.
    public var configFile = ""

    /// Redis 4.0's defaults (without its default save points).
    public init() {}

    /// `client-output-buffer-limit`'s defaults per class.
    public static let defaultOutputBufferLimits: [ClientClass: OutputBufferLimit] = [
        .normal: OutputBufferLimit(hardBytes: 0, softBytes: 0, softSeconds: 0),
        .slave: OutputBufferLimit(hardBytes: 256 << 20, softBytes: 64 << 20, softSeconds: 60),
        .pubsub: OutputBufferLimit(hardBytes: 32 << 20, softBytes: 8 << 20, softSeconds: 60),
    ]

    /// The compact-encoding thresholds the keyspace applies under this configuration.
    public var encodingLimits: EncodingLimits {
        var l = EncodingLimits()
        l.hashMaxPackedEntries = hashMaxZiplistEntries
        l.hashMaxPackedValue = hashMaxZiplistValue
        l.listMaxNodeSize = listMaxZiplistSize
        l.listCompressDepth = listCompressDepth
        l.setMaxIntsetEntries = setMaxIntsetEntries
        l.zsetMaxPackedEntries = zsetMaxZiplistEntries
        l.zsetMaxPackedValue = zsetMaxZiplistValue
        l.hllSparseMaxBytes = hllSparseMaxBytes
        return l
    }

    /// The access tracking the keyspace keeps under this configuration.
    public var accessPolicy: AccessPolicy {
        maxmemoryPolicy.isLFU ? .lfu(logFactor: lfuLogFactor, decayMinutes: lfuDecayTime) : .lru
    }
}
