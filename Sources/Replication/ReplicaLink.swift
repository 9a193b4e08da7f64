// ReplicaLink: the replica side of PSYNC2 as a pure state machine.
//
// Contract: the server feeds events (ticks, connection outcomes, bytes read,
// the end of a payload load) and carries out the returned actions in order;
// the link itself touches no socket, clock or file. `start` leaves `.none`
// and asks to connect; from then on the link walks Redis 4.0's states
// (connect, connecting, the handshake, transfer, connected) and after any
// failure falls back to `.connect`, reconnecting on a later tick, at most
// once per second (as replicationCron). The handshake is in
// ReplicaLink+Handshake.swift, the payload and the command stream in
// ReplicaLink+Stream.swift.
// Tricky bit: the cached master. When an established link drops (EOF,
// timeout) the link keeps the master's replid and its applied offset, and
// the next handshake asks `PSYNC <replid> <offset+1>`; a `+FULLRESYNC`, a
// master that does not speak PSYNC, or a protocol error in the stream
// discards it (Redis does not cache a master it closed for bad input).
import NIOCore
import RESP

/// The replica's link to its master.
public struct ReplicaLink {
    /// The master and how to talk to it; changes apply from the next connection.
    public var config: ReplicaLinkConfig
    /// Where the link is (Redis's repl_state).
    public internal(set) var state: ReplicaLinkState = .none
    /// The master client's applied offset (Redis's master->reploff): the
    /// stream offset of the last byte of the last command applied.
    public internal(set) var offset: Int64 = 0
    /// The replication ID of the master's history, once known.
    public internal(set) var masterReplid: ReplicationID?
    /// When a byte was last read from the master (or the link was last (re)started).
    public internal(set) var lastIOMs: Int64 = 0

    /// What the next PSYNC asks for: a cached master's replid and reploff + 1,
    /// or "?" and -1.
    var psyncID = "?"
    var psyncOffset: Int64 = -1
    /// The offset `+FULLRESYNC` announced, applied once the payload is loaded.
    var fullSyncOffset: Int64 = -1
    /// False after the SYNC fallback: such a master takes no ACKs.
    var masterSupportsPsync = true
    var replies = LineReader()
    var receiver = TransferReceiver()
    /// True between `.transferComplete` and `.loadFinished`.
    var awaitingLoad = false
    /// The socket dropped while the payload was being loaded.
    var lostDuringLoad = false
    var stream = ByteBuffer()
    var streamParser: RequestParser
    /// Reader index of the first byte of the command being parsed.
    var commandStart = 0
    /// Bytes of empty commands (bare newlines) waiting to be forwarded with the next command.
    var pendingRaw: [UInt8] = []
    /// The commands of a MULTI block read so far (held until its EXEC); nil outside one.
    var transaction: [(argv: [[UInt8]], raw: [UInt8])]? = nil
    var lastConnectAttemptMs: Int64 = Int64.min / 2
    var lastAckMs: Int64 = 0

    /// How often the link reconnects and sends `REPLCONF ACK` (replicationCron's period).
    public static let cronPeriodMs: Int64 = 1000

    public init(config: ReplicaLinkConfig) {
        self.config = config
        var limits = RequestLimits()
        limits.maxBulkLength = config.maxBulkLength
        self.streamParser = RequestParser(limits: limits)
    }

    /// Payload bytes received in the current (or last) transfer (INFO's master_sync_read_bytes).
    public var transferredBytes: Int { receiver.payloadBytes }
    /// The announced payload size; nil before the header and for the EOF-mark framing.
    public var transferSize: Int? { receiver.size }
    /// True while the server is loading the payload.
    public var isLoadingPayload: Bool { awaitingLoad }

    /// The master state kept across a dropped link, used by the next PSYNC:
    /// its replid and the offset applied. Nil while connected, or when there
    /// is nothing to continue from.
    public var cachedMaster: (replid: ReplicationID, offset: Int64)? {
        guard state != .connected, let replid = ReplicationID(psyncID) else { return nil }
        return (replid, psyncOffset - 1)
    }

    /// Becomes a replica: goes to `.connect` and asks to connect at once.
    /// `psyncID`/`psyncOffset` are what the first PSYNC sends: a cached
    /// master's replid and reploff + 1, or "?" and -1. A link already
    /// running is stopped first.
    public mutating func start(psyncID: String, psyncOffset: Int64, nowMs: Int64) -> [ReplicaLinkAction] {
        var actions = state == .none ? [] : stop()
        self.psyncID = psyncID
        self.psyncOffset = psyncOffset
        if let replid = ReplicationID(psyncID) {
            masterReplid = replid
            offset = psyncOffset - 1
        } else {
            masterReplid = nil
        }
        state = .connect
        actions += connectToMaster(nowMs: nowMs)
        return actions
    }

    /// Stops being a replica (SLAVEOF NO ONE): closes any connection, forgets the master.
    public mutating func stop() -> [ReplicaLinkAction] {
        let hadSocket = state != .none && state != .connect
        resetConnection()
        state = .none
        psyncID = "?"
        psyncOffset = -1
        masterReplid = nil
        return hadSocket ? [.close(reason: "replication stopped by the user")] : []
    }

