// KeyspaceOverwriteTests: a SET over a string writes the new bytes into the old value's
// storage when nothing else holds it (Keyspace.overwriteString). What must hold is
// that nobody who kept the old value sees it change, and that the value read back is
// the new one at every length.
import XCTest
@testable import Engine

final class KeyspaceOverwriteTests: XCTestCase {
    private func stringAt(_ ks: Keyspace, _ key: String) -> Value? {
        ks.lookupRead(0, Bytes(key.utf8)).map { ks.databases[0].value(at: $0) }
    }

    func testOverwritesAtEveryLengthReadBack() {
        let ks = Keyspace(databases: 1)
        var lengths = Array(0...70) + [200, 3, 3, 1000, 16, 17, 15]
        lengths += lengths.reversed()
        for n in lengths {
            let value = stringValue(String(repeating: "x", count: n) + String(n))
            ks.set(0, Bytes("k".utf8), value)
            XCTAssertEqual(stringAt(ks, "k"), value, "length \(n)")
        }
    }

    func testAHeldOldValueIsNotWrittenOver() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("k".utf8), stringValue("old-value"))
        let held = stringAt(ks, "k")  // as a reply, a queued command or a module might hold it
        ks.set(0, Bytes("k".utf8), stringValue("new-value"))
        XCTAssertEqual(held, stringValue("old-value"))
        XCTAssertEqual(stringAt(ks, "k"), stringValue("new-value"))
    }

    func testASnapshotKeepsTheOldValue() {
        let ks = Keyspace(databases: 1)
        for n in 0..<50 { ks.set(0, Bytes("k\(n)".utf8), stringValue("before-\(n)")) }
        let snap = ks.beginSnapshot()!
        for n in 0..<50 { ks.set(0, Bytes("k\(n)".utf8), stringValue("after--\(n)")) }  // same lengths
        while !ks.snapshotStep(budget: 10) {}
        var seen: [Bytes: Value] = [:]
        for item in snap.takePending() { seen[item.key] = item.value }
        ks.endSnapshot()
        XCTAssertEqual(seen.count, 50)
        for n in 0..<50 {
            XCTAssertEqual(seen[Bytes("k\(n)".utf8)], stringValue("before-\(n)"))
            XCTAssertEqual(stringAt(ks, "k\(n)"), stringValue("after--\(n)"))
        }
    }

    func testTheRawFlagIsTheNewValues() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("k".utf8), .string(.bytes(Bytes("abc".utf8), raw: true)))
        ks.set(0, Bytes("k".utf8), .string(.bytes(Bytes("xyz".utf8), raw: false)))
        XCTAssertEqual(stringAt(ks, "k"), .string(.bytes(Bytes("xyz".utf8), raw: false)))
    }
}
