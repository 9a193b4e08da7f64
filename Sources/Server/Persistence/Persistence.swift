// Persistence: the server's RDB state and operations: SAVE, BGSAVE, save
// points, loading at start-up and DEBUG RELOAD, and what INFO persistence
// reports.
//
// Contract: everything here runs on the owner thread. A background save is
// driven by `tick`, which the network layer schedules (every few hundred
// microseconds while the walk runs) and the cron also calls; without a
// network layer (tests) the cron alone drives it. Which snapshot runs, and
// when, is the SnapshotScheduler's decision (one at a time, as one fork at a
// time in Redis); jobs start between commands (`startPendingSnapshot`). Field
// names and log lines follow Redis 4.0.
// Tricky bit: a BGSAVE saves the dataset as it was when it started, so the
// dirty counter drops by the changes counted at its start, not to zero.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import ChangeStream
import RDB
import AOF

package final class Persistence {
    /// Set once, by the server's init, right after this is made (the server owns it).
    unowned private(set) var server: Server!
    /// Unix seconds of the last successful save (LASTSAVE).
    package internal(set) var lastSaveTime = wallClockMilliseconds() / 1000
    package internal(set) var lastBgsaveOK = true
    package internal(set) var lastBgsaveSeconds: Int64 = -1
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried after 5 s).
    var lastBgsaveTry: Int64 = 0
    /// Decides which snapshot runs and who waits for it.
    var scheduler = SnapshotScheduler()
    /// The RDB job writing now (BGSAVE, a save point, a full sync's file or sockets).
    var bgsave: BackgroundSave?
    /// The chunks of a diskless sync's RDB, while replicas take them.
    var rdbStream: SnapshotStream?
    /// How the last socket job's writer ended (nil while it runs).
    var socketJobSucceeded: Bool?
    /// Pumps the diskless stream to the replicas (set by replication); called on every tick.
    var onRDBStreamPump: (() -> Void)? = nil
    var bgsaveStartedMs: Int64 = 0
    var dirtyAtBgsaveStart: Int64 = 0
    /// Told when an RDB job ends: the replicas it served, and whether its file is complete.
    var onRDBJobFinished: ((_ replicas: [Int64], _ success: Bool) -> Void)? = nil
    /// Told just before an RDB job that serves replicas begins (they learn the snapshot's offset).
    var onRDBJobStarting: ((_ replicas: [Int64]) -> Void)? = nil
    /// Set by SHUTDOWN: no snapshot starts any more.
    var shuttingDown = false
    /// Set while a dataset is loading (clients get -LOADING).
    package internal(set) var loading: LoadProgress?
    /// Keys captured before a write by the last background save (INFO rdb_last_cow_size's counterpart).
    package internal(set) var lastCapturedBeforeWrite = 0

    // MARK: the append-only file (AOFPersistence.swift)
    let aof: AppendOnlyFile
    var aofRewrite: BackgroundSave?
    /// Records that arrived since the rewrite's snapshot, appended to its file at the end.
    /// Setting it or clearing it is followed by `server.stream.listenersChanged()` (takesRecords).
    var rewriteBuffer: CommandEncoder?
    var rewriteFile: AtomicFile?
    var rewriteStartedMs: Int64 = 0
    package internal(set) var lastRewriteSeconds: Int64 = -1
    package internal(set) var lastRewriteOK = true
    /// BGREWRITEAOF asked for while a BGSAVE held the snapshot.
    package var rewriteScheduled: Bool { scheduler.rewriteScheduled }
    /// Set while an AOF is replayed: its commands must not be appended to it again.
    var replayingAOF = false { didSet { server.stream.listenersChanged() } }

    init(log: ServerLog) {
        aof = AppendOnlyFile(log: log)
    }

    func attach(to server: Server) {
        self.server = server
        aof.latency = server.latency
        aof.snapshotActive = { [unowned self] in aofRewrite != nil || bgsave != nil }
        aof.onStateChange = { [unowned self] in self.server.stream.listenersChanged() }
    }

    /// Where dump.rdb lives.
    package var dumpPath: String { ConfigValue.absolute(server.config.dbfilename, from: server.config.dir) }

    package var bgsaveInProgress: Bool { scheduler.rdbInProgress }

    var header: DatasetHeader {
        DatasetHeader(ctime: wallClockMilliseconds() / 1000, usedMemory: Int64(ProcessStats.heapBytes()),
                      sizes: server.keyspace.sizeHints, replication: server.replicationSaveInfo)
    }

    // MARK: SAVE

    /// Writes the whole dataset now, on this thread (SAVE, SHUTDOWN, FLUSHALL with save points).
    package func save() throws {
        let ks = server.keyspace
        let file = AtomicFile(target: dumpPath)
        var sink: FileSink?
        do {
            sink = try file.open()
            var writer = DatasetWriter(sink: sink!, compression: server.config.rdbCompression,
                                       checksum: server.config.rdbChecksum)
            try writer.begin(header)
            for db in 0..<ks.databaseCount {
                for i in ks.allIndices(db) {
                    try writer.write(db: db, key: ks.key(db, i), value: ks.value(db, i), expireAt: ks.expireAt(db, i))
                }
            }
            try writer.finish()
            sink = nil
            try file.commit(writer.rdb.sink)
        } catch {
            file.abandon(sink)
            server.log.warning("Failed saving the DB: \(error)")
            throw error
        }
        server.log.notice("DB saved on disk")
        ks.dirty = 0
        lastSaveTime = wallClockMilliseconds() / 1000
        lastBgsaveOK = true
    }

    // MARK: BGSAVE

    /// Starts the job the scheduler accepted, if any: called between commands, after their
    /// records were delivered, and by the cron.
    func startPendingSnapshot() {
        guard loading == nil, !shuttingDown, let job = scheduler.takeStart() else { return }
        switch job {
        case .rdbFile:
            if let problem = beginRDBJob() {
                server.log.warning("Can't save in background: \(problem)")
                lastBgsaveOK = false
                finishRDBJob(success: false)
            }
        case .rdbSockets:
            if let problem = beginSocketJob() {
                server.log.warning("Can't start the diskless transfer: \(problem)")
                finishRDBJob(success: false)
            }
        case .aofRewrite:
            beginRewriteJob()
        }
    }

    /// Starts an RDB job whose bytes go to the sockets of the replicas it serves (diskless
    /// sync): no file, no change to LASTSAVE or the dirty count.
    private func beginSocketJob() -> String? {
        onRDBJobStarting?(scheduler.replicasServed)
        guard let snapshot = server.keyspace.beginSnapshot() else { return "Another snapshot is in progress" }
        let (header, compression, checksum) = (header, server.config.rdbCompression, server.config.rdbChecksum)
        let stream = SnapshotStream()
        bgsave = BackgroundSave(snapshot: snapshot, target: StreamTarget(stream: stream)) { sink in
            RDBSerializer(sink: sink, header: header, compression: compression, checksum: checksum)
        }
        rdbStream = stream
        socketJobSucceeded = nil
        bgsaveStartedMs = wallClockMilliseconds()
        scheduleTick()
        return nil
    }

    /// Starts writing dump.rdb from a snapshot; nil when started, else why not.
    private func beginRDBJob() -> String? {
        if !scheduler.replicasServed.isEmpty { onRDBJobStarting?(scheduler.replicasServed) }
        guard let snapshot = server.keyspace.beginSnapshot() else { return "Another snapshot is in progress" }
        let (header, compression, checksum) = (header, server.config.rdbCompression, server.config.rdbChecksum)
        let job = BackgroundSave(snapshot: snapshot, target: FileTarget(file: AtomicFile(target: dumpPath), rename: true)) { sink in
            RDBSerializer(sink: sink, header: header, compression: compression, checksum: checksum)
        }
        bgsave = job
        bgsaveStartedMs = wallClockMilliseconds()
        lastBgsaveTry = bgsaveStartedMs / 1000
        dirtyAtBgsaveStart = server.keyspace.dirty
        server.log.notice("Background saving started")
        scheduleTick()
        return nil
    }

    /// Advances the background save; runs on the owner thread.
    func tick() {
        guard let job = bgsave else { return }
        if rdbStream != nil { onRDBStreamPump?() }
        guard let result = job.tick(server.keyspace) else {
            scheduleTick()
            return
        }
        if scheduler.running == .rdbSockets {
            // A diskless transfer: its end is the replicas' business, not a save.
            socketJobSucceeded = result.isSuccess
            if case .failure(let error) = result, !(error is SaveAborted) {
                server.log.warning("Background transfer error: \(error)")
            } else if result.isSuccess {
                server.log.notice("Background RDB transfer terminated with success")
            }
            finishRDBJob(success: result.isSuccess)
            startPendingSnapshot()
            return
        }
        lastCapturedBeforeWrite = job.snapshot.capturedBeforeWrite
        let now = wallClockMilliseconds()
        lastBgsaveSeconds = (now - bgsaveStartedMs) / 1000
        switch result {
        case .success:
            server.log.notice("Background saving terminated with success")
            server.keyspace.dirty -= dirtyAtBgsaveStart
            lastSaveTime = now / 1000
            lastBgsaveOK = true
        case .failure(let error):
            if error is SaveAborted {
                server.log.warning("Background saving aborted")
            } else {
                server.log.warning("Background saving error: \(error)")
                lastBgsaveOK = false
            }
        }
        finishRDBJob(success: result.isSuccess)
        startPendingSnapshot()
    }

    /// The RDB job is over: its replicas learn the outcome, and what waits becomes next (it
    /// starts at the next command boundary, or here when the caller is at one).
    private func finishRDBJob(success: Bool) {
        bgsave = nil
        // The job that ran: dump.rdb, or a diskless sync's sockets.
        let served = scheduler.finished(scheduler.running == .rdbSockets || scheduler.next == .rdbSockets ? .rdbSockets : .rdbFile)
        onRDBJobFinished?(served, success)
    }

    private func scheduleTick() { schedule(bgsave) { [weak self] in self?.tick() } }

    /// Brings `work` back for `job`: as soon as the loop is free while walking, then polling for the writer's end.
    func schedule(_ job: BackgroundSave?, _ work: @escaping () -> Void) {
        guard let schedule = server.schedule, let job else { return }
        schedule(job.walking ? 0 : 1, work)
    }

    /// Stops a background save in progress (FLUSHALL, SHUTDOWN); its file is dropped, and
    /// the replicas waiting for it fail their sync.
    func abortBackgroundSave() {
        guard let job = bgsave else { return }
        job.abort(server.keyspace)
        server.log.warning("Background saving aborted")
        finishRDBJob(success: false)
    }

    // MARK: save points

    /// Called by the cron: starts what waits, or a BGSAVE when a save point is reached.
    func cron() {
        tick()
        aofCron()
        guard loading == nil else { return }
        scheduler.promoteWaiting()
        startPendingSnapshot()
        guard scheduler.isIdle else { return }
        let now = wallClockMilliseconds() / 1000
        let dirty = server.keyspace.dirty
        for point in server.config.savePoints {
            // A failed save is retried only after 5 seconds (Redis's CONFIG_BGSAVE_RETRY_DELAY).
            if dirty >= Int64(point.changes) && now - lastSaveTime > Int64(point.seconds)
                && (now - lastBgsaveTry > 5 || lastBgsaveOK) {
                server.log.notice("\(point.changes) changes in \(point.seconds) seconds. Saving...")
                if scheduler.requestSavePoint() { startPendingSnapshot() }
                break
            }
        }
    }

    /// The error write commands get while the last background save failed
    /// (stop-writes-on-bgsave-error), or nil.
    var writeRefusal: String? {
        if let error = aof.lastWriteError { return "MISCONF Errors writing to the AOF file: \(error)" }
        guard server.config.stopWritesOnBgsaveError, !server.config.savePoints.isEmpty, !lastBgsaveOK else { return nil }
        return "MISCONF Redis is configured to save RDB snapshots, but is currently not able to persist on disk. "
            + "Commands that may modify the data set are disabled. Please check Redis logs for details about the error."
    }
}

/// Progress of a load in progress (INFO loading_* fields).
package struct LoadProgress {
    package var startedAt: Int64
    package var totalBytes: Int
    package var loadedBytes: Int
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

extension Server {
    /// What must happen before exiting (SHUTDOWN, SIGTERM): a running BGSAVE is dropped and,
    /// with `save` true, or nil and save points configured, the dataset is saved.
    /// False when the save failed: the server must not exit.
    package func prepareForShutdown(save: Bool?) -> Bool {
        log.warning("Preparing to shut down...")
        persistence.shuttingDown = true
        defer { persistence.shuttingDown = false }  // a failed save keeps the server running
        persistence.abortBackgroundSave()
        persistence.closeAppendOnlyForShutdown()
        if save == true || (save == nil && !config.savePoints.isEmpty) {
            log.notice("Saving the final RDB snapshot before exiting.")
            do {
                try persistence.save()
            } catch {
                log.warning("Error trying to save the DB, can't exit.")
                return false
            }
        }
        if let pidfile = pidFilePath {
            log.notice("Removing the pid file.")
            unlink(pidfile)
            pidFilePath = nil
        }
        return true
    }
}
