import XCTest
import RESP
@testable import Server

final class ConnectionCommandTests: XCTestCase {
    func testPingEchoSelect() {
        let h = Harness()
        XCTAssertEqual(h.run("PING"), .simple("PONG"))
        XCTAssertEqual(h.run("ping", "x"), .str("x"))
        XCTAssertEqual(h.run("echo", "a\u{0}b"), .str("a\u{0}b"))
        XCTAssertEqual(h.run("SELECT", "15"), .ok)
        XCTAssertEqual(h.client.db, 15)
        XCTAssertEqual(h.run("SELECT", "16"), .error("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SELECT", "x"), .error("ERR invalid DB index"))
    }

    func testUnknownCommandAndArity() {
        let h = Harness()
        XCTAssertEqual(h.run("NOPE", "a", "b"), .error("ERR unknown command `NOPE`, with args beginning with: `a`, `b`, "))
        XCTAssertEqual(h.run("echo"), .error("ERR wrong number of arguments for 'echo' command"))
    }

    /// Each client remembers the command its last name found (Dispatch.lookUp): other spellings,
    /// unknown names and a changed command table must not be answered from that memory.
    func testRememberedCommandLookups() {
        let h = Harness()
        XCTAssertEqual(h.run("SET", "k", "v"), .ok)
        XCTAssertEqual(h.run("GET", "k"), .str("v"))
        XCTAssertEqual(h.run("GET", "k"), .str("v"))
        XCTAssertEqual(h.run("gEt", "k"), .str("v"))
        XCTAssertEqual(h.run("GETT", "k"), .error("ERR unknown command `GETT`, with args beginning with: `k`, "))
        XCTAssertEqual(h.run("GE", "k"), .error("ERR unknown command `GE`, with args beginning with: `k`, "))
        XCTAssertEqual(h.run("GET", "k"), .str("v"))
        h.server.commands.remove("get")
        XCTAssertEqual(h.run("GET", "k"), .error("ERR unknown command `GET`, with args beginning with: `k`, "))
    }

    func testAuth() {
        var config = ServerConfig()
        config.requirepass = "secret"
        let h = Harness(config: config)
        XCTAssertEqual(h.run("PING"), .error("NOAUTH Authentication required."))
        XCTAssertEqual(h.run("AUTH", "wrong"), .error("ERR invalid password"))
        XCTAssertEqual(h.run("AUTH", "secret"), .ok)
        XCTAssertEqual(h.run("PING"), .simple("PONG"))
        let open = Harness()
        XCTAssertEqual(open.run("AUTH", "x"), .error("ERR Client sent AUTH, but no password is set"))
    }
}
