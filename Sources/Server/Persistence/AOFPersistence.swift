// AOFPersistence: the append-only file in the server: feeding it from the
// change stream, switching it on and off (CONFIG SET appendonly), and the
// forkless rewrite (BGREWRITEAOF and auto-aof-rewrite-*).
//
// Contract: a rewrite writes a snapshot of the keyspace (as an RDB preamble
// with aof-use-rdb-preamble, else as commands) to a temporary file on the
// writer thread, while every record delivered after the snapshot began is
// kept in `rewriteBuffer`; at the end the owner thread appends that buffer,
// syncs, and renames the file over the AOF, so the AOF is always either the
// old complete log or the new one. Switching the AOF on at run time is such
// a rewrite first (Redis's AOF_WAIT_REWRITE): until it ends, records go only
// to the rewrite buffer.
// Tricky bit: the snapshot must begin on a record boundary: BGREWRITEAOF
// inside MULTI/EXEC would otherwise see records of the same EXEC both in the
// snapshot and in the buffer. So the command only asks the SnapshotScheduler;
// the snapshot starts after the dispatcher has delivered the command's records.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import ChangeStream
import RDB
import AOF

/// The commands form of a rewrite: each key as the commands that recreate it.
struct AOFCommandSerializer: SnapshotSerializer {
    var sink: SnapshotSink
    var encoder = CommandEncoder(capacity: 1 << 16)
    var keys = 0
    /// Keys already expired when the snapshot began are left out, as Redis's rewrite does.
    let now: Int64

    mutating func begin() throws {}

    mutating func write(_ item: SnapshotItem) throws {
        if let at = item.expireAt, at < now { return }
        if item.db != encoder.selectedDB { encoder.appendSelect(item.db) }
        try AOFRewrite.append(key: item.key, value: item.value, expireAtMs: item.expireAt, to: &encoder)
        keys += 1
        if encoder.buffer.count >= 1 << 16 { try sink.write(encoder.take()) }
    }

    mutating func finish() throws -> (SnapshotSink, Int) {
        try sink.write(encoder.take())
        return (sink, keys)
    }
}


extension Persistence {
    /// Where the AOF lives.
    package var aofPath: String { ConfigValue.absolute(server.config.appendfilename, from: server.config.dir) }

    package var aofEnabled: Bool { aof.state != .off }
    package var aofRewriteInProgress: Bool { scheduler.rewriteInProgress }

    /// Whether `feed` keeps records now: the AOF on, or a rewrite buffering (an AOF switched on
    /// later, or a rewrite started later, begins from a snapshot of the keyspace instead). What it
    /// reads tells the stream when it changes (AppendOnlyFile.state, rewriteBuffer, replayingAOF).
    var takesRecords: Bool { !replayingAOF && (aof.state == .on || rewriteBuffer != nil) }

    /// The change-stream consumer.
    func feed(_ record: PropagationRecord) {
        if replayingAOF || record.replicasOnly { return }
        aof.feed(record)
        rewriteBuffer?.append(record)
    }

    /// Writes the AOF buffer before replies leave (the network layer calls this).
    package func flushBeforeReplies() {
        guard aof.state == .on, !aof.encoder.buffer.isEmpty else { return }
        aof.flush(policy: server.config.appendfsync, force: false, skipFsync: skipsFsync)
    }

    /// no-appendfsync-on-rewrite: no fsync while a rewrite writes its file.
    private var skipsFsync: Bool { server.config.noAppendfsyncOnRewrite && (aofRewrite != nil || bgsave != nil) }

    // MARK: on and off

    /// Opens the AOF at start-up (after it was loaded) for appending.
    func openAppendOnlyAtStartup() throws {
        try aof.open(aofPath)
        aof.baseSize = aof.currentSize
        aof.state = .on
    }

    /// CONFIG SET appendonly yes/no. Turning it on starts a rewrite; nil when done, else why not.
    func setAppendOnly(_ on: Bool) -> String? {
        if !on {
            guard aof.state != .off else { return nil }
            aof.close(policy: server.config.appendfsync)
            aof.state = .off
            abortRewrite()
            return nil
        }
        guard aof.state == .off else { return nil }
        if scheduler.rewriteInProgress {
            // That rewrite kept no buffer of the writes since it began: start over.
            server.log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.")
            abortRewrite()
        }
        aof.state = .waitingForRewrite
        if let problem = requestRewrite(), problem.hasPrefix("ERR") {
            aof.state = .off
            server.log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
            return problem
        }
        return nil
    }

    func closeAppendOnlyForShutdown() {
        abortRewrite()
        guard aof.state == .on else { return }
        server.log.notice("Calling fsync() on the AOF file.")
        aof.close(policy: server.config.appendfsync)
        aof.state = .off
    }

    // MARK: rewrite

    /// BGREWRITEAOF: the reply's text; "ERR ..." when refused.
    func requestRewrite() -> String? {
        switch scheduler.requestRewrite() {
        case .alreadyInProgress: return "ERR Background append only file rewriting already in progress"
        case .scheduled: return "Background append only file rewriting scheduled"
        case .started: return "Background append only file rewriting started"
        }
    }

