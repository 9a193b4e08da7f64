// ChangeStreamTests: the change stream's contract: records in order, the
// keyspace's expiry DELs before the record that found them, MULTI/EXEC
// wrapping, SELECT only where the database changes, and an offset that
// counts exactly the bytes handed to the byte consumer.
import XCTest
import Engine
import ChangeStream

final class ChangeStreamTests: XCTestCase {
    private func argv(_ words: String...) -> [Bytes] { words.map { Bytes($0) } }

    /// A stream with a byte consumer that keeps everything it is given.
    private func makeStream(_ ks: Keyspace) -> (ChangeStream, () -> [UInt8]) {
        let stream = ChangeStream(keyspace: ks)
        var bytes: [UInt8] = []
        stream.byteConsumer = { bytes.append(contentsOf: $0) }
        return (stream, { bytes })
    }

    func testOffsetCountsTheEncodedBytesWithSelectOnlyOnChange() {
        let ks = Keyspace(databases: 4)
        let (stream, bytes) = makeStream(ks)
        stream.record(db: 0, argv("SET", "a", "1"))
        stream.record(db: 0, argv("SET", "b", "2"))
        stream.record(db: 2, argv("DEL", "c"))
        stream.deliver()
        let expected = encodeCommand(argv("SELECT", "0")) + encodeCommand(argv("SET", "a", "1"))
            + encodeCommand(argv("SET", "b", "2")) + encodeCommand(argv("SELECT", "2")) + encodeCommand(argv("DEL", "c"))
        XCTAssertEqual(bytes(), expected)
        XCTAssertEqual(stream.offset, Int64(expected.count))
        stream.forgetSelectedDB()
        stream.record(db: 2, argv("PING"))
        stream.deliver()
        XCTAssertEqual(Array(bytes().suffix(from: expected.count)), encodeCommand(argv("SELECT", "2")) + encodeCommand(argv("PING")))
        XCTAssertEqual(stream.offset, Int64(bytes().count))
    }

    func testWithoutByteConsumerTheOffsetStandsStill() {
        let ks = Keyspace()
        let stream = ChangeStream(keyspace: ks)
        var records: [PropagationRecord] = []
        stream.addRecordConsumer { records.append($0) }
        stream.record(db: 0, argv("SET", "a", "1"))
        stream.deliver()
        XCTAssertEqual(records, [PropagationRecord(db: 0, argv: argv("SET", "a", "1"))])
        XCTAssertEqual(stream.offset, 0)
    }

    func testReplicasOnlyRecordsAreEncodedAndMarkedForTheAOFToSkip() {
        let ks = Keyspace()
        let (stream, bytes) = makeStream(ks)
        var records: [PropagationRecord] = []
        stream.addRecordConsumer { records.append($0) }
        stream.record(db: 0, argv("PUBLISH", "ch", "hi"), replicasOnly: true)
        stream.deliver()
        XCTAssertEqual(records.map(\.replicasOnly), [true])
        XCTAssertEqual(bytes(), encodeCommand(argv("SELECT", "0")) + encodeCommand(argv("PUBLISH", "ch", "hi")))
    }

    func testExpiryDeleteComesBeforeTheCommandThatFoundIt() {
        let ks = Keyspace()
        let (stream, _) = makeStream(ks)
        var records: [PropagationRecord] = []
        stream.addRecordConsumer { records.append($0) }
        let i = ks.set(0, Bytes("old"), .string(StringValue(encoding: Bytes("v"))))
        ks.setExpire(0, i, at: ks.now - 10)
        stream.beginCommand()
        XCTAssertNil(ks.lookupWrite(0, Bytes("old")))  // found expired: the keyspace records a DEL
        stream.endCommand(db: 0, argv: argv("SET", "old", "new"), wrote: true)
        stream.deliver()
        XCTAssertEqual(records.map { $0.argv }, [argv("DEL", "old"), argv("SET", "old", "new")])
    }

    func testReplacementAndNoWrite() {
        let ks = Keyspace()
        let (stream, _) = makeStream(ks)
        stream.beginCommand()
        stream.replaceCurrentCommand(with: [argv("PEXPIREAT", "k", "100")])
        stream.endCommand(db: 1, argv: argv("EXPIRE", "k", "1"), wrote: true)
        stream.beginCommand()
        stream.endCommand(db: 1, argv: argv("GET", "k"), wrote: false)
        XCTAssertEqual(stream.pending, [PropagationRecord(db: 1, argv: argv("PEXPIREAT", "k", "100"))])
        // A replacement does not leak into the next command.
        stream.beginCommand()
        stream.endCommand(db: 1, argv: argv("SET", "k", "v"), wrote: true)
        XCTAssertEqual(stream.pending.last?.argv, argv("SET", "k", "v"))
    }

