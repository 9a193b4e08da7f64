// KeyspaceExpiryTests: lazy expiry (the DEL record and the counters), the active
// expire cycle, random keys, and replica mode where expired keys are hidden from
// reads but kept until the master deletes them.
//
// The tricky bits: a key is expired only once now > deadline (at the deadline
// millisecond it still exists, as in Redis); activeExpireCycle reads the wall
// clock itself, so its tests use deadlines relative to the real time.
import XCTest
@testable import Engine

final class KeyspaceExpiryTests: XCTestCase {
    func key(_ s: String) -> Bytes { Array(s.utf8) }

    func testLazyExpiryDeletesAndPropagatesDel() {
        let ks = Keyspace(databases: 8)
        ks.now = 10_000
        ks.add(5, key("gone"), stringValue("v"), expireAt: 9_999)
        ks.add(5, key("edge"), stringValue("v"), expireAt: 10_000)
        ks.add(5, key("live"), stringValue("v"), expireAt: 20_000)
        ks.add(5, key("forever"), stringValue("v"))
        XCTAssertNil(ks.lookupRead(5, key("gone")))
        XCTAssertEqual(ks.changes, [PropagationRecord(db: 5, argv: [key("DEL"), key("gone")])])
        XCTAssertEqual(ks.stats.expiredKeys, 1)
        XCTAssertEqual(ks.stats.keyspaceMisses, 1)
        XCTAssertEqual(ks.keyCount(5), 3)
        XCTAssertEqual(ks.expiringCount(5), 2)
        XCTAssertNotNil(ks.lookupRead(5, key("edge")), "at its deadline a key still exists")
        XCTAssertNotNil(ks.lookupRead(5, key("live")))
        XCTAssertNotNil(ks.lookupRead(5, key("forever")))
        XCTAssertEqual(ks.stats.keyspaceHits, 3)
        ks.now = 10_001
        XCTAssertNil(ks.lookupWrite(5, key("edge")), "one millisecond later it is gone")
        XCTAssertEqual(ks.changes.last, PropagationRecord(db: 5, argv: [key("DEL"), key("edge")]))
        XCTAssertEqual(ks.stats.expiredKeys, 2)
        XCTAssertEqual(ks.stats.keyspaceMisses, 1, "lookupWrite does not count misses")
        XCTAssertFalse(ks.delete(5, key("edge")))
        XCTAssertEqual(ks.changes.count, 2, "no second DEL")
    }

    func testWritesOverExpiredKeysStartFresh() {
        let ks = Keyspace(databases: 1)
        ks.now = 1000
        ks.add(0, key("k"), stringValue("old"), expireAt: 500)
        let i = ks.set(0, key("k"), stringValue("new"))
        XCTAssertEqual(ks.value(0, i), stringValue("new"))
        XCTAssertNil(ks.expireAt(0, i), "the new value has no TTL")
        XCTAssertEqual(ks.keyCount(0), 1)
        XCTAssertEqual(ks.changes, [PropagationRecord(db: 0, argv: [key("DEL"), key("k")])])
        XCTAssertFalse(ks.delete(0, key("absent")))
    }

    func testSetKeepsOrDropsTTL() {
        let ks = Keyspace(databases: 1)
        ks.now = 0
        let i = ks.add(0, key("k"), stringValue("a"), expireAt: 100)
        XCTAssertEqual(ks.expireAt(0, i), 100)
        let j = ks.set(0, key("k"), stringValue("b"), keepTTL: true)
        XCTAssertEqual(ks.expireAt(0, j), 100)
        let k = ks.set(0, key("k"), stringValue("c"))
        XCTAssertNil(ks.expireAt(0, k))
        XCTAssertEqual(ks.expiringCount(0), 0)
        ks.setExpire(0, k, at: 50)
        XCTAssertEqual(ks.expiringCount(0), 1)
        ks.setExpire(0, k, at: nil)
        XCTAssertEqual(ks.expiringCount(0), 0)
        ks.replace(0, k, with: stringValue("d"))
        XCTAssertEqual(ks.value(0, k), stringValue("d"))
        XCTAssertEqual(ks.take(0, k), stringValue("d"))
        ks.replace(0, k, with: stringValue("e"))
        XCTAssertEqual(ks.value(0, ks.lookupRead(0, key("k"))!), stringValue("e"))
    }

    // MARK: replica mode

