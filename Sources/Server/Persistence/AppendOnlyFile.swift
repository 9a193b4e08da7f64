// AppendOnlyFile: the open append-only file and its write buffer: the change
// stream goes in as RESP commands, and leaves for the disk before any reply
// does, under the `appendfsync` policy.
//
// Contract (owner thread): `feed` appends a record to the buffer (Redis's
// aof_buf); `flush` writes the buffer before replies leave (the network layer
// calls it before flushing client output) and on the cron:
//   always    write, then fsync, before the replies go: a reply means on disk;
//   everysec  write now, fsync on a background thread about once a second; if
//             that fsync is still running, the write is postponed, for at
//             most 2 s, then done anyway (counted in aof_delayed_fsync), as
//             Redis documents for a stalled disk;
//   no        write now, the kernel syncs when it likes.
// A failed write keeps the buffer (retried by the cron) and reports
// aof_last_write_status:err; write commands are then refused (MISCONF). With
// `always` a failed write ends the process, as Redis does: a reply could
// otherwise promise what the disk does not hold.
// Tricky bit: a partial write is cut back off the file (ftruncate), so the
// file never ends in half a command while the buffer still holds it whole.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Engine
import ChangeStream
import AOF

/// fsync() calls run off the owner thread, in order, on a thread of their own
/// ("cairn-aof-fsync", started with the first job, ended when this object goes);
/// also closes old descriptors after their fsyncs.
final class BackgroundFsync: Sendable {
    private enum Job: Sendable {
        case fsync(Int32)
        case close(Int32)

        func run() {
            switch self {
            case .fsync(let fd): _ = fdatasync(fd)
            case .close(let fd): _ = Glibc.close(fd)
            }
        }
    }

    private let jobs = BatchQueue<Job>()
    /// Jobs queued or running.
    private let pending = Monitor(0)
    private let started = Atomic(false)

    deinit { jobs.close() }  // the thread runs what is queued, then ends

    /// Jobs queued or running (INFO aof_pending_bio_fsync).
    var inProgress: Int { pending.read { $0 } }

    private func run(_ job: Job) {
        if !started.exchange(true, ordering: .relaxed) {
            let (jobs, pending) = (self.jobs, self.pending)
            BackgroundThread.start(name: "cairn-aof-fsync") {
                while case .batch(let batch) = jobs.pop() {
                    for job in batch {
                        job.run()
                        pending.update { $0 -= 1 }
                    }
                }
            }
        }
        pending.update { $0 += 1 }
        jobs.push([job])
    }

    func fsync(_ fd: Int32) { run(.fsync(fd)) }
    func close(_ fd: Int32) { run(.close(fd)) }
    /// Waits until every queued job has run.
    func drain() { _ = pending.wait(until: { $0 == 0 }) { _ in } }
}

final class AppendOnlyFile {
    enum State { case off, on, waitingForRewrite }
    var state = State.off { didSet { onStateChange() } }
    /// Tells the change stream that the AOF's listening may have changed (Persistence.takesRecords).
    var onStateChange: () -> Void = {}
    private(set) var fd: Int32 = -1
    var encoder = CommandEncoder(capacity: 1 << 16)
    /// Bytes in the file now, and after the last rewrite (auto-aof-rewrite compares them).
    var currentSize: Int64 = 0
    var baseSize: Int64 = 0
    var lastWriteError: String?
    var delayedFsyncs = 0
    private var postponedSince: Int64 = 0
    private var lastFsyncMs: Int64 = 0
    /// The file size covered by the last fsync queued.
    private var syncQueuedSize: Int64 = 0
    let fsyncer = BackgroundFsync()
    let log: ServerLog
    /// Where the writes, fsyncs and fstats time themselves (set when the server attaches).
    var latency = LatencyMonitor()
    /// Whether a snapshot (BGSAVE or rewrite) is being written: 4.0's "active child".
    var snapshotActive: () -> Bool = { false }

    init(log: ServerLog) { self.log = log }

