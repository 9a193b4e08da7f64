// EvictionTests: the eviction pool's ordering and the keyspace's choice of
// victims under each maxmemory policy (Engine/EvictionPool.swift, Eviction.swift).
import XCTest
@testable import Engine

final class EvictionTests: XCTestCase {
    private func candidate(_ score: UInt64, _ slot: Int, db: Int = 0) -> EvictionCandidate {
        EvictionCandidate(score: score, db: db, index: slot)
    }

    func testPoolKeepsTheSixteenBestInOrder() {
        var pool = EvictionPool()
        for score in [5, 40, 1, 33, 7, 90, 2, 18, 64, 3, 11, 27, 50, 9, 4, 6, 70, 8, 100, 0] as [UInt64] {
            pool.offer(candidate(score, Int(score)))
        }
        XCTAssertEqual(pool.entries.count, EvictionPool.capacity)
        XCTAssertEqual(pool.entries.map(\.score), [4, 5, 6, 7, 8, 9, 11, 18, 27, 33, 40, 50, 64, 70, 90, 100],
                       "ascending, the four worst turned away or pushed out")
        XCTAssertFalse(pool.wouldAccept(score: 4), "a full pool takes only what beats its worst")
        XCTAssertTrue(pool.wouldAccept(score: 5))
        XCTAssertEqual(pool.popBest()?.index, 100)
        XCTAssertTrue(pool.wouldAccept(score: 0), "room again after a pick")
    }

    func testPoolUpdatesARepeatedSlotInsteadOfDoublingIt() {
        var pool = EvictionPool()
        pool.offer(candidate(10, 1))
        pool.offer(candidate(20, 2))
        pool.offer(candidate(30, 1))
        XCTAssertEqual(pool.entries.map(\.score), [20, 30])
        pool.offer(candidate(30, 1, db: 1))
        XCTAssertEqual(pool.entries.count, 3, "the same slot in another database is another key")
        pool.removeAll()
        XCTAssertNil(pool.popBest())
    }

    func testPolicyFlags() {
        XCTAssertTrue(MaxmemoryPolicy.allkeysLRU.samplesAllKeys)
        XCTAssertFalse(MaxmemoryPolicy.volatileLFU.samplesAllKeys)
        XCTAssertTrue(MaxmemoryPolicy.volatileTTL.usesPool)
        XCTAssertFalse(MaxmemoryPolicy.allkeysRandom.usesPool)
        XCTAssertTrue(MaxmemoryPolicy.allkeysLFU.isLFU)
        XCTAssertFalse(MaxmemoryPolicy.volatileLRU.isLFU)
    }

    private func keyspace(keys: Int, withTTL: Set<Int> = [], now: Int64 = 1_700_000_000_000) -> Keyspace {
        let ks = Keyspace(databases: 2)
        ks.now = now
        for n in 0..<keys {
            ks.add(0, Bytes("k\(n)".utf8), stringValue("v"), expireAt: withTTL.contains(n) ? now + Int64(n + 1) * 1000 : nil)
        }
        return ks
    }

    /// Evicts `count` keys under `policy` and returns their names.
    private func evict(_ ks: Keyspace, _ policy: MaxmemoryPolicy, count: Int, samples: Int = 5) -> [String] {
        (0..<count).compactMap { _ in
            guard let (db, i) = ks.evictionCandidate(policy: policy, samples: samples) else { return nil }
            return String(decoding: ks.evict(db, at: i), as: UTF8.self)
        }
    }

