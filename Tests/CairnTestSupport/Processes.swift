// Processes: child processes for the interop tests (redis-server 7.0, its
// tools, the built cairn-server), free loopback ports, and readiness checks.
//
// Contract: every wait is bounded (a hung child fails a test, never hangs the
// suite), and every child a test starts is stopped by its own pid: SIGTERM,
// then SIGKILL after 5 seconds. A port comes from the kernel (bind port 0,
// read it back), never from a random number, so parallel runs do not collide.
//
// The tricky bit: a free port is free when `freePort()` returns, not when the
// child binds it; another process could take it in between. The window is
// a few milliseconds and the kernel hands ports out in turn, so this is
// accepted; a child that cannot bind exits, and the readiness wait fails.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process with stdout sent to /dev/null and stderr to a file.
public final class ChildProcess {
    public let pid: pid_t
    public let stderrPath: String
    /// Reaped: the pid may belong to someone else now, so it is never signalled again.
    public private(set) var exited = false

    /// Starts `program` (looked up on PATH when it has no slash); nil if it cannot start.
    public init?(_ program: String, _ arguments: [String], stderrPath: String = "/dev/null") {
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        guard posix_spawnp(&child, program, &actions, nil, argv, environ) == 0 else { return nil }
        pid = child
    }

    deinit { stop() }

    /// The exit status, waiting at most `seconds` (then the child is killed and nil returned).
    public func exitStatus(within seconds: Double = 10) -> Int32? {
        var status: Int32 = 0
        if waitUntil(seconds: seconds, { waitpid(pid, &status, WNOHANG) == pid }) {
            exited = true
            return (status >> 8) & 0xff
        }
        stop()
        return nil
    }

    /// SIGTERM, then SIGKILL after 5 seconds; waits for the child.
    public func stop() {
        guard !exited else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        if !waitUntil(seconds: 5, { waitpid(pid, &status, WNOHANG) == pid }) {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        exited = true
    }

    /// What the child wrote to stderr so far.
    public var stderrText: String {
        String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
    }
}

/// Runs `path` with `arguments` to completion; its stdout and stderr together.
@discardableResult
public func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Polls `condition` every 10 ms for at most `seconds`; true as soon as it holds.
@discardableResult
public func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A loopback TCP port nobody listens on right now (the kernel's choice for port 0).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket: errno \(errno)")
    defer { close(fd) }
    var addr = loopback(port: 0)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    precondition(ok, "bind/getsockname on port 0: errno \(errno)")
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// True when a server on loopback `port` answers an inline PING with +PONG
/// (a Redis still loading its file answers -LOADING, so this waits for the load too).
public func answersPing(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = loopback(port: port)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return false }
    let ping = Array("PING\r\n".utf8)
    guard send(fd, ping, ping.count, Int32(MSG_NOSIGNAL)) == ping.count else { return false }
    var reply = [UInt8](repeating: 0, count: 64)
    let n = recv(fd, &reply, reply.count, 0)
    return n >= 5 && Array(reply[0..<5]) == Array("+PONG".utf8)
}

private func loopback(port: Int) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return addr
}

/// Debian's redis-server (7.0) as a test peer: loopback only, a free port, no
/// persistence unless `extra` asks for it, its working directory `directory`.
public final class RedisServer {
    public let port: Int
    /// The command-line flags it was started with (tests give the same to Cairn's config loader).
    public let arguments: [String]
    public let process: ChildProcess

    /// Starts redis-server and waits (up to 10 s) until it answers PING; nil if it
    /// cannot be started or never answers (its stderr is in `directory/redis.err`).
    public init?(directory: String, extra: [String] = []) {
        let port = freePort()
        let arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--dir", directory] + extra
        guard let process = ChildProcess("redis-server", arguments, stderrPath: directory + "/redis.err") else { return nil }
        guard waitUntil(seconds: 10, { answersPing(port: port) }) else {
            process.stop()
            return nil
        }
        self.port = port
        self.arguments = arguments
        self.process = process
    }

    /// Stops the server (SIGTERM, then SIGKILL) and waits for it.
    public func stop() { process.stop() }
}
