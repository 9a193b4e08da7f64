// ConfigCommandTests: CONFIG GET / SET / RESETSTAT and their effects on a running server.
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import RESP
import Engine
import CairnTestSupport
@testable import Server

extension Harness {
    /// CONFIG GET as a name -> value dictionary.
    func configGet(_ pattern: String) -> [String: String] {
        guard case .array(let items) = run("CONFIG", "GET", pattern) else { return [:] }
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            if case .bulk(let k) = items[i], case .bulk(let v) = items[i + 1] { out[k.text] = v.text }
            i += 2
        }
        return out
    }
}

final class ConfigCommandTests: XCTestCase {
    func testGetFormatsAsRedis() {
        var config = ServerConfig()
        config.bind = ["127.0.0.1", "::1"]
        let h = Harness(config: config)
        XCTAssertEqual(h.run("CONFIG", "GET", "save"), .strs(["save", "3600 1 300 100 60 10000"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "bind"), .strs(["bind", "127.0.0.1 ::1"]))
        XCTAssertEqual(h.run("config", "get", "client-output-buffer-limit"),
                       .strs(["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "PORT"), .strs(["port", "6379"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "nothing-like-this"), .array([]))
        XCTAssertEqual(h.configGet("*max-*-entries"),
                       ["hash-max-ziplist-entries": "512", "zset-max-ziplist-entries": "128", "set-max-intset-entries": "512"])
        XCTAssertEqual(h.configGet("requirepass"), ["requirepass": ""])
        XCTAssertEqual(h.configGet("proto-max-bulk-len"), ["proto-max-bulk-len": "536870912"])
        XCTAssertEqual(h.configGet("dir"), ["dir": h.directory])
        XCTAssertEqual(h.configGet("unixsocketperm"), ["unixsocketperm": "0"])
        // An alias shows under its own name only when the pattern names it.
        XCTAssertEqual(h.configGet("replica-read-only"), ["replica-read-only": "yes"])
        XCTAssertEqual(h.configGet("*read-only"), ["slave-read-only": "yes"])
        let all = h.configGet("*")
        XCTAssertNil(all["include"])
        XCTAssertNil(all["rename-command"])
        XCTAssertNil(all["replica-read-only"])
        XCTAssertEqual(all["watchdog-period"], "0")
        XCTAssertEqual(all.count, ConfigTable.directives.filter { $0.get != nil }.count)
    }

    func testErrorsAsRedis40() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "no-such-thing", "1"), .error("ERR Unsupported CONFIG parameter: no-such-thing"))
        XCTAssertEqual(h.run("CONFIG", "SET", "port", "1"), .error("ERR Unsupported CONFIG parameter: port"))
        XCTAssertEqual(h.run("CONFIG", "SET", "include", "x"), .error("ERR Unsupported CONFIG parameter: include"))
        XCTAssertEqual(h.run("CONFIG", "SET", "timeout", "abc"), .error("ERR Invalid argument 'abc' for CONFIG SET 'timeout'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxclients", "0"), .error("ERR Invalid argument '0' for CONFIG SET 'maxclients'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "loglevel", "loud"), .error("ERR Invalid argument 'loud' for CONFIG SET 'loglevel'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "slowlog-log-slower-than", "-1"),
                       .error("ERR Invalid argument '-1' for CONFIG SET 'slowlog-log-slower-than'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0"),
                       .error("ERR Invalid argument 'normal 0 0' for CONFIG SET 'client-output-buffer-limit'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "dbfilename", "a/b.rdb"), .error("ERR dbfilename can't be a path, just a filename"))
        XCTAssertEqual(h.run("CONFIG", "SET", "dir", "/nonexistent-cairn"), .error("ERR Changing directory: No such file or directory"))
        XCTAssertEqual(h.run("CONFIG", "SET", "save", "900 1 300"), .error("ERR Invalid argument '900 1 300' for CONFIG SET 'save'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "-1"), .error("ERR Invalid argument '-1' for CONFIG SET 'maxmemory'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "min-replicas-to-write", "2"), .ok)
        XCTAssertEqual(h.run("SET", "k", "v"), .error("NOREPLICAS Not enough good slaves to write."))
        XCTAssertEqual(h.run("GET", "k"), .null, "reads are served")
        XCTAssertEqual(h.run("CONFIG", "SET", "min-replicas-to-write", "0"), .ok)
        // Redis raises a period under two cron intervals (hz 10: 200 ms) and reports the raised one.
        XCTAssertEqual(h.run("CONFIG", "SET", "watchdog-period", "100"), .ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "watchdog-period"), .strs(["watchdog-period", "200"]))
        XCTAssertNotNil(h.server.watchdog)
        XCTAssertEqual(h.run("CONFIG", "SET", "watchdog-period", "0"), .ok)
        XCTAssertNil(h.server.watchdog)
        XCTAssertEqual(h.run("CONFIG"), .error("ERR wrong number of arguments for 'config' command"))
        XCTAssertEqual(h.run("CONFIG", "get"), .error("ERR Wrong number of arguments for CONFIG get"))
        XCTAssertEqual(h.run("CONFIG", "SET", "a"), .error("ERR Wrong number of arguments for CONFIG SET"))
        XCTAssertEqual(h.run("CONFIG", "RESETSTAT", "x"), .error("ERR Wrong number of arguments for CONFIG RESETSTAT"))
        XCTAssertEqual(h.run("CONFIG", "FOO"), .error("ERR CONFIG subcommand must be one of GET, SET, RESETSTAT, REWRITE"))
        XCTAssertEqual(h.run("CONFIG", "REWRITE"), .error("ERR The server is running without a config file"))
        // A refused value leaves the configuration as it was.
        XCTAssertEqual(h.server.config.timeout, 0)
        XCTAssertEqual(h.configGet("save"), ["save": "3600 1 300 100 60 10000"])
        XCTAssertEqual(h.run("CONFIG", "SET", "save", "900 1 300 10"), .ok)
        XCTAssertEqual(h.configGet("save"), ["save": "900 1 300 10"])
    }

    func testSetOffValuesAndTunablesAreStored() {
        let h = Harness()
        for (name, value, shown) in [("save", "", ""), ("appendonly", "no", "no"), ("maxmemory", "0", "0"),
                                     ("activedefrag", "no", "no"), ("notify-keyspace-events", "", ""),
                                     ("hash-max-ziplist-entries", "100", "100"), ("repl-backlog-size", "2mb", "2097152"),
                                     ("appendfsync", "ALWAYS", "always"), ("replica-priority", "7", "7"),
                                     ("cluster-announce-ip", "10.0.0.1", "10.0.0.1"), ("masterauth", "pw", "pw"),
                                     ("hz", "0", "1"), ("hz", "1000", "500"), ("timeout", "30", "30"),
                                     ("protected-mode", "NO", "no"), ("tcp-keepalive", "60", "60"),
                                     ("proto-max-bulk-len", "1mb", "1048576"), ("client-query-buffer-limit", "2gb", "2147483648"),
                                     ("maxmemory-samples", "10", "10"), ("slowlog-log-slower-than", "0", "0")] {
            XCTAssertEqual(h.run("CONFIG", "SET", name, value), .ok, name)
            XCTAssertEqual(h.configGet(name), [name: shown], name)
        }
        XCTAssertEqual(h.server.config.replicaPriority, 7)
        XCTAssertEqual(h.server.config.protoMaxBulkLen, 1 << 20)
        XCTAssertEqual(h.run("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 512kb 10 replica 1gb 0 0"), .ok)
        XCTAssertEqual(h.server.config.clientOutputBufferLimits[.normal], OutputBufferLimit(hardBytes: 1 << 20, softBytes: 512 << 10, softSeconds: 10))
        XCTAssertEqual(h.server.config.clientOutputBufferLimits[.slave], OutputBufferLimit(hardBytes: 1 << 30, softBytes: 0, softSeconds: 0))
        XCTAssertEqual(h.server.config.clientOutputBufferLimits[.pubsub], ServerConfig.defaultOutputBufferLimits[.pubsub])
    }

    func testSetEffectsOnTheRunningServer() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "loglevel", "debug"), .ok)
        XCTAssertEqual(h.server.log.level, .debug)
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), .ok)
        XCTAssertEqual(h.server.keyspace.accessPolicy, .lfu(logFactor: 10, decayMinutes: 1))
        XCTAssertEqual(h.run("CONFIG", "SET", "lfu-log-factor", "3"), .ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "lfu-decay-time", "7"), .ok)
        XCTAssertEqual(h.server.keyspace.accessPolicy, .lfu(logFactor: 3, decayMinutes: 7))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", "volatile-lru"), .ok)
        XCTAssertEqual(h.server.keyspace.accessPolicy, .lru)

        XCTAssertEqual(h.run("CONFIG", "SET", "slowlog-log-slower-than", "0"), .ok)
        for _ in 0..<5 { h.run("PING") }
        XCTAssertGreaterThanOrEqual(h.server.slowlog.entries.count, 5)
        XCTAssertEqual(h.run("CONFIG", "SET", "slowlog-max-len", "2"), .ok)
        XCTAssertEqual(h.server.slowlog.entries.count, 2)

        // A password where there was none: every connected client must authenticate.
        let other = h.newClient()
        XCTAssertEqual(h.run("CONFIG", "SET", "requirepass", "s3cret"), .ok)
        XCTAssertEqual(h.run("PING"), .error("NOAUTH Authentication required."))
        XCTAssertEqual(h.run("PING", as: other), .error("NOAUTH Authentication required."))
        XCTAssertEqual(h.run("AUTH", "s3cret"), .ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "requirepass", "changed"), .ok)
        XCTAssertEqual(h.run("PING"), .simple("PONG"), "an authenticated client stays so, as in Redis")
        XCTAssertEqual(h.run("CONFIG", "SET", "requirepass", ""), .ok)
        XCTAssertNil(h.server.config.requirepass)
        XCTAssertEqual(h.run("AUTH", "x"), .error("ERR Client sent AUTH, but no password is set"))

        XCTAssertEqual(h.run("CONFIG", "SET", "maxclients", "1"), .ok)
        XCTAssertEqual(h.server.connect(address: "127.0.0.1:3", localAddress: "", isLocal: true).refusal,
                       "ERR max number of clients reached")
    }

    func testSetDirChangesTheWorkingDirectory() {
        let h = Harness()
        let before = ConfigValue.currentDirectory()
        defer { chdir(before) }
        let dir = TempDir()
        defer { dir.remove() }
        XCTAssertEqual(h.run("CONFIG", "SET", "dir", dir.path), .ok)
        XCTAssertEqual(ConfigValue.currentDirectory(), dir.path)
        XCTAssertEqual(h.configGet("dir"), ["dir": dir.path])
    }

    func testResetStat() {
        let h = Harness()
        _ = h.server.keyspace.set(0, Bytes("k"), .string(StringValue(encoding: Bytes("v"))))
        h.run("PING")
        _ = h.server.keyspace.lookupRead(0, Bytes("k"))
        _ = h.server.keyspace.lookupRead(0, Bytes("missing"))
        XCTAssertGreaterThan(h.server.stats.commandsProcessed, 0)
        XCTAssertEqual(h.server.keyspace.stats.keyspaceHits, 1)
        XCTAssertEqual(h.server.keyspace.stats.keyspaceMisses, 1)
        XCTAssertEqual(h.run("CONFIG", "RESETSTAT"), .ok)
        XCTAssertEqual(h.server.keyspace.stats.keyspaceHits, 0)
        XCTAssertEqual(h.server.keyspace.stats.keyspaceMisses, 0)
        XCTAssertEqual(h.server.commandStats.map { $0.name }, ["config"], "only CONFIG RESETSTAT itself counted since")
        XCTAssertEqual(h.server.stats.commandsProcessed, 1)
        XCTAssertEqual(h.server.keyspace.totalKeys, 1, "data is untouched")
    }
}
