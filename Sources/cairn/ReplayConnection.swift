// ReplayConnection: a plain blocking TCP connection to a Redis-compatible
// server, for `cairn aof replay`: send bytes, and read whole RESP2 replies.
//
// Contract: `connect` resolves the host (getaddrinfo) and connects, or
// throws a message. `send` writes everything. `nextReply(wait:)` returns the
// next complete top-level reply (nil if none is buffered and `wait` is
// false), telling whether it is an error and its first line.
// Tricky bit: replies are skipped structurally (bulk lengths, nested arrays
// such as EXEC's) without building values; a reply split across reads stays
// buffered until it is whole.
import Engine
#if canImport(Glibc)
import Glibc
#endif

struct ReplayError: Error, CustomStringConvertible {
    var description: String
}

/// One top-level reply: whether it is an error, and its first line (for messages).
struct Reply {
    var isError: Bool
    var line: String
}

final class ReplayConnection {
    let fd: Int32
    var input: [UInt8] = []
    var position = 0

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

    /// Reads what is available (blocking when `wait`); false at end of stream without data.
    func receive(wait: Bool) throws -> Bool {
        if position > 0 && position == input.count { input.removeAll(keepingCapacity: true); position = 0 }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, wait ? 0 : Int32(MSG_DONTWAIT)) }
            if n > 0 { input.append(contentsOf: buf[0..<n]); return true }
            if n == 0 { throw ReplayError(description: "the server closed the connection") }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return false }
            throw ReplayError(description: "read failed: \(String(cString: strerror(errno)))")
        }
    }

    /// The next whole reply, reading more as needed when `wait`.
    func nextReply(wait: Bool) throws -> Reply? {
        while true {
            if let end = input.withUnsafeBufferPointer({ replyEnd($0, position) }) {
                let first = input[position]
                var lineEnd = position
                while lineEnd < end, input[lineEnd] != 13 { lineEnd += 1 }
                let reply = Reply(isError: first == UInt8(ascii: "-"),
                                  line: String(decoding: input[position..<Swift.min(lineEnd, position + 300)], as: UTF8.self))
                position = end
                return reply
            }
            if try !receive(wait: wait) { return nil }
        }
    }
}

/// Offset past the reply starting at `i`, or nil if it is not complete yet.
func replyEnd(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
    guard i < p.count else { return nil }
    var j = i + 1
    while j + 1 < p.count, !(p[j] == 13 && p[j + 1] == 10) { j += 1 }
    guard j + 1 < p.count else { return nil }
    let next = j + 2
    switch p[i] {
    case UInt8(ascii: "$"):
        guard let n = Array(p[(i + 1)..<j]).parseInt64() else { return nil }
        if n < 0 { return next }
        let end = next + Int(n) + 2
        return end <= p.count ? end : nil
    case UInt8(ascii: "*"):
        guard let n = Array(p[(i + 1)..<j]).parseInt64() else { return nil }
        var k = next
        for _ in 0..<Swift.max(0, Int(n)) {
            guard let e = replyEnd(p, k) else { return nil }
            k = e
        }
        return k
    default:
        return next
    }
}
