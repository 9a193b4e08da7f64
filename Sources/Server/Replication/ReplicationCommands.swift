// ReplicationCommands: SYNC, PSYNC, REPLCONF, SLAVEOF (and REPLICAOF, later
// Redis's name for it) and ROLE, with Redis 4.0's flags and replies.
//
// Contract: the handlers parse and reply; the work is in ReplicationMaster
// (SYNC, PSYNC, REPLCONF) and ReplicationReplica (SLAVEOF). SYNC and PSYNC
// write their own protocol lines (+FULLRESYNC, +CONTINUE, the payload) and
// no ordinary reply.
import Engine
import Replication

let replicationCommands: [Command] = [
    Command("sync", arity: 1, flags: "ars") { call in call.server.replicaSync(call, psync: false) },
    Command("psync", arity: 3, flags: "ars") { call in call.server.replicaSync(call, psync: true) },
    Command("replconf", arity: -1, flags: "aslt") { call in call.server.replconf(call) },
    Command("slaveof", arity: 3, flags: "ast") { call in slaveof(call) },
    Command("replicaof", arity: 3, flags: "ast") { call in slaveof(call) },
    Command("role", arity: 1, flags: "lst") { call in role(call) },
]

/// SLAVEOF host port | SLAVEOF NO ONE.
private func slaveof(_ call: Call) {
    let server = call.server
    let who = "id=\(call.client.id) addr=\(call.client.address)"
    if call.option(1) == "no" && call.option(2) == "one" {
        server.becomeMaster(requestedBy: who)
        return call.ok()
    }
    guard let port = call.int64(2) else { return }
    guard (0...65535).contains(port) else { return call.error("ERR Invalid master port") }
    call.status(server.becomeReplica(of: call.argv[1].text, port: Int(port), requestedBy: who))
}

/// ROLE: ["master", offset, [[ip, port, offset]...]] or ["slave", host, port, state, offset].
private func role(_ call: Call) {
    let server = call.server, r = server.replication
    if let master = r.master {
        call.array(5)
        call.bulk("slave")
        call.bulk(master.host)
        call.integer(master.port)
        call.bulk(r.link?.state.roleName ?? "connect")
        call.integer(r.masterClient != nil ? (r.link?.offset ?? -1) : -1)
        return
    }
    call.array(3)
    call.bulk("master")
    call.integer(server.stream.offset)
    let online = r.replicas.filter { $0.state == .online }
    call.array(online.count)
    for peer in online {
        call.array(3)
        call.bulk(peer.ip)
        call.bulk(String(peer.listeningPort))
        call.bulk(String(peer.ackOffset))
    }
}

extension ReplicaLinkState {
    /// The state word ROLE shows for a replica (Redis 4.0: connect, connecting, sync, connected).
    var roleName: String {
        switch self {
        case .none: return "none"
        case .connect: return "connect"
        case .connecting: return "connecting"
        case .transfer: return "sync"
        case .connected: return "connected"
        default: return "handshake"
        }
    }
}
