// Harness: a Server and a connection-less client, for command tests without
// sockets. `run` executes one command and decodes its reply.
import XCTest
import NIOCore
import RESP
import Engine
import ChangeStream
import CairnTestSupport
@testable import Server

final class Harness {
    let server: Server
    private(set) var client: Client
    /// Every propagation record delivered, in order.
    private(set) var propagated: [PropagationRecord] = []

    /// A fresh directory per harness: saves (SAVE, FLUSHALL with save points) land there.
    let directory: String

    /// log: where the server logs (tests that read the log pass one with a file).
    /// watchStream: false leaves `propagated` empty, so the stream is heard only by the server's own
    /// consumers (ChangeStream.isHeard).
    init(config: ServerConfig = ServerConfig(), log: ServerLog = ServerLog(level: .warning), watchStream: Bool = true) {
        var config = config
        directory = makeTemporaryDirectory()
        if config.dir == "." { config.dir = directory }
        server = Server(config: config, log: log)
        client = server.connect(address: "127.0.0.1:1", localAddress: "127.0.0.1:6379", isLocal: true).0
        if watchStream { server.stream.addRecordConsumer { [unowned self] in self.propagated.append($0) } }
    }

    /// A second client on the same server.
    func newClient() -> Client {
        server.connect(address: "127.0.0.1:2", localAddress: "127.0.0.1:6379", isLocal: true).0
    }

    @discardableResult
    func run(_ args: String..., as who: Client? = nil) -> RESPValue {
        run(args.map { Bytes($0) }, as: who)
    }

    @discardableResult
    func run(_ argv: [Bytes], as who: Client? = nil) -> RESPValue {
        let c = who ?? client
        server.execute(c, argv)
        return takeReply(c)
    }

    /// Decodes the next reply waiting in `c`'s output.
    func takeReply(_ c: Client) -> RESPValue {
        guard let value = try? RESPValue.decode(from: &c.output) else {
            return .error("HARNESS: no complete reply")
        }
        return value
    }

    /// Propagated commands as text lines, "db: ARG ARG", then forgets them.
    func takePropagated() -> [String] {
        defer { propagated.removeAll() }
        return propagated.map { "\($0.db): " + $0.argv.map { $0.text }.joined(separator: " ") }
    }
}

/// Shorthands for expected replies.
extension RESPValue {
    static let ok = RESPValue.simple("OK")
    static func str(_ s: String) -> RESPValue { .bulk(Array(s.utf8)) }
    static func int(_ v: Int64) -> RESPValue { .integer(v) }
    static func strs(_ items: [String]) -> RESPValue { .array(items.map { .bulk(Array($0.utf8)) }) }
}

extension Harness {
    /// Stores a string directly in the keyspace (for tests that need data without SET).
    func put(_ key: String, _ value: String, db: Int = 0, expireAt: Int64? = nil) {
        let i = server.keyspace.set(db, Bytes(key), .string(StringValue(encoding: Bytes(value))))
        if let expireAt { server.keyspace.setExpire(db, i, at: expireAt) }
    }

    /// The stored string at `key`, bypassing expiry.
    func stored(_ key: String, db: Int = 0) -> String? {
        guard let i = server.keyspace.peek(db, Bytes(key)), case .string(let s) = server.keyspace.value(db, i) else { return nil }
        return s.bytes.text
    }
}