    /// Starts the rewrite the scheduler chose (between commands, after their records were delivered).
    func beginRewriteJob() {
        guard let snapshot = server.keyspace.beginSnapshot() else {
            server.log.warning("Can't rewrite append only file in background: another snapshot is in progress")
            lastRewriteOK = false
            _ = scheduler.finished(.aofRewrite)
            return
        }
        let file = AtomicFile(target: aofPath, prefix: "temp-rewriteaof-bg", suffix: "aof")
        let serializer: @Sendable (SnapshotSink) -> SnapshotSerializer
        if server.config.aofUseRdbPreamble {
            var preambleHeader = self.header
            preambleHeader.aofPreamble = true
            let header = preambleHeader
            let (compression, checksum) = (server.config.rdbCompression, server.config.rdbChecksum)
            serializer = { RDBSerializer(sink: $0, header: header, compression: compression, checksum: checksum) }
        } else {
            let now = server.keyspace.now
            snapshot.moduleValuesAsCommands = true
            serializer = { AOFCommandSerializer(sink: $0, now: now) }
        }
        aofRewrite = BackgroundSave(snapshot: snapshot, target: FileTarget(file: file, rename: false), serializer: serializer)
        rewriteFile = file
        rewriteBuffer = CommandEncoder(capacity: 1 << 16)
        server.stream.listenersChanged()
        rewriteStartedMs = wallClockMilliseconds()
        server.log.notice("Background append only file rewriting started")
        scheduleRewriteTick()
    }

    private func scheduleRewriteTick() { schedule(aofRewrite) { [weak self] in self?.rewriteTick() } }

    func rewriteTick() {
        guard let job = aofRewrite else { return }
        guard let result = job.tick(server.keyspace) else {
            scheduleRewriteTick()
            return
        }
        aofRewrite = nil
        _ = scheduler.finished(.aofRewrite)
        lastRewriteSeconds = (wallClockMilliseconds() - rewriteStartedMs) / 1000
        switch result {
        case .success:
            server.log.notice("Background AOF rewrite terminated with success")
            do {
                try finishRewrite()
                lastRewriteOK = true
                server.log.notice("Background AOF rewrite finished successfully")
            } catch {
                server.log.warning("Error trying to install the rewritten AOF: \(error)")
                lastRewriteOK = false
                rewriteFile?.abandon(nil)
                if aof.state == .waitingForRewrite { _ = scheduler.requestRewrite() }
            }
        case .failure(let error):
            if !(error is SaveAborted) {
                server.log.warning("Background AOF rewrite terminated with error: \(error)")
                lastRewriteOK = false
                if aof.state == .waitingForRewrite { _ = scheduler.requestRewrite() }
            }
        }
        rewriteBuffer = nil
        server.stream.listenersChanged()
        rewriteFile = nil
        startPendingSnapshot()
    }

    /// Appends the records that arrived meanwhile, syncs, and renames the new file over the AOF.
    private func finishRewrite() throws {
        guard let file = rewriteFile, var buffer = rewriteBuffer else { return }
        let fd = open(file.temporary, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw LoadError(description: "can't open \(file.temporary): \(String(cString: strerror(errno)))") }
        let tail = buffer.take()
        let diffStarted = server.latency.start()
        let ok = tail.withUnsafeBytes { b -> Bool in
            var done = 0
            while done < b.count {
                let n = write(fd, b.baseAddress! + done, b.count - done)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
                done += n
            }
            return true
        } && fsync(fd) == 0
        server.latency.record("aof-rewrite-diff-write", since: diffStarted)
        guard ok else {
            close(fd)
            throw LoadError(description: "can't append the rewrite buffer: \(String(cString: strerror(errno)))")
        }
        server.log.notice("Residual parent diff successfully flushed to the rewritten AOF (\(String(format2: Double(tail.count) / 1048576)) MB)")
        // The old AOF's buffer must reach the old file before the switch (its records are in the tail too).
        if aof.state == .on { aof.flush(policy: server.config.appendfsync, force: true, skipFsync: true) }
        let renameStarted = server.latency.start()
        try file.moveIntoPlace()
        server.latency.record("aof-rename", since: renameStarted)
        if aof.state == .waitingForRewrite {
            close(fd)
            try aof.open(aofPath)
            aof.state = .on
            server.log.notice("AOF rewrite successful: the append-only file is now enabled")
        } else if aof.state == .on {
            aof.adopt(fd)
        } else {
            close(fd)
        }
        aof.encoder = CommandEncoder(capacity: 1 << 16)
        aof.baseSize = aof.currentSize
    }

    /// Stops a rewrite in progress, or one due to start at the next command boundary, and drops its file.
    func abortRewrite() {
        // A rewrite that is `next` already answered "started": 4.0 had forked its child by then.
        if scheduler.running == .aofRewrite || scheduler.next == .aofRewrite {
            // 4.0 logs "Killing running AOF rewrite child: <pid>"; operators and scripts look for it.
            server.log.notice("Killing AOF child: Cairn's rewrite runs in this process, not in a child, so the background AOF rewrite is abandoned and its temporary file removed")
        }
        scheduler.cancelRewrite()
        guard let job = aofRewrite else { return }
        job.abort(server.keyspace)
        aofRewrite = nil
        _ = scheduler.finished(.aofRewrite)
        rewriteBuffer = nil
        server.stream.listenersChanged()
        rewriteFile = nil
        server.log.notice("Background AOF rewrite aborted")
    }

    /// The AOF part of the cron: retry postponed or failed writes, run scheduled and automatic rewrites.
    func aofCron() {
        rewriteTick()
        if aof.state == .on {
            aof.flush(policy: server.config.appendfsync, force: false, skipFsync: skipsFsync)
        }
        guard scheduler.isIdle, !scheduler.rewriteScheduled, loading == nil else { return }
        let percent = server.config.autoAofRewritePercentage
        if aof.state == .on && percent > 0 && aof.currentSize > Int64(server.config.autoAofRewriteMinSize) {
            let base = max(aof.baseSize, 1)
            let growth = (aof.currentSize * 100 / base) - 100
            if growth >= Int64(percent) {
                server.log.notice("Starting automatic rewriting of AOF on \(growth)% growth")
                _ = scheduler.requestRewrite()
                startPendingSnapshot()
            }
        }
    }
}
