// ConnectionHandler: one client connection on the event loop.
//
// Reads accumulate in an input buffer; every complete command in it is parsed
// and executed at once (pipelining), and the replies of a whole read batch leave
// in one write at channelReadComplete. A protocol error gets Redis's error reply
// and closes this connection only. The query buffer and output buffer limits
// are enforced here, since only here are bytes in flight visible.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RESP
import Engine

final class ConnectionHandler: ChannelInboundHandler, ClientConnection {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: Server
    private var client: Client?
    private var context: ChannelHandlerContext?
    private var input: ByteBuffer?
    private var parser: RequestParser
    private var resumeScheduled = false
    private var closed = false

    init(server: Server) {
        self.server = server
        var limits = RequestLimits()
        limits.maxBulkLength = server.config.protoMaxBulkLen
        self.parser = RequestParser(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let channel = context.channel
        let remote = channel.remoteAddress
        let address = Self.describe(remote)
        let (client, refusal) = server.connect(address: address, localAddress: Self.describe(channel.localAddress),
                                               isLocal: Self.isLoopback(remote), allocator: channel.allocator)
        if let refusal {
            var out = channel.allocator.buffer(capacity: refusal.utf8.count + 8)
            out.writeError(refusal)
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in context.close(promise: nil) }
            closed = true
            return
        }
        client.connection = self
        // The socket's descriptor, for CLIENT LIST's fd= (NIO lends it only inside this call).
        if let fd = try? channel.pipeline.syncOperations.withUnsafeTransportIfAvailable(
            of: NIOBSDSocket.Handle.self, { $0 }) {
            client.fd = fd
        }
        self.client = client
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if let client { server.disconnect(client) }
        client = nil
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed, let client else { return }
        var bytes = unwrapInboundIn(data)
        server.stats.netInputBytes += Int64(bytes.readableBytes)
        if input == nil || input!.readableBytes == 0 {
            input = bytes
        } else {
            input!.writeBuffer(&bytes)
        }
        process(client)
        if client.queryBufferBytes > server.config.clientQueryBufferLimit {
            server.log.warning("Closing client that reached max query buffer length: id=\(client.id) addr=\(client.address) qbuf=\(client.queryBufferBytes)")
            close(flush: false)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Replies wait for the end of this loop turn, as Redis's beforeSleep writes them: one
        // wake-up of the peers per turn, and the turn's one AOF write goes first (ReplyFlush.swift).
        // A lone connection has no peers to batch with: its replies leave at once (the AOF write
        // still goes first, in flushOutput), saving the deferral's task on every round trip.
        if let client, client.output.readableBytes > 0, server.clients.count > 1 {
            server.deferFlush(self, on: context.eventLoop)
        } else {
            flushOutput()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        close(flush: false)
    }

    /// Executes every complete command in the input buffer.
    private func process(_ client: Client) {
        parser.limits.maxBulkLength = server.config.protoMaxBulkLen  // CONFIG SET proto-max-bulk-len applies at once
        warmKeys(client)
        while !closed && !client.closeAfterReply && !client.isBlocked && !client.runsSuspendedScript, var buffer = input, buffer.readableBytes > 0 {
            // The clock only when CLIENT PAUSE was ever used: a system call per command adds up.
            if server.pausedUntil != 0 && server.pausedUntil > wallClockMilliseconds() && client.clientClass == .normal {
                scheduleResume()
                break
            }
            input = nil  // keeps `buffer` uniquely referenced while the parser consumes it
            var parsed: [[UInt8]]?
            do {
                parsed = try parser.next(from: &buffer)
            } catch let error as ProtocolError {
                input = buffer
                client.output.writeError(error.message)
                client.closeAfterReply = true
                server.log.verbose("Protocol error (\(error.message)) from client: id=\(client.id) addr=\(client.address)")
                break
            } catch {
                input = buffer
                break
            }
            input = buffer
            guard var argv = parsed else { break }
            parsed = nil  // `argv` the only reference, so its storage can go back to the parser
            if argv.isEmpty { continue }
            server.execute(client, argv)
            parser.recycle(&argv)
        }
        if var buffer = input {
            if buffer.readableBytes == 0 {
                input = nil
            } else if buffer.capacity > Self.bigQueryBuffer && buffer.capacity / 2 > buffer.readableBytes {
                // Grown for a big command and now mostly empty: keep only what is unread, as
                // Redis's clientsCronResizeQueryBuffer gives back a query buffer over its peak.
                input = nil
                var kept = (context?.channel.allocator ?? ByteBufferAllocator()).buffer(capacity: buffer.readableBytes)
                kept.writeBuffer(&buffer)
                input = kept
            } else if buffer.readerIndex > 65536 {
                input = nil
                buffer.discardReadBytes()
                input = buffer
            }
        }
        client.queryBufferBytes = input?.readableBytes ?? 0
        client.queryBufferFree = (input?.capacity ?? 0) - client.queryBufferBytes
        if client.closeAfterReply { flushOutput() }
    }

    /// Key hashes of the batch being warmed, kept to reuse the storage.
    private var warmHashes: [UInt64] = []
    /// What the warming loads read, kept so the compiler cannot drop them.
    private var warmSink: UInt64 = 0

    /// Touches the key-table slots of the keys of a pipelined batch before its commands
    /// run, so their cache misses overlap (one miss per batch instead of one per command).
    /// Only a hint: the keys are the commands' first keys as PipelineScan sees them.
    private func warmKeys(_ client: Client) {
        guard let buffer = input, buffer.readableBytes >= Self.warmMinimumBytes else { return }
        warmHashes.removeAll(keepingCapacity: true)
        buffer.withUnsafeReadableBytes { raw in
            scanFirstKeys(raw, limit: Self.warmBatchLimit) { warmHashes.append(hashKey($0)) }
        }
        guard warmHashes.count > 1 else { return }
        let db = client.db
        warmSink ^= warmHashes.withUnsafeMutableBufferPointer { server.keyspace.warmLookups(db, hashes: $0) }
    }

    /// Below this many buffered bytes a read holds at most one small command: nothing to overlap.
    static let warmMinimumBytes = 64
    /// The most keys warmed ahead at once: enough for a deep pipeline, few enough to stay in cache.
    static let warmBatchLimit = 64

    /// CLIENT PAUSE: try again when the pause ends.
    private func scheduleResume() {
        guard !resumeScheduled, let context else { return }
        resumeScheduled = true
        let delay = max(server.pausedUntil - wallClockMilliseconds(), 1)
        context.eventLoop.scheduleTask(in: .milliseconds(delay)) { [weak self] in
            guard let self, let client = self.client else { return }
            self.resumeScheduled = false
            self.process(client)
            self.flushOutput()
        }
    }

    func flushOutput() {
        guard let context, let client, !closed else { return }
        // The AOF is written (and with appendfsync always, synced) before any reply leaves.
        server.persistence.flushBeforeReplies()
        let n = client.output.readableBytes
        if n > 0 {
            server.stats.netOutputBytes += Int64(n)
            sendDirectly(client)
            let left = client.output.readableBytes
            if left > 0 {
                // What the socket did not take goes through NIO, which waits for writability;
                // until it has written it all, later replies must queue behind it there.
                nioWritesInFlight += 1
                let tracked = server.tracksOutput(of: client)
                if tracked { client.pendingOutputBytes += left }
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenComplete { [weak self, weak client] _ in
                    self?.nioWritesInFlight -= 1
                    if tracked { client?.pendingOutputBytes -= left }
                }
                context.writeAndFlush(wrapOutboundOut(client.output), promise: promise)
            }
            // When the socket took the bytes at once the storage is ours again and clear() reuses it;
            // otherwise clear() gives a fresh buffer. A buffer grown by a big reply is not kept.
            if client.output.capacity > Self.retainedOutputCapacity {
                client.output = context.channel.allocator.buffer(capacity: 256)
            } else {
                client.output.clear()
            }
            if server.checkOutputLimits(client) { return }
        }
        if client.closeAfterReply { close(flush: true) }
    }

    /// Writes handed to NIO and not yet completed.
    private var nioWritesInFlight = 0

    /// Writes the pending replies straight to the socket when nothing is queued in NIO
    /// before them, consuming what the socket took. Why: NIO's outbound path (pipeline,
    /// pending-writes queue, promise bookkeeping) costs a few microseconds of CPU per reply,
    /// a tenth of a single client's round trip; one send() is what Redis does. Safe on this
    /// descriptor: `closed` is set (channelInactive) in the same loop turn NIO closes it, and
    /// a failed send leaves the bytes to NIO, which meets the same error and closes the channel.
    private func sendDirectly(_ client: Client) {
        guard nioWritesInFlight == 0, client.fd >= 0 else { return }
        let sent = client.output.withUnsafeReadableBytes { raw in
            send(client.fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
        }
        if sent > 0 { client.output.moveReaderIndex(forwardBy: sent) }
    }

    private var flushScheduled = false

    func flushSoon() {
        guard !flushScheduled, let context, !closed else { return }
        flushScheduled = true
        context.eventLoop.execute { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            self.flushOutput()
        }
    }

    /// Served or timed out while blocked: on the next loop turn, send the reply and run
    /// the commands that waited behind the blocking one (Redis's unblocked-clients pass).
    func resumeAfterUnblock() {
        guard let context, !closed else { return }
        context.eventLoop.execute { [weak self] in
            guard let self, let client = self.client, !self.closed else { return }
            self.process(client)
            self.flushOutput()
        }
    }

    /// A query buffer larger than this is shrunk when less than half of it holds unread bytes
    /// (Redis's PROTO_MBULK_BIG_ARG).
    static let bigQueryBuffer = 32 * 1024

    /// The largest output buffer kept for reuse between batches.
    static let retainedOutputCapacity = 64 * 1024

    func setNoDelay(_ enabled: Bool) {
        try? context?.channel.syncOptions?.setOption(ChannelOptions.socketOption(.tcp_nodelay), value: enabled ? 1 : 0)
    }

    func close(flush: Bool) {
        guard let context, !closed else { return }
        closed = true
        if flush, let client, client.output.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(client.output)).whenComplete { _ in context.close(promise: nil) }
        } else if flush {
            context.flush()
            context.close(promise: nil)
        } else {
            context.close(promise: nil)
        }
    }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "" }
        switch address {
        case .v4, .v6:
            let ip = address.ipAddress ?? "?"
            return "\(ip):\(address.port ?? 0)"
        case .unixDomainSocket:
            return address.pathname.map { "\($0):0" } ?? "/unix:0"
        }
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4, .v6:
            let ip = address.ipAddress ?? ""
            return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
        }
    }
}
