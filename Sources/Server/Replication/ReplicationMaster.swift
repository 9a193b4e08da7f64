// ReplicationMaster: the master side: replicas asking to SYNC or PSYNC, the
// backlog and the stream fed to them, REPLCONF, and the once-a-second duties
// (PINGs, keepalives, timeouts, the backlog's TTL). The transfer of a full
// sync is in ReplicationFullSync.swift, the per-replica state in ReplicaPeer.swift.
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
        // repl-disable-tcp-nodelay: fewer, larger packets to the replica, at the cost of delay.
        if config.replDisableTcpNodelay { client.connection?.setNoDelay(false) }
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
                r.lastPsyncDecision = "\(peer.name) partial: \(requestedID):\(requestedOffset) is in the backlog"
                return
            case .full(let reason):
                log.notice(reason)
                r.lastPsyncDecision = "\(peer.name) full: \(reason)"
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
    func beginFullResync(_ peer: ReplicaPeer, offset: Int64) {
        peer.initialOffset = offset
        peer.state = .waitBgsaveEnd
        if !peer.prePsync {
            peer.client.output.writeBytes(replication.history.fullResyncReply(masterOffset: offset))
            peer.client.connection?.flushOutput()
        }
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
