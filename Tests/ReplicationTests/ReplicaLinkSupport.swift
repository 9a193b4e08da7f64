// ReplicaLinkSupport: a small driver for the replica link tests: it feeds
// events at a clock the test moves, collects the actions, and can answer
// `.transferComplete` with a successful load, as the server would.
import XCTest
@testable import Replication

let masterID = ReplicationID(String(repeating: "a", count: 40))!
let otherID = ReplicationID(String(repeating: "b", count: 40))!

func testConfig(auth: String? = nil, announceIP: String? = nil) -> ReplicaLinkConfig {
    ReplicaLinkConfig(masterHost: "master.local", masterPort: 6379, masterAuth: auth, listeningPort: 6380,
                      announceIP: announceIP, timeoutMs: 60_000, maxBulkLength: 1 << 20)
}

/// The bytes of a command as the master sends it.
func wire(_ words: String...) -> [UInt8] { ReplicationWire.command(words) }

struct LinkDriver {
    var link: ReplicaLink
    var nowMs: Int64 = 1_000_000
    /// Answer `.transferComplete` with `.loadFinished(success: true)` at once.
    var autoLoad = true
    var log: [ReplicaLinkAction] = []

    init(config: ReplicaLinkConfig = testConfig()) { link = ReplicaLink(config: config) }

    @discardableResult
    mutating func start(id: String = "?", offset: Int64 = -1) -> [ReplicaLinkAction] {
        record(link.start(psyncID: id, psyncOffset: offset, nowMs: nowMs))
    }

    @discardableResult
    mutating func send(_ event: ReplicaLinkEvent) -> [ReplicaLinkAction] {
        record(link.handle(event))
    }

    @discardableResult
    mutating func receive(_ text: String) -> [ReplicaLinkAction] { receive(bytes(text)) }

    @discardableResult
    mutating func receive(_ data: [UInt8]) -> [ReplicaLinkAction] { send(.received(data, nowMs: nowMs)) }

    @discardableResult
    mutating func tick(after ms: Int64) -> [ReplicaLinkAction] {
        nowMs += ms
        return send(.tick(nowMs: nowMs))
    }

    private mutating func record(_ actions: [ReplicaLinkAction]) -> [ReplicaLinkAction] {
        var all = actions
        if autoLoad && actions.contains(.transferComplete) {
            all += link.handle(.loadFinished(success: true, nowMs: nowMs))
        }
        log += all
        return all
    }

    /// Walks a fresh link through the handshake up to the PSYNC reply; returns the PSYNC sent.
    mutating func handshake(id: String = "?", offset: Int64 = -1) -> [UInt8] {
        start(id: id, offset: offset)
        send(.connected(nowMs: nowMs))
        receive("+PONG\r\n")
        receive("+OK\r\n")
        return sent(receive("+OK\r\n")).last ?? []
    }

    /// A link streaming from master A, after a full sync at `offset`.
    mutating func connectedAfterFullSync(offset: Int64 = 100) {
        _ = handshake()
        receive("+FULLRESYNC \(masterID) \(offset)\r\n$3\r\nrdb")
    }
}

/// The bytes of every `.send` action.
func sent(_ actions: [ReplicaLinkAction]) -> [[UInt8]] {
    actions.compactMap { if case .send(let b) = $0 { return b } else { return nil } }
}

/// The text of every `.log` action.
func logged(_ actions: [ReplicaLinkAction]) -> [String] {
    actions.compactMap { if case .log(_, let text) = $0 { return text } else { return nil } }
}

/// The commands of every `.apply` action, as strings, and their raw bytes joined.
func applied(_ actions: [ReplicaLinkAction]) -> (commands: [String], raw: [UInt8]) {
    var commands: [String] = []
    var raw: [UInt8] = []
    for case .apply(let argv, let bytes) in actions {
        commands.append(argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))
        raw += bytes
    }
    return (commands, raw)
}

/// The actions with adjacent transfer chunks merged (chunking depends on how reads split).
func mergingChunks(_ actions: [ReplicaLinkAction]) -> [ReplicaLinkAction] {
    var merged: [ReplicaLinkAction] = []
    for action in actions {
        if case .transferChunk(let next) = action, case .transferChunk(let previous)? = merged.last {
            merged[merged.count - 1] = .transferChunk(previous + next)
        } else {
            merged.append(action)
        }
    }
    return merged
}