    /// Opens (creating if needed) `path` for appending.
    func open(_ path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw LoadError(description: "Can't open the append-only file \(path): \(String(cString: strerror(errno)))") }
        adopt(fd)
    }

    /// Switches to a new descriptor (after a rewrite); the old one closes after its pending fsyncs.
    func adopt(_ newFd: Int32) {
        if fd >= 0 { fsyncer.close(fd) }
        fd = newFd
        var st = stat()
        let started = latency.start()
        currentSize = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
        latency.record("aof-fstat", since: started)
        syncQueuedSize = currentSize
        encoder.forgetSelectedDB()
    }

    /// Writes what is buffered and closes the file (appendonly no, shutdown).
    func close(policy: AppendFsync) {
        guard fd >= 0 else { return }
        flush(policy: policy, force: true, skipFsync: false)
        Glibc.fsync(fd)
        fsyncer.close(fd)
        fsyncer.drain()
        fd = -1
        encoder = CommandEncoder(capacity: 1 << 16)
    }

    func feed(_ record: PropagationRecord) {
        if state == .on { encoder.append(record) }
    }

    /// Writes the buffer under `policy`; `force` ignores a pending background fsync.
    func flush(policy: AppendFsync, force: Bool, skipFsync: Bool) {
        guard fd >= 0 else { return }
        let now = wallClockMilliseconds()
        if encoder.buffer.isEmpty {
            // Nothing new, but bytes written earlier may still wait for their fsync.
            if policy == .everysec && !skipFsync { backgroundFsyncIfDue(now) }
            return
        }
        if policy == .everysec && !force && fsyncer.inProgress > 0 {
            if postponedSince == 0 {
                postponedSince = now
                return
            }
            if now - postponedSince < 2000 { return }
            delayedFsyncs += 1
            log.notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.")
        }
        postponedSince = 0
        guard timedWrite() else {
            if policy == .always {
                log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
                log.flush()
                exit(1)
            }
            return
        }
        if skipFsync { return }
        switch policy {
        case .always:
            let started = latency.start()
            defer { latency.record("aof-fsync-always", since: started) }
            if fdatasync(fd) != 0 {
                log.warning("Can't persist the AOF (fsync: \(String(cString: strerror(errno)))) with the 'always' policy. Exiting...")
                log.flush()
                exit(1)
            }
        case .everysec:
            backgroundFsyncIfDue(now)
        case .no:
            break
        }
    }

    /// Queues an fsync when written bytes are unsynced and the last one is a second old.
    private func backgroundFsyncIfDue(_ now: Int64) {
        guard currentSize != syncQueuedSize, now - lastFsyncMs >= 1000, fsyncer.inProgress == 0 else { return }
        fsyncer.fsync(fd)
        syncQueuedSize = currentSize
        lastFsyncMs = now
    }

    /// `write()`, recorded as aof-write and as what competed with it: an fsync still
    /// running, a snapshot being written, or nothing (4.0's three sub-events).
    private func timedWrite() -> Bool {
        let started = latency.start()
        let pendingFsync = fsyncer.inProgress > 0
        let ok = write()
        guard started != 0 else { return ok }
        let ms = Int64((monotonicNanoseconds() - started) / 1_000_000)
        let context = pendingFsync ? "aof-write-pending-fsync" : snapshotActive() ? "aof-write-active-child" : "aof-write-alone"
        latency.add(context, milliseconds: ms)
        latency.add("aof-write", milliseconds: ms)
        return ok
    }

    /// Writes the whole buffer; on failure cuts a partial write back off and keeps the buffer.
    private func write() -> Bool {
        var done = 0
        let total = encoder.buffer.count
        let failure: String? = encoder.buffer.withUnsafeBytes { bytes in
            while done < total {
                let n = Glibc.write(fd, bytes.baseAddress! + done, total - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                if n == 0 { return "short write" }
                done += n
            }
            return nil
        }
        if let failure {
            if done > 0 && ftruncate(fd, off_t(currentSize)) != 0 {
                // The half-written command stays; the next write would follow garbage. Keep the rest.
                encoder.buffer.removeFirst(done)
                currentSize += Int64(done)
            }
            if lastWriteError == nil {
                log.warning("Error writing to the AOF file: \(failure)")
            }
            lastWriteError = failure
            return false
        }
        if lastWriteError != nil {
            log.warning("AOF write error looks solved, Redis can write again.")
            lastWriteError = nil
        }
        currentSize += Int64(total)
        encoder.buffer.removeAll(keepingCapacity: encoder.buffer.capacity <= 1 << 20)
        return true
    }
}