    func testReplicaHidesExpiredKeysFromReadsButKeepsThem() {
        let ks = Keyspace(databases: 1)
        ks.expireOnLookup = false
        ks.now = 10_000
        ks.add(0, key("old"), stringValue("v"), expireAt: 5_000)
        XCTAssertNil(ks.lookupRead(0, key("old")))
        XCTAssertEqual(ks.stats.keyspaceMisses, 1)
        XCTAssertEqual(ks.keyCount(0), 1, "kept")
        XCTAssertEqual(ks.changes, [], "no DEL from a replica")
        XCTAssertEqual(ks.stats.expiredKeys, 0)
        let i = ks.peek(0, key("old"))!
        XCTAssertTrue(ks.isLogicallyExpired(0, i))
        XCTAssertEqual(ks.activeExpireCycle(budgetMicroseconds: 100_000), 0, "replicas do not actively expire")
        XCTAssertEqual(ks.keyCount(0), 1)
    }

    func testReplicaWritesReachExpiredKeysWithoutDuplicating() {
        // The master's writes see the stale key (Redis 4.0's lookupKeyWrite): a SET
        // overwrites it in place and a DEL removes it, never a second copy of the key.
        let ks = Keyspace(databases: 1)
        ks.expireOnLookup = false
        ks.now = 10_000
        ks.add(0, key("a"), stringValue("v"), expireAt: 5_000)
        ks.add(0, key("b"), stringValue("v"), expireAt: 5_000)
        XCTAssertNotNil(ks.lookupWrite(0, key("a")))
        let i = ks.set(0, key("a"), stringValue("new"))
        XCTAssertEqual(ks.keyCount(0), 2)
        XCTAssertEqual(ks.value(0, i), stringValue("new"))
        XCTAssertNil(ks.expireAt(0, i))
        XCTAssertNotNil(ks.lookupRead(0, key("a")), "live again")
        XCTAssertTrue(ks.delete(0, key("b")), "the master's DEL removes the stale key")
        XCTAssertEqual(ks.keyCount(0), 1)
        XCTAssertNil(keyTableViolation(ks.databases[0]))
        XCTAssertEqual(ks.changes, [])
    }

    // MARK: random keys

    func testRandomKeyReclaimsExpiredKeys() {
        let ks = Keyspace(databases: 1)
        ks.now = 1_000
        for n in 0..<50 { ks.add(0, key("x\(n)"), stringValue("v"), expireAt: 10) }
        ks.add(0, key("live"), stringValue("v"))
        for _ in 0..<20 { XCTAssertEqual(ks.randomKey(0), key("live")) }
        let dels = ks.changes.count
        XCTAssertGreaterThan(dels, 0)
        XCTAssertEqual(ks.keyCount(0), 51 - dels)
        XCTAssertTrue(ks.changes.allSatisfy { $0.argv[0] == key("DEL") })

        let all = Keyspace(databases: 1)
        all.now = 1_000
        for n in 0..<30 { all.add(0, key("x\(n)"), stringValue("v"), expireAt: 10) }
        XCTAssertNil(all.randomKey(0), "every key expired")
        XCTAssertEqual(all.keyCount(0), 0)
        XCTAssertEqual(all.changes.count, 30)
        XCTAssertEqual(all.stats.expiredKeys, 30)
    }

    func testRandomKeyOnReplica() {
        let ks = Keyspace(databases: 1)
        ks.expireOnLookup = false
        ks.now = 1_000
        for n in 0..<50 { ks.add(0, key("x\(n)"), stringValue("v"), expireAt: 10) }
        ks.add(0, key("live"), stringValue("v"))
        for _ in 0..<20 { XCTAssertEqual(ks.randomKey(0), key("live"), "a live key exists, so only it is returned") }
        XCTAssertEqual(ks.keyCount(0), 51)

        // Every key volatile and expired: Redis gives up after 100 tries and returns one.
        let all = Keyspace(databases: 1)
        all.expireOnLookup = false
        all.now = 1_000
        for n in 0..<10 { all.add(0, key("x\(n)"), stringValue("v"), expireAt: 10) }
        let picked = all.randomKey(0)
        XCTAssertNotNil(picked)
        XCTAssertEqual(all.keyCount(0), 10)
        XCTAssertEqual(all.changes, [])
        XCTAssertNil(Keyspace(databases: 1).randomKey(0))
    }

    // MARK: active expiry

