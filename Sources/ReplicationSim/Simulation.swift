// Simulation: runs one scenario against a fresh cluster and reports what the
// invariants found.
//
// Job: make a directory per node (under /dev/shm when there is one: the
// servers fsync their RDB files, and memory makes that cheap), build the
// world, point the replicas at their masters, play every phase's steps, and
// end each phase at a quiet point where the invariants are checked
// (Invariants.swift). Everything is removed afterwards unless asked to keep it.
// Contract: `Simulation.run` never throws; a broken invariant is a
// `Violation` in the result, naming the phase and step. The settle after a
// phase turns network faults off, lets at least `settleMinMs` of virtual time
// pass, then waits (up to `settleLimitMs`) for the first quiet moment.
import Foundation
import Engine
import Server

/// What one seed's run found.
public struct SimResult: Sendable {
    public var seed: UInt64
    public var violations: [Violation]
    public var counters: SimCounters
    /// Where the nodes' directories (dump.rdb, node.log) were, if kept.
    public var keptDirectory: String?
}

public enum Simulation {
    static let settleMinMs: Int64 = 3_000
    static let settleLimitMs: Int64 = 180_000

    /// Runs `scenario`; keeps the directories when `keep` is set (or on a violation with `keepOnFailure`).
    public static func run(_ scenario: Scenario, logLevel: LogLevel = .notice, keep: Bool = false,
                           keepOnFailure: Bool = false) -> SimResult {
        let root = makeRoot(seed: scenario.seed)
        let dirs = scenario.parents.indices.map { "\(root)/node\($0)" }
        for dir in dirs { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var settings = scenario.settings
        settings.logLevel = logLevel
        let world = SimWorld(settings: settings, network: SimRNG(seed: scenario.networkSeed), directories: dirs)
        for (i, parent) in scenario.parents.enumerated() {
            guard let parent else { continue }
            world.nodes[i].parent = parent
            world.nodes[i].command(["SLAVEOF", world.nodes[parent].host, "\(world.nodes[parent].port)"])
        }
        for (p, steps) in scenario.phases.enumerated() {
            world.phase = p
            for (i, step) in steps.enumerated() {
                world.step = i
                perform(step, in: world)
            }
            world.step = steps.count
            settleAndCheck(world)
        }
        world.shutDown()
        let kept = keep || (keepOnFailure && !world.violations.isEmpty)
        if !kept { try? FileManager.default.removeItem(atPath: root) }
        return SimResult(seed: scenario.seed, violations: world.violations, counters: world.counters,
                         keptDirectory: kept ? root : nil)
    }

    private static func perform(_ step: Step, in world: SimWorld) {
        switch step {
        case .wait(let ms):
            world.run(for: Int64(ms))
        case .write(let commands):
            let master = world.master
            let client = master.workloadClient()
            for command in commands { master.command(command, as: client) }
            world.counters.writes += 1
            world.watchSnapshots()
        case .blockingPop(let key):
            let master = world.master
            let client = master.server.connect(address: "blpop:1", localAddress: "", isLocal: true).0
            master.command(["BLPOP", key, "0"], as: client)
            if client.isBlocked { master.blockedClients.append(client) }
        case .dropLink(let index):
            guard index < world.nodes.count else { return }
            world.dropLink(of: world.nodes[index])
        case .restart(let index):
            guard index < world.nodes.count else { return }
            world.restart(world.nodes[index])
        case .failover(let rank):
            let replicas = world.nodes.filter { $0.parent != nil }
            guard !replicas.isEmpty else { return }
            world.failover(to: replicas[rank % replicas.count])
        case .crashMaster(let rank, let strayWrite):
            let replicas = world.nodes.filter { $0.parent != nil }
            guard !replicas.isEmpty else { return }
            world.crashMaster(promoting: replicas[rank % replicas.count], strayWrite: strayWrite)
        case .corruptReplica(let index):
            let replicas = world.nodes.filter { $0.parent != nil }
            guard let node = replicas.first(where: { $0.index == index }) ?? replicas.first else { return }
            world.corrupt(node)
        }
    }

    /// The end of a phase: no faults, time passes, and at the first quiet moment the check.
    private static func settleAndCheck(_ world: SimWorld) {
        world.faultsEnabled = false
        defer { world.faultsEnabled = true }
        world.run(for: settleMinMs)
        let deadline = world.now + settleLimitMs
        while !world.isQuiet {
            guard world.now < deadline else {
                world.violation("no quiet point within \(settleLimitMs / 1000) virtual seconds: \(world.unquietReason)")
                return
            }
            world.run(for: 250)
        }
        world.checkReplicasMatchMasters()
    }

    private static let runCounter = Counter()

    /// A fresh directory for one run.
    private static func makeRoot(seed: UInt64) -> String {
        let shm = "/dev/shm"
        var isDir: ObjCBool = false
        let base = FileManager.default.fileExists(atPath: shm, isDirectory: &isDir) && isDir.boolValue
            && FileManager.default.isWritableFile(atPath: shm) ? shm : NSTemporaryDirectory()
        return "\(base)/cairn-sim-\(getpid())-\(seed)-\(runCounter.next())"
    }
}

/// A counter safe to share (XCTest may run simulations from several threads).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
