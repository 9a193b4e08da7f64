// ReplicationReplica: the replica side: SLAVEOF, driving the link's state
// machine (Replication/ReplicaLink) with what the transport reports, and
// carrying out what it asks: connect, send, receive the RDB payload into a
// temporary file, flush and load it, and apply the master's stream.
//
// Contract: the link machine decides; this file only acts. The stream is
// applied by a client of the server's own (`isMaster`: no replies, no
// refusals), and the exact bytes of each applied command are forwarded
// through the change stream, so this node's replicas and backlog hold the
// master's bytes at the master's offsets. A replica encodes none of its own
// records (they still reach its AOF) and expires no key itself: the master's
// DELs arrive in the stream.
// Tricky bits: the payload is loaded only once whole, and only if its RDB
// checksum (computed while it arrives) is right: a transfer cut short or a
// corrupt payload leaves the old data in place, and the link retries
// (TransferFile.swift). After a link drop the master client's database is
// remembered, because a partial resync continues the stream with
// no SELECT. A master told to become a replica uses its own history as the
// cached master, so it can continue from the new master by partial resync.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB
import ChangeStream
import Replication

extension Server {
    // MARK: SLAVEOF

    /// SLAVEOF host port: become (or move) a replica. Returns the reply's status text.
    func becomeReplica(of host: String, port: Int, requestedBy who: String) -> String {
        let r = replication
        if let current = r.master, current.host == host, current.port == port {
            log.notice("SLAVE OF would result into synchronization with the master we are already connected with. No operation performed.")
            return "OK Already connected to specified master"
        }
        let wasMaster = !r.isReplica
        // A master uses its own history as the cached master: it may continue by PSYNC.
        var psync: (id: String, offset: Int64) = ("?", -1)
        if wasMaster {
            // Nothing written under the current ID since it took over from the second one (a
            // master restarted from its RDB, a promotion undone): the data is still the second
            // ID's history at this offset, and only that ID can continue it.
            let untouched = r.history.replid2 != .none && r.history.secondReplidOffset == stream.offset + 1
            psync = ((untouched ? r.history.replid2 : r.history.replid).text, stream.offset + 1)
        } else if let link = r.link, link.state == .connected {
            // Leaving a live master: what was applied from it is the cached master.
            psync = (r.history.replid.text, link.offset + 1)
        } else if let cached = r.link?.cachedMaster {
            psync = (cached.replid.text, cached.offset + 1)
        }
        stopLink()
        disconnectReplicas()
        disconnectAllBlockedClients()
        r.master = (host, port)
        config.replicaOf = (host, port)  // what CONFIG GET/REWRITE show, as Redis's masterhost
        r.linkDownSince = replication.clock() / 1000
        stream.encodesRecords = false
        keyspace.expireOnLookup = false
        if r.history.backlog == nil { createBacklog() }
        log.role = "S"
        log.notice("SLAVE OF \(host):\(port) enabled (user request from '\(who)')")
        var link = ReplicaLink(config: linkConfig(host: host, port: port))
        let actions = link.start(psyncID: psync.id, psyncOffset: psync.offset, nowMs: replication.clock())
        r.link = link
        perform(actions)
        return "OK"
    }

    /// SLAVEOF NO ONE: become a master, keeping the data and the backlog; the old ID
    /// becomes the second one, so the former master's other replicas continue from here.
    func becomeMaster(requestedBy who: String) {
        let r = replication
        guard r.isReplica else { return }
        r.history.shiftReplicationID(masterOffset: stream.offset)
        // The database the old history is in at the shift point: if this node writes nothing
        // and is made a replica again, it continues that history (by its second ID) from there.
        r.masterDB = r.masterClient?.db ?? r.masterDB
        stopLink()
        r.master = nil
        config.replicaOf = nil
        r.link = nil
        disconnectReplicas()
        // The stream from here starts with a SELECT, as after a full sync.
        stream.forgetSelectedDB()
        stream.encodesRecords = true
        keyspace.expireOnLookup = true
        r.noReplicasSince = replication.clock() / 1000
        log.role = "M"
        log.notice("MASTER MODE enabled (user request from '\(who)')")
    }