    func testActiveExpireCycleRemovesOnlyExpiredKeys() {
        let ks = Keyspace(databases: 4)
        let wall = wallClockMilliseconds()
        var expiredKeys = Set<[Bytes]>(), liveKeys: [(Int, Bytes)] = []
        for db in [0, 3] {
            for n in 0..<1500 {
                let k = key("e\(n)")
                ks.add(db, k, stringValue("v"), expireAt: wall - 10_000)
                expiredKeys.insert([Bytes("\(db)".utf8), k])
            }
            for n in 0..<1000 {
                ks.add(db, key("t\(n)"), stringValue("v"), expireAt: wall + 10_000_000)
                liveKeys.append((db, key("t\(n)")))
            }
            for n in 0..<500 {
                ks.add(db, key("p\(n)"), stringValue("v"))
                liveKeys.append((db, key("p\(n)")))
            }
        }
        // Sampling is statistical: once under 25% of samples are stale a cycle stops,
        // so the last few expired keys take many cycles, as in Redis.
        var total = 0
        var cycles = 0
        while ks.totalKeys > liveKeys.count && cycles < 100_000 {
            total += ks.activeExpireCycle(budgetMicroseconds: 1_000_000)
            cycles += 1
        }
        XCTAssertEqual(total, 3000, "every expired key removed, nothing else")
        XCTAssertEqual(ks.totalKeys, liveKeys.count)
        XCTAssertEqual(ks.stats.expiredKeys, 3000)
        XCTAssertEqual(ks.changes.count, 3000)
        let propagated = Set(ks.changes.map { [Bytes("\($0.db)".utf8), $0.argv[1]] })
        XCTAssertEqual(propagated, expiredKeys, "one DEL per expired key, in its own database")
        XCTAssertTrue(ks.changes.allSatisfy { $0.argv.count == 2 && $0.argv[0] == key("DEL") })
        for (db, k) in liveKeys { XCTAssertNotNil(ks.peek(db, k), "\(db) \(k.text)") }
        XCTAssertGreaterThan(ks.stats.expiredStalePercent, 0)
        for db in 0..<4 { XCTAssertNil(keyTableViolation(ks.databases[db])) }
    }

    func testActiveExpireCycleStopsAtItsTimeBudget() {
        let ks = Keyspace(databases: 1)
        let wall = wallClockMilliseconds()
        for n in 0..<50_000 { ks.add(0, key("e\(n)"), stringValue("v"), expireAt: wall - 1) }
        let removed = ks.activeExpireCycle(budgetMicroseconds: 1)
        XCTAssertGreaterThan(removed, 0)
        XCTAssertLessThan(removed, 50_000, "a 1 µs budget cannot clear 50000 keys")
        XCTAssertEqual(ks.stats.expiredTimeCapReached, 1)
        XCTAssertEqual(ks.keyCount(0), 50_000 - removed)
    }

    // MARK: databases

    func testFlushSwapResize() {
        let ks = Keyspace(databases: 3)
        ks.add(0, key("a"), stringValue("0"))
        ks.add(1, key("b"), stringValue("1"), expireAt: ks.now + 100_000)
        ks.swap(0, 1)
        XCTAssertNotNil(ks.peek(0, key("b")))
        XCTAssertNotNil(ks.peek(1, key("a")))
        XCTAssertEqual(ks.expiringCount(0), 1)
        ks.flush(0)
        XCTAssertEqual(ks.keyCount(0), 0)
        XCTAssertEqual(ks.totalKeys, 1)
        ks.flushAllLazily()
        XCTAssertEqual(ks.lazyFreeOutbox.map(\.objects), [1], "only the non-empty table waits to be freed")
        XCTAssertEqual(ks.totalKeys, 0)
        ks.resize(databases: 5)
        XCTAssertEqual(ks.databaseCount, 5)
        ks.resize(databases: 2)
        XCTAssertEqual(ks.databaseCount, 2)
        ks.add(1, key("c"), stringValue("v"))
        ks.flushAll()
        XCTAssertEqual(ks.totalKeys, 0)
    }

    func testAccessTrackingOnReadsAndWrites() {
        let ks = Keyspace(databases: 1)
        ks.now = 5_000_000
        let i = ks.add(0, key("k"), stringValue("v"))
        XCTAssertEqual(ks.access(0, i), AccessPolicy.lru.fresh(nowMs: 5_000_000))
        ks.now = 9_000_000
        let j = ks.lookupRead(0, key("k"))!
        XCTAssertEqual(AccessPolicy.lru.idleSeconds(ks.access(0, j), nowMs: 9_000_000), 0, "a read refreshes the clock")
        ks.now = 12_000_000
        _ = ks.lookupWrite(0, key("k"), touch: false)
        _ = ks.lookupRead(0, key("k"), touch: false)
        XCTAssertEqual(AccessPolicy.lru.idleSeconds(ks.access(0, j), nowMs: 12_000_000), 3000,
                       "OBJECT, TYPE and TTL look keys up without touching them")
        _ = ks.lookupWrite(0, key("k"))
        XCTAssertEqual(AccessPolicy.lru.idleSeconds(ks.access(0, j), nowMs: 12_000_000), 0,
                       "a lookup for writing touches, as Redis 4.0's lookupKeyWrite")
    }
}
