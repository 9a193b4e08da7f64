// MemoryLimit: keeping used memory under `maxmemory` (Redis 4.0's
// freeMemoryIfNeeded), run before every command while a limit is set.
//
// Memory counted is used_memory (MemoryAccounting.swift) less what eviction
// could never win back: replicas' output buffers and the AOF's buffers. Over
// the limit, the policy's keys go (the keyspace chooses them,
// Engine/Eviction.swift) until what their deletion freed covers the excess;
// `Dispatch` refuses a denyoom command with -OOM when that fails (noeviction,
// or no key left to evict). Keys go in small batches whose DELs are delivered
// at once, so their records do not pile up; the freed amount is what the
// keyspace thread's allocator counters show a batch gave back, plus what the
// AOF and replica buffers gained meanwhile (they are not counted). A deletion during
// a snapshot may free nothing (the snapshot still holds the value), so each
// evicted key counts for at least its key and an entry, and one eviction run
// cannot empty the keyspace for memory it cannot free.
// Runs between commands only (never inside one), since it delivers records;
// CONFIG SET maxmemory leaves the evicting to the next command.
// With lazyfree-lazy-eviction, evicted values are freed on the lazy-free thread
// (LazyFree.swift), so after each batch the allocator is asked whether the
// limit is met, and with nothing left to evict the loop waits (bounded) for
// that thread's queue, as Redis 4.0 does.
// A replica never evicts: its master's DELs keep its dataset equal to the
// master's (Redis 5's slave-ignore-maxmemory default; Redis 4.0 evicted on
// replicas too and could diverge).
#if canImport(Glibc)
import Glibc
#endif
import Engine

extension Server {
    static let outOfMemoryError = "OOM command not allowed when used memory > 'maxmemory'."

    /// Bytes each evicted key is credited with at least, beside its key's bytes: an entry slot.
    private static let minimumFreedPerKey = 64
    /// Keys evicted between two measurements (and deliveries of their DELs).
    private static let evictionBatch = 16
    /// The longest eviction waits for the lazy-free thread when no key is left to evict.
    private static let lazyFreeWaitMs = 1000

    /// Evicts keys until memory is within `maxmemory`; false when it could not get there.
    /// Always true without a limit, on a replica, while clients are paused, and while a
    /// dataset loads (a half-loaded dataset is evicted from once whole, as Redis 5 does).
    @discardableResult
    package func freeMemoryIfNeeded() -> Bool {
        let limit = config.maxmemory
        guard limit > 0, !replication.isReplica, pausedUntil <= keyspace.now, persistence.loading == nil else {
            return true
        }
        // The estimate, not a refresh: while evicting nearly every command is over the limit,
        // and a refresh each time would cost more than the command (MemoryAccounting.swift).
        var used = memory.estimate() - memoryNotCountedForEviction()
        guard used > limit else { return true }
        // What the lazy-free thread gave back since the last refresh is not in the estimate.
        if lazyFree.freedSinceAsked() {
            used = memory.refresh() - memoryNotCountedForEviction()
            guard used > limit else { return true }
        }
        let policy = config.maxmemoryPolicy
        guard policy != .noeviction else { return false }
        let cycleStarted = latency.start()
        defer { latency.record("eviction-cycle", since: cycleStarted) }

        let toFree = used - limit
        var freed = 0
        while freed < toFree {
            let before = ProcessStats.threadAllocatedNet() - memoryNotCountedForEviction()
            var batch = 0
            var keyBytes = 0
            // Chosen together, so their deletions' cache misses overlap (Engine/Eviction.swift).
            let picks = keyspace.evictionCandidates(policy: policy, samples: config.maxmemorySamples,
                                                    count: Self.evictionBatch)
            for pick in picks {
                let deleteStarted = latency.start()
                guard let (db, key) = keyspace.evict(pick, policy: policy) else { continue }
                latency.record("eviction-del", since: deleteStarted)
                batch += 1
                keyBytes += key.count
                stats.evictedKeys += 1
                notifyKeyspaceEvent(.evicted, "evicted", key, db: db)
            }
            deliverChanges()  // the DELs reach the AOF and the replicas, and their records are freed
            guard !picks.isEmpty else { return waitForLazyFree(limit: limit) }
            let after = ProcessStats.threadAllocatedNet() - memoryNotCountedForEviction()
            freed += max(before - after, keyBytes + batch * Self.minimumFreedPerKey)
            // Values freed on the lazy-free thread do not show in this thread's counters:
            // ask the allocator whether the limit is met already (4.0 checks every 16 keys too).
            if config.lazyfreeLazyEviction && memory.refresh() - memoryNotCountedForEviction() <= limit { break }
        }
        return true
    }

    /// Nothing left to evict: the last hope is what the lazy-free thread has still to free,
    /// as in 4.0 (bounded here, where 4.0 waited for its queue to drain).
    private func waitForLazyFree(limit: Int) -> Bool {
        var waitedMs = 0
        while lazyFree.pendingObjects > 0 && waitedMs < Self.lazyFreeWaitMs {
            if memory.refresh() - memoryNotCountedForEviction() <= limit { return true }
            usleep(1000)
            waitedMs += 1
        }
        return memory.refresh() - memoryNotCountedForEviction() <= limit
    }
}
