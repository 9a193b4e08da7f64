// ReplicaLinkTypes: the vocabulary of the replica side of replication:
// its states, its configuration, the events the server feeds it and the
// actions it asks the server to carry out.
//
// Contract: the states read like Redis 4.0's REPL_STATE_* list, so logs and
// INFO read the same. The send states exist for that reading only: sending
// is an action, so the machine passes through them within one event and is
// never observed resting in one. Every action is carried out by the server
// in the order given.

/// The replica link's state (Redis 4.0's REPL_STATE_*).
public enum ReplicaLinkState: Equatable, Sendable {
    /// Not a replica.
    case none
    /// Must connect to the master (at the next once-per-second tick).
    case connect
    /// The connection is being made.
    case connecting
    case receivePong
    case sendAuth, receiveAuth
    case sendPort, receivePort
    case sendIP, receiveIP
    case sendCapa, receiveCapa
    case sendPsync, receivePsync
    /// Receiving the full-sync payload, then waiting for it to be loaded.
    case transfer
    /// Streaming commands from the master.
    case connected

    /// True for the states between the connection and the PSYNC reply
    /// (Redis's slaveIsInHandshakeState).
    public var isHandshake: Bool {
        switch self {
        case .receivePong, .sendAuth, .receiveAuth, .sendPort, .receivePort, .sendIP, .receiveIP,
             .sendCapa, .receiveCapa, .sendPsync, .receivePsync:
            return true
        case .none, .connect, .connecting, .transfer, .connected:
            return false
        }
    }
}

/// What a replica needs to know to follow its master.
public struct ReplicaLinkConfig: Sendable {
    public var masterHost: String
    public var masterPort: Int
    /// `masterauth`: sent with AUTH during the handshake when set.
    public var masterAuth: String?
    /// This node's port, announced with `REPLCONF listening-port`
    /// (`slave-announce-port` if set, else `port`).
    public var listeningPort: Int
    /// `slave-announce-ip`: announced with `REPLCONF ip-address` when set.
    public var announceIP: String?
    /// `repl-timeout` in milliseconds: how long the master may stay silent.
    public var timeoutMs: Int64
    /// `proto-max-bulk-len`: the largest argument accepted in the command stream.
    public var maxBulkLength: Int

    public init(masterHost: String, masterPort: Int, masterAuth: String? = nil, listeningPort: Int,
                announceIP: String? = nil, timeoutMs: Int64 = 60_000, maxBulkLength: Int = 512 * 1024 * 1024) {
        self.masterHost = masterHost
        self.masterPort = masterPort
        self.masterAuth = masterAuth
        self.listeningPort = listeningPort
        self.announceIP = announceIP
        self.timeoutMs = timeoutMs
        self.maxBulkLength = maxBulkLength
    }
}

/// What the server tells the link.
public enum ReplicaLinkEvent: Equatable, Sendable {
    /// The clock moved (the server ticks at least once per second).
    case tick(nowMs: Int64)
    /// The connection asked for by `.connect` is up.
    case connected(nowMs: Int64)
    /// The connection asked for by `.connect` could not be made.
    case connectFailed(String)
    /// Bytes read from the master.
    case received([UInt8], nowMs: Int64)
    /// The master's connection was lost (read error, EOF); the socket is gone.
    case disconnected(String)
    /// The server finished loading the payload handed over by `.transferComplete`.
    case loadFinished(success: Bool, nowMs: Int64)
}

/// How loud a log line is (Redis's LL_VERBOSE, LL_NOTICE, LL_WARNING).
public enum ReplicationLogLevel: Equatable, Sendable {
    case verbose, notice, warning
}

/// What the link asks the server to do.
public enum ReplicaLinkAction: Equatable, Sendable {
    /// Open a connection to the master; answer with `.connected` or `.connectFailed`.
    case connect(host: String, port: Int)
    /// Write bytes to the master.
    case send([UInt8])
    /// Close the master's socket. The link is already back in `.connect` and
    /// asks to reconnect on a later tick (at most once per second).
    case close(reason: String)
    /// Write a line to the log, in Redis 4.0's words.
    case log(ReplicationLogLevel, String)
    /// `+FULLRESYNC` arrived: discard any cached master state, disconnect
    /// sub-replicas, free the backlog, prepare to receive a payload. `replid`
    /// is `.none` and `offset` -1 after the SYNC fallback (a master that
    /// does not speak PSYNC).
    case fullResync(replid: ReplicationID, offset: Int64)
    /// The payload begins; `size` is nil for the EOF-mark (diskless) framing.
    case transferStarted(size: Int?)
    /// Payload bytes, in order.
    case transferChunk([UInt8])
    /// The payload is whole: flush the old data, load it, then send `.loadFinished`.
    case transferComplete
    /// `+CONTINUE [id]`: keep the data. When `newReplid` is set the master's
    /// history changed: shift this node's history (replid2 = old replid,
    /// secondReplidOffset = offset + 1, replid = new) and disconnect sub-replicas.
    case partialResync(newReplid: ReplicationID?)
    /// One command of the master's stream, and its exact bytes to forward to
    /// sub-replicas and the backlog. `offset` already includes `raw.count`.
    case apply(argv: [[UInt8]], raw: [UInt8])
}
