// ChangeStream: the one stream of changes that every other copy of the data
// (the AOF, the replication backlog, every replica) is fed from.
//
// Contract: on the owner thread, each command's changes become propagation
// records (the command as sent, or the deterministic rewrite its handler
// asked for); records wait in `pending` until `deliver()` hands them, in
// order, to the record consumers (the AOF and its rewrite buffer) and,
// encoded as RESP commands with a SELECT wherever the database changes, to
// the byte consumer (the replication backlog and the replicas). `offset`
// counts the bytes of that encoding: it is the PSYNC2 replication offset
// (master_repl_offset). A replica encodes nothing of its own: it forwards its
// master's bytes with `forward(_:)`, so its replicas receive the master's
// bytes at the master's offsets, while its records still reach its AOF.
// Tricky bits: the keyspace records on its own the DEL of a key it finds
// expired (`Keyspace.changes`); every operation here collects those first, so
// such a DEL precedes the record of the command that found the key expired.
// While no byte consumer is attached, nothing is encoded and the offset stands
// still, as Redis's master_repl_offset moves only once a backlog exists.
// `isHeard` says whether a record made now reaches anyone: when not, no record
// is built at all (a plain write's record, its argument list retained and
// handed to consumers that drop it, was 3-4% of a pipelined SET), and a command
// whose rewrite costs something to build (EVALSHA as EVAL with the body) skips
// building it, as Redis 7 builds no record when nothing listens. Nothing is lost:
// whoever starts listening later (an AOF switched on, a rewrite, a replica)
// starts from a snapshot of the keyspace taken between two commands. It is a
// stored flag (asking every consumer costs closure calls and reference counts
// per read), so a consumer whose `listens` changes must call
// `listenersChanged()`; debug builds check at every delivery that it did.
import Engine

public final class ChangeStream {
    /// Records not yet delivered, oldest first.
    public private(set) var pending: [PropagationRecord] = []
    /// Records made so far, kept or (while not heard) dropped at once: what the debug
    /// check of a write that recorded nothing counts (UnrecordedChangeCheck.swift).
    public private(set) var recorded = 0
    /// Receivers of every record, in order (the AOF, its rewrite buffer, tests).
    public private(set) var recordConsumers: [RecordConsumer] = []
    /// Receiver of the stream's bytes (the backlog and the replicas); nil: no bytes are made.
    public var byteConsumer: ((UnsafeRawBufferPointer) -> Void)? = nil { didSet { listenersChanged() } }
    /// Bytes of the stream so far: the replication offset.
    public private(set) var offset: Int64 = 0
    /// False on a replica: its records reach the record consumers only; its bytes are its master's.
    public var encodesRecords = true { didSet { listenersChanged() } }

    private let keyspace: Keyspace
    private var encoder = CommandEncoder(capacity: 1 << 14)
    /// The rewrite asked for by the command running now (`replaceCurrentCommand`).
    private var replacement: [[Bytes]]? = nil

    public init(keyspace: Keyspace) {
        self.keyspace = keyspace
    }

    /// Adds a receiver of every record; `listens` says whether it takes them now (the AOF's
    /// is false while the AOF is off and no rewrite buffers), by default always. A consumer
    /// whose answer changes calls `listenersChanged()`.
    public func addRecordConsumer(listens: @escaping () -> Bool = { true },
                                  _ consume: @escaping (PropagationRecord) -> Void) {
        recordConsumers.append(RecordConsumer(consume: consume, listens: listens))
        listenersChanged()
    }

    /// Whether a record made now reaches anyone: bytes for a backlog (a replica's own records
    /// make none: it forwards its master's), or a record consumer that listens.
    public private(set) var isHeard = false

    /// Asks the consumers again whether they listen (`isHeard`).
    public func listenersChanged() { isHeard = heardNow() }

    private func heardNow() -> Bool {
        if encodesRecords && byteConsumer != nil { return true }
        for consumer in recordConsumers where consumer.listens() { return true }
        return false
    }

    /// The database the byte stream has selected last (-1: the next record selects again).
    public var selectedDB: Int { encoder.selectedDB }

    // MARK: recording

    /// Moves the keyspace's own records (expiry DELs) into `pending`.
    @inline(__always) private func collect() {
        if !keyspace.changes.isEmpty { collectSlow() }
    }

    private func collectSlow() {
        recorded &+= keyspace.changes.count
        if isHeard { pending.append(contentsOf: keyspace.changes) }
        keyspace.changes.removeAll(keepingCapacity: true)
    }

    /// Records waiting, the keyspace's own included: a mark for `wrapTransaction`.
    public var mark: Int {
        collect()
        return pending.count
    }

    /// Appends one record (`replicasOnly`: one the AOF skips).
    public func record(db: Int, _ argv: [Bytes], replicasOnly: Bool = false) {
        collect()
        recorded &+= 1
        guard isHeard else { return }
        pending.append(PropagationRecord(db: db, argv: argv, replicasOnly: replicasOnly))
    }

