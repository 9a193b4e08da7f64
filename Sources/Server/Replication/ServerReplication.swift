// ServerReplication: the server's replication state, both roles.
//
// Contract: one per Server, used on the owner thread only. It holds what
// Redis keeps in its replication globals: the node's history (replication
// IDs and the backlog, Replication/ReplicationHistory), the replicas
// attached to this node (master side, ReplicationMaster.swift), and, when
// this node is a replica, the link to its master (ReplicaLink driven by
// ReplicationReplica.swift). The replication offset is the change stream's
// (`server.stream.offset`): the backlog is fed from the stream's bytes, so
// the two never disagree. Sockets stay outside: replicas are Clients with a
// connection, and the master link goes through a `MasterLinkTransport`, so
// the same code runs under the network layer and under the simulator.
import Engine
import ChangeStream
import Replication

/// How the replica side reaches its master (a socket under NIO; a pipe in the simulator).
package protocol MasterLinkTransport: AnyObject {
    /// Opens a connection; the outcome comes back as `Server.masterLinkConnected` or
    /// `masterLinkFailed`, later (never from inside this call).
    func connect(host: String, port: Int)
    func send(_ bytes: [UInt8])
    /// Closes the current connection, if any; no event follows.
    func close()
}

/// The counters INFO stats reports for replication.
package struct ReplicationStats: Sendable {
    package var syncFull: Int64 = 0
    package var syncPartialOK: Int64 = 0
    package var syncPartialErr: Int64 = 0
}

package final class ServerReplication {
    /// Wall-clock milliseconds for replication's timers (ACK times, timeouts, the backlog's
    /// TTL); the simulator replaces it with its virtual clock.
    package var clock: () -> Int64 = { wallClockMilliseconds() }
    /// The node's replication IDs and backlog.
    package internal(set) var history = ReplicationHistory()
    /// Replicas attached to this node, by client id, in attach order.
    var replicas: [ReplicaPeer] = []
    package internal(set) var stats = ReplicationStats()
    /// Unix seconds since when no replica is attached (the backlog's time to live counts from it).
    var noReplicasSince: Int64 = wallClockMilliseconds() / 1000
    /// Runs of the once-a-second cron (the PING period counts them, as Redis's replication_cron_loops).
    var cronLoops = 0
    /// A `REPLCONF GETACK *` is due at the end of this loop turn (WAIT).
    var ackRequested = false
    /// When the once-a-second cron last ran (ms).
    var lastCronMs: Int64 = 0

    // MARK: replica side
    /// Where this node replicates from; nil on a master.
    package internal(set) var master: (host: String, port: Int)? = nil
    /// The link's state machine while this node is a replica.
    package internal(set) var link: ReplicaLink? = nil
    /// The client that applies the master's stream (connected links only).
    var masterClient: Client? = nil
    /// Opens connections to the master; set by the network layer (or the simulator).
    package var transport: MasterLinkTransport? = nil
    /// The payload being received: its temporary file.
    var transferFile: TransferFile? = nil
    /// Unix seconds when the link went down (INFO master_link_down_since_seconds).
    var linkDownSince: Int64 = 0
    /// The database the master client had selected when the link dropped (a partial resync
    /// continues the stream without a SELECT).
    var masterDB = 0
    /// The full sync's offset and replid announced by +FULLRESYNC, adopted once the payload loads.
    var pendingFullSync: (replid: ReplicationID, offset: Int64)? = nil
    /// What INFO says about resyncs beyond Redis's fields (cairn_*): how this replica last
    /// resynced, the position a restart restored, and the master's last PSYNC decision and why.
    var lastResync: String? = nil
    var restoredPosition: String? = nil
    var lastPsyncDecision: String? = nil

    package var isReplica: Bool { master != nil }

    /// The replica peers that are online (streamed to), for INFO and WAIT.
    var onlineReplicas: [ReplicaPeer] { replicas.filter { $0.state == .online } }
}

extension Server {
    /// The replication position saved into RDB files (Redis's rdbPopulateSaveInfo): a master
    /// with a backlog, or a replica with a master (or a cached one).
    var replicationSaveInfo: ReplicationAux? {
        let r = replication
        if let client = r.masterClient {
            return ReplicationAux(streamDB: client.db, replid: r.history.replid.text, offset: stream.offset)
        }
        if r.isReplica, r.link?.cachedMaster != nil {
            // The cached master's database (Redis: cached_master->db->id): the stream continues there.
            return ReplicationAux(streamDB: r.masterDB, replid: r.history.replid.text, offset: stream.offset)
        }
        guard !r.isReplica, r.history.backlog != nil else { return nil }
        return ReplicationAux(streamDB: max(stream.selectedDB, 0), replid: r.history.replid.text, offset: stream.offset)
    }
}

extension Server {
    /// Start-up, after dump.rdb loaded: a file saved with a replication position (its
    /// repl-id and repl-offset aux fields) lets this server continue from there. A replica
    /// then PSYNCs its master with that ID and offset (Redis 4.0's promise). A master keeps
    /// the saved ID as its second one, valid up to the saved offset, and starts a new ID at
    /// that offset, with an empty backlog: its replicas continue by partial resync (later
    /// Redis's promise), while whatever it writes from now on is a new history. Keeping the
    /// old ID as the main one would let two different histories share it: a restarted old
    /// master that took writes (a sentinel's PUBLISH hellos suffice) and was then made a
    /// replica of the promoted one would be accepted by partial resync with the wrong data.
    func restoreReplicationPosition(from aux: [String: Bytes]) {
        guard let id = aux["repl-id"].flatMap({ ReplicationID($0.text) }),
              let offset = aux["repl-offset"].flatMap({ $0.parseInt64() }), offset >= 0 else { return }
        if config.replicaOf != nil {
            replication.history.setReplicationIDs(replid: id, replid2: .none, secondOffset: -1)
        } else {
            replication.history.setReplicationIDs(replid: .random(), replid2: id, secondOffset: offset + 1)
        }
        stream.resetOffset(to: offset)
        replication.restoredPosition = "\(id):\(offset)"
        if let db = aux["repl-stream-db"].flatMap({ $0.parseInt64() }), (0..<Int64(keyspace.databaseCount)).contains(db) {
            replication.masterDB = Int(db)
        }
        createBacklog()
        log.notice("Replication ID \(id) and offset \(offset) restored from the RDB file: replicas (or this replica) may continue by partial resync")
    }
}
