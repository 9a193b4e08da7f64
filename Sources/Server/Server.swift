// Server: the state that composes the engine with clients, commands and config.
//
// Contract: one Server lives on one event loop thread, which owns the keyspace
// (DESIGN.md). The network layer calls `execute` for each parsed command and
// `cron` at `hz`; nothing here touches sockets directly, so tests drive a Server
// with connection-less clients. `stream` is the change stream (ChangeStream):
// the AOF takes its records, replication its bytes and offset.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOCore
import RESP
import Engine
import ChangeStream
import Replication

public struct ServerStats: Sendable {
    public var connectionsReceived: Int64 = 0
    public var commandsProcessed: Int64 = 0
    public var rejectedConnections: Int64 = 0
    public var netInputBytes: Int64 = 0
    public var netOutputBytes: Int64 = 0
    public var errorReplies: Int64 = 0
    public var evictedKeys: Int64 = 0
}

public final class Server {
    public static let implementedRedisVersion = "4.0.14"
    public static let cairnVersion = "0.1.0"

    public var config: ServerConfig
    public let keyspace: Keyspace
    public let commands = CommandTable.standard
    /// Commands as INFO commandstats lists them: those called at least once.
    public var commandStats: [(name: String, stats: CommandStats)] {
        commands.all.filter { $0.stats.calls > 0 }.map { ($0.name, $0.stats) }.sorted { $0.name < $1.name }
    }
    public var stats = ServerStats()
    public let log: ServerLog
    public var clients: [Int64: Client] = [:]
    public private(set) var nextClientId: Int64 = 1
    public var monitors: [Client] = []
    public var slowlog = Slowlog()
    public var opsSampler = InstantaneousSampler()
    /// The change stream: every write's propagation records, and the replication offset.
    public let stream: ChangeStream
    /// Replication, both roles (Replication/).
    public let replication = ServerReplication()
    public let startTime = wallClockMilliseconds()
    /// The time commands see (derived from the monotonic clock, recalibrated by the cron).
    public var clock = ServerClock()
    public let runId: String
    /// Clients other than replicas and monitors wait until this time (ms); CLIENT PAUSE.
    public var pausedUntil: Int64 = 0
    /// Asked to stop (SHUTDOWN, a signal); the network layer sets this to do the closing.
    public var onShutdown: ((_ save: Bool?) -> Void)? = nil
    /// RDB state and operations (Persistence/).
    /// A constant, not a lazy var: the command path reads it several times per command,
    /// and a constant reference costs no retain/release to read.
    public let persistence: Persistence
    /// Runs work on the keyspace thread after `delayMs` (0: as soon as the loop is free). The
    /// network layer provides it; nil without one (tests), where the cron drives background work.
    public var schedule: ((_ delayMs: Int, _ work: @escaping () -> Void) -> Void)? = nil
    /// The listening port actually bound (differs from config when started with port 0).
    public var boundPort: Int = 0
    /// DEBUG SET-ACTIVE-EXPIRE: when false the cron does not expire keys.
    public var activeExpireEnabled = true
    public var pubsub = PubSubRegistry()
    public var watches = WatchRegistry()
    /// The event classes notify-keyspace-events selects (empty: none).
    public var notificationClasses: NotificationClass = []
    /// The highest heap use seen (INFO used_memory_peak).
    public var peakMemory = 0
    /// Connections whose replies wait for this loop turn's AOF write (AOFPersistence.swift).
    var deferredFlushes: [ClientConnection] = []
    /// Clients blocked in BLPOP/BRPOP/BRPOPLPUSH (Blocking.swift).
    public let blocking = BlockedClients()

    public init(config: ServerConfig, log: ServerLog? = nil) {
        self.config = config
        self.keyspace = Keyspace(databases: config.databases)
        self.stream = ChangeStream(keyspace: keyspace)
        self.log = log ?? ServerLog(level: config.loglevel, path: config.logfile)
        persistence = Persistence(log: self.log)
        var rng = SystemRandomNumberGenerator()
        self.runId = (0..<40).map { _ in String("0123456789abcdef".randomElement(using: &rng)!) }.joined()
        persistence.attach(to: self)
        keyspace.accessPolicy = config.accessPolicy
        keyspace.encodingLimits = config.encodingLimits
        attachKeyspaceEvents()
        persistence.onRDBJobStarting = { [unowned self] ids in self.replicaSnapshotStarting(ids) }
        persistence.onRDBJobFinished = { [unowned self] ids, ok in self.replicaSnapshotFinished(ids, success: ok) }
        persistence.onRDBStreamPump = { [unowned self] in self.pumpDiskless() }
        // The AOF (and its rewrite buffer) take every record; a disabled AOF drops them at once.
        stream.recordConsumers.append { [unowned self] record in self.persistence.feed(record) }
    }

    /// CONFIG RESETSTAT: zeroes the counters INFO stats and commandstats report.
    public func resetStats() {
        stats = ServerStats()
        for command in commands.all { command.stats.reset() }
        keyspace.stats = KeyspaceStats()
        opsSampler = InstantaneousSampler()
    }

