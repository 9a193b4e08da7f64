// SimWorld+Faults: what the scenario does to the cluster besides writing:
// link drops, replica restarts, failovers, master crashes.
//
// Contract: each fault acts at once (at the current virtual millisecond) and
// leaves the rest to events. The scenario's intent (who replicates from
// whom) lives in `SimNode.parent`; the servers are told through commands, as
// an operator would (SLAVEOF host port, SLAVEOF NO ONE).
// Tricky bit: a restart first lets a running RDB job end (a job's writer
// thread would otherwise still write into the directory the new server
// loads from), then resets every connection of the node: its replicas see
// their link reset, and its master sees the replica gone.
import Server

extension SimWorld {
    /// The node the workload writes to.
    var master: SimNode { nodes.first { $0.parent == nil }! }

    /// The network fault: resets `node`'s connection to its master, if it has one.
    func dropLink(of node: SimNode) {
        guard node.parent != nil, let connection = node.link.current, connection.isOpen, !connection.wasReset else { return }
        counters.linkDrops += 1
        noteDrop(of: node, master: connection.masterNode)
        reset(connection)
    }

    /// A replica restarts: a fresh Server on the same directory (loading dump.rdb), then SLAVEOF.
    func restart(_ node: SimNode) {
        guard let parent = node.parent else { return }
        counters.restarts += 1
        if node.server.persistence.bgsaveInProgress { finishSnapshot(node) }
        for connection in connections(touching: node) { reset(connection) }
        pendingDrops[node.index] = nil
        node.start(world: self, settings: settings)
        node.server.replicationCron(nowMs: now)
        node.command(["SLAVEOF", nodes[parent].host, "\(nodes[parent].port)"])
    }

    /// Promotes `chosen` (SLAVEOF NO ONE) and repoints the old master and the old master's
    /// replicas at it; replicas of other replicas keep their chain.
    func failover(to chosen: SimNode) {
        guard chosen.parent != nil else { return }
        counters.failovers += 1
        let old = master
        chosen.command(["SLAVEOF", "NO", "ONE"])
        chosen.parent = nil
        for node in nodes where node !== chosen && (node === old || node.parent == old.index) {
            node.parent = chosen.index
            node.command(["SLAVEOF", chosen.host, "\(chosen.port)"])
        }
        pendingDrops.removeAll()
    }

    /// The master crashes: a fresh server on its directory (its dump.rdb, if a disk sync left
    /// one, is all it keeps), a write of its own if `strayWrite`, then the failover to
    /// `chosen`, which makes it a replica. Its RDB may be older than the failover point and
    /// its own write is history no one else has: it must never be continued by partial resync.
    func crashMaster(promoting chosen: SimNode, strayWrite: Bool) {
        let old = master
        counters.masterCrashes += 1
        if old.server.persistence.bgsaveInProgress { finishSnapshot(old) }
        for connection in connections(touching: old) { reset(connection) }
        old.start(world: self, settings: settings)
        old.server.replicationCron(nowMs: now)
        if strayWrite { old.command(["SET", "written-by-the-restarted-old-master", "x"]) }
        failover(to: chosen)
    }

    /// Tests only: writes a key straight into a replica's dataset, behind replication's back.
    func corrupt(_ node: SimNode) {
        node.command(["CONFIG", "SET", "slave-read-only", "no"])
        node.command(["SET", "corrupted-by-the-test", "x"])
        node.command(["CONFIG", "SET", "slave-read-only", "yes"])
    }
}
