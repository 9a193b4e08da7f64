// Scenario: what one seed does to the cluster, drawn up front and readable
// as a story (`replication-sim --seed N --print`).
//
// Job: from one seed, the shape of the cluster (1 master and 2 to 4
// replicas, node2 always a replica of node1, a chain), the servers' settings
// (backlog size, PING period, repl-timeout, disk or diskless sync), and a few phases of steps:
// waits, writes, BLPOPs, link drops, replica restarts, failovers, master crashes. Each phase
// ends in a quiet point where the invariants are checked (Invariants.swift).
// Contract: `Scenario(seed:)` is a pure function of the seed. Steps name
// their targets blind (node indices, a rank among the replicas of the
// moment); the runner resolves them against the cluster, which is itself a
// function of the steps so far.

/// One thing the scenario does.
public enum Step: Equatable, Sendable {
    /// Let virtual time pass.
    case wait(ms: Int)
    /// Commands on the master's workload client, in order (a MULTI block is one step).
    case write([[String]])
    /// A new client on the master runs BLPOP key 0 (served by a later LPUSH, if any).
    case blockingPop(key: String)
    /// The network resets the node's link to its master (if it has one up).
    case dropLink(node: Int)
    /// The node (a replica) restarts: a fresh server on its directory, then SLAVEOF again.
    case restart(node: Int)
    /// The replica of that rank (modulo the count) is promoted; the master and its other
    /// replicas are repointed at it.
    case failover(rank: Int)
    /// The master crashes (nothing survives but its dump.rdb), the replica of that rank is
    /// promoted, and the old master restarts from its file, takes a write of its own when
    /// `strayWrite` (a sentinel's PUBLISH is one) and is made a replica of the new master.
    case crashMaster(rank: Int, strayWrite: Bool)
    /// Tests only: a key written straight into the node's dataset (the checker must notice).
    case corruptReplica(node: Int)
}

public struct Scenario: Sendable {
    public let seed: UInt64
    /// Each node's initial master (nil for node0, the first master).
    public var parents: [Int?]
    public var settings: NodeSettings
    public var phases: [[Step]]
    /// The network's stream, forked from the seed after the scenario's.
    public let networkSeed: UInt64

    public init(seed: UInt64, phases phaseCount: Int = 4, stepsPerPhase: ClosedRange<Int> = 80...160) {
        self.seed = seed
        var g = SimRNG(seed: seed)
        var scenarioRNG = g.fork()
        networkSeed = g.next()
        let replicas = scenarioRNG.within(2...4)
        var parents: [Int?] = [nil, 0, 1]
        for i in 3..<(replicas + 1) { parents.append(scenarioRNG.below(i)) }
        self.parents = parents
        settings = NodeSettings(backlogSize: scenarioRNG.pick([1 << 10, 4 << 10, 16 << 10, 64 << 10, 1 << 20]),
                                pingPeriod: scenarioRNG.pick([1, 2, 10]),
                                replTimeout: scenarioRNG.pick([5, 10, 60]),
                                diskless: scenarioRNG.below(2) == 0, disklessDelay: scenarioRNG.pick([0, 1]))
        var workload = Workload()
        var phases: [[Step]] = []
        for _ in 0..<phaseCount {
            var steps: [Step] = []
            for _ in 0..<scenarioRNG.within(stepsPerPhase) {
                steps.append(.wait(ms: scenarioRNG.chance(0.1) ? scenarioRNG.within(200...1500) : scenarioRNG.below(120)))
                let roll = scenarioRNG.below(1000)
                if roll < 40 {
                    steps.append(.dropLink(node: scenarioRNG.within(1...replicas)))
                } else if roll < 46 {
                    steps.append(.restart(node: scenarioRNG.within(0...replicas)))
                } else if roll < 49 {
                    steps.append(.failover(rank: scenarioRNG.below(replicas)))
                } else if roll < 51 {
                    steps.append(.crashMaster(rank: scenarioRNG.below(replicas), strayWrite: scenarioRNG.chance(0.5)))
                } else {
                    steps.append(workload.next(&scenarioRNG))
                }
            }
            phases.append(steps)
        }
        self.phases = phases
    }

    /// The scenario as a story, one step a line.
    public var story: String {
        var lines = ["seed \(seed): \(parents.count) nodes, initial masters \(parents.enumerated().map { "node\($0.offset)<-\($0.element.map { "node\($0)" } ?? "none")" }.joined(separator: " ")), "
            + "backlog \(settings.backlogSize) B, ping every \(settings.pingPeriod) s, repl-timeout \(settings.replTimeout) s, "
            + (settings.diskless ? "diskless sync (delay \(settings.disklessDelay) s)" : "disk sync")]
        for (p, steps) in phases.enumerated() {
            lines.append("phase \(p):")
            for (i, step) in steps.enumerated() { lines.append("  \(i): \(step.text)") }
            lines.append("  (settle, then check)")
        }
        return lines.joined(separator: "\n")
    }
}

extension Step {
    /// One line of the story.
    public var text: String {
        switch self {
        case .wait(let ms): return "wait \(ms) ms"
        case .write(let commands):
            return commands.map { $0.map { $0.count > 30 ? String($0.prefix(12)) + "...(\($0.count) B)" : $0 }.joined(separator: " ") }
                .joined(separator: "; ")
        case .blockingPop(let key): return "BLPOP \(key) 0 (new client)"
        case .dropLink(let node): return "drop node\(node)'s link to its master"
        case .restart(let node): return "restart node\(node) (if a replica)"
        case .failover(let rank): return "failover to replica #\(rank)"
        case .crashMaster(let rank, let stray):
            return "crash the master, promote replica #\(rank), restart the old one\(stray ? " (it takes a write)" : "") as a replica"
        case .corruptReplica(let node): return "corrupt node\(node) (test)"
        }
    }
}
