// ConnectionHandlerTests: ConnectionHandler on an EmbeddedChannel, no socket and
// no event loop thread: bytes in, replies out, in the test's own thread.
//
// Contract checked: (1) how a pipeline of commands is cut into reads never
// changes the replies (every cut into two reads, a third of the cuts into
// three, and one byte per read); (2) a client
// that closes mid-command gets no reply and the server forgets it, blocked or
// not; (3) a client whose replies pile up past the output-buffer hard limit
// is closed and forgotten, and one under it is not.
//
// The tricky bit: on an EmbeddedChannel a write completes as soon as it is
// flushed, so no reply is ever "in flight" and the output limit could never be
// reached; `StalledSocket` stands in for a client that stopped reading by
// holding every write (and its promise) unsent.
import XCTest
import NIOCore
import NIOEmbedded
import RESP
import Engine
import CairnTestSupport
@testable import Server

/// An outbound handler that keeps every write pending: a peer that reads nothing.
final class StalledSocket: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    private(set) var heldBytes = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        heldBytes += unwrapOutboundIn(data).readableBytes
        // The promise is never completed: the bytes stay counted as in flight.
    }

    func flush(context: ChannelHandlerContext) {}
}

final class ConnectionHandlerTests: XCTestCase {
    private var dir: TempDir!

    override func setUp() { dir = TempDir(prefix: "conn") }
    override func tearDown() { dir.remove() }

    private func makeServer(_ adjust: (inout ServerConfig) -> Void = { _ in }) -> Server {
        var config = ServerConfig()
        config.dir = dir.path
        adjust(&config)
        return Server(config: config, log: ServerLog(level: .warning))
    }

    private struct NotRegistered: Error {}

    /// A connected loopback client of `server`; `front` handlers sit between the socket and it.
    private func connect(_ server: Server, front: [ChannelHandler] = []) throws -> (EmbeddedChannel, Client) {
        let before = Set(server.clients.keys)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(front + [ConnectionHandler(server: server)])
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 6379)
        try channel.connect(to: channel.remoteAddress!).wait()
        let added = Set(server.clients.keys).subtracting(before)
        guard added.count == 1, let client = server.clients[added.first!] else {
            XCTFail("the server did not register exactly one client: \(added.count)")
            throw NotRegistered()
        }
        return (channel, client)
    }

    /// Everything written to the channel so far, decoded; a trailing partial reply fails the test.
    private func replies(_ channel: EmbeddedChannel) throws -> [RESPValue] {
        var all = ByteBuffer()
        while var b = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&b) }
        var out: [RESPValue] = []
        while let v = try RESPValue.decode(from: &all) { out.append(v) }
        XCTAssertEqual(all.readableBytes, 0, "a partial reply was written")
        return out
    }

    private func send(_ channel: EmbeddedChannel, _ bytes: ArraySlice<UInt8>) throws {
        var b = channel.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        try channel.writeInbound(b)
        channel.embeddedEventLoop.run()  // the end of the loop turn: deferred replies go out
    }

    func testEverySplitOfAPipelineGivesTheSameReplies() throws {
        let server = makeServer()
        let pipeline = Array(("*1\r\n$4\r\nPING\r\n" + "SET k \"v\\r\\n\"\r\n" + "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
            + "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n" + "EXISTS k nope\r\n").utf8)
        let expected: [RESPValue] = [.simple("PONG"), .ok, .str("v\r\n"), .str("a\r\nb"), .int(1)]
        var cuts: [[Int]] = [[]]
        for i in 1..<pipeline.count {
            cuts.append([i])
            for j in (i + 1)..<pipeline.count where j % 3 == 0 || j - i < 3 { cuts.append([i, j]) }
        }
        cuts.append(Array(1..<pipeline.count))  // one byte per read
        let clientsBefore = server.clients.count
        for cut in cuts {
            let (channel, _) = try connect(server)
            var start = 0
            for end in cut + [pipeline.count] {
                try send(channel, pipeline[start..<end])
                start = end
            }
            XCTAssertEqual(try replies(channel), expected, "reads cut at \(cut)")
            try channel.close().wait()
        }
        XCTAssertEqual(server.clients.count, clientsBefore, "every closed client is forgotten")
    }

    func testClientClosingMidCommandIsForgotten() throws {
        let server = makeServer()
        let (channel, client) = try connect(server)
        try send(channel, Array("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhal".utf8)[...])
        XCTAssertEqual(try replies(channel), [.simple("PONG")], "the complete command runs, the partial one waits")
        XCTAssertNotNil(server.clients[client.id])
        try channel.close().wait()
        XCTAssertNil(server.clients[client.id], "the server forgets a client that closed")
        XCTAssertNil(server.keyspace.peek(0, Bytes("k")), "the partial SET never ran")

        // Blocked in BLPOP, then gone: a later push is not served to it.
        let (blocked, blockedClient) = try connect(server)
        try send(blocked, Array("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n".utf8)[...])
        XCTAssertEqual(try replies(blocked), [])
        XCTAssertTrue(blockedClient.isBlocked)
        try blocked.close().wait()
        XCTAssertNil(server.clients[blockedClient.id])
        let (other, _) = try connect(server)
        try send(other, Array("RPUSH q x\r\nLLEN q\r\n".utf8)[...])
        XCTAssertEqual(try replies(other), [.int(1), .int(1)], "the element stays: nobody is waiting for it")
    }

    func testOutputBufferHardLimitClosesTheClient() throws {
        let server = makeServer { $0.clientOutputBufferLimits[.normal] = OutputBufferLimit(hardBytes: 4096, softBytes: 0, softSeconds: 0) }
        let value = String(repeating: "v", count: 3000)
        let setBig = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$3000\r\n\(value)\r\n"

        // A client that reads its replies: never closed, however much it asks for.
        let (reader, readerClient) = try connect(server)
        try send(reader, Array(setBig.utf8)[...])
        for _ in 0..<5 { try send(reader, Array("GET big\r\n".utf8)[...]) }
        XCTAssertEqual(try replies(reader).count, 6)
        XCTAssertTrue(reader.isActive)
        XCTAssertNotNil(server.clients[readerClient.id])

        // A client that reads nothing: the second 3000-byte reply passes 4096 bytes in flight.
        let stall = StalledSocket()
        let (stalled, stalledClient) = try connect(server, front: [stall])
        try send(stalled, Array("GET big\r\n".utf8)[...])
        XCTAssertTrue(stalled.isActive, "3000 bytes in flight are under the limit")
        XCTAssertEqual(stalledClient.pendingOutputBytes, "$3000\r\n".utf8.count + 3000 + 2)
        try send(stalled, Array("GET big\r\n".utf8)[...])
        XCTAssertFalse(stalled.isActive, "past the hard limit the client is closed")
        XCTAssertNil(server.clients[stalledClient.id], "and forgotten")
        XCTAssertTrue(reader.isActive, "the other client is untouched")
    }
}
