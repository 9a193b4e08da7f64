// EvictionPool: the maxmemory policies, and the pool of the best eviction
// candidates seen across samples (Redis 4.0's approximated LRU/LFU/TTL).
//
// Each eviction samples `maxmemory-samples` keys per database into a pool of
// 16 candidates kept in ascending score order (higher: evict sooner), so good
// candidates found by earlier samplings survive until something better turns
// up. A pooled slot may have been freed or reused since; the keyspace checks a
// pick before evicting it (Eviction.swift). Pure: no keyspace here.

/// `maxmemory-policy`: what to evict when memory is over the limit.
public enum MaxmemoryPolicy: String, CaseIterable, Sendable {
    case volatileLRU = "volatile-lru", allkeysLRU = "allkeys-lru"
    case volatileLFU = "volatile-lfu", allkeysLFU = "allkeys-lfu"
    case volatileRandom = "volatile-random", allkeysRandom = "allkeys-random"
    case volatileTTL = "volatile-ttl", noeviction

    public var isLFU: Bool { self == .volatileLFU || self == .allkeysLFU }

    /// Candidates come from every key; otherwise only from keys with a TTL.
    public var samplesAllKeys: Bool { self == .allkeysLRU || self == .allkeysLFU || self == .allkeysRandom }

    /// Ranked through the pool (LRU, LFU, TTL); the random policies pick at once.
    public var usesPool: Bool { !(self == .allkeysRandom || self == .volatileRandom || self == .noeviction) }
}

/// A sampled key, by where its entry is: the pool holds no key bytes, so sampling
/// neither copies nor retains keys. The slot may hold another key by the time the
/// candidate is picked; the keyspace then scores the slot again and takes it only if it
/// is still as good a candidate (Eviction.swift).
public struct EvictionCandidate: Equatable, Sendable {
    public var score: UInt64
    public var db: Int
    /// The entry's index in its database's table.
    public var index: Int
    public init(score: UInt64, db: Int, index: Int) {
        self.score = score
        self.db = db
        self.index = index
    }
}

public struct EvictionPool: Sendable {
    /// Redis's EVPOOL_SIZE.
    public static let capacity = 16

    /// Ascending by score: the best candidate is last.
    public private(set) var entries: [EvictionCandidate] = []

    /// Empty and unallocated: the eviction loop swaps the keyspace's pool for one of these.
    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    /// False when a full pool would turn a candidate of `score` away.
    public func wouldAccept(score: UInt64) -> Bool {
        entries.count < Self.capacity || score > entries[0].score
    }

    /// Offers a sampled key. A full pool takes it only if it beats the worst pooled
    /// candidate, which then leaves. A slot already pooled just gets its new score.
    public mutating func offer(_ candidate: EvictionCandidate) {
        if let old = entries.firstIndex(where: { $0.db == candidate.db && $0.index == candidate.index }) {
            entries.remove(at: old)
        } else if entries.count == Self.capacity {
            guard candidate.score > entries[0].score else { return }
            entries.removeFirst()
        }
        let at = entries.firstIndex(where: { $0.score >= candidate.score }) ?? entries.count
        entries.insert(candidate, at: at)
    }

    /// Takes out the best candidate, or nil when empty.
    public mutating func popBest() -> EvictionCandidate? { entries.popLast() }

    /// Forgets every candidate (a flush or a policy change leaves only ghosts).
    public mutating func removeAll() { entries.removeAll(keepingCapacity: true) }
}
