// KeyTableWarmTests: warming a pipelined batch finds the entry each lookup will read.
// warmLookups is only a hint (nothing depends on what it touched), so the check is
// that it touches the right entries: the one `find` returns for a present key, none
// or a fingerprint twin for an absent one.
import XCTest
@testable import Engine

final class KeyTableWarmTests: XCTestCase {
    func testWarmingLandsOnTheEntryALookupFinds() {
        var table = KeyTable()
        let present = (0..<5_000).map { Bytes("key:\($0)-a-longer-key-than-fits-inline".utf8) }
        for key in present { table.insert(key, stringValue("v")) }
        let absent = (0..<1_000).map { Bytes("missing:\($0)".utf8) }
        var hashes = (present + absent).map(hashKey)
        _ = hashes.withUnsafeMutableBufferPointer { table.warmLookups(hashes: $0) }

        var found = 0
        for (k, key) in present.enumerated() {
            let want = table.find(key)!
            if Int64(bitPattern: hashes[k]) == Int64(want) {
                found += 1
            } else {
                // Only a key deeper in its chain than warming looks may be missed.
                XCTAssertGreaterThanOrEqual(chainPosition(of: want, in: table, hash: hashKey(key)), KeyTable.warmChainSteps, key.text)
            }
        }
        XCTAssertGreaterThan(found, present.count * 99 / 100)
        for (k, key) in absent.enumerated() {
            let i = Int64(bitPattern: hashes[present.count + k])
            if i >= 0 { XCTAssertEqual(table.slotTag(Int(i)), fingerprint(hashKey(key)), key.text) }
        }
    }

    /// A multi-key command's keys are warmed by position, at most a batch of them, and
    /// warming changes nothing a lookup sees.
    func testKeyspaceWarmsACommandsKeysByPosition() {
        let ks = Keyspace()
        for k in 0..<300 { ks.set(0, Bytes("k\(k)".utf8), .string(StringValue(encoding: Bytes("v".utf8)))) }
        let mset = [Bytes("MSET".utf8)] + (0..<10).flatMap { [Bytes("k\($0)".utf8), Bytes("v".utf8)] }
        XCTAssertEqual(ks.warmKeys(0, mset, first: 1, last: mset.count - 1, step: 2), 10)
        let mget = [Bytes("MGET".utf8)] + (0..<200).map { Bytes("k\($0)".utf8) }
        XCTAssertEqual(ks.warmKeys(0, mget, first: 1, last: mget.count - 1, step: 1), Keyspace.warmBatchLimit)
        XCTAssertEqual(ks.warmKeys(0, mget, first: 1, last: 1, step: 1), 0, "one key: nothing to overlap")
        XCTAssertEqual(ks.warmKeys(0, mget, first: 1, last: 3, step: 1), 3)
        XCTAssertEqual(ks.keyCount(0), 300)
        for k in 0..<300 { XCTAssertNotNil(ks.peek(0, Bytes("k\(k)".utf8))) }
    }

    /// How many entries precede entry `target` in the chain of `hash`'s bucket.
    private func chainPosition(of target: Int, in table: KeyTable, hash: UInt64) -> Int {
        var i = table.bucketHead(hash)
        var position = 0
        while i >= 0 && i != target {
            i = Int(table.slotNext(i))
            position += 1
        }
        return position
    }
}

private extension KeyTable {
    func slotTag(_ i: Int) -> UInt16 { entries[i].tag }
    func bucketHead(_ hash: UInt64) -> Int { Int(buckets[Int(hash & UInt64(buckets.count - 1))]) }
}
