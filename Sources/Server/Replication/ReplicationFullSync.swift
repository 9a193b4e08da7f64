// ReplicationFullSync: the transfer half of a full sync on the master side:
// when the RDB job for some replicas starts (+FULLRESYNC at the snapshot's
// offset, `$EOF:<mark>` for a diskless one), and when it ends (the file sent
// in chunks as the socket drains, or the diskless stream's chunks pumped to
// every replica's socket, then the mark), and putting each replica online
// with what was held for it.
//
// Contract: runs on the owner thread, driven by the RDB job's callbacks
// (Persistence.onRDBJobStarting / onRDBJobFinished / onRDBStreamPump), the
// server's scheduled tasks and the once-a-second cron. No more than
// `RDBFileSender.inFlightLimit` bytes wait in a replica's output at a time.
// Tricky bit: a diskless replica is online at the mark but gets no stream
// until its first ACK (it is loading until then), as Redis 4.0 does.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Engine
import ChangeStream
import Replication

extension Server {
    // MARK: the RDB job's start and end

    /// An RDB job for `ids` begins now, at a command boundary: they learn its offset.
    func replicaSnapshotStarting(_ ids: [Int64]) {
        let peers = replication.replicas.filter { ids.contains($0.client.id) && $0.state == .waitBgsaveStart }
        let diskless = peers.first?.diskless ?? false
        log.notice("Starting BGSAVE for SYNC with target: \(diskless ? "slaves sockets" : "disk")")
        // Like Redis's slaveseldb = -1: the stream after the snapshot starts with a SELECT.
        stream.forgetSelectedDB()
        for peer in peers {
            beginFullResync(peer, offset: stream.offset)
            guard diskless else { continue }
            // The payload's size is unknown: it is framed by a random mark (capa eof).
            peer.eofMark = Array(ReplicationID.random().text.utf8)
            peer.state = .sendBulk
            peer.client.output.writeBytes(Array("$EOF:".utf8) + peer.eofMark + [13, 10])
            peer.client.connection?.flushOutput()
        }
    }

    /// The RDB job for `ids` ended: send them the file (or the rest of the stream), or drop
    /// them if it failed.
    func replicaSnapshotFinished(_ ids: [Int64], success: Bool) {
        for peer in replication.replicas where ids.contains(peer.client.id) && peer.diskless && peer.state == .sendBulk {
            if !success {
                log.warning("SYNC failed. BGSAVE child returned an error")
                peer.client.connection?.close(flush: false)
                disconnect(peer.client)
            }
        }
        if success && persistence.rdbStream != nil { pumpDiskless() }
        for peer in replication.replicas where ids.contains(peer.client.id) && peer.state == .waitBgsaveEnd {
            guard success, let sender = RDBFileSender(path: persistence.dumpPath) else {
                log.warning("SYNC failed. BGSAVE child returned an error")
                peer.client.connection?.close(flush: false)
                disconnect(peer.client)
                continue
            }
            peer.fileSender = sender
            peer.state = .sendBulk
            peer.client.output.writeString("$\(sender.size)\r\n")
            pumpFile(to: peer)
        }
    }

    /// Sends the next part of the file; once it is all out, the held stream follows and the
    /// replica is online.
    func pumpFile(to peer: ReplicaPeer) {
        guard peer.state == .sendBulk, let sender = peer.fileSender, replication.replicas.contains(where: { $0 === peer }) else { return }
        guard sender.pump(into: peer.client) else {
            log.warning("Read error sending DB to slave: \(String(cString: strerror(errno)))")
            peer.client.connection?.close(flush: false)
            disconnect(peer.client)
            return
        }
        if sender.done && peer.held.drain(into: peer.client, limit: RDBFileSender.inFlightLimit) {
            peer.fileSender = nil
            peer.state = .online
            peer.ackTimeMs = replication.clock()
            log.notice("Synchronization with slave \(peer.name) succeeded")
        } else {
            schedule?(1) { [weak self, weak peer] in if let self, let peer { self.pumpFile(to: peer) } }
        }
        peer.client.connection?.flushOutput()
    }

    /// Moves the diskless RDB's chunks to the replicas' sockets as they drain; at its end the
    /// mark follows, and each replica is online once it ACKs (it has loaded the payload).
    func pumpDiskless() {
        guard let source = persistence.rdbStream else { return }
        let peers = replication.replicas.filter { $0.diskless && $0.state == .sendBulk }
        if peers.isEmpty {
            source.cancel()  // nobody left to send to: the writer stops, the job fails
            persistence.rdbStream = nil
            return
        }
        var done = false
        pumping: while peers.allSatisfy({ $0.client.outputBytes < RDBFileSender.inFlightLimit }) {
            switch source.take() {
            case .chunk(let chunk):
                for peer in peers { peer.client.output.writeBytes(chunk) }
            case .empty:
                break pumping
            case .finished:
                guard let ok = persistence.socketJobSucceeded else { break pumping }
                done = true
                persistence.rdbStream = nil
                guard ok else { break pumping }  // replicaSnapshotFinished drops them
                for peer in peers {
                    peer.client.output.writeBytes(peer.eofMark)
                    peer.state = .online
                    peer.onlineOnAck = true
                    peer.ackTimeMs = replication.clock()
                    log.notice("Streamed RDB transfer with slave \(peer.name) succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming")
                }
                break pumping
            }
        }
        for peer in peers { peer.client.connection?.flushOutput() }
        if !done { schedule?(1) { [weak self] in self?.pumpDiskless() } }
    }

    /// A replica that loaded a diskless payload ACKed: it gets what was held (as its socket
    /// drains), then the stream.
    func putOnline(_ peer: ReplicaPeer) {
        guard peer.onlineOnAck, replication.replicas.contains(where: { $0 === peer }) else { return }
        if peer.held.drain(into: peer.client, limit: RDBFileSender.inFlightLimit) {
            peer.onlineOnAck = false
            log.notice("Synchronization with slave \(peer.name) succeeded")
        } else {
            schedule?(1) { [weak self, weak peer] in if let self, let peer { self.putOnline(peer) } }
        }
        peer.client.connection?.flushOutput()
    }
}
