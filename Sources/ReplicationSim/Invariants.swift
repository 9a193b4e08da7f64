// Invariants: what the simulator holds the servers to, and how it judges them.
//
// 1. At every quiet point (nothing in flight, no snapshot running, every
//    replica's link up, a few virtual seconds of cron behind), each replica
//    holds what its master holds: equal DEBUG DIGEST, and its
//    slave_repl_offset equal to its master's master_repl_offset.
// 2. After a dropped link (the network fault; not a restart, not a
//    failover), if the master still covers the replica's offset when the
//    replica asks again (same replication ID, the offset within the backlog),
//    the resync must be partial: a full one is a violation.
// 3. A quiet point must come (liveness): a run that cannot settle within
//    `settleLimitMs` of virtual time is a violation, with the reason.
// 4. Never a crash (a trap ends the process; tools/replication-sim.sh
//    reports the seed it was running).
// Contract: the judge looks only at what a client or a packet capture could
// see: INFO replication, DEBUG DIGEST, and the first line the master answers
// to PSYNC (`+CONTINUE` partial, `+FULLRESYNC` or nothing yet: full, `-ERR`:
// no decision, the replica will ask again).
// Tricky bit: the expectation for a dropped link is taken from the replica
// at the moment of the drop (its replication ID and applied offset) and
// compared with the master at the moment it answers, since the master's
// backlog may have moved past the replica meanwhile (then a full resync is
// right).
import NIOCore
import Engine
import Server

/// A replica's link that the network dropped, remembered until its next resync.
struct DropRecord {
    var master: Int
    var replid: String
    var offset: Int64
}

extension SimWorld {
    /// Remembers a replica whose streaming link the network is about to drop (invariant 2).
    func noteDrop(of node: SimNode, master: Int) {
        guard node.linkUp else { return }  // no cached master to continue from
        let info = node.info()
        guard let replid = info["master_replid"], let offset = info["slave_repl_offset"].flatMap(Int64.init) else { return }
        pendingDrops[node.index] = DropRecord(master: master, replid: replid, offset: offset)
    }

    /// Runs a command a replica sent to its master; judges the answer to PSYNC and SYNC.
    func execute(_ argv: [[UInt8]], from endpoint: SimServerEndpoint) {
        let name = String(decoding: argv[0], as: UTF8.self).lowercased()
        guard name == "psync" || name == "sync" else {
            endpoint.server.execute(endpoint.client, argv)
            return
        }
        let connection = endpoint.connection
        let master = nodes[connection.masterNode]
        var covered = false
        if let drop = pendingDrops[connection.replicaNode], drop.master == connection.masterNode {
            covered = covers(master.info(), drop)
        }
        let start = endpoint.client.output.writerIndex
        endpoint.server.execute(endpoint.client, argv)
        let reply = endpoint.client.output.getBytes(at: start, length: endpoint.client.output.writerIndex - start) ?? []
        if reply.first == UInt8(ascii: "-") { return }  // refused for now (-NOMASTERLINK): asked again later
        let partial = reply.starts(with: Array("+CONTINUE".utf8))
        if partial { counters.partialResyncs += 1 } else { counters.fullResyncs += 1 }
        if pendingDrops[connection.replicaNode] != nil {
            if covered { counters.coveredDrops += 1 }
            if covered && !partial {
                let drop = pendingDrops[connection.replicaNode]!
                violation("node\(connection.replicaNode) got a full resync from node\(connection.masterNode) after a dropped "
                    + "link although the master covered it (replid \(drop.replid), offset \(drop.offset)); "
                    + "request: \(argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))")
            }
            pendingDrops[connection.replicaNode] = nil
        }
    }

    /// Whether a master (its INFO replication) can continue the history a dropped replica had.
    private func covers(_ info: [String: String], _ drop: DropRecord) -> Bool {
        guard info["master_replid"] == drop.replid, info["repl_backlog_active"] == "1",
              let first = info["repl_backlog_first_byte_offset"].flatMap(Int64.init),
              let length = info["repl_backlog_histlen"].flatMap(Int64.init) else { return false }
        if info["role"] == "slave" && info["master_link_status"] != "up" { return false }
        let wanted = drop.offset + 1
        return wanted >= first && wanted <= first + length
    }

    /// Invariant 1, at a quiet point: every replica equals its master, data and offset.
    func checkReplicasMatchMasters() {
        counters.quietChecks += 1
        var infos: [Int: [String: String]] = [:]
        var digests: [Int: String] = [:]
        for node in nodes {
            infos[node.index] = node.info()
            digests[node.index] = node.digest()
        }
        for node in nodes {
            guard let parent = node.parent else {
                if infos[node.index]?["role"] != "master" { violation("node\(node.index) should be a master: \(infos[node.index]?["role"] ?? "?")") }
                continue
            }
            let mine = infos[node.index]!, theirs = infos[parent]!
            if mine["master_link_status"] != "up" {
                violation("node\(node.index): master_link_status \(mine["master_link_status"] ?? "?") at a quiet point")
            }
            if mine["master_port"] != "\(nodes[parent].port)" {
                violation("node\(node.index) replicates from port \(mine["master_port"] ?? "none"), not node\(parent)")
            }
            let replicaOffset = mine["slave_repl_offset"] ?? "?", masterOffset = theirs["master_repl_offset"] ?? "?"
            if replicaOffset != masterOffset {
                violation("node\(node.index) slave_repl_offset \(replicaOffset) != node\(parent) master_repl_offset \(masterOffset)")
            }
            if digests[node.index] != digests[parent] {
                violation("node\(node.index) digest \(digests[node.index]!) != node\(parent) digest \(digests[parent]!): "
                    + differences(node, nodes[parent]))
            }
        }
    }
}
