// ServerConfig: the value of every directive Redis 4.0's redis.conf knows.
//
// One field per directive, named after it, with Redis 4.0's default. The directive table
// (ConfigDirective.swift and the Directives*.swift files) maps names to these
// fields for the config file, command-line flags, CONFIG GET/SET and CONFIG
// REWRITE; nothing else parses configuration. Fields of features not built yet
// (persistence, replication, cluster...) hold the tunables they will read; the
// table refuses any value that would switch such a feature on.
import Engine

// Public, unlike the rest of Server (package): ReplicationSim's public API (NodeSettings,
// Simulation.run) takes a LogLevel, and its `<` witnesses the public Comparable.
public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case debug = 0, verbose, notice, warning
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    package var name: String { ["debug", "verbose", "notice", "warning"][rawValue] }
}

/// `client-output-buffer-limit <class> <hard> <soft> <soft seconds>`.
package struct OutputBufferLimit: Equatable, Sendable {
    package var hardBytes: Int
    package var softBytes: Int
    package var softSeconds: Int
    package init(hardBytes: Int, softBytes: Int, softSeconds: Int) {
        self.hardBytes = hardBytes
        self.softBytes = softBytes
        self.softSeconds = softSeconds
    }
}

package enum ClientClass: String, CaseIterable, Sendable {
    case normal, slave, pubsub
}

/// `appendfsync`: when the append-only file is fsynced.
package enum AppendFsync: String, CaseIterable, Sendable {
    case always, everysec, no
}

/// `supervised`: how a supervisor is told the server is ready.
package enum SupervisedMode: String, CaseIterable, Sendable {
    case upstart, systemd, auto, no
}

/// `syslog-facility`.
package enum SyslogFacility: String, CaseIterable, Sendable {
    case user, local0, local1, local2, local3, local4, local5, local6, local7
}

/// One `save <seconds> <changes>` point.
package struct SavePoint: Equatable, Sendable {
    package var seconds: Int
    package var changes: Int
    package init(seconds: Int, changes: Int) {
        self.seconds = seconds
        self.changes = changes
    }
}