    /// Where the records of the commands run now go: a script replicated as itself
    /// records none of the commands it runs (`.none`); redis.set_repl routes its effects.
    public var commandRouting = CommandRouting.everywhere

    /// Starts a command: forgets any rewrite left from a previous one.
    @inline(__always) public func beginCommand() { replacement = nil }

    /// The running command propagates as `records` instead of itself (an empty list: nothing).
    public func replaceCurrentCommand(with records: [[Bytes]]) { replacement = records }

    /// Ends a command run in `db`: records its rewrite if it asked for one, else `argv`
    /// itself when it wrote (`wrote`: it raised the dirty count).
    @inline(__always) public func endCommand(db: Int, argv: [Bytes], wrote: Bool) {
        collect()
        if let records = replacement {
            replacement = nil
            for r in records { append(db: db, argv: r) }
        } else if wrote {
            append(db: db, argv: argv)
        }
    }

    @inline(__always) private func append(db: Int, argv: [Bytes]) {
        if commandRouting == .nowhere { return }
        recorded &+= 1
        guard isHeard else { return }  // nobody would read it: not built (the saving of a plain write)
        switch commandRouting {
        case .everywhere: pending.append(PropagationRecord(db: db, argv: argv))
        case .nowhere: break
        case .aofOnly: pending.append(PropagationRecord(db: db, argv: argv, aofOnly: true))
        case .replicasOnly: pending.append(PropagationRecord(db: db, argv: argv, replicasOnly: true))
        }
    }

    /// Wraps the records added since `mark` in MULTI ... EXEC, so they replay as one
    /// unit (an EXEC's writes); nothing when there are none.
    public func wrapTransaction(since mark: Int, startDB: Int, endDB: Int) {
        collect()
        guard pending.count > mark else { return }
        pending.insert(PropagationRecord(db: startDB, argv: [Bytes("MULTI")]), at: mark)
        pending.append(PropagationRecord(db: endDB, argv: [Bytes("EXEC")]))
    }

    // MARK: delivery

    /// Hands every pending record to the consumers, in order, and the bytes to the byte consumer.
    public func deliver() {
        assert(isHeard == heardNow(), "a record consumer's listens() changed without listenersChanged()")
        collect()
        guard !pending.isEmpty else { return }
        // Swap the list out (a consumer may record more) and back in, keeping its capacity.
        var records: [PropagationRecord] = []
        swap(&records, &pending)
        for record in records {
            for consumer in recordConsumers { consumer.consume(record) }
        }
        if encodesRecords, let consume = byteConsumer {
            for record in records where !record.aofOnly { encoder.append(record) }
            emit(encoder.buffer, to: consume)
            encoder.buffer.removeAll(keepingCapacity: true)
        }
        if pending.isEmpty {
            records.removeAll(keepingCapacity: true)
            swap(&records, &pending)
        }
    }

    /// A command for the replicas only (the PING of repl-ping-slave-period): stream bytes that
    /// move the offset but never reach the record consumers (the AOF). No SELECT precedes it:
    /// it runs in no database.
    public func sendToReplicasOnly(_ argv: [Bytes]) {
        guard encodesRecords, let consume = byteConsumer else { return }
        deliver()
        encoder.appendCommand(argv)
        emit(encoder.buffer, to: consume)
        encoder.buffer.removeAll(keepingCapacity: true)
    }

    /// A replica's path: bytes its master sent (whole commands it has applied), passed on
    /// as they are.
    public func forward(_ bytes: [UInt8]) {
        guard let consume = byteConsumer else { return }
        emit(bytes, to: consume)
    }

    /// Sends the master's bytes the replica applied, without a copy (the replica's input slice).
    public func forward(_ bytes: UnsafeRawBufferPointer) {
        guard let consume = byteConsumer, bytes.count > 0 else { return }
        offset += Int64(bytes.count)
        consume(bytes)
    }

    private func emit(_ bytes: [UInt8], to consume: (UnsafeRawBufferPointer) -> Void) {
        guard !bytes.isEmpty else { return }
        offset += Int64(bytes.count)
        bytes.withUnsafeBytes { consume($0) }
    }

    // MARK: history

    /// The next record selects its database again (a full sync starts: Redis's slaveseldb = -1).
    public func forgetSelectedDB() { encoder.forgetSelectedDB() }

    /// Sets the offset: a replica adopting its master's after a full sync, or a restart
    /// resuming the offset saved in its RDB file.
    public func resetOffset(to offset: Int64) {
        precondition(offset >= 0, "a replication offset is never negative")
        self.offset = offset
    }
}

/// A receiver of records (ChangeStream.addRecordConsumer).
public struct RecordConsumer {
    public let consume: (PropagationRecord) -> Void
    public let listens: () -> Bool
}

/// Where command records go (ChangeStream.commandRouting).
public enum CommandRouting: Sendable {
    case everywhere, nowhere, aofOnly, replicasOnly
}