    private func linkConfig(host: String, port: Int) -> ReplicaLinkConfig {
        ReplicaLinkConfig(masterHost: host, masterPort: port, masterAuth: config.masterauth,
                          listeningPort: config.replicaAnnouncePort != 0 ? config.replicaAnnouncePort : boundPort,
                          announceIP: config.replicaAnnounceIP, timeoutMs: Int64(config.replTimeout) * 1000,
                          maxBulkLength: config.protoMaxBulkLen)
    }

    /// Ends the link (socket, master client, partial transfer), keeping the history.
    private func stopLink() {
        let r = replication
        if var link = r.link {
            perform(link.stop())
            r.link = link
        }
        r.transport?.close()
        r.transferFile?.discard()
        r.transferFile = nil
        if let client = r.masterClient {
            r.masterClient = nil
            disconnect(client)
        }
    }

    // MARK: events from the transport

    package func masterLinkConnected() { driveLink(.connected(nowMs: replication.clock())) }
    package func masterLinkFailed(_ reason: String) { driveLink(.connectFailed(reason)) }
    package func masterLinkReceived(_ bytes: [UInt8]) { driveLink(.received(bytes, nowMs: replication.clock())) }
    package func masterLinkClosed(_ reason: String) {
        driveLink(.disconnected(reason))
        linkWentDown()
    }

    private func driveLink(_ event: ReplicaLinkEvent) {
        guard var link = replication.link else { return }
        let actions = link.handle(event)
        replication.link = link
        perform(actions)
    }

    /// The replica side's once-a-second tick (reconnects, ACKs, timeouts).
    func replicationReplicaCron(nowMs: Int64) {
        driveLink(.tick(nowMs: nowMs))
    }

    private func linkWentDown() {
        let r = replication
        if let client = r.masterClient {
            r.masterDB = client.db
            r.masterClient = nil
            disconnect(client)
        }
        r.linkDownSince = replication.clock() / 1000
    }

    // MARK: carrying out the link's actions

    private func perform(_ actions: [ReplicaLinkAction]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: ReplicaLinkAction) {
        let r = replication
        switch action {
        case .connect(let host, let port):
            r.transport?.connect(host: host, port: port)
        case .send(let bytes):
            r.transport?.send(bytes)
        case .close:
            r.transport?.close()
            r.transferFile?.discard()
            r.transferFile = nil
            linkWentDown()
        case .log(let level, let text):
            switch level {
            case .verbose: log.verbose(text)
            case .notice: log.notice(text)
            case .warning: log.warning(text)
            }
        case .fullResync(let replid, let offset):
            // A new history: this node's replicas must resync too, and the old backlog is void.
            r.pendingFullSync = (replid, offset)
            r.lastResync = "full (+FULLRESYNC \(replid) \(offset))"
            disconnectReplicas()
            freeBacklog()
        case .transferStarted:
            r.transferFile?.discard()
            r.transferFile = TransferFile(directory: config.dir)
            if r.transferFile == nil {
                log.warning("Opening the temp file needed for MASTER <-> SLAVE synchronization: \(String(cString: strerror(errno)))")
                abortLink()
            }
        case .transferChunk(let bytes):
            if let file = r.transferFile, !file.write(bytes) {
                log.warning("Write error or short write writing to the DB dump file needed for MASTER <-> SLAVE synchronization: \(String(cString: strerror(errno)))")
                abortLink()
            }
        case .transferComplete:
            let ok = loadTransferredPayload()
            driveLink(.loadFinished(success: ok, nowMs: replication.clock()))
        case .partialResync(let newReplid):
            r.lastResync = "partial (+CONTINUE from offset \(stream.offset + 1))"
            if let newReplid {
                r.history.shiftReplicationID(masterOffset: stream.offset, newID: newReplid)
                disconnectReplicas()
            }
            if r.history.backlog == nil { createBacklog() }
            makeMasterClient(db: r.masterDB)
        case .apply(let argv, let raw):
            applyFromMaster(argv, raw: raw)
        }
    }

