// MasterLinkConnection: the replica's outbound connection to its master, the
// one socket the server opens itself (MasterLinkTransport over SwiftNIO).
//
// Contract: everything runs on the server's one event loop. `connect` reports
// back through `Server.masterLinkConnected`/`masterLinkFailed`, bytes read
// through `masterLinkReceived`, and a lost connection through
// `masterLinkClosed`. The connect attempt is bounded by repl-timeout; every
// other timeout (handshake, transfer, idle stream) is the link state
// machine's, driven by the cron.
// Tricky bit: a `close` followed by a new `connect` must not let events of
// the old socket reach the server, so each connection carries a generation
// number and events of an older generation are dropped.
import NIOCore
import NIOPosix
import Engine

final class MasterLinkConnection: MasterLinkTransport {
    private unowned let server: Server
    private let eventLoop: EventLoop
    private var channel: Channel?
    private var generation = 0

    init(server: Server, eventLoop: EventLoop) {
        self.server = server
        self.eventLoop = eventLoop
    }

    func connect(host: String, port: Int) {
        close()
        let generation = self.generation
        let server = self.server
        let timeout = TimeAmount.seconds(Int64(max(server.config.replTimeout, 1)))
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [weak self] channel in
                guard let self else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.pipeline.addHandler(MasterLinkHandler(link: self, generation: generation))
            }
            .connect(host: host, port: port)
            .whenComplete { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let channel):
                    guard generation == self.generation else {
                        channel.close(promise: nil)
                        return
                    }
                    self.channel = channel
                    server.masterLinkConnected()
                case .failure(let error):
                    guard generation == self.generation else { return }
                    server.masterLinkFailed("\(error)")
                }
            }
    }

    func send(_ bytes: [UInt8]) {
        guard let channel else { return }
        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
    }

    func close() {
        generation += 1
        channel?.close(promise: nil)
        channel = nil
    }

    // MARK: from the handler

    fileprivate func received(_ bytes: [UInt8], generation: Int) {
        guard generation == self.generation else { return }
        server.stats.netInputBytes += Int64(bytes.count)
        server.masterLinkReceived(bytes)
    }

    fileprivate func lost(_ reason: String, generation: Int) {
        guard generation == self.generation, channel != nil else { return }
        channel = nil
        server.masterLinkClosed(reason)
    }
}

private final class MasterLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private weak var link: MasterLinkConnection?
    private let generation: Int

    init(link: MasterLinkConnection, generation: Int) {
        self.link = link
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        link?.received(bytes, generation: generation)
    }

    func channelInactive(context: ChannelHandlerContext) {
        link?.lost("Connection lost", generation: generation)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
