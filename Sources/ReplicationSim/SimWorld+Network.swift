// SimWorld+Network: the simulated network: bytes cut at random places and
// delayed, connections made or refused, closed gracefully or reset.
//
// Contract: every call draws a fixed number of values from the network
// stream whatever the bytes are (a piece count, three cut points, four
// delays), so a payload of a slightly different length (an RDB header field)
// moves the cuts but never shifts the rest of the run. Each direction of a
// connection delivers in order: a piece is never due before the previous one.
// A graceful close delivers what was sent first, then the end of the stream;
// a reset (the link-drop fault, a node restart) loses what is in flight and
// tells both ends.
// Tricky bit: nothing here calls a server synchronously from inside a server
// call (a transport call or a ClientConnection call): every outcome is an
// event, as it is on a real event loop.
import Engine
import Server

extension SimWorld {
    /// How long a piece takes: mostly a few ms, sometimes up to a quarter second. Two draws.
    func networkDelay() -> Int64 {
        let slow = net.chance(0.08)
        let d = Int64(net.below(250))
        return slow ? d : d % 12
    }

    /// Sends `bytes` one way over `connection`, cut into up to four pieces.
    func transmit(_ bytes: [UInt8], over connection: SimConnection, towardMaster: Bool) {
        guard !bytes.isEmpty else { return }
        let pieces = net.below(4) + 1
        let cuts = (0..<3).map { _ in Int(net.fraction() * Double(bytes.count)) }
        let delays = (0..<4).map { _ in networkDelay() }
        let ends = Set(cuts.prefix(pieces - 1).filter { $0 > 0 && $0 < bytes.count }).sorted() + [bytes.count]
        var start = 0
        for (i, end) in ends.enumerated() {
            let piece = Array(bytes[start..<end])
            start = end
            let last = towardMaster ? connection.lastToMaster : connection.lastToReplica
            let due = max(now + delays[i], last)
            if towardMaster { connection.lastToMaster = due } else { connection.lastToReplica = due }
            inFlight += 1
            schedule(at: due) { [unowned self] in
                self.inFlight -= 1
                self.deliver(piece, over: connection, towardMaster: towardMaster)
            }
        }
    }

    private func deliver(_ piece: [UInt8], over connection: SimConnection, towardMaster: Bool) {
        guard !connection.wasReset else { return }
        if towardMaster {
            guard connection.masterOpen, nodes[connection.masterNode].incarnation == connection.masterIncarnation else { return }
            connection.endpoint.receive(piece)
        } else {
            let node = nodes[connection.replicaNode]
            guard connection.replicaOpen, node.incarnation == connection.replicaIncarnation,
                  node.link.current === connection else { return }
            node.server.masterLinkReceived(piece)
        }
    }

    // MARK: connecting

    /// The outcome of `link.connect`, later: a connection to the node at host:port, or a refusal.
    func scheduleConnect(_ link: SimMasterLink, host: String, port: Int, generation: Int) {
        let delay = networkDelay()
        let refused = net.chance(0.03) && faultsEnabled
        inFlight += 1
        schedule(after: delay) { [unowned self] in
            self.inFlight -= 1
            let node = self.nodes[link.nodeIndex]
            guard node.incarnation == link.incarnation, node.link === link, link.generation == generation else { return }
            guard !refused, let target = self.nodes.first(where: { $0.host == host && $0.port == port }) else {
                node.server.masterLinkFailed("Connection refused")
                return
            }
            let connection = SimConnection(id: self.nextConnectionId, replica: node, master: target)
            self.nextConnectionId += 1
            let (client, refusal) = target.server.connect(address: "\(node.host):\(node.port)",
                                                          localAddress: "\(target.host):\(target.port)", isLocal: true)
            guard refusal == nil else {
                node.server.masterLinkFailed("Connection refused: \(refusal!)")
                return
            }
            connection.endpoint = SimServerEndpoint(world: self, connection: connection, server: target.server, client: client)
            client.connection = connection.endpoint
            self.connections.removeAll { !$0.isOpen }
            self.connections.append(connection)
            link.current = connection
            node.server.masterLinkConnected()
        }
    }

    // MARK: closing

    /// The master's server closed its end: the replica reads what was sent, then the end.
    func masterEndClosed(_ connection: SimConnection) {
        connection.masterOpen = false
        inFlight += 2
        schedule(at: max(now + networkDelay(), connection.lastToReplica)) { [unowned self] in
            self.inFlight -= 1
            self.replicaSeesClose(connection, reason: "Connection closed by master")
        }
        // As ConnectionHandler's channelInactive: the server forgets the client on a later turn.
        schedule(after: 0) { [unowned self] in
            self.inFlight -= 1
            let master = self.nodes[connection.masterNode]
            guard master.incarnation == connection.masterIncarnation else { return }
            master.server.disconnect(connection.endpoint.client)
        }
    }

    /// The replica's transport closed its end: the master reads what was sent, then the end.
    func replicaEndClosed(_ connection: SimConnection) {
        connection.replicaOpen = false
        inFlight += 1
        schedule(at: max(now + networkDelay(), connection.lastToMaster)) { [unowned self] in
            self.inFlight -= 1
            self.masterSeesClose(connection)
        }
    }

    /// A TCP reset: what is in flight is lost, and each end learns of it shortly.
    func reset(_ connection: SimConnection) {
        guard connection.isOpen, !connection.wasReset else { return }
        connection.wasReset = true
        inFlight += 2
        schedule(after: networkDelay()) { [unowned self] in
            self.inFlight -= 1
            self.masterSeesClose(connection)
        }
        schedule(after: networkDelay()) { [unowned self] in
            self.inFlight -= 1
            self.replicaSeesClose(connection, reason: "Connection reset by peer")
        }
    }

    private func masterSeesClose(_ connection: SimConnection) {
        guard connection.masterOpen else { return }
        connection.masterOpen = false
        connection.endpoint.markClosed()
        let master = nodes[connection.masterNode]
        guard master.incarnation == connection.masterIncarnation else { return }
        master.server.disconnect(connection.endpoint.client)
    }

    private func replicaSeesClose(_ connection: SimConnection, reason: String) {
        connection.replicaOpen = false
        let node = nodes[connection.replicaNode]
        guard node.incarnation == connection.replicaIncarnation, node.link.current === connection else { return }
        node.link.current = nil
        node.server.masterLinkClosed(reason)
    }

    /// Every open connection that `node` (this incarnation) is an end of.
    func connections(touching node: SimNode) -> [SimConnection] {
        connections.filter { c in
            c.isOpen && ((c.replicaNode == node.index && c.replicaIncarnation == node.incarnation)
                || (c.masterNode == node.index && c.masterIncarnation == node.incarnation))
        }
    }
}
