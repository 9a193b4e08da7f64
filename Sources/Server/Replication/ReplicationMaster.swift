// ReplicationMaster: the master side: replicas asking to SYNC or PSYNC, the
// backlog and the stream fed to them, full syncs through the RDB job, and
// the once-a-second duties (PINGs, keepalives, timeouts, the backlog's TTL).
//
// Contract: a replica is a Client with a ReplicaPeer. PSYNC decides through
// the history (ReplicationHistory.decidePsync); a partial resync is answered
// at once with +CONTINUE and the backlog from the requested offset. A full
// sync asks the SnapshotScheduler for an RDB job: when the job starts (at a
// command boundary) the replica gets +FULLRESYNC with the stream offset of
// that moment, and from then on the stream's bytes are held for it; when the
// file is written it is sent as `$<size>\r\n<bytes>`, then what was held, and
// the replica is online: every later byte of the stream is written to it.
// Tricky bits: the file is opened when the job ends, so a later BGSAVE that
// renames a new dump.rdb over it does not change what this replica gets; and
// the PINGs of repl-ping-slave-period are stream bytes (they move the offset)
// that go to the backlog and replicas but never to the AOF.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Engine
import ChangeStream
import Replication

/// A replica attached to this node, as the master sees it.
final class ReplicaPeer {
    enum State: Equatable {
        case waitBgsaveStart, waitBgsaveEnd, sendBulk, online

        /// The state word of INFO's slaveN lines.
        var infoName: String {
            switch self {
            case .waitBgsaveStart, .waitBgsaveEnd: return "wait_bgsave"
            case .sendBulk: return "send_bulk"
            case .online: return "online"
            }
        }
    }

    unowned let client: Client
    var state = State.waitBgsaveStart
    /// REPLCONF listening-port and ip-address.
    var listeningPort = 0
    var announcedIP: String? = nil
    /// REPLCONF capa eof / psync2.
    var capaEOF = false
    var capaPsync2 = false
    /// Came with SYNC, not PSYNC: gets no +FULLRESYNC line and sends no ACKs.
    var prePsync = false
    /// The last REPLCONF ACK: offset and wall time (ms).
    var ackOffset: Int64 = 0
    var ackTimeMs: Int64 = 0
    /// The stream offset its full sync starts from (+FULLRESYNC's offset).
    var initialOffset: Int64 = -1
    /// Stream bytes held while its RDB is made and sent (and then while they go out).
    var held = HeldStream()
    /// The RDB file being sent.
    var fileSender: RDBFileSender? = nil
    /// Its full sync streams the RDB to the socket (diskless), framed by `eofMark`.
    var diskless = false
    var eofMark: [UInt8] = []
    /// After a diskless transfer: online, but the stream waits for its first ACK (it is
    /// loading until then), as Redis's repl_put_online_on_ack.
    var onlineOnAck = false
    /// It has sent a REPLCONF ACK since its full sync began.
    var acked = false
    /// When it started waiting for a full sync (the diskless delay counts from it).
    var waitingSinceMs: Int64 = 0

    init(client: Client) { self.client = client }

    /// The replica's name in log lines, as Redis's replicationGetSlaveName: ip:port.
    var name: String {
        let ip = announcedIP ?? String(client.address.split(separator: ":").dropLast().joined(separator: ":"))
        return listeningPort != 0 ? "\(ip):\(listeningPort)" : "client id #\(client.id)"
    }

    /// The IP INFO shows.
    var ip: String { announcedIP ?? String(client.address.split(separator: ":").dropLast().joined(separator: ":")) }
}

