// SimConnection: one simulated TCP connection from a replica's master link to
// its master, and the two ends the servers see: the replica's
// `MasterLinkTransport` and the master's `ClientConnection`.
//
// Job: stand in for MasterLinkConnection (the replica's socket) and
// ConnectionHandler (the master's socket) without sockets. Bytes are handed
// to the world (`SimWorld.transmit`), which cuts and delays them; the ends
// only decide what is accepted.
// Contract: as TCP, each direction delivers its bytes in order, and a closed
// end reads nothing more. The master's end parses what it receives as
// ConnectionHandler does (RESP's RequestParser, every whole command executed,
// then the output flushed); the replica's end reports to its server through
// `masterLinkConnected/Failed/Received/Closed`, always from a scheduled event,
// never from inside a transport call.
// Tricky bit: a transport outlives its connections. `close()` followed by
// `connect()` must not let the old connection's events reach the server:
// events check that the connection is still the transport's current one
// (and the node still the same incarnation), as MasterLinkConnection's
// generation numbers do.
import NIOCore
import RESP
import Engine
import Server

/// A connection between a replica node (the side that connected) and its master node.
final class SimConnection {
    let id: Int
    let replicaNode: Int
    let replicaIncarnation: Int
    let masterNode: Int
    let masterIncarnation: Int
    /// The replica's end still reads (and its transport still owns the connection).
    var replicaOpen = true
    /// The master's end still reads.
    var masterOpen = true
    /// Reset (a TCP RST): bytes still in flight are lost.
    var wasReset = false
    /// When the last piece in each direction is due: later pieces never overtake it.
    var lastToMaster: Int64 = 0
    var lastToReplica: Int64 = 0
    /// The master's end; set right after init.
    var endpoint: SimServerEndpoint!

    init(id: Int, replica: SimNode, master: SimNode) {
        self.id = id
        replicaNode = replica.index
        replicaIncarnation = replica.incarnation
        masterNode = master.index
        masterIncarnation = master.incarnation
    }

    var isOpen: Bool { replicaOpen || masterOpen }
}

/// The master's end of a connection: a ClientConnection for the replica's Client on the master.
final class SimServerEndpoint: ClientConnection {
    unowned let world: SimWorld
    unowned let connection: SimConnection
    let server: Server
    let client: Client
    private var input = ByteBuffer()
    private var parser = RequestParser()
    private(set) var closed = false

    init(world: SimWorld, connection: SimConnection, server: Server, client: Client) {
        self.world = world
        self.connection = connection
        self.server = server
        self.client = client
    }

    /// Bytes from the replica: every whole command is executed, then the replies leave.
    func receive(_ bytes: [UInt8]) {
        guard !closed else { return }
        input.writeBytes(bytes)
        while !closed && !client.closeAfterReply && !client.isBlocked && input.readableBytes > 0 {
            let argv: [[UInt8]]?
            do {
                argv = try parser.next(from: &input)
            } catch let error as ProtocolError {
                client.output.writeError(error.message)
                client.closeAfterReply = true
                break
            } catch {
                break
            }
            guard let argv else { break }
            if argv.isEmpty { continue }
            world.execute(argv, from: self)
        }
        input.discardReadBytes()
        flushOutput()
    }

    func flushOutput() {
        guard !closed else { return }
        let n = client.output.readableBytes
        if n > 0 {
            let bytes = client.output.readBytes(length: n) ?? []
            client.output.clear()
            world.transmit(bytes, over: connection, towardMaster: false)
        }
        if client.closeAfterReply { close(flush: true) }
    }

    func close(flush: Bool) {
        guard !closed else { return }
        if flush { flushOutput() }
        closed = true
        world.masterEndClosed(connection)
    }

    /// Marks the end closed without telling anyone (the connection was reset).
    func markClosed() { closed = true }

    func resumeAfterUnblock() {}
}

/// A replica node's way to its master: one per node incarnation, many connections over time.
final class SimMasterLink: MasterLinkTransport {
    unowned let world: SimWorld
    let nodeIndex: Int
    let incarnation: Int
    /// The connection the server talks through now; nil while none is up.
    var current: SimConnection?
    /// Bumped by every connect and close: a connect outcome of an older attempt is dropped.
    private(set) var generation = 0

    init(world: SimWorld, nodeIndex: Int, incarnation: Int) {
        self.world = world
        self.nodeIndex = nodeIndex
        self.incarnation = incarnation
    }

    func connect(host: String, port: Int) {
        close()
        generation += 1
        world.scheduleConnect(self, host: host, port: port, generation: generation)
    }

    func send(_ bytes: [UInt8]) {
        guard let current, current.replicaOpen else { return }
        world.transmit(bytes, over: current, towardMaster: true)
    }

    func close() {
        generation += 1
        guard let connection = current else { return }
        current = nil
        world.replicaEndClosed(connection)
    }
}
