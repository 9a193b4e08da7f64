// Eviction: choosing and deleting the keys a maxmemory policy gives up.
//
// The server decides when memory is over the limit (it owns the allocator's
// figures); the keyspace decides which key goes, as Redis 4.0's
// freeMemoryIfNeeded does: the LRU, LFU and TTL policies sample
// `maxmemory-samples` keys of every database (all keys, or only those with a
// TTL) into the eviction pool and evict its best candidate that still exists;
// the random policies take a random key, visiting the databases in turn.
// An evicted key leaves a DEL in `changes`, as an expired one does, so the AOF
// and the replicas replay the eviction.

extension Keyspace {
    /// The key `policy` evicts next as (database, entry index), or nil when no key
    /// qualifies (none at all, or none with a TTL under a volatile policy).
    public func evictionCandidate(policy: MaxmemoryPolicy, samples: Int) -> (db: Int, index: Int)? {
        evictionCandidates(policy: policy, samples: samples, count: 1).first.map { ($0.db, $0.index) }
    }

    /// Up to `count` keys for `policy` to evict, in order (fewer when fewer qualify), for
    /// `evict(_:policy:)`. A pooled policy samples once per key and takes the pool's best
    /// each time, as when the keys go one by one. The chosen entries and their keys are
    /// touched together at the end, so the cache misses of the deletions overlap instead
    /// of coming one deletion at a time.
    public func evictionCandidates(policy: MaxmemoryPolicy, samples: Int, count: Int) -> [EvictionCandidate] {
        var picks: [EvictionCandidate] = []
        switch policy {
        case .noeviction: return []
        case .allkeysRandom, .volatileRandom:
            for _ in 0..<count {
                guard let (db, i) = randomCandidate(allKeys: policy.samplesAllKeys) else { break }
                picks.append(EvictionCandidate(score: 0, db: db, index: i))
            }
        default:
            // The pool and the generator are taken out of the class for the loop, and put back:
            // each access to a class property from the sampling would retain and check
            // exclusivity. The pool is moved, not copied.
            var pool = EvictionPool()
            Swift.swap(&pool, &evictionPool)
            var rng = fastRandom
            let scoring = EvictionScoring(policy: policy, access: accessPolicy, nowMs: now)
            for _ in 0..<count {
                guard let c = pooledCandidate(scoring, samples: max(samples, 1), pool: &pool, rng: &rng) else { break }
                picks.append(c)
            }
            fastRandom = rng
            Swift.swap(&pool, &evictionPool)
        }
        var touched: UInt64 = 0
        for c in picks { touched ^= withTable(c.db) { $0.touchForRemoval(c.index) } }
        evictionSink ^= touched
        return picks
    }

    /// Deletes a key `evictionCandidates` chose, if its slot still holds a key the policy
    /// may take (an earlier deletion of the batch can move entries), and records the DEL;
    /// returns (database, key), nil when it no longer qualifies.
    public func evict(_ c: EvictionCandidate, policy: MaxmemoryPolicy) -> (db: Int, key: Bytes)? {
        guard c.db < databases.count else { return nil }
        let scoring = EvictionScoring(policy: policy, access: accessPolicy, nowMs: now)
        guard withTable(c.db, { $0.stillQualifies(c, scoring: scoring) }) else { return nil }
        return (c.db, evict(c.db, at: c.index))
    }

    /// Deletes the key at `i` for the memory limit and records the DEL; returns the key.
    @discardableResult
    public func evict(_ db: Int, at i: Int) -> Bytes {
        removeRecordingDelete(db, at: i, lazily: lazyFreePolicy.eviction)
    }

    private func pooledCandidate(_ scoring: EvictionScoring, samples: Int, pool: inout EvictionPool,
                                 rng: inout FastRandom) -> EvictionCandidate? {
        let policy = scoring.policy
        while true {
            var eligible = 0
            for db in databases.indices {
                let n = policy.samplesAllKeys ? databases[db].count : databases[db].expiringCount
                guard n > 0 else { continue }
                eligible += n
                withTable(db) { $0.offerSamples(samples, db: db, scoring: scoring, to: &pool, using: &rng) }
            }
            if eligible == 0 { return nil }
            // Best first. A pooled slot freed since, or now holding a key that scores lower
            // (read again, or another key put there), is a ghost and skipped; one holding
            // another key that scores as high is as good a pick as the key sampled.
            while let best = pool.popBest() {
                guard best.db < databases.count,
                      withTable(best.db, { $0.stillQualifies(best, scoring: scoring) }) else { continue }
                return best
            }
        }
    }

    private func randomCandidate(allKeys: Bool) -> (db: Int, index: Int)? {
        for _ in 0..<databases.count {
            nextEvictionDB = (nextEvictionDB + 1) % databases.count
            let db = nextEvictionDB
            let picked = allKeys ? databases[db].randomIndex(using: &fastRandom)
                                 : databases[db].randomExpiringIndex(using: &fastRandom)
            if let i = picked { return (db, i) }
        }
        return nil
    }
}

/// How a policy ranks keys at one moment: higher, evict sooner.
struct EvictionScoring {
    let policy: MaxmemoryPolicy
    let access: AccessPolicy
    let nowMs: Int64
}

// The sampling runs inside the table, reached through Keyspace.withTable so that it
// is not copied.
extension KeyTable {
    func evictionScore(at i: Int, _ s: EvictionScoring) -> UInt64 {
        // TTL: the sooner the deadline, the better.
        s.policy == .volatileTTL ? UInt64.max - UInt64(max(expireAt(at: i), 0))
                                 : s.access.evictionScore(access(at: i), nowMs: s.nowMs)
    }

    /// Samples `count` keys (only keys with a TTL under a volatile policy) into `pool`:
    /// every one when there are no more than that, else uniform picks. No closures here:
    /// one capturing the table would capture a copy of it.
    func offerSamples(_ count: Int, db: Int, scoring: EvictionScoring, to pool: inout EvictionPool,
                      using rng: inout FastRandom) {
        let expiringOnly = !scoring.policy.samplesAllKeys
        if (expiringOnly ? expiringCount : self.count) <= count {
            if expiringOnly {
                for k in 0..<expiringCount { offer(Int(expiring[k]), db: db, scoring, to: &pool) }
            } else {
                for i in 0..<entries.count where isLive(i) { offer(i, db: db, scoring, to: &pool) }
            }
            return
        }
        var left = count
        while left > 0 {
            let n = min(left, KeyTable.maxPicks)
            left -= n
            let picks = drawPicks(n, expiringOnly: expiringOnly, using: &rng)
            for k in 0..<n where picks[k] >= 0 { offer(picks[k], db: db, scoring, to: &pool) }
        }
    }

    private func offer(_ i: Int, db: Int, _ scoring: EvictionScoring, to pool: inout EvictionPool) {
        let score = evictionScore(at: i, scoring)
        if pool.wouldAccept(score: score) { pool.offer(EvictionCandidate(score: score, db: db, index: i)) }
    }

    /// The pooled slot still holds a key the policy may take, scoring at least as it did.
    func stillQualifies(_ c: EvictionCandidate, scoring: EvictionScoring) -> Bool {
        if !isLive(c.index) { return false }
        if !scoring.policy.samplesAllKeys && expireAt(at: c.index) == noExpire { return false }
        return evictionScore(at: c.index, scoring) >= c.score
    }
}
