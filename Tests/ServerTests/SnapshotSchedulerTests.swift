// SnapshotSchedulerTests: Redis 4.0's answers for each request in each state,
// and a seeded simulation: random requests, starts, finishes and replica
// drops, checking after every step that a job waits only while none runs, that no
// replica is both served and waiting, and that once everything has run down
// every replica that asked was served exactly once (or forgotten).
import XCTest
import CairnTestSupport
@testable import Server

final class SnapshotSchedulerTests: XCTestCase {
    func testBgsaveAnswers() {
        var s = SnapshotScheduler()
        XCTAssertEqual(s.requestBgsave(schedule: false), .started)
        XCTAssertEqual(s.requestBgsave(schedule: false), .alreadyInProgress, "even before it has started")
        XCTAssertEqual(s.takeStart(), .rdbFile)
        XCTAssertEqual(s.requestBgsave(schedule: true), .alreadyInProgress)
        XCTAssertEqual(s.requestRewrite(), .scheduled, "BGREWRITEAOF during a BGSAVE is scheduled")
        XCTAssertEqual(s.finished(.rdbFile), [])
        XCTAssertEqual(s.next, .aofRewrite, "the scheduled rewrite is next")
        XCTAssertEqual(s.requestBgsave(schedule: false), .rewriteInProgress)
        XCTAssertEqual(s.requestBgsave(schedule: true), .scheduled)
        XCTAssertEqual(s.takeStart(), .aofRewrite)
        XCTAssertEqual(s.requestRewrite(), .alreadyInProgress)
        _ = s.finished(.aofRewrite)
        XCTAssertEqual(s.takeStart(), .rdbFile, "then the scheduled BGSAVE")
        XCTAssertFalse(s.requestSavePoint(), "a save point waits for an idle scheduler")
        _ = s.finished(.rdbFile)
        XCTAssertTrue(s.isIdle)
        XCTAssertTrue(s.requestSavePoint())
    }

    func testReplicasJoinOnlyAJobThatServesReplicas() {
        var s = SnapshotScheduler()
        XCTAssertEqual(s.requestBgsave(schedule: false), .started)
        XCTAssertEqual(s.takeStart(), .rdbFile)
        XCTAssertEqual(s.requestFullSync(replica: 1), .waits, "a user's BGSAVE may have begun inside an EXEC")
        XCTAssertEqual(s.finished(.rdbFile), [])
        XCTAssertEqual(s.next, .rdbFile, "a job for the waiting replica is next")
        XCTAssertEqual(s.replicasServed, [1])
        XCTAssertEqual(s.requestFullSync(replica: 2), .joins(sharingWith: 1))
        XCTAssertEqual(s.takeStart(), .rdbFile)
        XCTAssertEqual(s.requestFullSync(replica: 3), .joins(sharingWith: 1))
        s.forget(replica: 2)
        XCTAssertEqual(s.finished(.rdbFile), [1, 3])
        XCTAssertTrue(s.isIdle)
        XCTAssertEqual(s.requestFullSync(replica: 4), .startsJob)
    }

    func testRewriteCancelledWhileWaiting() {
        var s = SnapshotScheduler()
        _ = s.requestBgsave(schedule: false)
        XCTAssertEqual(s.requestRewrite(), .scheduled)
        s.cancelRewrite()
        _ = s.takeStart()
        _ = s.finished(.rdbFile)
        XCTAssertTrue(s.isIdle, "a cancelled rewrite does not start later")
    }

    func testSimulation() {
        let seeds = 300
        for seed in TestSeed.seeds(0..<UInt64(seeds)) {
            var rng = SplitMix64(seed: seed)
            var s = SnapshotScheduler()
            var asked: Set<Int64> = [], servedCount: [Int64: Int] = [:], dropped: Set<Int64> = []
            var nextReplica: Int64 = 1
            for step in 0..<200 {
                switch rng.next() % 7 {
                case 0: _ = s.requestBgsave(schedule: rng.next() % 2 == 0)
                case 1: _ = s.requestRewrite()
                case 2: _ = s.requestSavePoint()
                case 3:
                    let id = nextReplica
                    nextReplica += 1
                    asked.insert(id)
                    _ = s.requestFullSync(replica: id)
                case 4:
                    if let id = asked.randomElement(using: &rng) { s.forget(replica: id); dropped.insert(id) }
                case 5: _ = s.takeStart()
                default:
                    if let job = s.running {
                        for id in s.finished(job) { servedCount[id, default: 0] += 1 }
                    }
                }
                XCTAssertTrue(Set(s.replicasServed).isDisjoint(with: s.replicasWaiting), "seed \(seed) step \(step)")
                XCTAssertTrue(s.next == nil || s.running == nil, "a job waits only while none runs, seed \(seed) step \(step)")
                if s.running == .aofRewrite || (s.running == nil && s.next != .rdbFile) {
                    XCTAssertTrue(s.replicasServed.isEmpty, "replicas attached to no RDB job, seed \(seed) step \(step)")
                }
            }
            // Run everything down.
            for _ in 0..<20 {
                _ = s.takeStart()
                if let job = s.running { for id in s.finished(job) { servedCount[id, default: 0] += 1 } }
                s.promoteWaiting()
            }
            XCTAssertTrue(s.isIdle, "seed \(seed): work left")
            for id in asked.subtracting(dropped) {
                XCTAssertEqual(servedCount[id], 1, "seed \(seed): replica \(id) served \(servedCount[id] ?? 0) times")
            }
            for (id, n) in servedCount { XCTAssertLessThanOrEqual(n, 1, "seed \(seed): replica \(id) served twice") }
        }
    }
}
