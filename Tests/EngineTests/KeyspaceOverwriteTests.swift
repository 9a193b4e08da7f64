// KeyspaceOverwriteTests: a SET over a string writes the new bytes into the old value's
// storage when nothing else holds it (Keyspace.overwriteString; a short string's box). What must hold is
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
        assertASnapshotKeepsOldStrings { ks, key, text in ks.set(0, key, stringValue(text)) }
    }

    func testTheRawFlagIsTheNewValues() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("k".utf8), .string(.bytes(Bytes("abc".utf8), raw: true)))
        ks.set(0, Bytes("k".utf8), .string(.bytes(Bytes("xyz".utf8), raw: false)))
        XCTAssertEqual(stringAt(ks, "k"), .string(.bytes(Bytes("xyz".utf8), raw: false)))
    }
}

/// SET's form, `set(_:_:text:)`: the value is what `StringValue(encoding:)` makes of the
/// text, and a short string nothing else holds is written over in its box when the new
/// text needs the same block.
final class KeyspaceTextOverwriteTests: XCTestCase {
    private func value(_ ks: Keyspace, _ key: String) -> StringValue? {
        guard let i = ks.lookupRead(0, Bytes(key.utf8)), case .string(let s) = ks.databases[0].value(at: i) else { return nil }
        return s
    }

    private func boxAddress(_ ks: Keyspace, _ key: String) -> UnsafeRawPointer? {
        guard case .embedded(let box, _)? = value(ks, key) else { return nil }
        return box.address
    }

    func testEveryLengthReadsBackInItsEncoding() {
        let ks = Keyspace(databases: 1)
        var texts = (0...70).map { String(repeating: "x", count: $0) } + ["12", "-3", "007", "9223372036854775807", "1.5"]
        texts += texts.reversed()
        for t in texts {
            ks.set(0, Bytes("k".utf8), text: Bytes(t.utf8))
            let expected = StringValue(encoding: Bytes(t.utf8))
            XCTAssertEqual(value(ks, "k"), expected, "\(t.count) bytes")
            XCTAssertEqual(value(ks, "k")?.encodingName, expected.encodingName, "\(t.count) bytes")
            XCTAssertEqual(value(ks, "k")?.bytes, Bytes(t.utf8))
        }
    }

    func testTheBoxIsReusedOnlyWithinItsSizeClassAndWhenUnheld() {
        let ks = Keyspace(databases: 1)
        ks.set(0, Bytes("k".utf8), text: Bytes("value:1".utf8))
        let first = boxAddress(ks, "k")
        XCTAssertNotNil(first)
        ks.set(0, Bytes("k".utf8), text: Bytes("value:22".utf8))  // 16 + 8 bytes: the same 32-byte block
        XCTAssertEqual(boxAddress(ks, "k"), first)
        XCTAssertEqual(value(ks, "k")?.bytes, Bytes("value:22".utf8))
        let held = value(ks, "k")  // a reply or a snapshot holding the value
        ks.set(0, Bytes("k".utf8), text: Bytes("value:33".utf8))
        XCTAssertNotEqual(boxAddress(ks, "k"), first)
        XCTAssertEqual(held?.bytes, Bytes("value:22".utf8))
        XCTAssertEqual(value(ks, "k")?.bytes, Bytes("value:33".utf8))
        let second = boxAddress(ks, "k")
        ks.set(0, Bytes("k".utf8), text: Bytes("a-longer-value:44".utf8))  // 16 + 17 bytes: a 48-byte block
        XCTAssertNotEqual(boxAddress(ks, "k"), second)
        XCTAssertEqual(value(ks, "k")?.bytes, Bytes("a-longer-value:44".utf8))
    }

    func testASnapshotKeepsTheOldText() {
        assertASnapshotKeepsOldStrings { ks, key, text in ks.set(0, key, text: Bytes(text.utf8)) }
    }

    func testATTLIsDroppedUnlessKept() {
        let ks = Keyspace(databases: 1)
        ks.now = 1_000
        let i = ks.set(0, Bytes("k".utf8), text: Bytes("v1".utf8))
        ks.setExpire(0, i, at: 60_000)
        XCTAssertEqual(ks.set(0, Bytes("k".utf8), text: Bytes("v2".utf8), keepTTL: true), i)
        XCTAssertEqual(ks.expireAt(0, i), 60_000)
        ks.set(0, Bytes("k".utf8), text: Bytes("v3".utf8))
        XCTAssertNil(ks.expireAt(0, i))
        XCTAssertEqual(value(ks, "k")?.bytes, Bytes("v3".utf8))
    }
}

/// Sets 50 strings with `set`, takes a snapshot, sets them again at the same lengths: the
/// snapshot must see the old texts and the keyspace the new ones.
func assertASnapshotKeepsOldStrings(_ set: (Keyspace, Bytes, String) -> Void, file: StaticString = #filePath, line: UInt = #line) {
    let ks = Keyspace(databases: 1)
    for n in 0..<50 { set(ks, Bytes("k\(n)".utf8), "before-\(n)") }
    let snap = ks.beginSnapshot()!
    for n in 0..<50 { set(ks, Bytes("k\(n)".utf8), "after--\(n)") }  // same lengths
    while !ks.snapshotStep(budget: 10) {}
    var seen: [Bytes: Value] = [:]
    for item in snap.takePending() { seen[item.key] = item.value }
    ks.endSnapshot()
    XCTAssertEqual(seen.count, 50, file: file, line: line)
    for n in 0..<50 {
        XCTAssertEqual(seen[Bytes("k\(n)".utf8)], stringValue("before-\(n)"), file: file, line: line)
        let now = ks.lookupRead(0, Bytes("k\(n)".utf8)).map { ks.databases[0].value(at: $0) }
        XCTAssertEqual(now, stringValue("after--\(n)"), file: file, line: line)
    }
}
