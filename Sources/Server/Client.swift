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

package protocol ClientConnection: AnyObject {
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
    /// Turns Nagle's algorithm off (true) or on (false) for this connection.
    func setNoDelay(_ enabled: Bool)
}

extension ClientConnection {
    package func flushSoon() { flushOutput() }
    package func setNoDelay(_ enabled: Bool) {}
}

package enum ReplyMode: Sendable {
    case on, off, skipNext, skipThis
}

package final class Client {
    package let id: Int64
    package var db = 0
    package var name: Bytes? = nil
    package var output: ByteBuffer
    package var authenticated: Bool
    package var replyMode = ReplyMode.on
    /// Set by QUIT and protocol errors: close once the pending replies are written.
    package var closeAfterReply = false
    package var isMonitor = false
    /// The server's own client that replays an AOF at load: served while the server is loading.
    package var replaysLog = false
    package let createdAt: Int64
    package var lastInteraction: Int64
    package var lastCommand = "NULL"
    /// The command this client's last name found, for the next command spelled the same
    /// (a pipeline repeats one): the name's own copy, and the table generation it holds for.
    var lookedUpName: Bytes = []
    var lookedUpCommand: Command? = nil
    var lookedUpGeneration = -1
    package var address: String
    package var localAddress: String
    package var fd: Int32 = -1
    /// Unparsed input held for this client, for CLIENT LIST's qbuf and the query buffer limit.
    package var queryBufferBytes = 0
    /// Room the query buffer holds beyond its unread bytes (CLIENT LIST's qbuf-free).
    package var queryBufferFree = 0
    /// Bytes handed to the network and not yet written to the socket.
    package var pendingOutputBytes = 0
    /// When the output first went over the soft limit (ms), or nil.
    package var softLimitReachedAt: Int64? = nil
    package var clientClass = ClientClass.normal
    /// The open MULTI block; nil outside one.
    package var transaction: Transaction? = nil
    /// Keys this client WATCHes, as (db, key).
    package var watchedKeys: [(db: Int, key: Bytes)] = []
    /// Set when a watched key changed: the next EXEC fails.
    package var watchBroken = false
    /// True while EXEC runs the queued commands (Redis keeps CLIENT_MULTI set until EXEC ends).
    package var execInProgress = false
    /// Inside MULTI or its EXEC: blocking pops answer at once instead of blocking.
    package var inMulti: Bool { transaction != nil || execInProgress }
    /// Channels and patterns this client listens to; nil when not in pub/sub mode.
    package var subscriptions: ClientSubscriptions? = nil
    package weak var connection: ClientConnection?
    /// What the client waits for while blocked (a list pop, WAIT; see Blocking.swift).
    package var blocked: BlockReason? = nil
    package var isBlocked: Bool { blocked != nil }
    /// The pop a client blocked in BLPOP/BRPOP/BRPOPLPUSH waits for.
    package var blockedPop: BlockedPop? {
        get { if case .pop(let pop) = blocked { return pop } else { return nil } }
        set { blocked = newValue.map { .pop($0) } }
    }
    /// The replication offset after this client's last command (Redis's woff): what WAIT waits for.
    package var replicationOffset: Int64 = 0
    /// A replica of this server (after SYNC/PSYNC); its state is in `replicaPeer`.
    package var isReplica = false
    /// What a (future) replica told with REPLCONF, and its replication state once attached.
    var replicaPeer: ReplicaPeer? = nil
    /// The client that applies this replica's master stream: no replies, no refusals.
    package var isMaster = false
    /// Its EVAL went past lua-time-limit and has not ended: its further input waits.
    package var runsSuspendedScript = false

    package init(id: Int64, address: String = "", localAddress: String = "", authenticated: Bool = true,
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
    package var outputBytes: Int { pendingOutputBytes + output.readableBytes }

    /// The flags field of CLIENT LIST.
    package var flagsText: String {
        var f = ""
        if isReplica { f += "S" }
        if isMaster { f += "M" }
        if isMonitor { f += "O" }
        if transaction != nil { f += "x" }
        if isBlocked { f += "b" }
        if watchBroken { f += "d" }
        if closeAfterReply { f += "c" }
        return f.isEmpty ? "N" : f
    }
}
