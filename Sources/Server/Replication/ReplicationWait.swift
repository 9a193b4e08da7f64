// ReplicationWait: WAIT numreplicas timeout: block a client until that many
// replicas have acknowledged the replication offset its writes reached.
//
// Contract (Redis 4.0's): every command leaves the client's offset at the
// stream's offset after it (`Client.replicationOffset`, Redis's woff). WAIT
// replies at once when enough online replicas have ACKed that offset, or
// inside MULTI; otherwise it blocks and asks every replica for an ACK with
// `REPLCONF GETACK *`, once per loop turn however many clients wait (the
// request is stream bytes: it moves the offset past what WAIT waits for, so
// it never delays the answer). Each ACK that arrives serves the clients it
// satisfies; at the timeout a client gets the count reached so far. A replica
// refuses WAIT with Redis's error.
import Engine
import Replication

let replicationWaitCommands: [Command] = [
    Command("wait", arity: 3, flags: "s") { call in wait(call) },
]

private func wait(_ call: Call) {
    let server = call.server, client = call.client
    if server.replication.isReplica {
        return call.error("ERR WAIT cannot be used with slave instances. Please also note that since Redis 4.0 if a slave is configured to be writable (which is not the default) writes to slaves are just local and are not propagated.")
    }
    guard let wanted = call.int64(1), let deadline = blockingDeadline(call, call.argv[2], unitMs: 1) else { return }
    let offset = client.replicationOffset
    let acknowledged = server.replicasAcknowledging(offset)
    if Int64(acknowledged) >= wanted || client.inMulti {
        return call.integer(acknowledged)
    }
    server.blocking.add(client, BlockedWait(offset: offset, replicas: Int(clamping: wanted), deadline: deadline))
    server.requestAcksFromReplicas()
}

extension Server {
    /// Online replicas whose last ACK is at most min-slaves-max-lag seconds old (Redis's
    /// repl_good_slaves_count, counted when asked rather than kept).
    func goodReplicaCount() -> Int {
        let now = replication.clock()
        let maxLagMs = Int64(config.minReplicasMaxLag) * 1000
        return replication.replicas.reduce(0) { $0 + ($1.state == .online && now - $1.ackTimeMs <= maxLagMs ? 1 : 0) }
    }

    /// Online replicas whose last ACK reached `offset`.
    func replicasAcknowledging(_ offset: Int64) -> Int {
        replication.replicas.reduce(0) { $0 + ($1.state == .online && $1.ackOffset >= offset ? 1 : 0) }
    }

    /// Sends `REPLCONF GETACK *` to every replica, once for all the WAITs of this loop turn.
    func requestAcksFromReplicas() {
        guard !replication.ackRequested else { return }
        replication.ackRequested = true
        let send = { [unowned self] in
            self.replication.ackRequested = false
            self.stream.sendToReplicasOnly([Bytes("REPLCONF"), Bytes("GETACK"), Bytes("*")])
        }
        // At the end of the turn, not through a timer: each WAIT's round trip waits on this.
        if let atEndOfTurn { atEndOfTurn(send) } else if let schedule { schedule(0, send) } else { send() }
    }

    /// An ACK arrived: answers the WAITs it satisfies, oldest first.
    func serveClientsWaitingForReplicas() {
        guard !blocking.waitingForReplicas.isEmpty else { return }
        for client in blocking.waitingForReplicas {
            guard case .replicas(let wait) = client.blocked else { continue }
            let acknowledged = replicasAcknowledging(wait.offset)
            guard acknowledged >= wait.replicas else { continue }
            blocking.remove(client)
            client.output.writeIntegerReply(Int64(acknowledged))
            client.connection?.resumeAfterUnblock()
        }
    }
}
