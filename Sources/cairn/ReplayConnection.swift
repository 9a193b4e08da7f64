// ReplayConnection: a plain blocking TCP connection to a Redis-compatible
// server, for `cairn aof replay`: send bytes, and read whole RESP2 replies.
//
// Contract: `connect` resolves the host (getaddrinfo) and connects, or
// throws a message. `send` writes everything. `nextReply(wait:)` returns the
// next complete top-level reply (nil if none is buffered and `wait` is
// false), telling whether it is an error and its first line.
// Replies are read by RESP's own decoder (`RESPValue.decode(from:)`), the
// one the tests and the replication link use; a malformed reply throws.
// Tricky bit: a reply split across reads stays buffered until it is whole
// (the decoder consumes a whole value or nothing); consumed bytes are dropped
// when no partial reply follows them, or once there are `compactAfterBytes`
// of them, so the buffer holds about the largest reply plus that much.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RESP

struct ReplayError: Error, CustomStringConvertible {
    var description: String
}

/// One top-level reply: whether it is an error, and its first line (for messages).
struct Reply {
    var isError: Bool
    var line: String

    /// The reply's first line as the server sent it (type byte included), at most 300 bytes.
    init(_ value: RESPValue) {
        switch value {
        case .error(let text): (isError, line) = (true, "-" + text)
        case .simple(let text): (isError, line) = (false, "+" + text)
        case .integer(let n): (isError, line) = (false, ":\(n)")
        case .bulk(let bytes): (isError, line) = (false, "$\(bytes.count)")
        case .null: (isError, line) = (false, "$-1")
        case .array(let items): (isError, line) = (false, "*\(items.count)")
        case .nullArray: (isError, line) = (false, "*-1")
        }
        if line.utf8.count > 300 { line = String(decoding: line.utf8.prefix(300), as: UTF8.self) }
    }
}

final class ReplayConnection {
    let fd: Int32
    private var input = ByteBuffer()
    /// Consumed bytes kept ahead of a partial reply before they are moved out.
    static let compactAfterBytes = 1 << 20

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ReplayError(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let a = p {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                if Glibc.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    fd = s
                    return
                }
                lastError = String(cString: strerror(errno))
                close(s)
            }
            p = a.pointee.ai_next
        }
        throw ReplayError(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    deinit { close(fd) }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReplayError(description: "write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Reads what is available (blocking when `wait`); false when nothing is (without `wait`).
    func receive(wait: Bool) throws -> Bool {
        if input.readableBytes == 0 {
            input.clear()
        } else if input.readerIndex >= Self.compactAfterBytes {
            input.discardReadBytes()
        }
        while true {
            var (received, failure) = (0, Int32(0))
            input.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 16) { space in
                received = recv(fd, space.baseAddress, space.count, wait ? 0 : Int32(MSG_DONTWAIT))
                failure = errno
                return max(0, received)
            }
            if received > 0 { return true }
            if received == 0 { throw ReplayError(description: "the server closed the connection") }
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK { return false }
            throw ReplayError(description: "read failed: \(String(cString: strerror(failure)))")
        }
    }

    /// The next whole reply, reading more as needed when `wait`.
    func nextReply(wait: Bool) throws -> Reply? {
        while true {
            let value: RESPValue?
            do {
                value = try RESPValue.decode(from: &input)
            } catch let error as ProtocolError {
                throw ReplayError(description: "bad reply from the server: \(error.message)")
            }
            if let value { return Reply(value) }
            if try !receive(wait: wait) { return nil }
        }
    }
}