    func testTransactionWrapping() {
        let ks = Keyspace()
        let (stream, _) = makeStream(ks)
        let empty = stream.mark
        stream.wrapTransaction(since: empty, startDB: 0, endDB: 0)
        XCTAssertTrue(stream.pending.isEmpty, "an EXEC that wrote nothing propagates nothing")
        let mark = stream.mark
        stream.record(db: 0, argv("INCR", "a"))
        stream.record(db: 3, argv("INCR", "b"))
        stream.wrapTransaction(since: mark, startDB: 0, endDB: 3)
        XCTAssertEqual(stream.pending.map { $0.argv[0].text }, ["MULTI", "INCR", "INCR", "EXEC"])
        XCTAssertEqual(stream.pending.map { $0.db }, [0, 0, 3, 3])
    }

    func testReplicaForwardsRawBytesAndEncodesNothing() {
        let ks = Keyspace()
        let (stream, bytes) = makeStream(ks)
        var records: [PropagationRecord] = []
        stream.addRecordConsumer { records.append($0) }
        stream.encodesRecords = false
        stream.resetOffset(to: 1000)
        let raw = encodeCommand(argv("SET", "k", "v"))
        stream.record(db: 0, argv("SET", "k", "v"))
        stream.deliver()
        XCTAssertEqual(records.count, 1, "the replica's AOF still gets the record")
        XCTAssertEqual(stream.offset, 1000, "but its own encoding is never sent")
        raw.withUnsafeBytes { stream.forward($0) }
        XCTAssertEqual(bytes(), raw)
        XCTAssertEqual(stream.offset, 1000 + Int64(raw.count))
    }

    func testHeardOnlyByABacklogOrAListeningConsumer() {
        let ks = Keyspace()
        let stream = ChangeStream(keyspace: ks)
        XCTAssertFalse(stream.isHeard, "nobody attached")
        var aofOn = false
        stream.addRecordConsumer(listens: { aofOn }) { _ in }
        XCTAssertFalse(stream.isHeard, "a consumer that drops everything")
        aofOn = true
        XCTAssertFalse(stream.isHeard, "a stored flag: the consumer must say it changed")
        stream.listenersChanged()
        XCTAssertTrue(stream.isHeard)
        aofOn = false
        stream.byteConsumer = { _ in }
        XCTAssertTrue(stream.isHeard, "a backlog")
        stream.encodesRecords = false
        XCTAssertFalse(stream.isHeard, "a replica's sub-replicas get its master's bytes, not its records")
        stream.addRecordConsumer { _ in }
        XCTAssertTrue(stream.isHeard, "a consumer that always listens (tests)")
    }

    func testUnheardRecordsAreCountedButNotBuilt() {
        let ks = Keyspace()
        let stream = ChangeStream(keyspace: ks)
        var aofOn = false
        var delivered: [[Bytes]] = []
        stream.addRecordConsumer(listens: { aofOn }) { delivered.append($0.argv) }
        stream.beginCommand()
        stream.endCommand(db: 0, argv: [Bytes("SET"), Bytes("k"), Bytes("1")], wrote: true)
        stream.record(db: 0, [Bytes("PUBLISH"), Bytes("c"), Bytes("m")], replicasOnly: true)
        XCTAssertEqual(stream.mark, 0, "nothing built while nobody listens")
        XCTAssertEqual(stream.recorded, 2, "but counted, for the debug check of writes that record nothing")
        stream.deliver()
        XCTAssertTrue(delivered.isEmpty)

        aofOn = true
        stream.listenersChanged()
        stream.beginCommand()
        stream.endCommand(db: 0, argv: [Bytes("SET"), Bytes("k"), Bytes("2")], wrote: true)
        stream.beginCommand()
        stream.endCommand(db: 0, argv: [Bytes("GET"), Bytes("k")], wrote: false)
        XCTAssertEqual(stream.recorded, 3)
        stream.deliver()
        XCTAssertEqual(delivered, [[Bytes("SET"), Bytes("k"), Bytes("2")]])
    }
}
