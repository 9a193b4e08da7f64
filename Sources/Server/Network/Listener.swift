// Listener: binds the configured addresses, accepts clients onto the one event
// loop that owns the keyspace, runs the cron at `hz`, and shuts down cleanly on
// SHUTDOWN, SIGTERM or SIGINT.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOCore
import NIOPosix
import Engine

package final class Listener {
    package let server: Server
    private let group: MultiThreadedEventLoopGroup
    package var eventLoop: EventLoop { group.next() }
    private var channels: [Channel] = []
    private var signalSources: [DispatchSourceSignal] = []
    private var cronTask: Scheduled<Void>?
    private let stopped: EventLoopPromise<Void>

    package init(server: Server) {
        self.server = server
        // One thread: the keyspace owner. Every connection and the cron run on it.
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.stopped = group.next().makePromise(of: Void.self)
    }

    /// Binds every listening address; throws with a message naming the address on failure
    /// (after closing whatever was bound, so the listener can be dropped).
    package func start() throws {
        // Handlers first: once a port is bound a client (or a supervisor) may already
        // act on the server, and a SIGTERM must then shut down cleanly, not kill.
        installSignalHandlers()
        do {
            try bindAll()
        } catch {
            for channel in channels { try? channel.close().wait() }
            channels = []
            stopped.succeed(())
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private func bindAll() throws {
        let server = self.server
        let config = server.config
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(config.tcpBacklog))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 1 << 20))
            .childChannelInitializer { channel in
                // Read live: CONFIG SET tcp-keepalive applies to the next connections.
                if server.config.tcpKeepalive > 0 {
                    _ = channel.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                }
                return channel.pipeline.addHandler(ConnectionHandler(server: server))
            }
        let addresses = config.bind.isEmpty ? ["0.0.0.0", "::"] : config.bind
        var port = config.port
        for address in addresses where config.port != 0 || channels.isEmpty || port != 0 {
            do {
                let channel = try bootstrap.bind(host: address, port: port).wait()
                channels.append(channel)
                if port == 0, let bound = channel.localAddress?.port { port = bound }
            } catch {
                // Like Redis, a missing IPv6 stack is not fatal when binding the default addresses.
                if config.bind.isEmpty && address == "::" { continue }
                throw ListenerError("Could not create server TCP listening socket \(address):\(config.port): \(error)")
            }
        }
        if !config.unixsocket.isEmpty {
            unlink(config.unixsocket)
            do {
                channels.append(try bootstrap.bind(unixDomainSocketPath: config.unixsocket).wait())
                if config.unixsocketperm != 0 { chmod(config.unixsocket, mode_t(config.unixsocketperm)) }
            } catch {
                throw ListenerError("Opening Unix socket: \(error)")
            }
        }
        server.boundPort = port
        try eventLoop.submit { self.installCron() }.wait()
    }

    private func installCron() {
        let server = self.server
        server.onShutdown = { [weak self] _ in self?.shutdown() }
        let loop = eventLoop
        server.replication.transport = MasterLinkConnection(server: server, eventLoop: loop)
        server.schedule = { delayMs, work in
            // Even "now" goes through the timer: the loop runs ready tasks back to back before it
            // polls sockets again, so a task that reschedules itself with execute() would starve I/O.
            let delay: TimeAmount = delayMs <= 0 ? .microseconds(20) : .milliseconds(Int64(delayMs))
            loop.scheduleTask(in: delay) { work() }
        }
        server.atEndOfTurn = { work in loop.execute(work) }
        scheduleCron()
    }

    /// SIGTERM and SIGINT become a clean shutdown on the keyspace thread.
    private func installSignalHandlers() {
        let server = self.server
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue.global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.eventLoop.execute {
                    server.log.warning("Received \(sig == SIGTERM ? "SIGTERM" : "SIGINT") scheduling shutdown...")
                    self.shutdownWhenNoScriptRuns()
                }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// A signal's shutdown saves, so it waits for a script paused past lua-time-limit to end
    /// (Redis handles the signal in its cron, which does not run during a script).
    private func shutdownWhenNoScriptRuns() {
        if server.scriptIsBusy {
            eventLoop.scheduleTask(in: .milliseconds(100)) { [weak self] in self?.shutdownWhenNoScriptRuns() }
            return
        }
        guard server.prepareForShutdown(save: nil) else {
            server.log.warning("SIGTERM received but errors trying to shut down the server, check the logs for more information")
            return
        }
        shutdown()
    }

    /// Runs the cron once per 1000/hz ms, reading `hz` again each time (CONFIG SET hz), as Redis's serverCron.
    private func scheduleCron() {
        let period = Int64(1000 / max(min(server.config.hz, 500), 1))
        cronTask = eventLoop.scheduleTask(in: .milliseconds(period)) { [weak self] in
            guard let self, self.cronTask != nil else { return }
            self.server.cron()
            self.scheduleCron()
        }
    }

    /// Stops accepting, closes every client, and completes `wait()`. `farewell` false: no
    /// closing line (after a failed load, Redis's fatal line must stay the log's last).
    package func shutdown(farewell: Bool = true) {
        cronTask?.cancel()
        cronTask = nil
        for client in server.clients.values { client.connection?.close(flush: true) }
        let closes = channels.map { $0.close() }
        EventLoopFuture.andAllComplete(closes, on: eventLoop).whenComplete { _ in
            if !self.server.config.unixsocket.isEmpty { unlink(self.server.config.unixsocket) }
            if farewell { self.server.log.warning("Cairn is now ready to exit, bye bye...") }
            self.stopped.succeed(())
        }
    }

    /// Blocks until the server has shut down.
    package func wait() throws {
        try stopped.futureResult.wait()
        try? group.syncShutdownGracefully()
    }
}

package struct ListenerError: Error, CustomStringConvertible {
    package let description: String
    init(_ d: String) { description = d }
}
