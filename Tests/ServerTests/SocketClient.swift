// SocketClient: a blocking loopback TCP client for server tests, with a
// receive timeout on every read so no test can hang.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RESP
import CairnTestSupport
@testable import Server

final class SocketClient {
    private let fd: Int32
    private var pending = ByteBuffer()

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw SocketError.connect }
    }

    deinit { close(fd) }

    enum SocketError: Error { case connect, closed, timeout }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func command(_ args: String...) throws -> RESPValue {
        var b = ByteBuffer()
        b.writeCommand(args.map { Array($0.utf8) })
        send(Array(b.readableBytesView))
        return try reply()
    }

    /// Reads one whole reply; throws `.closed` at end of stream, `.timeout` after the receive timeout.
    func reply() throws -> RESPValue {
        while true {
            if let v = try RESPValue.decode(from: &pending) { return v }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { throw SocketError.closed }
            if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? SocketError.timeout : SocketError.closed }
            pending.writeBytes(chunk[0..<n])
        }
    }

    /// True when the server closed the connection (after any pending replies are drained).
    func isClosedByPeer() -> Bool {
        while true {
            do { _ = try reply() } catch SocketError.closed { return true } catch { return false }
        }
    }
}

/// A server on a free loopback port, shut down at the end of the test.
final class RunningServer {
    let listener: Listener
    var port: Int { listener.server.boundPort }
    var server: Server { listener.server }

    init(_ adjust: (inout ServerConfig) -> Void = { _ in }) throws {
        var config = ServerConfig()
        config.port = 0
        config.bind = ["127.0.0.1"]
        config.dir = makeTemporaryDirectory()
        adjust(&config)
        listener = Listener(server: Server(config: config, log: ServerLog(level: .warning)))
        try listener.start()
    }

    /// Runs `body` on the keyspace thread and waits for it.
    func onLoop<T>(_ body: @escaping () -> T) throws -> T {
        try listener.eventLoop.submit(body).wait()
    }

    func stop() {
        listener.eventLoop.execute { self.listener.shutdown() }
        try? listener.wait()
    }
}
