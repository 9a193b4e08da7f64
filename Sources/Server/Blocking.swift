// Blocking: clients waiting in BLPOP, BRPOP and BRPOPLPUSH, and serving them;
// and the one registry of blocked clients, whatever they wait for (a list
// pop, or WAIT's replica acknowledgements: ReplicationWait.swift).
//
// Contract (Redis 4.0's): a client blocks on keys that hold no list; it waits
// in a FIFO queue per (db, key) and runs none of its pipelined commands until
// it is served, times out (cron; a null array for BLPOP/BRPOP, a null bulk for
// BRPOPLPUSH) or disconnects. A key becomes ready when a list is added at it
// (the keyspace's `onListAdded` hook, Redis's dbAdd signal), whatever command
// did it. `handleClientsBlockedOnKeys` serves ready keys; Dispatch's execute
// calls it after each command a client sends, so after EXEC as a whole, never
// between the commands of a transaction (call it likewise after a script).
// A served pop replies to the waiting client and is propagated as its plain
// form: LPOP/RPOP, or RPOP + LPUSH for BRPOPLPUSH; the served client's
// remaining input runs on the next loop turn (`resumeAfterUnblock`).
//
// The tricky bit: serving can make more keys ready (BRPOPLPUSH pushes to a
// destination others wait on), so ready keys are drained until none are left;
// and an emptied source stays in the keyspace until its key's queue is done, so
// a BRPOPLPUSH whose destination is its source pushes back onto the same list.
import Engine
import Modules
import ChangeStream

/// Why a client is blocked.
package enum BlockReason: Sendable {
    /// BLPOP, BRPOP, BRPOPLPUSH: a list at one of some keys.
    case pop(BlockedPop)
    /// WAIT: enough replicas acknowledging an offset.
    case replicas(BlockedWait)
    /// A module command that called RedisModule_BlockClient (ServerModuleHost.swift).
    case module(ModuleBlockedClient)

    /// Absolute deadline in ms, 0 = wait forever.
    var deadline: Int64 {
        switch self {
        case .pop(let p): return p.deadline
        case .replicas(let w): return w.deadline
        case .module(let bc): return bc.deadline
        }
    }
}

/// What a client blocked in WAIT waits for.
package struct BlockedWait: Sendable {
    /// The replication offset its writes reached.
    package var offset: Int64
    /// How many replicas must acknowledge it.
    package var replicas: Int
    /// Absolute deadline in ms, 0 = wait forever.
    package var deadline: Int64
}

/// What a blocked client waits for.
package struct BlockedPop: Sendable {
    package enum Kind: Equatable, Sendable {
        case popHead
        case popTail
        case popPush(destination: Bytes)
    }
    package var kind: Kind
    package var db: Int
    /// Distinct keys, in argument order.
    package var keys: [Bytes]
    /// Absolute deadline in ms, 0 = wait forever.
    package var deadline: Int64
}

