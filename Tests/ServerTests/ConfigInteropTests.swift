// ConfigInteropTests: Cairn's configuration next to real redis-server 7.0's:
// CONFIG GET values where Redis 4.0 and 7.0 agree, and the shape of the fatal
// report for bad lines (7.0 adds "(Redis 7.0.15)" to the title; the rest must
// match). Also runs the built cairn-server binary on bad and good command lines.
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import RESP
import Engine
import CairnTestSupport
@testable import Server

/// Connects to `port`, retrying for up to 5 seconds while the server starts.
func connectWhenReady(_ port: Int) throws -> SocketClient {
    for _ in 0..<500 {
        if let c = try? SocketClient(port: port) { return c }
        usleep(10_000)
    }
    return try SocketClient(port: port)
}

final class ConfigInteropTests: XCTestCase {
    func testConfigGetAgreesWithRedis70WhereRedis40Does() throws {
        let dir = TempDir()
        defer { dir.remove() }
        guard let redis = RedisServer(directory: dir.path) else {
            return XCTFail("redis-server (Debian's 7.0) is a test peer and must be installed")
        }
        defer { redis.stop() }
        let flags = redis.arguments
        let client = try connectWhenReady(redis.port)
        let h = Harness(config: try ConfigLoader.load(arguments: flags))
        let names = ["save", "bind", "port", "dir", "client-output-buffer-limit", "proto-max-bulk-len",
                     "client-query-buffer-limit", "hz", "tcp-keepalive", "tcp-backlog", "timeout", "databases",
                     "maxclients", "maxmemory", "maxmemory-policy", "maxmemory-samples", "lfu-log-factor",
                     "lfu-decay-time", "slowlog-log-slower-than", "slowlog-max-len", "hash-max-ziplist-entries",
                     "hash-max-ziplist-value", "zset-max-ziplist-entries", "zset-max-ziplist-value",
                     "set-max-intset-entries", "list-max-ziplist-size", "list-compress-depth", "hll-sparse-max-bytes",
                     "unixsocketperm", "notify-keyspace-events", "appendonly", "appendfsync", "appendfilename",
                     "dbfilename", "requirepass", "masterauth", "slaveof", "protected-mode", "loglevel", "logfile",
                     "lua-time-limit", "repl-backlog-size", "repl-backlog-ttl", "repl-timeout", "slave-priority",
                     "min-slaves-max-lag", "latency-monitor-threshold", "cluster-node-timeout", "daemonize",
                     "supervised", "syslog-facility", "activerehashing", "rdbcompression", "rdbchecksum"]
        for name in names {
            let theirs = try client.command("CONFIG", "GET", name)
            let ours = h.run("CONFIG", "GET", name)
            XCTAssertEqual(ours, theirs, name)
        }
        // Both refuse the same bad values at run time (7.0's wording differs; both are errors).
        for (name, value) in [("timeout", "abc"), ("maxclients", "0"), ("loglevel", "loud"), ("hz", "-1")] {
            guard case .error = try client.command("CONFIG", "SET", name, value) else { return XCTFail(name) }
            guard case .error = h.run("CONFIG", "SET", name, value) else { return XCTFail(name) }
        }
    }

    func testFatalReportHasRedisShape() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let files: [(String, [String])] = [
            ("# comment\nport 7777\nfoo bar\n", []),
            ("port 7777\n\"unbalanced\n", []),
            ("port 7777\n", ["--port", "7778", "--protected-mode", "maybe"]),
            ("", ["--loglevel", "verbose", "--no-such-directive", "1", "2"]),
        ]
        for (i, (text, flags)) in files.enumerated() {
            let file = dir.write("bad\(i).conf", text)
            guard let redis = ChildProcess("redis-server", [file] + flags, stderrPath: dir.path + "/err\(i)") else {
                return XCTFail("redis-server must be installed")
            }
            XCTAssertEqual(redis.exitStatus(), 1)
            let theirs = redis.stderrText.replacing(#/ \(Redis [0-9.]+\)/#, with: "")
            XCTAssertThrowsError(try ConfigLoader.load(arguments: [file] + flags)) { error in
                XCTAssertEqual((error as? ConfigError).map { $0.report + "\n" }, theirs, text)
            }
        }
    }

    func testTheBinaryExitsOnBadConfigAndServesAGoodOne() throws {
        let binary = (CommandLine.arguments[0].split(separator: "/", omittingEmptySubsequences: false)
            .prefix { !$0.hasSuffix(".xctest") }.joined(separator: "/")) + "/cairn-server"
        guard access(binary, X_OK) == 0 else { return XCTFail("cairn-server not built next to the tests: \(binary)") }
        let dir = TempDir()
        defer { dir.remove() }
        let bad = ChildProcess(binary, ["--port", "0", "--cluster-enabled", "yes"], stderrPath: dir.path + "/bad.err")
        XCTAssertEqual(bad?.exitStatus(), 1)
        XCTAssertEqual(bad?.stderrText, """

            *** FATAL CONFIG FILE ERROR ***
            Reading the configuration file, at line 3
            >>> 'cluster-enabled "yes"'
            'cluster-enabled yes' is not supported yet: cluster mode is not built in this version of Cairn

            """)
        let port = freePort()
        let conf = dir.write("good.conf", "port \(port)\nbind 127.0.0.1\npidfile cairn.pid\ndir \(dir.path)\n")
        guard let good = ChildProcess(binary, [conf, "--timeout", "7"], stderrPath: dir.path + "/good.err") else {
            return XCTFail("cannot start cairn-server")
        }
        defer { good.stop() }
        let client = try connectWhenReady(port)
        XCTAssertEqual(try client.command("CONFIG", "GET", "timeout"), .strs(["timeout", "7"]))
        XCTAssertEqual(try client.command("CONFIG", "GET", "dir"), .strs(["dir", dir.path]))
        XCTAssertEqual(dir.read("cairn.pid"), "\(good.pid)\n")
        XCTAssertEqual(try client.command("CONFIG", "SET", "timeout", "8"), .ok)
        XCTAssertEqual(try client.command("CONFIG", "REWRITE"), .ok)
        XCTAssertTrue(dir.read("good.conf").contains("timeout 8\n"))
        good.stop()
        XCTAssertEqual(access(dir.path + "/cairn.pid", F_OK), -1, "the pid file is removed at exit")
    }
}
