// ScriptTestHarness: a Server with connection-less clients for scripting tests, the
// propagation records it delivered, and a hand-driven loop for scripts paused past
// lua-time-limit (the tasks `Server.schedule` would give the event loop wait in `tasks`).
import XCTest
import NIOCore
import RESP
import Engine
import CairnTestSupport
@testable import Server

final class ScriptTestHarness {
    let server: Server
    let client: Client
    private(set) var records: [PropagationRecord] = []
    var tasks: [() -> Void] = []

    init(loop: Bool = false, luaTimeLimit: Int = 5000) {
        var config = ServerConfig()
        config.dir = makeTemporaryDirectory()
        config.luaTimeLimit = luaTimeLimit
        server = Server(config: config, log: ServerLog(level: .warning))
        client = server.connect(address: "127.0.0.1:1", localAddress: "127.0.0.1:6379", isLocal: true).0
        server.stream.addRecordConsumer { [unowned self] in self.records.append($0) }
        if loop { server.schedule = { [unowned self] _, work in self.tasks.append(work) } }
    }

    func newClient() -> Client {
        server.connect(address: "127.0.0.1:2", localAddress: "127.0.0.1:6379", isLocal: true).0
    }

    @discardableResult
    func run(_ args: String..., as who: Client? = nil) -> RESPValue? {
        let c = who ?? client
        server.execute(c, args.map { Bytes($0.utf8) })
        return try? RESPValue.decode(from: &c.output)
    }

    /// Delivered records as "ARG ARG" lines (AOF-only ones marked), then forgotten.
    func takeRecords() -> [String] {
        defer { records.removeAll() }
        return records.map { ($0.aofOnly ? "aof: " : $0.replicasOnly ? "replicas: " : "") + $0.argv.map { $0.text }.joined(separator: " ") }
    }

    /// Runs the loop's pending tasks (script slices) until none is left or `limit` ran.
    func runTasks(limit: Int = 1000) {
        var n = 0
        while !tasks.isEmpty && n < limit {
            tasks.removeFirst()()
            n += 1
        }
    }
}
