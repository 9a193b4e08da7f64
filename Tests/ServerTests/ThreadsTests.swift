// ThreadsTests: the persistence threads' primitives (Threads.swift) and the
// BatchQueue built on them: threads carry their names, a timed pop times out,
// a bounded queue holds its producer back until the consumer pops, and
// cancel wakes a blocked producer and ends the consumer.
#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import Server

final class ThreadsTests: XCTestCase {
    func testABackgroundThreadHasItsName() {
        let names = BatchQueue<String>()
        BackgroundThread.start(name: "cairn-test-name-that-is-long") {
            let comm = ConfigFileParser.readFile("/proc/thread-self/comm") ?? []
            names.push([String(decoding: comm, as: UTF8.self)])
            names.close()
        }
        guard case .batch(let got) = names.pop(timeoutNs: 5_000_000_000) else { return XCTFail("no name came back") }
        XCTAssertEqual(got, ["cairn-test-name\n"], "Linux keeps the first 15 bytes")
    }

    func testATimedPopTimesOutAndAClosedQueueFinishesAfterItsBatches() {
        let q = BatchQueue<Int>()
        guard case .timedOut = q.pop(timeoutNs: 2_000_000) else { return XCTFail("expected a timeout") }
        q.push([1, 2])
        q.close()
        guard case .batch(let b) = q.pop(timeoutNs: 2_000_000) else { return XCTFail("expected the batch") }
        XCTAssertEqual(b, [1, 2])
        guard case .finished = q.pop() else { return XCTFail("expected the end") }
    }

    func testABoundedQueueHoldsItsProducerBackAndCancelReleasesIt() {
        let q = BatchQueue<Int>(maxQueued: 2)
        let pushed = Monitor(0)
        BackgroundThread.start(name: "cairn-test-prod") {
            for i in 0..<4 {
                q.push([i, i])
                pushed.update { $0 += 1 }
            }
        }
        // A producer waits while more than 2 elements are queued: [0,0] goes in (0 queued before),
        // [1,1] too (2 queued, not more), then [2,2] waits (4 queued).
        XCTAssertNotNil(pushed.wait(until: { $0 == 2 }, timeoutNs: 5_000_000_000) { _ in })
        usleep(20_000)
        XCTAssertEqual(pushed.read { $0 }, 2, "the producer waits while the queue is over its bound")
        XCTAssertEqual(q.backlog, 4)
        guard case .batch(let first) = q.pop() else { return XCTFail("expected a batch") }
        XCTAssertEqual(first, [0, 0])
        XCTAssertNotNil(pushed.wait(until: { $0 == 3 }, timeoutNs: 5_000_000_000) { _ in })
        q.cancel()
        XCTAssertNotNil(pushed.wait(until: { $0 == 4 }, timeoutNs: 5_000_000_000) { _ in },
                        "cancel wakes the blocked producer, whose push is dropped")
        guard case .finished = q.pop() else { return XCTFail("a cancelled queue is finished") }
        XCTAssertTrue(q.isCancelled)
    }
}
