// SnapshotSink: where a background snapshot's bytes go: a file (BGSAVE, an
// AOF rewrite, a disk-based full sync), or a stream of chunks that the owner
// thread hands to replicas' sockets (a diskless full sync).
//
// Contract: the writer thread opens, writes, and then commits or abandons
// the sink through its SnapshotTarget; serializers see only `ByteSink`. A
// stream's chunks wait in a bounded queue (`SnapshotStream.maxQueuedBytes`):
// a writer faster than the sockets blocks there, so memory stays bounded
// and the event loop never waits; the owner thread takes chunks with
// `SnapshotStream.take` as the replicas' sockets drain.
// Tricky bit: the stream's pending buffer belongs to the writer thread alone
// (it is only touched by `write`, `flush` and `close`, which the writer
// calls); the queue is the only thing the two threads share.
import Engine
import RDB

/// A snapshot's destination, as the writer thread sees it.
enum SnapshotSink: ByteSink {
    case file(FileSink)
    case stream(SnapshotStream)

    mutating func write(_ bytes: [UInt8]) throws {
        switch self {
        case .file(var f):
            try f.write(bytes)
            self = .file(f)
        case .stream(let s):
            try s.write(bytes)
        }
    }

    mutating func flush() throws {
        switch self {
        case .file(var f):
            try f.flush()
            self = .file(f)
        case .stream(let s):
            try s.flush()
        }
    }
}

/// Opens a sink on the writer thread and finishes it there.
protocol SnapshotTarget: Sendable {
    func open() throws -> SnapshotSink
    /// The serializer wrote everything: make it durable (or deliver its end).
    func commit(_ sink: SnapshotSink) throws
    /// The write failed or was aborted: drop what was written.
    func abandon(_ sink: SnapshotSink?)
}

/// A file written under a temporary name; with `rename` it replaces its target when
/// committed, otherwise it is left synced under the temporary name (an AOF rewrite).
struct FileTarget: SnapshotTarget {
    let file: AtomicFile
    let rename: Bool

    func open() throws -> SnapshotSink { .file(try file.open()) }

    func commit(_ sink: SnapshotSink) throws {
        guard case .file(let f) = sink else { return }
        if rename { try file.commit(f) } else { try f.close() }
    }

    func abandon(_ sink: SnapshotSink?) {
        if case .file(let f) = sink { file.abandon(f) } else { file.abandon(nil) }
    }
}

/// The replicas' sockets, through a `SnapshotStream`.
struct StreamTarget: SnapshotTarget {
    let stream: SnapshotStream

    func open() throws -> SnapshotSink { .stream(stream) }
    func commit(_ sink: SnapshotSink) throws { try stream.close() }
    func abandon(_ sink: SnapshotSink?) { stream.cancel() }
}

/// Chunks of a snapshot from the writer thread to the owner thread.
final class SnapshotStream: @unchecked Sendable {
    /// Bytes queued at most before the writer waits.
    static let maxQueuedBytes = 8 << 20
    /// The size of the chunks handed over.
    static let chunkBytes = 64 << 10

    private let queue = BatchQueue<UInt8>(maxQueued: SnapshotStream.maxQueuedBytes)
    /// The writer thread's partial chunk.
    private var pending: [UInt8] = []

    // MARK: the writer thread

    func write(_ bytes: [UInt8]) throws {
        if queue.isCancelled { throw SaveAborted() }
        pending.append(contentsOf: bytes)
        if pending.count >= Self.chunkBytes { try flush() }
    }

    func flush() throws {
        if queue.isCancelled { throw SaveAborted() }
        guard !pending.isEmpty else { return }
        queue.push(pending)
        pending = []
        pending.reserveCapacity(Self.chunkBytes)
    }

    /// The last bytes are written: the owner thread sees `finished` once it took them all.
    func close() throws {
        try flush()
        queue.close()
    }

    // MARK: the owner thread

    /// Stops the transfer: the writer fails at its next write.
    func cancel() { queue.cancel() }

    enum Taken {
        case chunk([UInt8])
        /// Nothing queued now; more will come.
        case empty
        /// Everything was taken and the writer closed the stream (or it was cancelled).
        case finished
    }

    /// The next chunk, without waiting.
    func take() -> Taken {
        switch queue.tryPop() {
        case .batch(let chunk): return .chunk(chunk)
        case .timedOut: return .empty
        case .finished: return .finished
        }
    }
}
