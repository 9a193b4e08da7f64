// ReplicationHistory: the node's replication identity and backlog, the same
// object whether the node is a master or a replica (Redis keeps replid,
// replid2, second_replid_offset and the backlog regardless of role).
//
// Contract: the stream offset itself (master_repl_offset) belongs to the
// server's change stream, so every method that needs it takes it as an
// argument; this type only remembers which histories the node can serve and
// the bytes it can serve them from. `decidePsync` is the master's answer to
// `PSYNC <id> <offset>` (Redis 4.0's masterTryPartialResynchronization).
// Tricky bit, a worked example of promotion: a replica of master A (replid
// A) sits at offset 1000 when it is promoted. `shiftReplicationID` makes its
// replid a fresh B, replid2 = A, and secondReplidOffset = 1001. Another
// replica of A at offset 1000 then asks `PSYNC A 1001`: the ID matches the
// second ID and 1001 <= 1001, so it continues from the backlog and learns
// the new ID from `+CONTINUE B`. One that had already seen byte 1001 from A
// (asks `PSYNC A 1002`) has history the new master never had: full resync.

/// The master's answer to a PSYNC request.
public enum PsyncDecision: Equatable, Sendable {
    /// Continue: send `+CONTINUE`, then the backlog's `bytes` bytes starting at
    /// offset `from` (the requested offset).
    case partial(from: Int64, bytes: Int)
    /// Full resync; `reason` is the line Redis 4.0 logs for this refusal.
    case full(reason: String)
}

/// The node's replication IDs and backlog (Redis's server.replid, replid2,
/// second_replid_offset and repl_backlog).
public struct ReplicationHistory {
    /// The ID of the history this node serves now.
    public private(set) var replid: ReplicationID
    /// The ID of the history this node served before its last promotion; `.none` when none.
    public private(set) var replid2: ReplicationID = .none
    /// The first offset `replid2` is NOT valid for (its last valid offset + 1); -1 when none.
    public private(set) var secondReplidOffset: Int64 = -1
    /// The stream's newest bytes; nil until created.
    public private(set) var backlog: ReplicationBacklog?

    /// A new history with a fresh (or given) ID, no second ID, no backlog.
    public init(replid: ReplicationID = .random()) {
        self.replid = replid
    }

    /// Creates an empty backlog whose first byte will be `masterOffset + 1`
    /// (Redis's createReplicationBacklog); replaces any backlog there was.
    public mutating func createBacklog(capacity: Int, masterOffset: Int64) {
        backlog = ReplicationBacklog(capacity: capacity, nextOffset: masterOffset + 1)
    }

    /// Drops the backlog, so that no replica can continue from this node.
    public mutating func freeBacklog() {
        backlog = nil
    }

    /// Changes the backlog's capacity, keeping its newest bytes (see `ReplicationBacklog.resize`).
    public mutating func resizeBacklog(capacity: Int) {
        backlog?.resize(capacity: capacity)
    }

    /// Appends stream bytes to the backlog, if there is one.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        backlog?.append(bytes)
    }

    /// Appends stream bytes to the backlog, if there is one.
    public mutating func feed(_ bytes: [UInt8]) {
        backlog?.append(bytes)
    }

    /// Promotion (Redis's shiftReplicationId): the current ID becomes the
    /// second one, valid up to and including `masterOffset`, and `newID` becomes current.
    public mutating func shiftReplicationID(masterOffset: Int64, newID: ReplicationID = .random()) {
        replid2 = replid
        secondReplidOffset = masterOffset + 1
        replid = newID
    }

    /// Starts a new history under `id` (Redis's changeReplicationId); the second ID is kept.
    public mutating func changeReplicationID(_ id: ReplicationID = .random()) {
        replid = id
    }

    /// Forgets the second ID (Redis's clearReplicationId2).
    public mutating func clearSecondaryID() {
        replid2 = .none
        secondReplidOffset = -1
    }

    /// After a full sync as a replica: this node's history is now its master's.
    public mutating func adoptMaster(replid masterReplid: ReplicationID) {
        replid = masterReplid
        clearSecondaryID()
    }

    /// Sets all IDs at once, e.g. when restoring them from an RDB file's aux fields.
    public mutating func setReplicationIDs(replid: ReplicationID, replid2: ReplicationID, secondOffset: Int64) {
        self.replid = replid
        self.replid2 = replid2
        self.secondReplidOffset = secondOffset
    }

    /// Decides a `PSYNC requestedID requestedOffset` request, as Redis 4.0's
    /// masterTryPartialResynchronization: continue when the ID is the current
    /// one, or the second one and the offset is within its validity, and the
    /// backlog covers the offset; a full resync otherwise (and always for `?`).
    /// `replicaName` fills the place where Redis names the replica in its log
    /// line (Redis's replicationGetSlaveName: "ip:port", or the client id).
    public func decidePsync(requestedID: String, requestedOffset: Int64, masterOffset: Int64,
                            replicaName: String = "replica") -> PsyncDecision {
        let requested = requestedID.lowercased()
        let isCurrent = requested == replid.text
        let isSecond = requested == replid2.text && replid2 != .none
        if !isCurrent && !(isSecond && requestedOffset <= secondReplidOffset) {
            let notAccepted = "Partial resynchronization not accepted: "
            if requestedID.hasPrefix("?") {
                return .full(reason: "Full resync requested by slave \(replicaName)")
            } else if !isCurrent && !isSecond {
                return .full(reason: notAccepted + "Replication ID mismatch (Slave asked for '\(requestedID)', "
                    + "my replication IDs are '\(replid)' and '\(replid2)')")
            } else {
                return .full(reason: notAccepted + "Requested offset for second ID was \(requestedOffset), "
                    + "but I can reply up to \(secondReplidOffset)")
            }
        }
        guard let backlog, backlog.covers(requestedOffset) else {
            var reason = "Unable to partial resync with slave \(replicaName) for lack of backlog "
                + "(Slave request was: \(requestedOffset))."
            if requestedOffset > masterOffset {
                reason += " Warning: slave \(replicaName) tried to PSYNC with an offset that is greater "
                    + "than the master replication offset."
            }
            return .full(reason: reason)
        }
        return .partial(from: requestedOffset, bytes: Int(backlog.nextOffset - requestedOffset))
    }

    /// The reply that starts a full resync: `+FULLRESYNC <replid> <offset>\r\n`.
    public func fullResyncReply(masterOffset: Int64) -> [UInt8] {
        Array("+FULLRESYNC \(replid) \(masterOffset)\r\n".utf8)
    }

    /// The reply that accepts a partial resync: `+CONTINUE <replid>\r\n` for a
    /// replica that announced `capa psync2`, a bare `+CONTINUE\r\n` otherwise.
    public func continueReply(replicaSupportsPsync2: Bool) -> [UInt8] {
        Array((replicaSupportsPsync2 ? "+CONTINUE \(replid)\r\n" : "+CONTINUE\r\n").utf8)
    }
}