/// Sends an RDB file to one replica in chunks, as the socket drains.
final class RDBFileSender {
    private let fd: Int32
    let size: Int
    private(set) var sent = 0
    /// Bytes handed to the socket and not yet written, at most, before the next chunk.
    static let inFlightLimit = 4 << 20
    static let chunk = 256 << 10

    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); return nil }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    var done: Bool { sent >= size }

    /// Moves up to the in-flight limit of the file into `output`; false on a read error.
    func pump(into client: Client) -> Bool {
        while !done && client.outputBytes < Self.inFlightLimit {
            let want = min(Self.chunk, size - sent)
            var got = 0
            let offset = off_t(sent)
            client.output.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { buffer in
                got = pread(fd, buffer.baseAddress, want, offset)
                return max(got, 0)
            }
            guard got > 0 else { return false }
            sent += got
        }
        return true
    }
}

extension Server {
    // MARK: SYNC and PSYNC

    /// SYNC, or PSYNC <replid> <offset>: the start of a replica's life on this node.
    func replicaSync(_ call: Call, psync: Bool) {
        let client = call.client
        let r = replication
        if client.replicaPeer?.state != nil && r.replicas.contains(where: { $0.client === client }) { return }
        if r.isReplica && r.link?.state != .connected {
            client.output.writeStaticString("-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
            return
        }
        let peer = client.replicaPeer ?? ReplicaPeer(client: client)
        client.replicaPeer = peer
        log.notice("Slave \(peer.name) asks for synchronization")
        if psync {
            let requestedID = call.argv[1].text
            let requestedOffset = call.argv[2].parseInt64() ?? -1
            let decision = r.history.decidePsync(requestedID: requestedID, requestedOffset: requestedOffset,
                                                 masterOffset: stream.offset, replicaName: peer.name)
            switch decision {
            case .partial(let from, let count):
                attach(peer, as: .online)
                peer.ackTimeMs = replication.clock()
                client.output.writeBytes(r.history.continueReply(replicaSupportsPsync2: peer.capaPsync2))
                if count > 0, let backlog = r.history.backlog?.bytes(from: from) { client.output.writeBytes(backlog) }
                r.stats.syncPartialOK += 1
                log.notice("Partial resynchronization request from \(peer.name) accepted. Sending \(count) bytes of backlog starting from offset \(from).")
                return
            case .full(let reason):
                log.notice(reason)
                if !requestedID.hasPrefix("?") { r.stats.syncPartialErr += 1 }
            }
        } else {
            peer.prePsync = true
        }
        r.stats.syncFull += 1
        attach(peer, as: .waitBgsaveStart)
        peer.waitingSinceMs = replication.clock()
        peer.diskless = config.replDisklessSync && peer.capaEOF
        if r.replicas.count == 1 && r.history.backlog == nil {
            // A new backlog starts a new history: no replica may continue an older one with it.
            r.history.changeReplicationID()
            r.history.clearSecondaryID()
            createBacklog()
        }
        if peer.diskless {
            _ = persistence.scheduler.requestFullSync(replica: client.id, diskless: true)
            if config.replDisklessSyncDelay > 0 {
                log.notice("Delay next BGSAVE for diskless SYNC")
            } else if !persistence.scheduler.startDiskless() {
                log.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
            }
            return
        }
        switch persistence.scheduler.requestFullSync(replica: client.id) {
        case .startsJob:
            break  // starts after this command; replicaSnapshotStarting sends +FULLRESYNC
        case .joins(let other):
            guard let leader = r.replicas.first(where: { $0.client.id == other }) else { break }
            peer.held = leader.held
            beginFullResync(peer, offset: leader.initialOffset)
            log.notice("Waiting for end of BGSAVE for SYNC")
        case .waits:
            if persistence.aofRewriteInProgress {
                log.notice("No BGSAVE in progress, but an AOF rewrite is active. BGSAVE for replication delayed")
            } else {
                log.notice("Can't attach the slave to the current BGSAVE. Waiting for next BGSAVE for SYNC")
            }
        }
    }

    private func attach(_ peer: ReplicaPeer, as state: ReplicaPeer.State) {
        peer.state = state
        peer.client.clientClass = .slave
        peer.client.isReplica = true
        if !replication.replicas.contains(where: { $0 === peer }) { replication.replicas.append(peer) }
    }

    /// Creates the backlog and starts feeding it (and the replicas) from the change stream.
    func createBacklog() {
        replication.history.createBacklog(capacity: config.replBacklogSize, masterOffset: stream.offset)
        // The backlog's time to live without replicas counts from now (replication's clock).
        if replication.replicas.isEmpty { replication.noReplicasSince = replication.clock() / 1000 }
        stream.byteConsumer = { [unowned self] bytes in self.feedReplicas(bytes) }
    }

    /// Frees the backlog: the offset stands still until a replica attaches again.
    func freeBacklog() {
        replication.history.freeBacklog()
        stream.byteConsumer = nil
    }

    /// The change stream's bytes: into the backlog, then to every replica as its state allows.
    func feedReplicas(_ bytes: UnsafeRawBufferPointer) {
        replication.history.feed(bytes)
        for peer in replication.replicas {
            switch peer.state {
            case .waitBgsaveStart:
                continue
            case .online where !peer.onlineOnAck:
                peer.client.output.writeBytes(bytes)
                peer.client.connection?.flushSoon()
            case .waitBgsaveEnd, .sendBulk, .online:
                peer.held.append(bytes)
                if exceedsReplicaLimits(peer) { dropReplica(peer) }
            }
        }
    }

    /// The replica's output (held stream included) is past its client-output-buffer-limit.
    private func exceedsReplicaLimits(_ peer: ReplicaPeer) -> Bool {
        guard let limit = config.clientOutputBufferLimits[.slave], limit.hardBytes > 0 else { return false }
        return peer.held.count + peer.client.outputBytes >= limit.hardBytes
    }

    private func dropReplica(_ peer: ReplicaPeer) {
        log.warning("Client id=\(peer.client.id) addr=\(peer.client.address) scheduled to be closed ASAP for overcoming of output buffer limits.")
        peer.client.connection?.close(flush: false)
        disconnect(peer.client)
    }

    /// +FULLRESYNC to a replica whose RDB starts at `offset`; it now collects the stream.
    private func beginFullResync(_ peer: ReplicaPeer, offset: Int64) {
        peer.initialOffset = offset
        peer.state = .waitBgsaveEnd
        if !peer.prePsync {
            peer.client.output.writeBytes(replication.history.fullResyncReply(masterOffset: offset))
            peer.client.connection?.flushOutput()
        }
    }

    // MARK: the RDB job's start and end

    /// An RDB job for `ids` begins now, at a command boundary: they learn its offset.
    func replicaSnapshotStarting(_ ids: [Int64]) {
        let peers = replication.replicas.filter { ids.contains($0.client.id) && $0.state == .waitBgsaveStart }
        let diskless = peers.first?.diskless ?? false
        log.notice("Starting BGSAVE for SYNC with target: \(diskless ? "slaves sockets" : "disk")")
        // Like Redis's slaveseldb = -1: the stream after the snapshot starts with a SELECT.
        stream.forgetSelectedDB()
        for peer in peers {
            beginFullResync(peer, offset: stream.offset)
            guard diskless else { continue }
            // The payload's size is unknown: it is framed by a random mark (capa eof).
            peer.eofMark = Array(ReplicationID.random().text.utf8)
            peer.state = .sendBulk
            peer.client.output.writeBytes(Array("$EOF:".utf8) + peer.eofMark + [13, 10])
            peer.client.connection?.flushOutput()
        }
    }

    /// The RDB job for `ids` ended: send them the file (or the rest of the stream), or drop
    /// them if it failed.
    func replicaSnapshotFinished(_ ids: [Int64], success: Bool) {
        for peer in replication.replicas where ids.contains(peer.client.id) && peer.diskless && peer.state == .sendBulk {
            if !success {
                log.warning("SYNC failed. BGSAVE child returned an error")
                peer.client.connection?.close(flush: false)
                disconnect(peer.client)
            }
        }
        if success && persistence.rdbStream != nil { pumpDiskless() }
        for peer in replication.replicas where ids.contains(peer.client.id) && peer.state == .waitBgsaveEnd {
            guard success, let sender = RDBFileSender(path: persistence.dumpPath) else {
                log.warning("SYNC failed. BGSAVE child returned an error")
                peer.client.connection?.close(flush: false)
                disconnect(peer.client)
                continue
            }
            peer.fileSender = sender
            peer.state = .sendBulk
            peer.client.output.writeString("$\(sender.size)\r\n")
            pumpFile(to: peer)
        }
    }

    /// Sends the next part of the file; once it is all out, the held stream follows and the
    /// replica is online.
    func pumpFile(to peer: ReplicaPeer) {
        guard peer.state == .sendBulk, let sender = peer.fileSender, replication.replicas.contains(where: { $0 === peer }) else { return }
        guard sender.pump(into: peer.client) else {
            log.warning("Read error sending DB to slave: \(String(cString: strerror(errno)))")
            peer.client.connection?.close(flush: false)
            disconnect(peer.client)
            return
        }
        if sender.done && peer.held.drain(into: peer.client, limit: RDBFileSender.inFlightLimit) {
            peer.fileSender = nil
            peer.state = .online
            peer.ackTimeMs = replication.clock()
            log.notice("Synchronization with slave \(peer.name) succeeded")
        } else {
            schedule?(1) { [weak self, weak peer] in if let self, let peer { self.pumpFile(to: peer) } }
        }
        peer.client.connection?.flushOutput()
    }

    /// Moves the diskless RDB's chunks to the replicas' sockets as they drain; at its end the
    /// mark follows, and each replica is online once it ACKs (it has loaded the payload).
    func pumpDiskless() {
        guard let source = persistence.rdbStream else { return }
        let peers = replication.replicas.filter { $0.diskless && $0.state == .sendBulk }
        if peers.isEmpty {
            source.cancel()  // nobody left to send to: the writer stops, the job fails
            persistence.rdbStream = nil
            return
        }
        var done = false
        pumping: while peers.allSatisfy({ $0.client.outputBytes < RDBFileSender.inFlightLimit }) {
            switch source.take() {
            case .chunk(let chunk):
                for peer in peers { peer.client.output.writeBytes(chunk) }
            case .empty:
                break pumping
            case .finished:
                guard let ok = persistence.socketJobSucceeded else { break pumping }
                done = true
                persistence.rdbStream = nil
                guard ok else { break pumping }  // replicaSnapshotFinished drops them
                for peer in peers {
                    peer.client.output.writeBytes(peer.eofMark)
                    peer.state = .online
                    peer.onlineOnAck = true
                    peer.ackTimeMs = replication.clock()
                    log.notice("Streamed RDB transfer with slave \(peer.name) succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming")
                }
                break pumping
            }
        }
        for peer in peers { peer.client.connection?.flushOutput() }
        if !done { schedule?(1) { [weak self] in self?.pumpDiskless() } }
    }

    /// A replica that loaded a diskless payload ACKed: it gets what was held (as its socket
    /// drains), then the stream.
    func putOnline(_ peer: ReplicaPeer) {
        guard peer.onlineOnAck, replication.replicas.contains(where: { $0 === peer }) else { return }
        if peer.held.drain(into: peer.client, limit: RDBFileSender.inFlightLimit) {
            peer.onlineOnAck = false
            log.notice("Synchronization with slave \(peer.name) succeeded")
        } else {
            schedule?(1) { [weak self, weak peer] in if let self, let peer { self.putOnline(peer) } }
        }
        peer.client.connection?.flushOutput()
    }

    // MARK: REPLCONF

    func replconf(_ call: Call) {
        let argv = call.argv
        guard argv.count % 2 == 1 else { return call.syntaxError() }
        let client = call.client
        let peer = client.replicaPeer ?? ReplicaPeer(client: client)
        var i = 1
        while i < argv.count {
            let option = call.option(i), value = argv[i + 1]
            switch option {
            case "listening-port":
                guard let port = call.int64(i + 1) else { return }
                peer.listeningPort = Int(port)
            case "ip-address":
                peer.announcedIP = value.text
            case "capa":
                if value.text.lowercased() == "eof" { peer.capaEOF = true }
                if value.text.lowercased() == "psync2" { peer.capaPsync2 = true }
            case "ack":
                // No reply: the replica only reports how far it has applied the stream.
                if client.isReplica, let offset = value.parseInt64() {
                    if offset > peer.ackOffset { peer.ackOffset = offset }
                    peer.ackTimeMs = replication.clock()
                    peer.acked = true
                    if peer.onlineOnAck && peer.state == .online { putOnline(peer) }
                    serveClientsWaitingForReplicas()
                }
                return
            case "getack":
                return  // only a master's link answers GETACK (Replication/ReplicaLink)
            default:
                return call.error("ERR Unrecognized REPLCONF option: \(argv[i].text)")
            }
            i += 2
        }
        client.replicaPeer = peer
        call.ok()
    }

    // MARK: once a second

    /// The master side's duties, once a second (Redis's replicationCron).
    func replicationMasterCron(nowMs: Int64) {
        let r = replication
        r.cronLoops += 1
        // PINGs keep the replicas' links alive; they are stream bytes, so they move the offset.
        if !r.replicas.isEmpty && r.cronLoops % max(config.replPingReplicaPeriod, 1) == 0 && !r.isReplica {
            stream.sendToReplicasOnly([Bytes("PING")])
        }
        for peer in r.replicas where peer.state == .waitBgsaveStart || peer.state == .waitBgsaveEnd {
            peer.client.output.writeStaticString("\n")  // keepalive while the RDB is prepared
            peer.client.connection?.flushOutput()
        }
        for peer in r.replicas where peer.state == .online && !peer.prePsync {
            if nowMs - peer.ackTimeMs > Int64(config.replTimeout) * 1000 {
                log.warning("Disconnecting timedout slave: \(peer.name)")
                peer.client.connection?.close(flush: false)
                disconnect(peer.client)
            }
        }
        for peer in r.replicas where peer.state == .sendBulk && !peer.diskless { pumpFile(to: peer) }
        for peer in r.replicas where peer.onlineOnAck && peer.acked { putOnline(peer) }
        if persistence.rdbStream != nil { pumpDiskless() }
        // Diskless syncs start once the oldest waiting replica has waited repl-diskless-sync-delay.
        let delayMs = Int64(config.replDisklessSyncDelay) * 1000
        if r.replicas.contains(where: { $0.diskless && $0.state == .waitBgsaveStart && nowMs - $0.waitingSinceMs >= delayMs }),
           persistence.scheduler.startDiskless() {
            persistence.startPendingSnapshot()
        }
        if r.replicas.isEmpty && !r.isReplica && config.replBacklogTTL > 0 && r.history.backlog != nil
            && nowMs / 1000 - r.noReplicasSince > Int64(config.replBacklogTTL) {
            r.history.changeReplicationID()
            r.history.clearSecondaryID()
            freeBacklog()
            log.notice("Replication backlog freed after \(config.replBacklogTTL) seconds without connected slaves.")
        }
    }

    /// A replica's connection is gone.
    func forgetReplica(_ client: Client) {
        guard let index = replication.replicas.firstIndex(where: { $0.client === client }) else { return }
        let peer = replication.replicas.remove(at: index)
        persistence.scheduler.forget(replica: client.id)
        if replication.replicas.isEmpty { replication.noReplicasSince = replication.clock() / 1000 }
        log.notice("Connection with slave \(peer.name) lost.")
    }

    /// Closes every replica's connection (the history changed: they reconnect and PSYNC).
    func disconnectReplicas() {
        for peer in replication.replicas {
            peer.client.connection?.close(flush: true)
            disconnect(peer.client)
        }
    }
}