    func testLRUEvictsIdleKeysFirst() {
        let start: Int64 = 1_700_000_000_000
        let ks = keyspace(keys: 200, now: start)
        // Half the keys are read an hour later: the other half has been idle for an hour.
        ks.now = start + 3_600_000
        for n in 100..<200 { _ = ks.lookupRead(0, Bytes("k\(n)".utf8)) }
        let gone = evict(ks, .allkeysLRU, count: 50, samples: 10)
        XCTAssertEqual(gone.count, 50)
        let recentGone = gone.filter { Int($0.dropFirst())! >= 100 }.count
        XCTAssertLessThanOrEqual(recentGone, 2, "recently read keys survive: \(gone)")
        XCTAssertEqual(ks.keyCount(0), 150)
        XCTAssertEqual(ks.changes.count, 50)
        XCTAssertEqual(ks.changes.first?.argv.first, Bytes("DEL".utf8), "each eviction replays as a DEL")
    }

    func testLFUEvictsRarelyReadKeysFirst() {
        let ks = keyspace(keys: 200)
        ks.accessPolicy = .lfu(logFactor: 0, decayMinutes: 1)
        for n in 0..<200 { ks.set(0, Bytes("k\(n)".utf8), stringValue("v")) }  // fresh LFU fields
        for _ in 0..<20 { for n in 0..<100 { _ = ks.lookupRead(0, Bytes("k\(n)".utf8)) } }
        let gone = evict(ks, .allkeysLFU, count: 50, samples: 10)
        XCTAssertLessThanOrEqual(gone.filter { Int($0.dropFirst())! < 100 }.count, 2,
                                 "frequently read keys survive: \(gone)")
    }

    func testVolatilePoliciesTakeOnlyKeysWithATTL() {
        for policy in [MaxmemoryPolicy.volatileLRU, .volatileLFU, .volatileRandom, .volatileTTL] {
            let ks = keyspace(keys: 50, withTTL: [3, 10, 20])
            let gone = evict(ks, policy, count: 10)
            XCTAssertEqual(Set(gone), ["k3", "k10", "k20"], "\(policy)")
            XCTAssertEqual(ks.keyCount(0), 47)
        }
    }

    func testVolatileTTLTakesTheNearestDeadlineFirst() {
        let ks = keyspace(keys: 30, withTTL: Set(0..<30))
        let gone = evict(ks, .volatileTTL, count: 3, samples: 30)
        XCTAssertEqual(gone, ["k0", "k1", "k2"])
    }

    func testNothingToEvict() {
        XCTAssertNil(keyspace(keys: 0).evictionCandidate(policy: .allkeysLRU, samples: 5))
        XCTAssertNil(keyspace(keys: 5).evictionCandidate(policy: .volatileLRU, samples: 5))
        XCTAssertNil(keyspace(keys: 5).evictionCandidate(policy: .noeviction, samples: 5))
        let ks = keyspace(keys: 5)
        ks.add(1, Bytes("other".utf8), stringValue("v"))
        XCTAssertEqual(evict(ks, .allkeysRandom, count: 10).count, 6, "the random policies visit every database")
    }

    func testPooledGhostsAreSkipped() {
        let ks = keyspace(keys: 20)
        _ = ks.evictionCandidate(policy: .allkeysLRU, samples: 20)  // fills the pool
        ks.flushAll()
        ks.add(0, Bytes("fresh".utf8), stringValue("v"))
        XCTAssertEqual(evict(ks, .allkeysLRU, count: 1), ["fresh"], "deleted keys left in the pool are passed over")
    }

    func testAPooledSlotTakenByAFresherKeyIsSkipped() {
        let start: Int64 = 1_700_000_000_000
        let ks = keyspace(keys: 20, now: start)
        ks.now = start + 3_600_000
        _ = ks.evictionCandidate(policy: .allkeysLRU, samples: 20)  // pools the slots of keys an hour idle
        for n in 0..<10 { _ = ks.delete(0, Bytes("k\(n)".utf8)) }
        // New keys reuse the freed slots: fresh, they score below the pooled candidates.
        for n in 0..<10 { ks.set(0, Bytes("new\(n)".utf8), stringValue("v")) }
        let gone = evict(ks, .allkeysLRU, count: 10, samples: 20)
        XCTAssertEqual(Set(gone), Set((10..<20).map { "k\($0)" }), "only the idle keys go: \(gone)")
    }
}