/// The whole configuration of a server.
package struct ServerConfig: Sendable {
    // MARK: network and security (built)
    package var port = 6379
    /// Empty means every interface (Redis's default when no `bind` line is given).
    package var bind: [String] = []
    package var protectedMode = true
    package var requirepass: String? = nil
    package var tcpBacklog = 511
    package var unixsocket = ""
    package var unixsocketperm = 0
    /// Idle seconds before a normal client is closed; 0 never.
    package var timeout = 0
    package var tcpKeepalive = 300
    package var maxclients = 10000
    /// rename-command lines, in file order.
    package var commandRenames: [CommandRename] = []
    /// loadmodule lines, in file order: the path, then the module's arguments.
    package var loadModules: [[Bytes]] = []

    // MARK: general (built)
    package var databases = 16
    /// The working directory (absolute once loaded from a file or flags).
    package var dir = "."
    package var logfile = ""
    package var loglevel = LogLevel.notice
    package var daemonize = false
    package var pidfile = ""
    package var supervised = SupervisedMode.no
    package var syslogEnabled = false
    package var syslogIdent = "redis"
    package var syslogFacility = SyslogFacility.local0
    package var alwaysShowLogo = false
    package var hz = 10

    // MARK: limits (built)
    package var protoMaxBulkLen = 512 * 1024 * 1024
    package var clientQueryBufferLimit = 1024 * 1024 * 1024
    package var clientOutputBufferLimits: [ClientClass: OutputBufferLimit] = ServerConfig.defaultOutputBufferLimits
    /// Microseconds; negative disables the slow log, 0 logs every command.
    package var slowlogLogSlowerThan = 10000
    package var slowlogMaxLen = 128

    // MARK: memory and access tracking
    package var maxmemoryPolicy = MaxmemoryPolicy.noeviction
    package var lfuLogFactor = 10
    package var lfuDecayTime = 1
    package var maxmemorySamples = 5
    /// Later (eviction): only 0 is accepted until then.
    package var maxmemory = 0
    package var lazyfreeLazyEviction = false
    package var lazyfreeLazyExpire = false
    package var lazyfreeLazyServerDel = false
    package var activeDefrag = false
    package var activeDefragIgnoreBytes = 100 << 20
    package var activeDefragThresholdLower = 10
    package var activeDefragThresholdUpper = 100
    package var activeDefragCycleMin = 25
    package var activeDefragCycleMax = 75

    // MARK: persistence (later)
    /// Empty: no RDB save points (Cairn keeps it so until snapshots exist).
    /// Redis's default save points (also without a config file).
    package var savePoints: [SavePoint] = [SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100),
                                          SavePoint(seconds: 60, changes: 10000)]
    package var stopWritesOnBgsaveError = true
    package var rdbCompression = true
    package var rdbChecksum = true
    package var dbfilename = "dump.rdb"
    package var appendonly = false
    package var appendfilename = "appendonly.aof"
    package var appendfsync = AppendFsync.everysec
    package var noAppendfsyncOnRewrite = false
    package var autoAofRewritePercentage = 100
    package var autoAofRewriteMinSize = 64 << 20
    package var aofLoadTruncated = true
    package var aofUseRdbPreamble = false
    package var aofRewriteIncrementalFsync = true

    // MARK: replication (later)
    /// `slaveof <host> <port>`; nil for a primary.
    package var replicaOf: (host: String, port: Int)? = nil
    package var masterauth: String? = nil
    package var replicaServeStaleData = true
    package var replicaReadOnly = true
    package var replDisklessSync = false
    package var replDisklessSyncDelay = 5
    package var replPingReplicaPeriod = 10
    package var replTimeout = 60
    package var replDisableTcpNodelay = false
    package var replBacklogSize = 1 << 20
    package var replBacklogTTL = 3600
    package var replicaPriority = 100
    package var minReplicasToWrite = 0
    package var minReplicasMaxLag = 10
    package var replicaAnnounceIP: String? = nil
    package var replicaAnnouncePort = 0
    package var replicaLazyFlush = false

    // MARK: cluster (later)
    package var clusterEnabled = false
    package var clusterConfigFile = "nodes.conf"
    package var clusterNodeTimeout = 15000
    package var clusterSlaveValidityFactor = 10
    package var clusterMigrationBarrier = 1
    package var clusterRequireFullCoverage = true
    package var clusterSlaveNoFailover = false
    package var clusterAnnounceIP: String? = nil
    package var clusterAnnouncePort = 0
    package var clusterAnnounceBusPort = 0

    // MARK: data structures, scripting, monitoring (tunables)
    package var hashMaxZiplistEntries = 512
    package var hashMaxZiplistValue = 64
    package var listMaxZiplistSize = -2
    package var listCompressDepth = 0
    package var setMaxIntsetEntries = 512
    package var zsetMaxZiplistEntries = 128
    package var zsetMaxZiplistValue = 64
    package var hllSparseMaxBytes = 3000
    package var activeRehashing = true
    package var luaTimeLimit = 5000
    /// Milliseconds from which the latency monitor records a spike; 0 = off.
    package var latencyMonitorThreshold = 0
    /// Later (keyspace notifications): only "" is accepted until then.
    package var notifyKeyspaceEvents = ""
    /// The software watchdog's period in ms (0: off); CONFIG SET only, as in Redis.
    package var watchdogPeriod = 0

    /// The config file the server was started with (absolute; "" when none), for CONFIG REWRITE and INFO.
    package var configFile = ""

    /// Redis 4.0's defaults (without its default save points).
    package init() {}

    /// `client-output-buffer-limit`'s defaults per class.
    package static let defaultOutputBufferLimits: [ClientClass: OutputBufferLimit] = [
        .normal: OutputBufferLimit(hardBytes: 0, softBytes: 0, softSeconds: 0),
        .slave: OutputBufferLimit(hardBytes: 256 << 20, softBytes: 64 << 20, softSeconds: 60),
        .pubsub: OutputBufferLimit(hardBytes: 32 << 20, softBytes: 8 << 20, softSeconds: 60),
    ]

    /// The compact-encoding thresholds the keyspace applies under this configuration.
    package var encodingLimits: EncodingLimits {
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
    package var accessPolicy: AccessPolicy {
        maxmemoryPolicy.isLFU ? .lfu(logFactor: lfuLogFactor, decayMinutes: lfuDecayTime) : .lru
    }

    /// The lazyfree-lazy-* directives as the keyspace applies them.
    package var lazyFreePolicy: LazyFreePolicy {
        var p = LazyFreePolicy()
        p.eviction = lazyfreeLazyEviction
        p.expire = lazyfreeLazyExpire
        p.serverDelete = lazyfreeLazyServerDel
        return p
    }
}
