// Persistence: the server's RDB state and operations: SAVE, BGSAVE, save
// points, loading at start-up and DEBUG RELOAD, and what INFO persistence
// reports.
//
// Contract: everything here runs on the owner thread. A background save is
// driven by `tick`, which the network layer schedules (every few hundred
// microseconds while the walk runs) and the cron also calls; without a
// network layer (tests) the cron alone drives it. One save at a time, as one
// fork at a time in Redis. Field names and log lines follow Redis 4.0.
// Tricky bit: a BGSAVE saves the dataset as it was when it started, so the
// dirty counter drops by the changes counted at its start, not to zero.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import ChangeStream
import RDB
import AOF

public final class Persistence {
    /// Set once, by the server's init, right after this is made (the server owns it).
    unowned private(set) var server: Server!
    /// Unix seconds of the last successful save (LASTSAVE).
    public internal(set) var lastSaveTime = wallClockMilliseconds() / 1000
    public internal(set) var lastBgsaveOK = true
    public internal(set) var lastBgsaveSeconds: Int64 = -1
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried after 5 s).
    var lastBgsaveTry: Int64 = 0
    var bgsave: BackgroundSave?
    var bgsaveStartedMs: Int64 = 0
    var dirtyAtBgsaveStart: Int64 = 0
    /// A BGSAVE asked for while another ran (BGSAVE SCHEDULE, or the AOF later).
    public internal(set) var bgsaveScheduled = false
    /// Set while a dataset is loading (clients get -LOADING).
    public internal(set) var loading: LoadProgress?
    /// Keys captured before a write by the last background save (INFO rdb_last_cow_size's counterpart).
    public internal(set) var lastCapturedBeforeWrite = 0

    // MARK: the append-only file (AOFPersistence.swift)
    let aof: AppendOnlyFile
    var aofRewrite: BackgroundSave?
    /// Records that arrived since the rewrite's snapshot, appended to its file at the end.
    var rewriteBuffer: CommandEncoder?
    var rewriteFile: AtomicFile?
    var rewriteStartedMs: Int64 = 0
    public internal(set) var lastRewriteSeconds: Int64 = -1
    public internal(set) var lastRewriteOK = true
    /// BGREWRITEAOF asked for while a BGSAVE held the snapshot.
    public internal(set) var rewriteScheduled = false
    /// BGREWRITEAOF accepted: the snapshot starts once this command's records are delivered.
    var rewriteStartPending = false
    /// Set while an AOF is replayed: its commands must not be appended to it again.
    var replayingAOF = false

    init(log: ServerLog) {
        aof = AppendOnlyFile(log: log)
    }

    func attach(to server: Server) { self.server = server }

    /// Where dump.rdb lives.
    public var dumpPath: String { ConfigValue.absolute(server.config.dbfilename, from: server.config.dir) }

    public var bgsaveInProgress: Bool { bgsave != nil }

    var header: DatasetHeader {
        DatasetHeader(ctime: wallClockMilliseconds() / 1000, usedMemory: Int64(ProcessStats.heapBytes()),
                      sizes: server.keyspace.sizeHints)
    }

    // MARK: SAVE

    /// Writes the whole dataset now, on this thread (SAVE, SHUTDOWN, FLUSHALL with save points).
    public func save() throws {
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

    /// Starts a background save; nil when started, else why not.
    public func startBackgroundSave() -> String? {
        guard bgsave == nil else { return "Background save already in progress" }
        guard let snapshot = server.keyspace.beginSnapshot() else { return "Another snapshot is in progress" }
        let (header, compression, checksum) = (header, server.config.rdbCompression, server.config.rdbChecksum)
        let job = BackgroundSave(snapshot: snapshot, file: AtomicFile(target: dumpPath)) { sink in
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
        guard let result = job.tick(server.keyspace) else {
            scheduleTick()
            return
        }
        bgsave = nil
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
    }

    private func scheduleTick() { schedule(bgsave) { [weak self] in self?.tick() } }

    /// Brings `work` back for `job`: as soon as the loop is free while walking, then polling for the writer's end.
    func schedule(_ job: BackgroundSave?, _ work: @escaping () -> Void) {
        guard let schedule = server.schedule, let job else { return }
        schedule(job.walking ? 0 : 1, work)
    }

    /// Stops a background save in progress (FLUSHALL, SHUTDOWN); its file is dropped.
    func abortBackgroundSave() {
        guard let job = bgsave else { return }
        job.abort(server.keyspace)
        bgsave = nil
        server.log.warning("Background saving aborted")
    }

    // MARK: save points

    /// Called by the cron: starts a BGSAVE when a save point is reached.
    func cron() {
        tick()
        aofCron()
        guard bgsave == nil, aofRewrite == nil, loading == nil else { return }
        if bgsaveScheduled && server.keyspace.activeSnapshot == nil {
            bgsaveScheduled = false
            _ = startBackgroundSave()
            return
        }
        let now = wallClockMilliseconds() / 1000
        let dirty = server.keyspace.dirty
        for point in server.config.savePoints {
            // A failed save is retried only after 5 seconds (Redis's CONFIG_BGSAVE_RETRY_DELAY).
            if dirty >= Int64(point.changes) && now - lastSaveTime > Int64(point.seconds)
                && (now - lastBgsaveTry > 5 || lastBgsaveOK) {
                server.log.notice("\(point.changes) changes in \(point.seconds) seconds. Saving...")
                _ = startBackgroundSave()
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
public struct LoadProgress {
    public var startedAt: Int64
    public var totalBytes: Int
    public var loadedBytes: Int
}

extension Server {
    /// What must happen before exiting (SHUTDOWN, SIGTERM): a running BGSAVE is dropped and,
    /// with `save` true, or nil and save points configured, the dataset is saved.
    /// False when the save failed: the server must not exit.
    public func prepareForShutdown(save: Bool?) -> Bool {
        log.warning("Preparing to shut down...")
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
        return true
    }
}
