// Client: the state of one connection, owned by the keyspace thread.
//
// Commands write replies into `output`; the network layer flushes it after each
// batch of input. A connection-less client (tests, the AOF loader later) simply
// never flushes. `connection` lets the server reach a client outside its own
// commands: to feed a MONITOR, to kill it, or to flush replies that were
// produced for it by another client's command.
import NIOCore
import RESP
import Engine

public protocol ClientConnection: AnyObject {
    /// Sends whatever the client's output buffer holds.
    func flushOutput()
    /// Closes the connection (after flushing pending replies when `flush`).
    func close(flush: Bool)
    /// The client was unblocked (served or timed out): send its reply and go on
    /// with the commands it pipelined behind the blocking one.
    func resumeAfterUnblock()
    /// Sends the output once the current loop turn is over (a replica fed by many
    /// clients' writes gets one write per turn, not one per command).
    func flushSoon()
}

extension ClientConnection {
    public func flushSoon() { flushOutput() }
}

public enum ReplyMode: Sendable {
    case on, off, skipNext, skipThis
}

public final class Client {
    public let id: Int64
    public var db = 0
    public var name: Bytes? = nil
    public var output: ByteBuffer
    public var authenticated: Bool
    public var replyMode = ReplyMode.on
    /// Set by QUIT and protocol errors: close once the pending replies are written.
    public var closeAfterReply = false
    public var isMonitor = false
    /// The server's own client that replays an AOF at load: served while the server is loading.
    public var replaysLog = false
    public let createdAt: Int64
    public var lastInteraction: Int64
    public var lastCommand = "NULL"
    public var address: String
    public var localAddress: String
    public var fd: Int32 = -1
    /// Unparsed input held for this client, for CLIENT LIST's qbuf and the query buffer limit.
    public var queryBufferBytes = 0
    /// Bytes handed to the network and not yet written to the socket.
    public var pendingOutputBytes = 0
    /// When the output first went over the soft limit (ms), or nil.
    public var softLimitReachedAt: Int64? = nil
    public var clientClass = ClientClass.normal
    /// The open MULTI block; nil outside one.
    public var transaction: Transaction? = nil
    /// Keys this client WATCHes, as (db, key).
    public var watchedKeys: [(db: Int, key: Bytes)] = []
    /// Set when a watched key changed: the next EXEC fails.
    public var watchBroken = false
    /// True while EXEC runs the queued commands (Redis keeps CLIENT_MULTI set until EXEC ends).
    public var execInProgress = false
    /// Inside MULTI or its EXEC: blocking pops answer at once instead of blocking.
    public var inMulti: Bool { transaction != nil || execInProgress }
    /// Channels and patterns this client listens to; nil when not in pub/sub mode.
    public var subscriptions: ClientSubscriptions? = nil
    public weak var connection: ClientConnection?
    /// What the client waits for while blocked (a list pop, WAIT; see Blocking.swift).
    public var blocked: BlockReason? = nil
    public var isBlocked: Bool { blocked != nil }
    /// The pop a client blocked in BLPOP/BRPOP/BRPOPLPUSH waits for.
    public var blockedPop: BlockedPop? {
        get { if case .pop(let pop) = blocked { return pop } else { return nil } }
        set { blocked = newValue.map { .pop($0) } }
    }
    /// The replication offset after this client's last command (Redis's woff): what WAIT waits for.
    public var replicationOffset: Int64 = 0
    /// A replica of this server (after SYNC/PSYNC); its state is in `replicaPeer`.
    public var isReplica = false
    /// What a (future) replica told with REPLCONF, and its replication state once attached.
    var replicaPeer: ReplicaPeer? = nil
    /// The client that applies this replica's master stream: no replies, no refusals.
    public var isMaster = false

    public init(id: Int64, address: String = "", localAddress: String = "", authenticated: Bool = true,
                allocator: ByteBufferAllocator = ByteBufferAllocator(), now: Int64 = wallClockMilliseconds()) {
        self.id = id
        self.address = address
        self.localAddress = localAddress
        self.authenticated = authenticated
        self.output = allocator.buffer(capacity: 256)
        self.createdAt = now
        self.lastInteraction = now
    }

    /// Output bytes not yet accepted by the socket, including what is still being built.
    public var outputBytes: Int { pendingOutputBytes + output.readableBytes }

    /// The flags field of CLIENT LIST.
    public var flagsText: String {
        var f = ""
        if isReplica { f += "S" }
        if isMaster { f += "M" }
        if isMonitor { f += "O" }
        if isBlocked { f += "b" }
        if closeAfterReply { f += "c" }
        return f.isEmpty ? "N" : f
    }
}
