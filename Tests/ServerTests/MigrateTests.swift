// MigrateTests: MIGRATE's argument rules and its connection cache, without sockets
// (tools/tests/test_migrate.py moves keys between real servers).
import XCTest
import Engine
@testable import Server

final class MigrateArgumentTests: XCTestCase {
    private func parse(_ words: String...) -> Result<MigrateRequest, MigrateArgumentError> {
        MigrateRequest.parse([Bytes("MIGRATE")] + words.map { Bytes($0) })
    }

    func testPlainForm() throws {
        let r = try parse("h", "6380", "k", "2", "500").get()
        XCTAssertEqual(r.host, "h")
        XCTAssertEqual(r.port, 6380)
        XCTAssertEqual(r.target, "h:6380")
        XCTAssertEqual(r.db, 2)
        XCTAssertEqual(r.timeoutMs, 500)
        XCTAssertEqual(r.keys, [Bytes("k")])
        XCTAssertFalse(r.copy || r.replace)
        XCTAssertNil(r.password)
    }

    func testOptionsAndKeys() throws {
        let r = try parse("h", "1", "", "0", "0", "copy", "REPLACE", "Auth", "pw", "KEYS", "a", "copy").get()
        XCTAssertTrue(r.copy && r.replace)
        XCTAssertEqual(r.password, Bytes("pw"))
        XCTAssertEqual(r.keys, [Bytes("a"), Bytes("copy")], "everything after KEYS is a key")
        XCTAssertEqual(r.timeoutMs, 1000, "a timeout of 0 or less means 1000 ms")
        XCTAssertEqual(try parse("h", "1", "", "0", "5", "KEYS").get().keys, [])
    }

    func testErrorsInRedisOrder() {
        let keysError = MigrateArgumentError(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
        XCTAssertEqual(parse("h", "1", "k", "0", "5", "KEYS", "a"), .failure(keysError))
        XCTAssertEqual(parse("h", "1", "k", "0", "5", "AUTH"), .failure(.syntax))
        XCTAssertEqual(parse("h", "1", "k", "0", "5", "bogus"), .failure(.syntax))
        // Options are checked before the numbers.
        XCTAssertEqual(parse("h", "1", "k", "x", "y", "bogus"), .failure(.syntax))
        XCTAssertEqual(parse("h", "1", "k", "x", "5"), .failure(.notInteger))
        XCTAssertEqual(parse("h", "1", "k", "0", "5.5"), .failure(.notInteger))
    }

    func testPortReadAsAtoi() throws {
        XCTAssertEqual(try parse("h", "6380abc", "k", "0", "5").get().port, 6380)
        XCTAssertEqual(try parse("h", "abc", "k", "0", "5").get().port, 0)
        XCTAssertEqual(try parse("h", "abc", "k", "0", "5").get().target, "h:abc")
    }

    func testKeyPositions() {
        let argv = { (words: [String]) in (["MIGRATE"] + words).map { Bytes($0) } }
        XCTAssertEqual(MigrateRequest.keyPositions(argv(["h", "1", "k", "0", "5"])), [3])
        XCTAssertEqual(MigrateRequest.keyPositions(argv(["h", "1", "", "0", "5", "COPY", "KEYS", "a", "b"])), [8, 9])
        XCTAssertEqual(MigrateRequest.keyPositions(argv(["h", "1", "k", "0", "5", "KEYS", "a"])), [3])
    }
}

private final class FakeLink: MigrateLink {
    var closed = false
    func close() { closed = true }
}

final class MigrateConnectionCacheTests: XCTestCase {
    func testReuseAndIdleClose() {
        let cache = MigrateConnectionCache<FakeLink>()
        let link = FakeLink()
        _ = cache.add("h:1", link, now: 100)
        XCTAssertTrue(cache.lookup("h:1", now: 105)?.link === link)
        cache.closeIdle(now: 115)
        XCTAssertFalse(link.closed, "10 s unused is not yet more than 10 s")
        cache.closeIdle(now: 116)
        XCTAssertTrue(link.closed)
        XCTAssertNil(cache.lookup("h:1", now: 116))
    }

    func testSelectedDatabaseStartsUnknown() {
        let cache = MigrateConnectionCache<FakeLink>()
        let entry = cache.add("h:1", FakeLink(), now: 0)
        XCTAssertNil(entry.selectedDB)
        entry.selectedDB = 3
        XCTAssertEqual(cache.lookup("h:1", now: 1)?.selectedDB, 3)
    }

    func testFullCacheClosesOneToAddAnother() {
        let cache = MigrateConnectionCache<FakeLink>()
        let links = (0..<64).map { _ in FakeLink() }
        for (i, l) in links.enumerated() { _ = cache.add("h:\(i)", l, now: 0) }
        XCTAssertEqual(cache.count, 64)
        _ = cache.add("h:new", FakeLink(), now: 0)
        XCTAssertEqual(cache.count, 64)
        XCTAssertEqual(links.filter(\.closed).count, 1)
    }

    func testDropCloses() {
        let cache = MigrateConnectionCache<FakeLink>()
        let link = FakeLink()
        _ = cache.add("h:1", link, now: 0)
        cache.drop("h:1")
        XCTAssertTrue(link.closed)
        XCTAssertEqual(cache.count, 0)
    }
}
