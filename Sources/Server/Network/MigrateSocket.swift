// MigrateSocket: MIGRATE's blocking TCP connection to a target server.
//
// MIGRATE is atomic for the source because it blocks the keyspace thread while it
// talks to the target, as Redis does; so this is plain POSIX I/O on a non-blocking
// socket, each step bounded by poll() with the command's timeout. Redis's rules
// that show in replies are kept: the connect itself is non-blocking (a refused
// connection on loopback surfaces at the first write, not as a connect error), a
// poll that reports an error counts as writable, and each operation (a 64 KB chunk
// written, a reply line read) gets the whole timeout, as syncio.c's calls do.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch

package final class MigrateSocket {
    package enum Failure: Error, Equatable {
        /// Name resolution or socket creation failed at once (Redis: "Can't connect to target node: ...").
        case cannotConnect(String)
        /// The step did not finish within the timeout (no retry: the target may be busy).
        case timedOut
        /// The connection failed or was closed (a retry on a fresh connection may work).
        case broken
    }

    private var fd: Int32
    /// Bytes read past the last line returned.
    private var pending: [UInt8] = []

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Connects to host:port (any address family), waiting at most `timeoutMs` for the handshake.
    package static func connect(host: String, port: Int, timeoutMs: Int64) throws(Failure) -> MigrateSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let rv = getaddrinfo(host, String(port), &hints, &list)
        guard rv == 0 else { throw .cannotConnect(String(cString: gai_strerror(rv))) }
        defer { freeaddrinfo(list) }
        var fd: Int32 = -1
        var lastErrno: Int32 = 0
        var entry = list
        while let ai = entry?.pointee {
            entry = ai.ai_next
            let s = socket(ai.ai_family, ai.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                           ai.ai_protocol)
            guard s >= 0 else { lastErrno = errno; continue }
            if Glibc.connect(s, ai.ai_addr, ai.ai_addrlen) == 0 || errno == EINPROGRESS {
                fd = s
                break
            }
            lastErrno = errno
            Glibc.close(s)
        }
        guard fd >= 0 else { throw .cannotConnect("creating socket: " + String(cString: strerror(lastErrno))) }
        let link = MigrateSocket(fd: fd)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // Writable, or failed: either way the first write tells (Redis's aeWait counts an error as ready).
        guard link.wait(for: Int16(POLLOUT), until: deadline(after: timeoutMs)) else { throw .timedOut }
        return link
    }

    package func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Writes all of `bytes`, each 64 KB chunk within `timeoutMs`.
    package func write(_ bytes: [UInt8], timeoutMs: Int64) throws(Failure) {
        let chunk = 64 * 1024
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try writeChunk(bytes, start..<end, until: Self.deadline(after: timeoutMs))
            start = end
        }
    }

    private func writeChunk(_ bytes: [UInt8], _ range: Range<Int>, until deadline: UInt64) throws(Failure) {
        var at = range.lowerBound
        while at < range.upperBound {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + at, range.upperBound - at, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                at += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(for: Int16(POLLOUT), until: deadline) else { throw .timedOut }
            } else {
                throw .broken
            }
        }
    }

    /// Reads one reply line (without CR LF) within `timeoutMs`; longer lines keep their first 1023 bytes
    /// (the size of Redis's reply buffers), the rest is skipped.
    package func readLine(timeoutMs: Int64) throws(Failure) -> [UInt8] {
        let deadline = Self.deadline(after: timeoutMs)
        var line: [UInt8] = []
        while true {
            if let nl = pending.firstIndex(of: 10) {
                line += pending[..<nl].prefix(max(0, 1023 - line.count))
                pending.removeSubrange(...nl)
                if line.last == 13 { line.removeLast() }
                return line
            }
            line += pending.prefix(max(0, 1023 - line.count))
            pending.removeAll(keepingCapacity: true)
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                pending = Array(chunk[..<n])
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(for: Int16(POLLIN), until: deadline) else { throw .timedOut }
            } else {
                throw .broken  // closed by the target, or failed
            }
        }
    }

    /// Polls for `events` until the monotonic `deadline` (ns); false on timeout. An error or hang-up
    /// counts as ready: the next call reports it.
    private func wait(for events: Int16, until deadline: UInt64) -> Bool {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return false }
            let ms = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&pfd, 1, ms)
            if r > 0 { return true }
            if r < 0 && errno != EINTR { return true }
        }
    }

    private static func deadline(after ms: Int64) -> UInt64 {
        DispatchTime.now().uptimeNanoseconds + UInt64(max(ms, 0)) * 1_000_000
    }
}
