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
import Modules

package struct ServerStats: Sendable {
    package var connectionsReceived: Int64 = 0
    package var commandsProcessed: Int64 = 0
    package var rejectedConnections: Int64 = 0
    package var netInputBytes: Int64 = 0
    package var netOutputBytes: Int64 = 0
    package var errorReplies: Int64 = 0
    package var evictedKeys: Int64 = 0
}

package final class Server {
    package static let implementedRedisVersion = "4.0.14"
    package static let cairnVersion = "0.1.0"

    package var config: ServerConfig
    package let keyspace: Keyspace
    /// The command table; modules add and remove commands at run time.
    package var commands: CommandTable
    /// Commands as INFO commandstats lists them: those called at least once.
    package var commandStats: [(name: String, stats: CommandStats)] {
        commands.all.filter { $0.stats.calls > 0 }.map { ($0.name, $0.stats) }.sorted { $0.name < $1.name }
    }
    package var stats = ServerStats()
    package let log: ServerLog
    package var clients: [Int64: Client] = [:]
    package private(set) var nextClientId: Int64 = 1
    package var monitors: [Client] = []
    package var slowlog = Slowlog()
    /// The latency monitor (LatencyMonitor.swift); its threshold follows latency-monitor-threshold.
    package let latency = LatencyMonitor()
    package var opsSampler = InstantaneousSampler()
    /// The change stream: every write's propagation records, and the replication offset.
    package let stream: ChangeStream
    /// Replication, both roles (Replication/).
    package let replication = ServerReplication()
    package let startTime = wallClockMilliseconds()
    /// The time commands see (derived from the monotonic clock, recalibrated by the cron).
    package var clock = ServerClock()
    package let runId: String
    /// Clients other than replicas and monitors wait until this time (ms); CLIENT PAUSE.
    package var pausedUntil: Int64 = 0
    /// Asked to stop (SHUTDOWN, a signal); the network layer sets this to do the closing.
    package var onShutdown: ((_ save: Bool?) -> Void)? = nil
    /// The software watchdog while watchdog-period is set (Watchdog.swift).
    var watchdog: Watchdog? = nil
    /// The pid file this process wrote (absolute), removed at a clean shutdown.
    package var pidFilePath: String? = nil
    /// RDB state and operations (Persistence/).
    /// A constant, not a lazy var: the command path reads it several times per command,
    /// and a constant reference costs no retain/release to read.
    package let persistence: Persistence
    /// Runs work on the keyspace thread after `delayMs` (0: as soon as the loop is free). The
    /// network layer provides it; nil without one (tests), where the cron drives background work.
    package var schedule: ((_ delayMs: Int, _ work: @escaping () -> Void) -> Void)? = nil
    /// Runs work once on the keyspace thread when the commands read in this loop turn are
    /// done, before the loop polls again (no timer: for one-shot work only, never a loop).
    package var atEndOfTurn: ((_ work: @escaping () -> Void) -> Void)? = nil
    /// The listening port actually bound (differs from config when started with port 0).
    package var boundPort: Int = 0
    /// DEBUG SET-ACTIVE-EXPIRE: when false the cron does not expire keys.
    package var activeExpireEnabled = true
    package var pubsub = PubSubRegistry()
    package var watches = WatchRegistry()
    /// The event classes notify-keyspace-events selects (empty: none).
    package var notificationClasses: NotificationClass = []
    /// The allocator's figures: used_memory, its peak, the start-up figure (MemoryAccounting.swift).
    package let memory = MemoryMeter()
    /// Connections whose replies wait for the end of this loop turn (ReplyFlush.swift).
    var deferredFlushes: [ClientConnection] = []
    /// The task that flushes them, made on first use (ReplyFlush.swift).
    var flushDeferredTask: (@Sendable () -> Void)?
    /// Clients blocked in BLPOP/BRPOP/BRPOPLPUSH (Blocking.swift).
    package let blocking = BlockedClients()
    /// MIGRATE's open connections to targets (MigrateConnectionCache.swift).
    package let migrateLinks = MigrateConnectionCache<MigrateSocket>()
    /// The background thread that frees big values and flushed tables (LazyFree.swift).
    package let lazyFree = LazyFreeThread.shared
    /// Active defragmentation's pass and counters (ActiveDefrag.swift).
    package let defrag = ActiveDefrag()
    /// Loaded modules (MODULE LOAD, loadmodule; Modules/ServerModuleHost.swift).
    package lazy var modules = ModuleRegistry(host: self)
    /// The event classes modules subscribed to (empty: notifications skip the modules at once).
    package var moduleEventTypes: NotificationClass = []
    /// Idle clients RedisModule_Call runs commands as (ServerModuleHost.swift).
    var moduleCallClients: [Client] = []
    /// Lua scripting (Scripting/): the interpreter is made on first use.
    package lazy var scripting = ServerScripting(server: self)
    /// The script that went past lua-time-limit and waits between slices (ScriptBusy.swift).
    /// Kept here, not in `scripting`: every command checks it, and should not touch the lazy property.
    package var suspendedScript: SuspendedScript? = nil

    package init(config: ServerConfig, log: ServerLog? = nil) {
        self.config = config
        self.commands = CommandTable.standard(renaming: config.commandRenames)
        self.keyspace = Keyspace(databases: config.databases)
        self.stream = ChangeStream(keyspace: keyspace)
        self.log = log ?? ServerLog(level: config.loglevel, path: config.logfile)
        persistence = Persistence(log: self.log)
        var rng = SystemRandomNumberGenerator()
        self.runId = (0..<40).map { _ in String("0123456789abcdef".randomElement(using: &rng)!) }.joined()
        latency.threshold = config.latencyMonitorThreshold
        persistence.attach(to: self)
        keyspace.accessPolicy = config.accessPolicy
        keyspace.encodingLimits = config.encodingLimits
        keyspace.lazyFreePolicy = config.lazyFreePolicy
        attachKeyspaceEvents()
        persistence.onRDBJobStarting = { [unowned self] ids in self.replicaSnapshotStarting(ids) }
        persistence.onRDBJobFinished = { [unowned self] ids, ok in self.replicaSnapshotFinished(ids, success: ok) }
        persistence.onRDBStreamPump = { [unowned self] in self.pumpDiskless() }
        // The AOF (and its rewrite buffer) take every record; a disabled AOF drops them at once,
        // and says it does not listen (ChangeStream.isHeard).
        stream.addRecordConsumer(listens: { [unowned self] in self.persistence.takesRecords }) { [unowned self] record in
            self.persistence.feed(record)
        }
    }

    /// CONFIG RESETSTAT: zeroes the counters INFO stats and commandstats report.
    package func resetStats() {
        stats = ServerStats()
        for command in commands.all { command.stats.reset() }
        keyspace.stats = KeyspaceStats()
        defrag.resetStats()
        opsSampler = InstantaneousSampler()
    }

    // MARK: clients

    /// Registers a new client; nil (with the error already in its output) if refused.
    package func connect(address: String, localAddress: String, isLocal: Bool,
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

    package func disconnect(_ client: Client) {
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
    /// Also hands what the command freed lazily to the free thread (LazyFree.swift).
    package func deliverChanges() {
        // A script paused past lua-time-limit delivers its records only once it ends.
        guard !scriptIsBusy else { return }
        stream.deliver()
        if !keyspace.lazyFreeOutbox.isEmpty { handOffLazyFree() }
    }

    // MARK: periodic work

    /// Runs once per `1000/hz` ms: active expiry, client timeouts and limits, sampling.
    package func cron() {
        watchdog?.beat()
        // Nothing touches the keyspace while a script is paused past lua-time-limit (ScriptBusy.swift).
        if scriptIsBusy { return }
        clock.recalibrate()
        let now = wallClockMilliseconds()
        keyspace.now = now
        memory.refresh()  // other threads' allocations reach the per-command estimate at least this often
        // Redis gives the slow expire cycle 25% of each cron period.
        if activeExpireEnabled && persistence.loading == nil {
            let started = latency.start()
            keyspace.activeExpireCycle(budgetMicroseconds: Int64(1_000_000 / max(config.hz, 1) / 4))
            latency.record("expire-cycle", since: started)
        }
        if config.activeDefrag && persistence.loading == nil {
            defrag.cycle(keyspace, DefragSettings(config), nowMs: now) { [log] in log.verbose($0) }
        } else if defrag.running > 0 {
            defrag.stop()
        }
        timeOutBlockedClients(now: now)
        deliverChanges()
        persistence.cron()
        if now - replication.lastCronMs >= 1000 { replicationCron(nowMs: now) }
        migrateLinks.closeIdle(now: now / 1000)
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
    package func tracksOutput(of client: Client) -> Bool {
        guard let limit = config.clientOutputBufferLimits[client.isMonitor ? .normal : client.clientClass] else { return false }
        return limit.hardBytes > 0 || limit.softBytes > 0
    }

    /// Closes a client past its output buffer limits; true if it was closed.
    @discardableResult
    package func checkOutputLimits(_ client: Client) -> Bool {
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