/// A (db, key) pair clients wait on, hashed over the key bytes at once.
struct BlockingKey: Hashable {
    let db: Int
    let key: Bytes
    func hash(into hasher: inout Hasher) {
        hasher.combine(db)
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// The blocked clients of one server: who waits on which key, and which keys are ready.
package final class BlockedClients {
    var waiting: [BlockingKey: [Client]] = [:]
    var ready: [BlockingKey] = []
    var readySet: Set<BlockingKey> = []
    var clientsById: [Int64: Client] = [:]

    package init() {}

    /// Number of blocked clients (INFO blocked_clients).
    package var count: Int { clientsById.count }

    /// Clients blocked in WAIT, oldest first.
    var waitingForReplicas: [Client] = []

    func add(_ client: Client, _ pop: BlockedPop) {
        client.blockedPop = pop
        clientsById[client.id] = client
        for key in pop.keys { waiting[BlockingKey(db: pop.db, key: key), default: []].append(client) }
    }

    func add(_ client: Client, _ bc: ModuleBlockedClient) {
        client.blocked = .module(bc)
        clientsById[client.id] = client
    }

    func add(_ client: Client, _ wait: BlockedWait) {
        client.blocked = .replicas(wait)
        clientsById[client.id] = client
        waitingForReplicas.append(client)
    }

    /// Takes `client` out of every queue; its `blocked` reason is cleared.
    func remove(_ client: Client) {
        guard let reason = client.blocked else { return }
        client.blocked = nil
        clientsById[client.id] = nil
        if case .module = reason { return }
        guard case .pop(let pop) = reason else {
            waitingForReplicas.removeAll { $0 === client }
            return
        }
        for key in pop.keys {
            let k = BlockingKey(db: pop.db, key: key)
            guard var queue = waiting[k] else { continue }
            queue.removeAll { $0 === client }
            waiting[k] = queue.isEmpty ? nil : queue
        }
    }

    /// Marks `key` ready if anyone waits on it (Redis's signalListAsReady).
    func signal(_ db: Int, _ key: Bytes) {
        let k = BlockingKey(db: db, key: key)
        guard waiting[k] != nil, !readySet.contains(k) else { return }
        readySet.insert(k)
        ready.append(k)
    }
}

extension Server {
    /// Blocks `client` until one of `pop.keys` gets a list.
    func block(_ client: Client, _ pop: BlockedPop) {
        if keyspace.onListAdded == nil {
            let registry = blocking
            keyspace.onListAdded = { db, key in registry.signal(db, key) }
        }
        blocking.add(client, pop)
    }

    /// Serves the clients blocked on keys that became ready. Dispatch calls this after
    /// every command; call it after EXEC (and scripts) too.
    package func handleClientsBlockedOnKeys() {
        while !blocking.ready.isEmpty {
            let batch = blocking.ready
            blocking.ready.removeAll()
            for key in batch {
                blocking.readySet.remove(key)
                serveClients(blockedOn: key)
            }
        }
        deliverChanges()
    }

    /// Serves the clients waiting on `rk`, oldest first, while its list has elements.
    private func serveClients(blockedOn rk: BlockingKey) {
        let db = rk.db
        let fill = keyspace.encodingLimits.listMaxNodeSize
        let depth = keyspace.encodingLimits.listCompressDepth
        var turns = blocking.waiting[rk]?.count ?? 0
        while turns > 0 {
            turns -= 1
            guard let receiver = blocking.waiting[rk]?.first, let pop = receiver.blockedPop else { break }
            guard let i = keyspace.lookupWrite(db, rk.key) else { break }
            var taken = keyspace.take(db, i)
            guard var list = taken.takeList() else {
                keyspace.replace(db, i, with: taken)
                break
            }
            let fromHead = pop.kind == .popHead
            guard let value = list.pop(atHead: fromHead) else {
                keyspace.replace(db, i, with: .list(list))
                break
            }
            keyspace.replace(db, i, with: .list(list))
            blocking.remove(receiver)
            receiver.lastInteraction = keyspace.now
            switch pop.kind {
            case .popHead, .popTail:
                stream.record(db: db, [Bytes(fromHead ? "LPOP" : "RPOP"), rk.key])
                receiver.output.writeArrayHeader(2)
                receiver.output.writeBulk(rk.key)
                receiver.output.writeBulk(value)
            case .popPush(let destination):
                if holdsListOrNothing(db, destination) {
                    servePush(receiver, db: db, source: rk.key, destination: destination, value: value, fill: fill)
                } else {
                    // Wrong destination type: the client gets the error, the element goes back.
                    stats.errorReplies += 1
                    receiver.output.writeError("WRONGTYPE Operation against a key holding the wrong kind of value")
                    if let k = keyspace.lookupWrite(db, rk.key) {
                        var back = keyspace.take(db, k)
                        if var l = back.takeList() {
                            l.push(value, atHead: false, fill: fill, depth: depth)
                            back = .list(l)
                        }
                        keyspace.replace(db, k, with: back)
                    }
                }
            }
            receiver.connection?.resumeAfterUnblock()
        }
        // A source emptied by serving is deleted only now (no event, as Redis 4.0).
        if let i = keyspace.lookupWrite(db, rk.key), case .list(let l) = keyspace.value(db, i), l.isEmpty {
            keyspace.remove(db, at: i)
        }
    }

    /// True when `key` is missing or holds a list.
    func holdsListOrNothing(_ db: Int, _ key: Bytes) -> Bool {
        guard let i = keyspace.lookupWrite(db, key) else { return true }
        if case .list = keyspace.value(db, i) { return true }
        return false
    }

    /// The push half of a served BRPOPLPUSH, propagated as RPOP source + LPUSH destination.
    private func servePush(_ receiver: Client, db: Int, source: Bytes, destination: Bytes, value: Bytes, fill: Int) {
        stream.record(db: db, [Bytes("RPOP"), source])
        pushHead(db: db, key: destination, value: value, fill: fill)
        notifyKeyspaceEvent(.list, "lpush", destination, db: db)
        stream.record(db: db, [Bytes("LPUSH"), destination, value])
        receiver.output.writeBulk(value)
    }

    /// LPUSHes `value` to the list at `key` (which holds a list or nothing), creating it.
    func pushHead(db: Int, key: Bytes, value: Bytes, fill: Int) {
        let depth = keyspace.encodingLimits.listCompressDepth
        if let i = keyspace.lookupWrite(db, key) {
            var taken = keyspace.take(db, i)
            if var list = taken.takeList() {
                list.push(value, atHead: true, fill: fill, depth: depth)
                taken = .list(list)
            }
            keyspace.replace(db, i, with: taken)
        } else {
            var list = ListValue()
            list.push(value, atHead: true, fill: fill, depth: depth)
            keyspace.add(db, key, .list(list))
        }
    }

    /// Answers blocked clients whose timeout passed (cron).
    func timeOutBlockedClients(now: Int64) {
        guard blocking.count > 0 else { return }
        for client in blocking.clientsById.values {
            guard let reason = client.blocked, reason.deadline != 0, reason.deadline <= now else { continue }
            blocking.remove(client)
            client.lastInteraction = now  // as Redis, whose reply write counts as interaction
            switch reason {
            case .pop(let pop):
                if case .popPush = pop.kind { client.output.writeNullBulk() } else { client.output.writeNullArray() }
            case .replicas(let wait):
                // At the timeout WAIT replies how many replicas got that far.
                client.output.writeIntegerReply(Int64(replicasAcknowledging(wait.offset)))
            case .module(let bc):
                modules.timedOut(bc)  // the module's timeout callback answers (and resumes the client)
                continue
            }
            client.connection?.resumeAfterUnblock()
        }
    }

    /// A master turning replica (Redis's disconnectAllBlockedClients): its blocked clients are
    /// told and closed, or the new master's stream would serve them and pop on this node alone.
    func disconnectAllBlockedClients() {
        for client in blocking.clientsById.values.sorted(by: { $0.id < $1.id }) {
            if case .module(let bc) = client.blocked { modules.clientGone(bc) }
            blocking.remove(client)
            client.output.writeError("UNBLOCKED force unblock from blocking operation, instance state changed (master -> slave?)")
            client.closeAfterReply = true
            client.connection?.resumeAfterUnblock()
        }
    }

    /// Forgets a disconnected client's wait.
    func forgetBlocked(_ client: Client) {
        if case .module(let bc) = client.blocked { modules.clientGone(bc) }
        if client.isBlocked { blocking.remove(client) }
    }
}
