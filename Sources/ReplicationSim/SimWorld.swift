// SimWorld: the simulated cluster: nodes, a virtual clock, one agenda of
// events, and what the simulator counts and finds.
//
// Job: move virtual time forward. Events (network deliveries, connection
// outcomes, closes, snapshot ends) run in time order; every virtual second
// each node gets its replication cron (`replicationCron(nowMs:)`, on the
// virtual clock) and its server cron (`cron()`, which drives the RDB job).
// Contract: the world is single-threaded and deterministic given its seed,
// with one exception the server imposes: an RDB job's writer runs on a real
// thread. So the end of a snapshot is an event of its own ("the snapshot
// finishes", scheduled at a seeded delay when a job is seen to start), and
// only that event lets the job end: it calls `cron()` until the job is over
// (bounded by `snapshotWaitLimit`), and the per-second cron skips `cron()` on a
// node while its job runs. What a snapshot holds is fixed at its start, so
// waiting for it changes nothing but real time.
// Tricky bit: the virtual clock starts far in the future (`clockBase`). The
// server's own cron runs replication's cron when the wall clock is a second
// past the last run; with the last run in the future, it never does, and the
// simulator alone decides when replication's cron runs.
import Foundation
import Engine
import Server

/// One broken invariant: where the run was and what went wrong.
public struct Violation: Sendable, CustomStringConvertible {
    public var phase: Int
    public var step: Int
    public var message: String
    public var description: String { "phase \(phase) step \(step): \(message)" }
}

/// What a run counted.
public struct SimCounters: Sendable {
    /// Resyncs the masters answered, by kind.
    public var partialResyncs = 0
    public var fullResyncs = 0
    /// Links reset by the network fault (not restarts, not failovers).
    public var linkDrops = 0
    /// Dropped links whose master still covered the replica's offset (must resync partially).
    public var coveredDrops = 0
    public var restarts = 0
    public var failovers = 0
    public var masterCrashes = 0
    public var writes = 0
    public var quietChecks = 0

    public init() {}
}

public final class SimWorld {
    /// The virtual clock's start (ms): far in the future, see the header.
    static let clockBase: Int64 = 4_000_000_000_000
    /// The longest the "snapshot finishes" event waits for the writer thread (real ms).
    static let snapshotWaitLimitMs = 30_000

    public private(set) var now: Int64 = SimWorld.clockBase
    private var nextCronAt: Int64 = SimWorld.clockBase + 1000
    private var agenda = EventQueue()
    var nodes: [SimNode] = []
    let settings: NodeSettings
    var net: SimRNG
    /// Deliveries, connection outcomes and closes still due.
    var inFlight = 0
    /// Connections not yet closed at both ends, in creation order.
    var connections: [SimConnection] = []
    var nextConnectionId = 1
    /// Network faults (resets, refused connects) happen only while this is set.
    var faultsEnabled = true
    /// Where the scenario is, for violation reports.
    var phase = 0
    var step = 0
    public private(set) var violations: [Violation] = []
    public internal(set) var counters = SimCounters()
    /// Per replica node: its last dropped link, while the resync after it is pending.
    var pendingDrops: [Int: DropRecord] = [:]

    init(settings: NodeSettings, network: SimRNG, directories: [String]) {
        self.settings = settings
        self.net = network
        nodes = directories.enumerated().map { SimNode(index: $0.offset, dir: $0.element) }
        for node in nodes { node.start(world: self, settings: settings) }
        // Replication's cron runs first on the virtual clock, so the server's cron never runs it.
        for node in nodes { node.server.replicationCron(nowMs: now) }
    }

    func violation(_ message: String) {
        violations.append(Violation(phase: phase, step: step, message: message))
    }

    /// Schedules `work` `delayMs` from now.
    func schedule(after delayMs: Int64, _ work: @escaping () -> Void) {
        agenda.push(at: now + max(delayMs, 0), work)
    }

    func schedule(at time: Int64, _ work: @escaping () -> Void) {
        agenda.push(at: max(time, now), work)
    }

    // MARK: time

    /// Runs every event and cron due up to `time`, then sets the clock to it.
    func run(until time: Int64) {
        while true {
            let eventTime = agenda.nextTime ?? Int64.max
            let next = min(eventTime, nextCronAt)
            guard next <= time else { break }
            now = next
            if eventTime <= nextCronAt, let event = agenda.pop() {
                event.run()
            } else {
                cronAll()
                nextCronAt += 1000
            }
            watchSnapshots()
        }
        now = max(now, time)
    }

    func run(for ms: Int64) { run(until: now + ms) }

    /// One virtual second's duties on every node, in index order.
    private func cronAll() {
        for node in nodes {
            node.server.replicationCron(nowMs: now)
            if !node.server.persistence.bgsaveInProgress { node.server.cron() }
        }
    }

    // MARK: snapshots

    /// A node whose RDB job started gets its "snapshot finishes" event.
    func watchSnapshots() {
        for node in nodes where !node.snapshotEventPending && node.server.persistence.bgsaveInProgress {
            node.snapshotEventPending = true
            let incarnation = node.incarnation
            let delay = Int64(20 + net.below(600))
            schedule(after: delay) { [unowned self, unowned node] in
                guard node.incarnation == incarnation else { return }
                self.finishSnapshot(node)
            }
        }
    }

    /// Lets the node's RDB job (and any job that starts right after it) run to its end.
    func finishSnapshot(_ node: SimNode) {
        node.snapshotEventPending = false
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.snapshotWaitLimitMs) * 1_000_000
        while node.server.persistence.bgsaveInProgress {
            node.server.cron()
            guard node.server.persistence.bgsaveInProgress else { break }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                violation("node\(node.index): the RDB job did not finish within \(Self.snapshotWaitLimitMs) ms")
                return
            }
            usleep(50)
        }
    }

    // MARK: quiet points

    /// Nothing in flight, no snapshot running, every replica streaming from its master.
    var isQuiet: Bool {
        guard inFlight == 0 else { return false }
        for node in nodes {
            if node.server.persistence.bgsaveInProgress || node.snapshotEventPending { return false }
            if node.parent != nil && !node.linkUp { return false }
        }
        return true
    }

    /// Why the world is not quiet, for a liveness report.
    var unquietReason: String {
        var parts: [String] = []
        if inFlight > 0 { parts.append("\(inFlight) network events due") }
        for node in nodes {
            if node.server.persistence.bgsaveInProgress { parts.append("node\(node.index) snapshot running") }
            if let parent = node.parent, !node.linkUp {
                let state = node.server.replication.link.map { "\($0.state)" } ?? "no link"
                parts.append("node\(node.index)->node\(parent) link \(state)")
            }
        }
        return parts.joined(separator: ", ")
    }

    /// Ends the run: drops what is due, lets running RDB jobs end, closes the nodes' logs
    /// (the caller removes the directories).
    func shutDown() {
        agenda.removeAll()
        for node in nodes {
            if node.server.persistence.bgsaveInProgress { finishSnapshot(node) }
            node.shutDown()
        }
    }
}
