// SimNode: one Cairn server in the simulation, with its directory, its
// master link transport and the clients the simulator uses on it.
//
// Job: build a Server wired to the world (virtual replication clock, simulated
// transport, a log file in its own directory), restart it (a fresh Server on
// the same directory, loading what dump.rdb holds), and talk to it the way a
// client would: `command` runs one command through `Server.execute` and
// returns the reply's bytes; `info` and `digest` read INFO replication and
// DEBUG DIGEST.
// Contract: a node's index, host and port never change; its `incarnation`
// grows at every restart, and everything tied to an older incarnation (its
// connections, its snapshot event) is ignored from then on.
// Tricky bit: save points are off (a BGSAVE started by the wall clock would
// make runs differ), and keys' TTLs run on the real clock, so the workload
// only sets TTLs hours away.
import Foundation
import NIOCore
import Engine
import Server

/// How every node of a run is configured (drawn from the seed).
public struct NodeSettings: Sendable, Equatable {
    public var backlogSize: Int
    public var pingPeriod: Int
    public var replTimeout: Int
    /// Full syncs stream the RDB to the replicas' sockets (repl-diskless-sync), after this delay.
    public var diskless = false
    public var disklessDelay = 0
    public var logLevel: LogLevel = .notice
}

final class SimNode {
    let index: Int
    let host: String
    let port: Int
    let dir: String
    private(set) var incarnation = 0
    private(set) var server: Server!
    private(set) var link: SimMasterLink!
    private var log: ServerLog?
    /// Where the scenario wants this node to replicate from (node index); nil for the master.
    var parent: Int?
    /// A "snapshot finishes" event is scheduled for this incarnation.
    var snapshotEventPending = false
    /// The client the workload writes through (on the master only).
    var appClient: Client?
    /// Clients blocked in BLPOP on this node.
    var blockedClients: [Client] = []
    private var observer: Client!

    init(index: Int, dir: String) {
        self.index = index
        self.host = "node\(index)"
        self.port = 7000 + index
        self.dir = dir
    }

    /// Starts (or restarts) the server: a fresh Server on this node's directory.
    func start(world: SimWorld, settings: NodeSettings) {
        log?.setPath("")  // closes the previous incarnation's log file
        incarnation += 1
        var config = ServerConfig()
        config.dir = dir
        config.port = port
        config.protectedMode = false
        config.savePoints = []
        config.replBacklogSize = settings.backlogSize
        config.replPingReplicaPeriod = settings.pingPeriod
        config.replTimeout = settings.replTimeout
        config.replDisklessSync = settings.diskless
        config.replDisklessSyncDelay = settings.disklessDelay
        config.loglevel = settings.logLevel
        let log = ServerLog(level: settings.logLevel, path: dir + "/node.log")
        log.notice("---- simulated node \(index), incarnation \(incarnation) ----")
        let server = Server(config: config, log: log)
        server.replication.clock = { [unowned world] in world.now }
        link = SimMasterLink(world: world, nodeIndex: index, incarnation: incarnation)
        server.replication.transport = link
        server.persistence.loadAtStartup { ok in
            if !ok { log.warning("simulator: the start-up load failed") }
        }
        self.log = log
        self.server = server
        snapshotEventPending = false
        appClient = nil
        blockedClients = []
        observer = server.connect(address: "observer:1", localAddress: "", isLocal: true).0
    }

    /// Closes the log file; the node is not used afterwards.
    func shutDown() {
        log?.setPath("")
        log = nil
    }

    /// Runs one command as `client` (the observer by default) and returns the reply bytes.
    @discardableResult
    func command(_ argv: [String], as client: Client? = nil) -> [UInt8] {
        command(argv.map { Bytes($0) }, as: client)
    }

    @discardableResult
    func command(_ argv: [Bytes], as client: Client? = nil) -> [UInt8] {
        let c = client ?? observer!
        server.execute(c, argv)
        let reply = c.output.readBytes(length: c.output.readableBytes) ?? []
        c.output.clear()
        return reply
    }

    /// The fields of INFO replication.
    func info() -> [String: String] {
        let text = String(decoding: command(["INFO", "replication"]), as: UTF8.self)
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// DEBUG DIGEST's hex signature of the whole dataset.
    func digest() -> String {
        String(decoding: command(["DEBUG", "DIGEST"]), as: UTF8.self)
            .trimmingCharacters(in: CharacterSet(charactersIn: "+\r\n"))
    }

    /// The client the workload uses here, made on first use.
    func workloadClient() -> Client {
        if let appClient { return appClient }
        let client = server.connect(address: "app:1", localAddress: "", isLocal: true).0
        appClient = client
        return client
    }

    /// True while the replica side is streaming from its master.
    var linkUp: Bool { server.replication.link?.state == .connected }
}
