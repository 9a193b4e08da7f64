// ReplicationInfo: the fields of INFO replication, in Redis 4.0's order and
// spelling, for either role (sentinel and exporters parse them by name).
import Engine
import Replication

extension Server {
    func replicationInfoFields() -> [(String, String)] {
        let r = replication
        let nowSeconds = replication.clock() / 1000
        var fields: [(String, String)] = [("role", r.isReplica ? "slave" : "master")]
        if let master = r.master {
            let link = r.link
            let connected = link?.state == .connected
            let lastIO = r.masterClient.map { (replication.clock() - $0.lastInteraction) / 1000 } ?? -1
            let replicaOffset = r.masterClient != nil ? (link?.offset ?? 1) : (link?.cachedMaster?.offset ?? 1)
            fields += [
                ("master_host", master.host),
                ("master_port", "\(master.port)"),
                ("master_link_status", connected ? "up" : "down"),
                ("master_last_io_seconds_ago", "\(lastIO)"),
                ("master_sync_in_progress", link?.state == .transfer ? "1" : "0"),
                ("slave_repl_offset", "\(replicaOffset)"),
            ]
            if let link, link.state == .transfer {
                let left = (link.transferSize ?? 0) - link.transferredBytes
                fields += [
                    ("master_sync_left_bytes", "\(left)"),
                    ("master_sync_last_io_seconds_ago", "\((replication.clock() - link.lastIOMs) / 1000)"),
                ]
            }
            if !connected { fields.append(("master_link_down_since_seconds", "\(nowSeconds - r.linkDownSince)")) }
            fields += [
                ("slave_priority", "\(config.replicaPriority)"),
                ("slave_read_only", config.replicaReadOnly ? "1" : "0"),
            ]
        }
        fields.append(("connected_slaves", "\(r.replicas.count)"))
        if config.minReplicasToWrite > 0 && config.minReplicasMaxLag > 0 {
            fields.append(("min_slaves_good_slaves", "\(goodReplicaCount())"))
        }
        for (n, peer) in r.replicas.enumerated() {
            let lag = peer.state == .online ? nowSeconds - peer.ackTimeMs / 1000 : 0
            fields.append(("slave\(n)", "ip=\(peer.ip),port=\(peer.listeningPort),state=\(peer.state.infoName),offset=\(peer.ackOffset),lag=\(lag)"))
        }
        let backlog = r.history.backlog
        fields += [
            ("master_replid", r.history.replid.text),
            ("master_replid2", r.history.replid2.text),
            ("master_repl_offset", "\(stream.offset)"),
            ("second_repl_offset", "\(r.history.secondReplidOffset)"),
            ("repl_backlog_active", backlog != nil ? "1" : "0"),
            ("repl_backlog_size", "\(config.replBacklogSize)"),
            ("repl_backlog_first_byte_offset", "\(backlog?.firstByteOffset ?? 0)"),
            ("repl_backlog_histlen", "\(backlog?.historyLength ?? 0)"),
        ]
        // Cairn's own, after Redis's: which resync happened and why (sentinel and exporters skip them).
        if r.isReplica { fields.append(("cairn_last_resync", r.lastResync ?? "none")) }
        if let decision = r.lastPsyncDecision { fields.append(("cairn_last_psync_decision", decision)) }
        if let restored = r.restoredPosition { fields.append(("cairn_restored_position", restored)) }
        return fields
    }
}