    /// Feeds one event; returns what the server must do, in order.
    public mutating func handle(_ event: ReplicaLinkEvent) -> [ReplicaLinkAction] {
        switch event {
        case .tick(let nowMs):
            return tick(nowMs: nowMs)
        case .connected(let nowMs):
            guard state == .connecting else { return [] }
            lastIOMs = nowMs
            return [.log(.notice, "Non blocking connect for SYNC fired the event.")] + beginHandshake()
        case .connectFailed(let reason):
            guard state == .connecting else { return [] }
            state = .connect
            return [.log(.warning, "Unable to connect to MASTER: \(reason)")]
        case .received(let bytes, let nowMs):
            return received(bytes, nowMs: nowMs)
        case .disconnected(let reason):
            return disconnected(reason)
        case .loadFinished(let success, let nowMs):
            return loadFinished(success: success, nowMs: nowMs)
        }
    }

    // MARK: - Connection lifecycle

    private mutating func tick(nowMs: Int64) -> [ReplicaLinkAction] {
        let silentMs = nowMs - lastIOMs
        switch state {
        case .none:
            return []
        case .connect:
            guard nowMs - lastConnectAttemptMs >= Self.cronPeriodMs else { return [] }
            return connectToMaster(nowMs: nowMs)
        case .connecting, .receivePong, .sendAuth, .receiveAuth, .sendPort, .receivePort, .sendIP,
             .receiveIP, .sendCapa, .receiveCapa, .sendPsync, .receivePsync:
            guard silentMs > config.timeoutMs else { return [] }
            return fail("Timeout connecting to the MASTER...")
        case .transfer:
            guard !awaitingLoad, silentMs > config.timeoutMs else { return [] }
            return fail("Timeout receiving bulk data from MASTER... If the problem persists try to set "
                + "the 'repl-timeout' parameter in redis.conf to a larger value.")
        case .connected:
            if silentMs > config.timeoutMs {
                return dropMaster(log: "MASTER timeout: no data nor PING received...", closeSocket: true)
            }
            guard masterSupportsPsync, nowMs - lastAckMs >= Self.cronPeriodMs else { return [] }
            lastAckMs = nowMs
            return [.send(ReplicationWire.ack(offset: offset))]
        }
    }

    /// From `.connect`: asks for a connection (replicationCron's connectWithMaster).
    private mutating func connectToMaster(nowMs: Int64) -> [ReplicaLinkAction] {
        resetConnection()
        state = .connecting
        lastIOMs = nowMs
        lastConnectAttemptMs = nowMs
        return [
            .log(.notice, "Connecting to MASTER \(config.masterHost):\(config.masterPort)"),
            .connect(host: config.masterHost, port: config.masterPort),
            .log(.notice, "MASTER <-> SLAVE sync started"),
        ]
    }

    private mutating func disconnected(_ reason: String) -> [ReplicaLinkAction] {
        switch state {
        case .none, .connect:
            return []
        case .connected:
            return dropMaster(log: "Connection with master lost.", closeSocket: false)
        case .transfer where awaitingLoad:
            // The load finishes first; then the link is dropped as a connected one would be.
            lostDuringLoad = true
            return []
        case .transfer:
            return fail("I/O error trying to sync with MASTER: \(reason)", closeSocket: false)
        default:
            return fail("Connection with MASTER lost during the replication handshake: \(reason)",
                        closeSocket: false)
        }
    }

    private mutating func loadFinished(success: Bool, nowMs: Int64) -> [ReplicaLinkAction] {
        guard state == .transfer, awaitingLoad else { return [] }
        awaitingLoad = false
        guard success else {
            return fail("Failed trying to load the MASTER synchronization DB from disk", closeSocket: !lostDuringLoad)
        }
        state = .connected
        offset = fullSyncOffset
        lastIOMs = nowMs
        lastAckMs = nowMs
        var actions: [ReplicaLinkAction] = [.log(.notice, "MASTER <-> SLAVE sync: Finished with success")]
        // A master that streamed the payload (diskless) holds the stream until the first ACK:
        // send it at once, as Redis 4.0 does, rather than at the next tick.
        if transferSize == nil && masterSupportsPsync && !lostDuringLoad {
            actions.append(.send(ReplicationWire.ack(offset: offset)))
        }
        actions += consumeStream()
        if lostDuringLoad && state == .connected {
            actions += dropMaster(log: "Connection with master lost.", closeSocket: false)
        }
        return actions
    }

    // MARK: - Failures

    /// Abandons the current attempt: logs why, closes the socket if asked,
    /// goes back to `.connect`. The PSYNC arguments are kept as they are.
    mutating func fail(_ message: String, level: ReplicationLogLevel = .warning,
                       closeSocket: Bool = true) -> [ReplicaLinkAction] {
        resetConnection()
        state = .connect
        var actions: [ReplicaLinkAction] = [.log(level, message)]
        if closeSocket { actions.append(.close(reason: message)) }
        return actions
    }

    /// Drops an established link, caching the master so the next handshake
    /// can continue from the applied offset (Redis's replicationCacheMaster).
    mutating func dropMaster(log message: String, closeSocket: Bool) -> [ReplicaLinkAction] {
        if let masterReplid {
            psyncID = masterReplid.text
            psyncOffset = offset + 1
        }
        return fail(message, closeSocket: closeSocket)
            + [.log(.notice, "Caching the disconnected master state.")]
    }

    /// Forgets the cached master: the next PSYNC asks for a full resync.
    mutating func discardCachedMaster() {
        psyncID = "?"
        psyncOffset = -1
    }

    /// Clears everything that belongs to one connection.
    private mutating func resetConnection() {
        replies = LineReader()
        receiver = TransferReceiver()
        awaitingLoad = false
        lostDuringLoad = false
        stream.clear()
        streamParser = RequestParser(limits: streamParser.limits)
        streamParser.limits.maxBulkLength = config.maxBulkLength
        commandStart = stream.readerIndex
        pendingRaw = []
        transaction = nil
    }
}
