// SnapshotScheduler: which background snapshot runs, who waits for it, and
// what runs next, as one pure state machine (no files, threads or clocks).
//
// Contract: one snapshot at a time (the keyspace has one snapshot, as Redis
// has one child). Requesters are BGSAVE, the save points, the AOF rewrite,
// and replicas that need a full sync; the RDB file job serves BGSAVE, save
// points and disk-based full syncs alike. A request never starts a job in the
// middle of a command: an accepted job waits in `next` until the dispatcher,
// between two commands' records, calls `takeStart()`, so a snapshot always
// begins at a known stream offset (never inside an EXEC). When a job ends,
// `finished` names the replicas it served, and anything waiting (replicas
// first, then a scheduled rewrite, then a scheduled BGSAVE) becomes `next`.
// Redis 4.0's rules, in the answers: a BGSAVE during a BGSAVE is refused;
// during a rewrite it is refused, or scheduled with SCHEDULE; a BGREWRITEAOF
// during a BGSAVE is scheduled; a replica joins an RDB job that already serves
// another replica (it then shares that replica's buffered stream), and
// otherwise waits for the next one.
// Diskless full syncs (replicas that said `capa eof`, with repl-diskless-sync
// yes) wait apart: their job writes to the sockets of all of them at once and
// starts when the server says the diskless delay has passed
// (`startDiskless`); nobody joins a socket job once it runs.
// Tricky bit: a replica may attach only to a job that began for replicas: a
// BGSAVE started for the user may have begun inside an EXEC, at no offset a
// replica could continue from.

struct SnapshotScheduler: Equatable {
    enum Job: Equatable { case rdbFile, rdbSockets, aofRewrite }

    /// The job writing now.
    private(set) var running: Job? = nil
    /// The job accepted and starting at the next command boundary.
    private(set) var next: Job? = nil
    /// Replicas the running (or next) RDB job serves: they get its file.
    private(set) var replicasServed: [Int64] = []
    /// Replicas waiting for an RDB job after the current one.
    private(set) var replicasWaiting: [Int64] = []
    /// Replicas waiting for a diskless (socket) job.
    private(set) var disklessWaiting: [Int64] = []
    /// BGSAVE SCHEDULE during a rewrite.
    private(set) var bgsaveScheduled = false
    /// BGREWRITEAOF during a BGSAVE.
    private(set) var rewriteScheduled = false

    var isIdle: Bool { running == nil && next == nil }
    /// The RDB job runs (or is about to): INFO rdb_bgsave_in_progress.
    var rdbInProgress: Bool { [running, next].contains { $0 == .rdbFile || $0 == .rdbSockets } }
    var rewriteInProgress: Bool { running == .aofRewrite || next == .aofRewrite }

    // MARK: requests

    enum BgsaveAnswer: Equatable { case started, scheduled, alreadyInProgress, rewriteInProgress }

    /// BGSAVE [SCHEDULE].
    mutating func requestBgsave(schedule: Bool) -> BgsaveAnswer {
        if rdbInProgress { return .alreadyInProgress }
        if rewriteInProgress {
            guard schedule else { return .rewriteInProgress }
            bgsaveScheduled = true
            return .scheduled
        }
        next = .rdbFile
        return .started
    }

    /// A save point was reached (cron): starts only when nothing else runs.
    mutating func requestSavePoint() -> Bool {
        guard isIdle else { return false }
        next = .rdbFile
        return true
    }

    enum RewriteAnswer: Equatable { case started, scheduled, alreadyInProgress }

    /// BGREWRITEAOF, the automatic rewrite, or CONFIG SET appendonly yes.
    mutating func requestRewrite() -> RewriteAnswer {
        if rewriteInProgress { return .alreadyInProgress }
        if !isIdle {
            rewriteScheduled = true
            return .scheduled
        }
        next = .aofRewrite
        return .started
    }

    enum FullSyncAnswer: Equatable {
        /// A new RDB job starts for this replica (at the next boundary).
        case startsJob
        /// Joins the job already serving `sharingWith`: take that replica's offset and buffer.
        case joins(sharingWith: Int64)
        /// Waits for the next RDB job.
        case waits
    }

    /// A replica needs a full sync: through dump.rdb, or `diskless` to its socket.
    mutating func requestFullSync(replica: Int64, diskless: Bool = false) -> FullSyncAnswer {
        if diskless {
            disklessWaiting.append(replica)
            return .waits
        }
        if running == .rdbFile || next == .rdbFile, let first = replicasServed.first {
            replicasServed.append(replica)
            return .joins(sharingWith: first)
        }
        if isIdle {
            next = .rdbFile
            replicasServed = [replica]
            return .startsJob
        }
        replicasWaiting.append(replica)
        return .waits
    }

    /// A replica disconnected: it waits for nothing any more.
    mutating func forget(replica: Int64) {
        replicasServed.removeAll { $0 == replica }
        replicasWaiting.removeAll { $0 == replica }
        disklessWaiting.removeAll { $0 == replica }
    }

    /// The diskless delay has passed: one socket job for every replica waiting for one, when
    /// nothing else runs. True when it is `next`.
    mutating func startDiskless() -> Bool {
        guard isIdle, !disklessWaiting.isEmpty else { return false }
        replicasServed = disklessWaiting
        disklessWaiting = []
        next = .rdbSockets
        return true
    }

    // MARK: running

    /// The job to start now, between two commands; it becomes `running`.
    mutating func takeStart() -> Job? {
        guard running == nil, let job = next else { return nil }
        next = nil
        running = job
        return job
    }

    /// The running `job` ended (written, failed or aborted). Returns the replicas it served;
    /// whatever waits becomes `next`.
    mutating func finished(_ job: Job) -> [Int64] {
        guard running == job || next == job else { return [] }
        if running == job { running = nil } else { next = nil }
        var served: [Int64] = []
        if job != .aofRewrite { swap(&served, &replicasServed) }
        promoteWaiting()
        return served
    }

    /// Makes the most urgent waiting work `next` when nothing runs (also called by the cron).
    mutating func promoteWaiting() {
        guard isIdle else { return }
        if !replicasWaiting.isEmpty {
            swap(&replicasServed, &replicasWaiting)
            next = .rdbFile
        } else if rewriteScheduled {
            rewriteScheduled = false
            next = .aofRewrite
        } else if bgsaveScheduled {
            bgsaveScheduled = false
            next = .rdbFile
        }
    }

    /// A rewrite that must not start after all (the AOF was switched off while it waited).
    mutating func cancelRewrite() {
        rewriteScheduled = false
        if next == .aofRewrite { next = nil }
    }
}
