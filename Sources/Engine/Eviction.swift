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
        switch policy {
        case .noeviction: return nil
        case .allkeysRandom, .volatileRandom: return randomCandidate(allKeys: policy.samplesAllKeys)
        default: return pooledCandidate(policy: policy, samples: max(samples, 1))
        }
    }

    /// Deletes the key at `i` for the memory limit and records the DEL; returns the key.
    @discardableResult
    public func evict(_ db: Int, at i: Int) -> Bytes {
        removeRecordingDelete(db, at: i, lazily: lazyFreePolicy.eviction)
    }

    private func pooledCandidate(policy: MaxmemoryPolicy, samples: Int) -> (db: Int, index: Int)? {
        while true {
            var eligible = 0
            for db in 0..<databases.count {
                let n = policy.samplesAllKeys ? databases[db].count : databases[db].expiringCount
                guard n > 0 else { continue }
                eligible += n
                databases[db].sample(samples, expiringOnly: !policy.samplesAllKeys, using: &fastRandom) { i in
                    let score = evictionScore(policy, db, i)
                    // Materialise the key only when the pool would keep it.
                    if evictionPool.wouldAccept(score: score) {
                        evictionPool.offer(EvictionCandidate(score: score, db: db, key: databases[db].key(at: i)))
                    }
                }
            }
            if eligible == 0 { return nil }
            // Best first; a pooled key deleted (or stripped of its TTL) since is a ghost and skipped.
            while let best = evictionPool.popBest() {
                guard best.db < databases.count, let i = databases[best.db].find(best.key) else { continue }
                if !policy.samplesAllKeys && databases[best.db].expireAt(at: i) == noExpire { continue }
                return (best.db, i)
            }
        }
    }

    private func evictionScore(_ policy: MaxmemoryPolicy, _ db: Int, _ i: Int) -> UInt64 {
        if policy == .volatileTTL {
            // The sooner the deadline, the better the candidate.
            return UInt64.max - UInt64(max(databases[db].expireAt(at: i), 0))
        }
        return accessPolicy.evictionScore(databases[db].access(at: i), nowMs: now)
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
