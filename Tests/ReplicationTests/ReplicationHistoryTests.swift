// ReplicationHistoryTests: replication IDs, and each PSYNC decision of
// Redis 4.0's masterTryPartialResynchronization, before and after a
// promotion shifts the IDs, with the log lines Redis writes.
import XCTest
import CairnTestSupport
@testable import Replication

final class ReplicationHistoryTests: XCTestCase {
    let idA = ReplicationID(String(repeating: "a", count: 40))!
    let idB = ReplicationID(String(repeating: "b", count: 40))!
    let idC = ReplicationID(String(repeating: "c", count: 40))!

    func testReplicationIDValidation() {
        XCTAssertNil(ReplicationID(String(repeating: "a", count: 39)))
        XCTAssertNil(ReplicationID(String(repeating: "a", count: 41)))
        XCTAssertNil(ReplicationID(String(repeating: "g", count: 40)))
        XCTAssertEqual(ReplicationID(String(repeating: "A", count: 40)), idA)
        XCTAssertEqual(ReplicationID.none.text, String(repeating: "0", count: 40))
        var rng = SplitMix64(seed: 7)
        let drawn = ReplicationID.random(using: &rng)
        XCTAssertEqual(ReplicationID(drawn.text), drawn)
        XCTAssertNotEqual(ReplicationID.random(), ReplicationID.random())
    }

    /// A master with ID A whose stream holds bytes 1...100, all in the backlog.
    private func master() -> ReplicationHistory {
        var history = ReplicationHistory(replid: idA)
        history.createBacklog(capacity: 1000, masterOffset: 0)
        history.feed([UInt8](repeating: 120, count: 100))
        return history
    }

    func testSameIDCoveredOffsetContinues() {
        let history = master()
        XCTAssertEqual(history.decidePsync(requestedID: idA.text, requestedOffset: 51, masterOffset: 100),
                       .partial(from: 51, bytes: 50))
        XCTAssertEqual(history.decidePsync(requestedID: idA.text.uppercased(), requestedOffset: 101, masterOffset: 100),
                       .partial(from: 101, bytes: 0))
    }

    func testQuestionMarkIsAFullResyncOnRequest() {
        XCTAssertEqual(master().decidePsync(requestedID: "?", requestedOffset: -1, masterOffset: 100, replicaName: "10.0.0.2:6380"),
                       .full(reason: "Full resync requested by slave 10.0.0.2:6380"))
    }

    func testUnknownIDIsAMismatch() {
        XCTAssertEqual(master().decidePsync(requestedID: idC.text, requestedOffset: 50, masterOffset: 100),
                       .full(reason: "Partial resynchronization not accepted: Replication ID mismatch (Slave asked for '\(idC)', "
                             + "my replication IDs are '\(idA)' and '\(ReplicationID.none)')"))
    }

    func testOffsetOutsideTheBacklogIsLackOfBacklog() {
        var history = ReplicationHistory(replid: idA)
        history.createBacklog(capacity: 10, masterOffset: 0)
        history.feed([UInt8](repeating: 1, count: 100))
        XCTAssertEqual(history.decidePsync(requestedID: idA.text, requestedOffset: 90, masterOffset: 100, replicaName: "r"),
                       .full(reason: "Unable to partial resync with slave r for lack of backlog (Slave request was: 90)."))
        XCTAssertEqual(history.decidePsync(requestedID: idA.text, requestedOffset: 91, masterOffset: 100), .partial(from: 91, bytes: 10))
        guard case .full(let reason) = history.decidePsync(requestedID: idA.text, requestedOffset: 102, masterOffset: 100, replicaName: "r") else {
            return XCTFail("an offset past the end must be refused")
        }
        XCTAssertTrue(reason.hasSuffix("Warning: slave r tried to PSYNC with an offset that is greater than the master replication offset."))
    }

    func testNoBacklogIsLackOfBacklog() {
        let history = ReplicationHistory(replid: idA)
        XCTAssertEqual(history.decidePsync(requestedID: idA.text, requestedOffset: 1, masterOffset: 5, replicaName: "r"),
                       .full(reason: "Unable to partial resync with slave r for lack of backlog (Slave request was: 1)."))
    }

    func testAfterAShiftTheOldIDContinuesUpToTheShiftOffset() {
        var promoted = master()
        promoted.shiftReplicationID(masterOffset: 100, newID: idB)
        XCTAssertEqual(promoted.replid, idB)
        XCTAssertEqual(promoted.replid2, idA)
        XCTAssertEqual(promoted.secondReplidOffset, 101)
        promoted.feed([UInt8](repeating: 121, count: 20))
        // A replica of the old master at offset 100 continues with the new one.
        XCTAssertEqual(promoted.decidePsync(requestedID: idA.text, requestedOffset: 101, masterOffset: 120),
                       .partial(from: 101, bytes: 20))
        XCTAssertEqual(promoted.decidePsync(requestedID: idA.text, requestedOffset: 60, masterOffset: 120),
                       .partial(from: 60, bytes: 61))
        // One that saw byte 101 of the old master's history cannot.
        XCTAssertEqual(promoted.decidePsync(requestedID: idA.text, requestedOffset: 102, masterOffset: 120),
                       .full(reason: "Partial resynchronization not accepted: Requested offset for second ID was 102, "
                             + "but I can reply up to 101"))
        // The new ID is good for any covered offset.
        XCTAssertEqual(promoted.decidePsync(requestedID: idB.text, requestedOffset: 110, masterOffset: 120),
                       .partial(from: 110, bytes: 11))
        guard case .full(let reason) = promoted.decidePsync(requestedID: idC.text, requestedOffset: 110, masterOffset: 120) else {
            return XCTFail("an unknown ID must be refused")
        }
        XCTAssertTrue(reason.contains("my replication IDs are '\(idB)' and '\(idA)'"), reason)
    }

    func testIdentityChanges() {
        var history = ReplicationHistory(replid: idA)
        history.shiftReplicationID(masterOffset: 9, newID: idB)
        history.adoptMaster(replid: idC)
        XCTAssertEqual(history.replid, idC)
        XCTAssertEqual(history.replid2, .none)
        XCTAssertEqual(history.secondReplidOffset, -1)
        history.setReplicationIDs(replid: idA, replid2: idB, secondOffset: 5)
        XCTAssertEqual([history.replid, history.replid2], [idA, idB])
        XCTAssertEqual(history.secondReplidOffset, 5)
        history.changeReplicationID(idC)
        XCTAssertEqual([history.replid, history.replid2], [idC, idB])
        history.clearSecondaryID()
        XCTAssertEqual(history.replid2, .none)
        history.createBacklog(capacity: 4, masterOffset: 10)
        XCTAssertEqual(history.backlog?.firstByteOffset, 11)
        history.freeBacklog()
        XCTAssertNil(history.backlog)
        history.feed([1, 2, 3])
        XCTAssertNil(history.backlog)
    }

    func testPsyncReplies() {
        let history = ReplicationHistory(replid: idA)
        XCTAssertEqual(history.fullResyncReply(masterOffset: 42), bytes("+FULLRESYNC \(idA) 42\r\n"))
        XCTAssertEqual(history.continueReply(replicaSupportsPsync2: true), bytes("+CONTINUE \(idA)\r\n"))
        XCTAssertEqual(history.continueReply(replicaSupportsPsync2: false), bytes("+CONTINUE\r\n"))
    }
}