    // MARK: clients

    /// Registers a new client; nil (with the error already in its output) if refused.
    public func connect(address: String, localAddress: String, isLocal: Bool,
                        allocator: ByteBufferAllocator = ByteBufferAllocator()) -> (Client, refusal: String?) {
        let client = Client(id: nextClientId, address: address, localAddress: localAddress,
                            authenticated: config.requirepass == nil, allocator: allocator)
        nextClientId += 1
        stats.connectionsReceived += 1
        if clients.count >= config.maxclients {
            stats.rejectedConnections += 1
            return (client, "ERR max number of clients reached")
        }
        if config.protectedMode && config.bind.isEmpty && config.requirepass == nil && !isLocal {
            stats.rejectedConnections += 1
            return (client, Self.protectedModeRefusal)
        }
        clients[client.id] = client
        return (client, nil)
    }

    public func disconnect(_ client: Client) {
        clients[client.id] = nil
        forgetBlocked(client)
        removeSubscriptions(client)
        unwatchAll(client)
        if client.isMonitor { monitors.removeAll { $0 === client } }
        if client.isReplica { forgetReplica(client) }
        if client.isMaster { masterClientGone(client) }
    }

    static let protectedModeRefusal = "DENIED Cairn is running in protected mode: no bind address and no password "
        + "are configured, so only loopback clients are served. To serve this client, either set a password "
        + "(CONFIG SET requirepass, or requirepass in the config file), or bind the interfaces to serve "
        + "(bind in the config file), or turn protected mode off (CONFIG SET protected-mode no, "
        + "or --protected-mode no at start-up), then restart if needed."

    // MARK: the change stream

    /// Hands every pending propagation record to the stream's consumers, in order.
    public func deliverChanges() { stream.deliver() }

    // MARK: periodic work

    /// Runs once per `1000/hz` ms: active expiry, client timeouts and limits, sampling.
    public func cron() {
        clock.recalibrate()
        let now = wallClockMilliseconds()
        keyspace.now = now
        // Redis gives the slow expire cycle 25% of each cron period.
        if activeExpireEnabled && persistence.loading == nil {
            keyspace.activeExpireCycle(budgetMicroseconds: Int64(1_000_000 / max(config.hz, 1) / 4))
        }
        timeOutBlockedClients(now: now)
        deliverChanges()
        persistence.cron()
        if now - replication.lastCronMs >= 1000 { replicationCron(nowMs: now) }
        opsSampler.sample(now: now, commands: stats.commandsProcessed,
                          input: stats.netInputBytes, output: stats.netOutputBytes)
        if config.timeout > 0 {
            for client in clients.values where client.clientClass == .normal && !client.isMonitor && !client.isBlocked {
                if now - client.lastInteraction > Int64(config.timeout) * 1000 {
                    log.verbose("Closing idle client")
                    client.connection?.close(flush: false)
                }
            }
        }
        for client in clients.values where client.softLimitReachedAt != nil {
            _ = checkOutputLimits(client)
        }
    }

    /// Whether bytes in flight to `client` must be counted: only when a limit applies to it.
    public func tracksOutput(of client: Client) -> Bool {
        guard let limit = config.clientOutputBufferLimits[client.isMonitor ? .normal : client.clientClass] else { return false }
        return limit.hardBytes > 0 || limit.softBytes > 0
    }

    /// Closes a client past its output buffer limits; true if it was closed.
    @discardableResult
    public func checkOutputLimits(_ client: Client) -> Bool {
        guard tracksOutput(of: client), let limit = config.clientOutputBufferLimits[client.isMonitor ? .normal : client.clientClass] else { return false }
        let used = client.outputBytes
        var exceeded = limit.hardBytes > 0 && used >= limit.hardBytes
        if limit.softBytes > 0 && used >= limit.softBytes {
            let now = wallClockMilliseconds()
            if let since = client.softLimitReachedAt {
                if now - since > Int64(limit.softSeconds) * 1000 { exceeded = true }
            } else {
                client.softLimitReachedAt = now
            }
        } else {
            client.softLimitReachedAt = nil
        }
        if exceeded {
            log.warning("Client id=\(client.id) addr=\(client.address) closed for overcoming of output buffer limits.")
            client.output.clear()
            client.connection?.close(flush: false)
            disconnect(client)
        }
        return exceeded
    }
}

extension Server {
    /// Frees detached tables off the keyspace thread (FLUSHALL ASYNC, later UNLINK of big values).
    public func lazyFree(_ tables: [KeyTable]) {
        let box = LazyFreeBox(tables)
        lazyFreeQueue.async { box.release() }
    }
}

/// Carries values to the lazy-free thread; the keyspace thread keeps no reference.
final class LazyFreeBox: @unchecked Sendable {
    private var tables: [KeyTable]?
    init(_ tables: [KeyTable]) { self.tables = tables }
    func release() { tables = nil }
}

let lazyFreeQueue = DispatchQueue(label: "cairn.lazyfree")
