import XCTest
import RESP
import Engine
@testable import Server

final class AdmissionTests: XCTestCase {
    func testProtectedModeRefusesRemoteClientsWithoutBindOrPassword() {
        let server = Server(config: ServerConfig(), log: ServerLog(level: .warning))
        let (_, refusal) = server.connect(address: "10.1.2.3:5000", localAddress: "", isLocal: false)
        XCTAssertEqual(refusal?.hasPrefix("DENIED"), true)
        XCTAssertNil(server.connect(address: "127.0.0.1:5000", localAddress: "", isLocal: true).refusal)
        XCTAssertEqual(server.stats.rejectedConnections, 1)

        var withPassword = ServerConfig()
        withPassword.requirepass = "x"
        XCTAssertNil(Server(config: withPassword, log: ServerLog(level: .warning))
            .connect(address: "10.1.2.3:5000", localAddress: "", isLocal: false).refusal)
        var withBind = ServerConfig()
        withBind.bind = ["127.0.0.1"]
        XCTAssertNil(Server(config: withBind, log: ServerLog(level: .warning))
            .connect(address: "10.1.2.3:5000", localAddress: "", isLocal: false).refusal)
        var unprotected = ServerConfig()
        unprotected.protectedMode = false
        XCTAssertNil(Server(config: unprotected, log: ServerLog(level: .warning))
            .connect(address: "10.1.2.3:5000", localAddress: "", isLocal: false).refusal)
    }

    func testMaxclients() throws {
        let s = try RunningServer { $0.maxclients = 2 }
        defer { s.stop() }
        let a = try SocketClient(port: s.port)
        let b = try SocketClient(port: s.port)
        XCTAssertEqual(try a.command("PING"), .simple("PONG"))
        XCTAssertEqual(try b.command("PING"), .simple("PONG"))
        let c = try SocketClient(port: s.port)
        XCTAssertEqual(try c.reply(), .error("ERR max number of clients reached"))
        XCTAssertTrue(c.isClosedByPeer())
    }
}
