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
        // The pool and the generator are taken out of the class for the loop, and put back:
        // each access to a class property from the sampling closure would retain and check
        // exclusivity (a third of a SET's time while evicting). The pool is moved, not copied.
        var pool = EvictionPool()
        Swift.swap(&pool, &evictionPool)
        var rng = fastRandom
        let picked = pooledCandidate(policy: policy, samples: samples, pool: &pool, rng: &rng)
        fastRandom = rng
        Swift.swap(&pool, &evictionPool)
        return picked
    }

    private func pooledCandidate(policy: MaxmemoryPolicy, samples: Int, pool: inout EvictionPool,
                                 rng: inout FastRandom) -> (db: Int, index: Int)? {
        let nowMs = now
        let access = accessPolicy
        while true {
            var eligible = 0
            databases.withUnsafeBufferPointer { tables in
                for db in 0..<tables.count {
                    let n = policy.samplesAllKeys ? tables[db].count : tables[db].expiringCount
                    guard n > 0 else { continue }
                    eligible += n
                    tables[db].sample(samples, expiringOnly: !policy.samplesAllKeys, using: &rng) { i in
                        let score = policy == .volatileTTL
                            ? UInt64.max - UInt64(max(tables[db].expireAt(at: i), 0))  // the sooner, the better
                            : access.evictionScore(tables[db].access(at: i), nowMs: nowMs)
                        // Materialise the key only when the pool would keep it.
                        if pool.wouldAccept(score: score) {
                            pool.offer(EvictionCandidate(score: score, db: db, key: tables[db].key(at: i)))
                        }
                    }
                }
            }
            if eligible == 0 { return nil }
            // Best first; a pooled key deleted (or stripped of its TTL) since is a ghost and skipped.
            while let best = pool.popBest() {
                guard best.db < databases.count, let i = databases[best.db].find(best.key) else { continue }
                if !policy.samplesAllKeys && databases[best.db].expireAt(at: i) == noExpire { continue }
                return (best.db, i)
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