    /// Drops the link after a local failure; it reconnects on a later tick.
    private func abortLink() {
        replication.transport?.close()
        replication.transferFile?.discard()
        replication.transferFile = nil
        driveLink(.disconnected("local error"))
        linkWentDown()
    }

    /// Puts the received file in place of dump.rdb, flushes the old data and loads it.
    private func loadTransferredPayload() -> Bool {
        let r = replication
        guard let file = r.transferFile else { return false }
        r.transferFile = nil
        if let damage = file.damage {
            log.warning("MASTER <-> SLAVE sync: the payload received cannot be loaded: \(damage). Keeping the old data; retrying.")
            file.discard()
            return false
        }
        guard file.finish() else {
            log.warning("Failed trying to sync the temp DB to disk in MASTER <-> SLAVE synchronization: \(String(cString: strerror(errno)))")
            file.discard()
            return false
        }
        guard rename(file.path, persistence.dumpPath) == 0 else {
            log.warning("Failed trying to rename the temp DB into dump.rdb in MASTER <-> SLAVE synchronization: \(String(cString: strerror(errno)))")
            file.discard()
            return false
        }
        let aofWasOn = persistence.aofEnabled
        if aofWasOn { _ = persistence.setAppendOnly(false) }
        // slave-lazy-flush: the old dataset is freed off the owner thread, as FLUSHALL ASYNC does.
        if config.replicaLazyFlush {
            keyspace.flushAllLazily()
            handOffLazyFree()
        } else {
            keyspace.flushAll()
        }
        let summary: LoadSummary?
        do {
            summary = try persistence.loadNow(persistence.dumpPath)
        } catch {
            log.warning("Failed trying to load the MASTER synchronization DB from disk: \(error)")
            return false
        }
        keyspace.dirty = 0
        if let (replid, offset) = r.pendingFullSync, offset >= 0 {
            r.history.adoptMaster(replid: replid)
            stream.resetOffset(to: offset)
        }
        r.pendingFullSync = nil
        createBacklog()
        let db = summary?.aux["repl-stream-db"].flatMap { $0.parseInt64() }.map(Int.init) ?? 0
        makeMasterClient(db: (0..<keyspace.databaseCount).contains(db) ? db : 0)
        if aofWasOn { restartAppendOnlyAfterSync() }
        return true
    }

    private func restartAppendOnlyAfterSync() {
        for attempt in 1...10 {
            if persistence.setAppendOnly(true) == nil { return }
            log.warning("Failed enabling the AOF after successful master synchronization! Trying it again in one second (attempt \(attempt)).")
        }
    }

    /// The client that runs the master's commands.
    private func makeMasterClient(db: Int) {
        let r = replication
        guard r.masterClient == nil, let master = r.master else { return }
        let (client, _) = connect(address: "\(master.host):\(master.port)", localAddress: "", isLocal: true)
        client.authenticated = true
        client.isMaster = true
        client.db = db
        clients[client.id] = client  // a master link is never refused (maxclients)
        r.masterClient = client
    }

    /// Runs one command of the master's stream and forwards its bytes.
    private func applyFromMaster(_ argv: [[UInt8]], raw: [UInt8]) {
        guard let client = replication.masterClient else { return }
        execute(client, argv)
        client.output.clear()  // a master gets no replies
        raw.withUnsafeBytes { stream.forward($0) }
    }

    /// The master client went away (CLIENT KILL TYPE master, or the link closed it).
    func masterClientGone(_ client: Client) {
        let r = replication
        guard r.masterClient === client else { return }
        r.masterDB = client.db
        r.masterClient = nil
        if r.link?.state == .connected {
            r.transport?.close()
            driveLink(.disconnected("master client killed"))
        }
    }

    /// Both sides' once-a-second work.
    package func replicationCron(nowMs: Int64) {
        replication.lastCronMs = nowMs
        if replication.isReplica { replicationReplicaCron(nowMs: nowMs) }
        replicationMasterCron(nowMs: nowMs)
    }
}
