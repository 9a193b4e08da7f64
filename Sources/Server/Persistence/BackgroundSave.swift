// BackgroundSave: BGSAVE without fork. The owner thread walks a keyspace
// snapshot (Engine/KeyspaceSnapshot.swift) in small steps and hands captured
// keys to a writer thread, which serializes them into a SnapshotSink: a
// temporary file synced and renamed into place, or the stream of chunks a
// diskless full sync sends to replicas (SnapshotSink.swift).
//
// Contract: `tick()` runs on the owner thread (scheduled by Persistence);
// each call captures a bounded number of keys, so clients are served between
// ticks. The owner stops walking while the writer has more than
// `maxBacklog` keys queued: captured values are references that pin old
// versions of overwritten values, so the backlog bounds the extra memory.
// `tick()` returns the outcome once the writer has finished.
// Tricky bit: the writer thread only reads values; a write on the owner
// thread to a value the writer still holds copies it (copy-on-write), so the
// two threads never share mutable storage.
import Engine
import RDB
import Synchronization

/// Captured keys from the owner thread to the writer thread, and the writer's outcome.
final class SnapshotChannel: Sendable {
    private let queue = BatchQueue<SnapshotItem>()
    private let outcome = Mutex<Result<Int, Error>?>(nil)

    /// Keys queued and not yet taken by the writer.
    var backlog: Int { queue.backlog }

    /// The writer's result (keys written), once it has finished.
    var result: Result<Int, Error>? { outcome.withLock { $0 } }

    func push(_ batch: [SnapshotItem]) { queue.push(batch) }

    /// No more batches will come.
    func close() { queue.close() }

    /// The next batch, waiting for one; nil once closed and drained (or abandoned).
    func pop() -> [SnapshotItem]? {
        if case .batch(let b) = queue.pop() { return b }
        return nil
    }

    /// Records the writer's result (an earlier abort stands).
    func finish(_ result: Result<Int, Error>) { outcome.withLock { if $0 == nil { $0 = result } } }

    /// Makes the writer stop at its next batch and discard the file.
    func abandon() {
        outcome.withLock { $0 = $0 ?? .failure(SaveAborted()) }
        queue.cancel()
    }

    var isAbandoned: Bool { queue.isCancelled }
}

/// Serializes snapshot items into a sink on the writer thread (an RDB, or an AOF rewrite).
protocol SnapshotSerializer {
    mutating func begin() throws
    mutating func write(_ item: SnapshotItem) throws
    /// Ends the stream; returns the sink to commit, and how many keys were written.
    mutating func finish() throws -> (SnapshotSink, Int)
}

/// The RDB form: BGSAVE's file, or an AOF rewrite's preamble.
struct RDBSerializer: SnapshotSerializer {
    var writer: DatasetWriter<SnapshotSink>
    let header: DatasetHeader

    init(sink: SnapshotSink, header: DatasetHeader, compression: Bool, checksum: Bool) {
        writer = DatasetWriter(sink: sink, compression: compression, checksum: checksum)
        self.header = header
    }

    mutating func begin() throws { try writer.begin(header) }
    mutating func write(_ item: SnapshotItem) throws {
        try writer.write(db: item.db, key: item.key, value: item.value, expireAt: item.expireAt)
    }
    mutating func finish() throws -> (SnapshotSink, Int) {
        try writer.finish()
        return (writer.rdb.sink, writer.keys)
    }
}

/// One background snapshot write in progress (BGSAVE, BGREWRITEAOF).
final class BackgroundSave {
    let snapshot: KeyspaceSnapshot
    let channel = SnapshotChannel()
    /// Keys walked per tick: small enough that a tick stays well under a millisecond.
    static let stepBudget = 2048
    /// Keys the writer may have queued before the walk pauses.
    static let maxBacklog = 65536
    private var walkDone = false

    /// Starts the writer thread; the snapshot must have just begun.
    init(snapshot: KeyspaceSnapshot, target: SnapshotTarget,
         serializer: @escaping @Sendable (SnapshotSink) -> SnapshotSerializer) {
        self.snapshot = snapshot
        let channel = self.channel
        let job = WriterJob(target: target, makeSerializer: serializer)
        BackgroundThread.start(name: "cairn-bgsave") { channel.finish(job.run(channel)) }
    }

    /// One step on the owner thread; the outcome once the file is written (or failed).
    func tick(_ ks: Keyspace) -> Result<Int, Error>? {
        if let result = channel.result {
            if !walkDone { ks.endSnapshot() }
            return result
        }
        guard !walkDone else { return nil }
        if channel.backlog < Self.maxBacklog { ks.snapshotStep(budget: Self.stepBudget) }
        let batch = snapshot.takePending()
        if !batch.isEmpty { channel.push(batch) }
        if snapshot.isComplete {
            let rest = snapshot.takePending()
            if !rest.isEmpty { channel.push(rest) }
            ks.endSnapshot()
            channel.close()
            walkDone = true
        }
        return nil
    }

    /// True while keys remain to walk (ticks should come quickly).
    var walking: Bool { !walkDone }

    /// Stops the save: the snapshot ends, the writer drains and drops its file.
    func abort(_ ks: Keyspace) {
        if !walkDone {
            ks.endSnapshot()
            walkDone = true
        }
        channel.abandon()
    }
}

struct SaveAborted: Error, CustomStringConvertible {
    var description: String { "background save aborted" }
}

/// What the writer thread does: serialize batches until the channel closes.
private struct WriterJob: @unchecked Sendable {
    let target: SnapshotTarget
    let makeSerializer: @Sendable (SnapshotSink) -> SnapshotSerializer

    func run(_ channel: SnapshotChannel) -> Result<Int, Error> {
        var sink: SnapshotSink?
        do {
            sink = try target.open()
            var serializer = makeSerializer(sink!)
            try serializer.begin()
            while let batch = channel.pop() {
                if channel.isAbandoned { throw SaveAborted() }
                for item in batch { try serializer.write(item) }
            }
            if channel.isAbandoned { throw SaveAborted() }
            let (done, keys) = try serializer.finish()
            sink = nil
            try target.commit(done)
            return .success(keys)
        } catch {
            target.abandon(sink)
            return .failure(error)
        }
    }
}
