// ConfigFileTests: redis.conf parsing, includes, command-line flags, and the
// fatal report every bad line produces.
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import Engine
import CairnTestSupport
@testable import Server

func parse(_ text: String, directory: String = "/tmp") throws -> ServerConfig {
    var parser = ConfigFileParser(directory: directory)
    try parser.load(Bytes(text))
    return parser.config
}

/// The problem a one-line file reports, with its line number.
func problem(_ text: String, directory: String = "/tmp") -> ConfigError? {
    do {
        _ = try parse(text, directory: directory)
        return nil
    } catch {
        return error as? ConfigError
    }
}

final class ConfigFileTests: XCTestCase {
    func testQuotesCommentsCaseAndLaterLinesWin() throws {
        let c = try parse("""
            # a comment
              # an indented comment

            PORT 7000
            bind 127.0.0.1 ::1
            requirepass "a b\\x41\\"c"
            LogLevel WARNING
            port 7001\r
            hash-max-ziplist-entries 1k
            proto-max-bulk-len 1kb
            client-output-buffer-limit replica 1gb 2mb 10
            hz 1000
            unixsocketperm 700
            replica-read-only no
            maxmemory-policy ALLKEYS-LFU
            """)
        XCTAssertEqual(c.port, 7001)
        XCTAssertEqual(c.bind, ["127.0.0.1", "::1"])
        XCTAssertEqual(c.requirepass, "a bA\"c")
        XCTAssertEqual(c.loglevel, .warning)
        XCTAssertEqual(c.hashMaxZiplistEntries, 1000)
        XCTAssertEqual(c.protoMaxBulkLen, 1024)
        XCTAssertEqual(c.clientOutputBufferLimits[.slave], OutputBufferLimit(hardBytes: 1 << 30, softBytes: 2 << 20, softSeconds: 10))
        XCTAssertEqual(c.hz, 500, "hz is clamped to 1...500 as Redis does")
        XCTAssertEqual(try parse("hz 0").hz, 1)
        XCTAssertEqual(c.unixsocketperm, 0o700)
        XCTAssertFalse(c.replicaReadOnly)
        XCTAssertEqual(c.maxmemoryPolicy, .allkeysLFU)
        XCTAssertEqual(c.accessPolicy, .lfu(logFactor: 10, decayMinutes: 1))
    }

    func testMemoryUnits() throws {
        let cases: [(String, Int)] = [("1", 1), ("1b", 1), ("1k", 1000), ("1kb", 1024), ("2m", 2_000_000),
                                      ("2mb", 2 << 20), ("3g", 3_000_000_000), ("3GB", 3 << 30), ("-5", -5)]
        for (text, value) in cases { XCTAssertEqual(try ConfigValue.memory(Bytes(text)), value, text) }
        for bad in ["", "k", "1x", "1 kb", "1.5mb", "99999999999999999999gb"] {
            XCTAssertThrowsError(try ConfigValue.memory(Bytes(bad)), bad)
        }
        XCTAssertEqual(ConfigValue.formatMemory(3 << 30), "3gb")
        XCTAssertEqual(ConfigValue.formatMemory(64 << 20), "64mb")
        XCTAssertEqual(ConfigValue.formatMemory(16 << 10), "16kb")
        XCTAssertEqual(ConfigValue.formatMemory(1000), "1000")
        XCTAssertEqual(ConfigValue.formatMemory(0), "0")
    }

    func testIncludeIsNestedRelativeToTheCurrentDirectoryAndInPlace() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.conf", "port 7003\ntimeout 30\n")
        dir.write("b.conf", "include c.conf\nport 7002\n")
        dir.write("main.conf", "port 7000\ninclude b.conf\ntcp-keepalive 60\n")
        var c = try ConfigLoader.load(configFile: "main.conf", options: "", directory: dir.path)
        XCTAssertEqual(c.port, 7002, "b.conf's own line comes after its include of c.conf")
        XCTAssertEqual(c.timeout, 30)
        XCTAssertEqual(c.tcpKeepalive, 60)
        XCTAssertEqual(c.configFile, dir.path + "/main.conf")
        XCTAssertEqual(c.dir, dir.path)
        // After `dir`, a relative include is looked up in the new directory, as after Redis's chdir.
        c = try parse("dir \(dir.path)\ninclude c.conf\n", directory: "/")
        XCTAssertEqual(c.port, 7003)
        XCTAssertEqual(c.dir, dir.path)
    }

    func testIncludeErrorsNameTheIncludedFilesLine() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("inner.conf", "\n\nbind 1.2.3.4\nhz abc\n")
        dir.write("self.conf", "include self.conf\n")
        let e = problem("port 7000\ninclude inner.conf\n", directory: dir.path)
        XCTAssertEqual(e?.line, 4)
        XCTAssertEqual(e?.report, "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line 4\n>>> 'hz abc'\nargument couldn't be parsed into an integer")
        XCTAssertEqual(problem("include missing.conf", directory: dir.path)?.report,
                       "Fatal error, can't open config file 'missing.conf': No such file or directory")
        XCTAssertEqual(problem("include self.conf", directory: dir.path)?.reason,
                       "Too many nested include directives (does a file include itself?)")
    }

    func testCommandLineIsReadAsRedisServerReadsIt() throws {
        guard case .run(let file, let options) = ConfigLoader.request(
            ["my.conf", "--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1", "--check-rdb", "--loglevel", "verbose"])
        else { return XCTFail("expected a run request") }
        XCTAssertEqual(file, "my.conf")
        XCTAssertEqual(options, "port \"7000\" \nsave \"\" \nbind \"127.0.0.1\" \"::1\" \nloglevel \"verbose\" ")
        guard case .run(nil, "port \"1\" ") = ConfigLoader.request(["--port", "1"]) else { return XCTFail() }
        guard case .run(nil, "") = ConfigLoader.request([]) else { return XCTFail() }
        guard case .version = ConfigLoader.request(["-v"]), case .version = ConfigLoader.request(["--version"]),
              case .help = ConfigLoader.request(["-h"]), case .help = ConfigLoader.request(["--help"]) else {
            return XCTFail("-v/--version and -h/--help")
        }
        // Only as the first argument, as redis-server: elsewhere they are directives.
        XCTAssertThrowsError(try ConfigLoader.load(arguments: ["--port", "7000", "--version"]))
        XCTAssertEqual(Launch.run(arguments: ["--version"]), 0)
        XCTAssertEqual(Launch.run(arguments: ["--help"]), 0)
        XCTAssertEqual(Launch.run(arguments: ["--port", "99999"]), 1)

        let c = try ConfigLoader.load(arguments: ["--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1",
                                                  "--requirepass", "with space\"quote"])
        XCTAssertEqual(c.port, 7000)
        XCTAssertEqual(c.savePoints, [])
        XCTAssertEqual(c.bind, ["127.0.0.1", "::1"])
        XCTAssertEqual(c.requirepass, "with space\"quote")
        XCTAssertEqual(c.configFile, "")
    }

    func testFlagsOverrideTheFileAndErrorsCountLinesAfterIt() throws {
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("a.conf", "port 7000\ntimeout 5\n")
        let c = try ConfigLoader.load(configFile: "a.conf", options: "port \"7001\" ", directory: dir.path)
        XCTAssertEqual(c.port, 7001)
        XCTAssertEqual(c.timeout, 5)
        // file lines 1-2, the joining newline makes line 3 empty, flags start at line 4.
        XCTAssertThrowsError(try ConfigLoader.load(configFile: "a.conf", options: "port \"1\" \nhz \"x\" ",
                                                   directory: dir.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.line, 5)
            XCTAssertEqual((error as? ConfigError)?.report.contains(">>> 'hz \"x\"'"), true)
        }
        XCTAssertThrowsError(try ConfigLoader.load(configFile: "nope.conf", options: "", directory: dir.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.report,
                           "Fatal error, can't open config file 'nope.conf': No such file or directory")
        }
    }

    func testEveryBadLineIsReportedWithItsLineAndReason() {
        let cases: [(String, String)] = [
            ("foo bar", "Bad directive or wrong number of arguments"),
            ("port", "Bad directive or wrong number of arguments"),
            ("port 1 2", "Bad directive or wrong number of arguments"),
            ("watchdog-period 1", "Bad directive or wrong number of arguments"),
            ("\"unbalanced", "Unbalanced quotes in configuration line"),
            ("port 70000", "Invalid port"),
            ("port abc", "argument couldn't be parsed into an integer"),
            ("protected-mode maybe", "argument must be 'yes' or 'no'"),
            ("timeout -1", "Invalid timeout value"),
            ("tcp-keepalive -1", "Invalid tcp-keepalive value"),
            ("tcp-backlog -1", "Invalid backlog value"),
            ("databases 0", "Invalid number of databases"),
            ("maxclients 0", "Invalid max clients limit"),
            ("loglevel loud", "Invalid log level. Must be one of debug, verbose, notice, warning"),
            ("maxmemory-policy lots", "Invalid maxmemory policy"),
            ("maxmemory-samples 0", "maxmemory-samples must be 1 or greater"),
            ("lfu-log-factor -1", "lfu-log-factor must be 0 or greater"),
            ("unixsocketperm 999", "Invalid socket file permissions"),
            ("client-output-buffer-limit master 0 0 0",
             "Unrecognized client limit class: the user specified an invalid one, or 'master' which has no buffer limits."),
            ("client-output-buffer-limit normal 0 0 -1", "Negative number of seconds in soft limit is invalid"),
            ("client-output-buffer-limit normal 1zb 0 0", "argument must be a memory value"),
            ("dir /nonexistent-cairn-dir", "Can't chdir to '/nonexistent-cairn-dir': No such file or directory"),
            ("dir /etc/hostname", "Can't chdir to '/etc/hostname': Not a directory"),
            ("logfile /nonexistent-cairn-dir/x.log", "Can't open the log file: No such file or directory"),
            ("save 0 1", "Invalid save parameters"),
            ("save 900", "Bad directive or wrong number of arguments"),
            ("appendfsync sometimes", "argument must be 'no', 'always' or 'everysec'"),
            ("dbfilename a/dump.rdb", "dbfilename can't be a path, just a filename"),
            ("notify-keyspace-events Q", "Invalid event class character. Use 'g$lshzxeA'."),
            ("supervised maybe", "Invalid option for 'supervised'. Allowed values: 'upstart', 'systemd', 'auto', or 'no'"),
            ("syslog-facility kern", "Invalid log facility. Must be one of USER or between LOCAL0-LOCAL7"),
            ("active-defrag-cycle-min 100", "active-defrag-cycle-min must be between 1 and 99"),
            ("repl-backlog-size 0", "repl-backlog-size must be 1 or greater."),
            ("slaveof localhost port", "Invalid port"),
            ("bind " + Array(repeating: "127.0.0.1", count: 17).joined(separator: " "), "Too many bind addresses specified"),
            ("requirepass " + String(repeating: "x", count: 513), "Password is longer than CONFIG_AUTHPASS_MAX_LEN"),
        ]
        for (line, reason) in cases {
            let e = problem("port 7000\n# comment\n\(line)\ntimeout 1\n")
            XCTAssertEqual(e?.line, 3, line)
            XCTAssertEqual(e?.reason, reason, line)
            XCTAssertEqual(e?.report, "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line 3\n>>> '\(line)'\n\(reason)", line)
        }
    }

    func testRenameCommandRenamesOrDisablesAndReportsRedisErrors() throws {
        let c = try parse("rename-command FLUSHALL \"\"\nrename-command set MySet\nrename-command myset put")
        XCTAssertEqual(c.commandRenames, [CommandRename(from: "FLUSHALL", to: ""), CommandRename(from: "set", to: "MySet"),
                                          CommandRename(from: "myset", to: "put")])
        let table = CommandTable.standard(renaming: c.commandRenames)
        XCTAssertNil(table.lookup(Bytes("flushall")))
        XCTAssertNil(table.lookup(Bytes("SET")))
        XCTAssertEqual(table.lookup(Bytes("PUT"))?.name, "set", "the command keeps its own name (COMMAND, commandstats)")
        XCTAssertEqual(table.all.count, CommandTable.standard.all.count - 1)
        XCTAssertEqual(problem("rename-command nosuch x")?.reason, "No such command in rename-command")
        XCTAssertEqual(problem("rename-command flushall \"\"\nrename-command flushall x")?.reason,
                       "No such command in rename-command")
        XCTAssertEqual(problem("rename-command get SET")?.reason, "Target command name already exists")
        XCTAssertEqual(problem("rename-command get")?.reason, "Bad directive or wrong number of arguments")
    }

    func testFeatureSwitchesOfUnbuiltFeaturesAreRefusedAndOffValuesAccepted() throws {
        let refused: [(String, String)] = [
            ("cluster-enabled yes", "'cluster-enabled yes' is not supported yet: cluster mode is not built in this version of Cairn"),
        ]
        for (line, reason) in refused {
            XCTAssertEqual(problem(line)?.reason, reason, line)
        }
        // Modules are built: loadmodule lines are kept, in order, for the start-up to load.
        XCTAssertEqual(try parse("loadmodule /tmp/m.so a\nloadmodule /tmp/n.so").loadModules,
                       [[Bytes("/tmp/m.so"), Bytes("a")], [Bytes("/tmp/n.so")]])
        // Active defrag is built: yes is taken.
        XCTAssertTrue(try parse("activedefrag yes").activeDefrag)
        // The latency monitor is built: any non-negative threshold is taken.
        XCTAssertEqual(try parse("latency-monitor-threshold 100").latencyMonitorThreshold, 100)
        XCTAssertEqual(problem("latency-monitor-threshold -1")?.reason, "The latency threshold can't be negative")
        // Memory limits are built: maxmemory takes memory units.
        XCTAssertEqual(try parse("maxmemory 1mb").maxmemory, 1 << 20)
        // Replication is built: the directive (either spelling) names the master.
        XCTAssertEqual(try parse("slaveof 127.0.0.1 6379").replicaOf?.port, 6379)
        XCTAssertEqual(try parse("replicaof 10.0.0.1 6380").replicaOf?.host, "10.0.0.1")
        XCTAssertEqual(problem("slaveof 127.0.0.1 70000")?.reason, "Invalid port")
        // Keyspace notifications are built: the letters are accepted and kept in canonical order.
        XCTAssertEqual(try parse("notify-keyspace-events KEA").notifyKeyspaceEvents, "AKE")
        XCTAssertEqual(problem("notify-keyspace-events Kq")?.reason, "Invalid event class character. Use 'g$lshzxeA'.")
        let c = try parse("""
            appendonly no
            save ""
            maxmemory 0
            activedefrag no
            cluster-enabled no
            notify-keyspace-events ""
            daemonize no
            min-slaves-to-write 0
            latency-monitor-threshold 0
            rdbcompression no
            hash-max-ziplist-entries 128
            repl-backlog-size 10mb
            masterauth secret
            cluster-node-timeout 5000
            lazyfree-lazy-eviction yes
            """)
        XCTAssertEqual(c.savePoints, [])
        XCTAssertFalse(c.rdbCompression)
        XCTAssertEqual(c.hashMaxZiplistEntries, 128)
        XCTAssertEqual(c.replBacklogSize, 10 << 20)
        XCTAssertEqual(c.masterauth, "secret")
        XCTAssertEqual(c.clusterNodeTimeout, 5000)
        XCTAssertTrue(c.lazyfreeLazyEviction)
        XCTAssertEqual(ServerConfig().savePoints, [SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100),
                                                   SavePoint(seconds: 60, changes: 10000)], "Redis's default save points")
    }

    func testEveryRedis40DirectiveIsKnown() throws {
        let names = """
            include bind protected-mode port tcp-backlog unixsocket unixsocketperm timeout tcp-keepalive daemonize
            supervised pidfile loglevel logfile syslog-enabled syslog-ident syslog-facility databases always-show-logo
            save stop-writes-on-bgsave-error rdbcompression rdbchecksum dbfilename dir slaveof masterauth
            slave-serve-stale-data slave-read-only repl-diskless-sync repl-diskless-sync-delay repl-ping-slave-period
            repl-timeout repl-disable-tcp-nodelay repl-backlog-size repl-backlog-ttl slave-priority min-slaves-to-write
            min-slaves-max-lag slave-announce-ip slave-announce-port requirepass rename-command maxclients maxmemory
            maxmemory-policy maxmemory-samples lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del
            slave-lazy-flush appendonly appendfilename appendfsync no-appendfsync-on-rewrite auto-aof-rewrite-percentage
            auto-aof-rewrite-min-size aof-load-truncated aof-use-rdb-preamble lua-time-limit cluster-enabled
            cluster-config-file cluster-node-timeout cluster-slave-validity-factor cluster-migration-barrier
            cluster-require-full-coverage cluster-slave-no-failover cluster-announce-ip cluster-announce-port
            cluster-announce-bus-port slowlog-log-slower-than slowlog-max-len latency-monitor-threshold
            notify-keyspace-events hash-max-ziplist-entries hash-max-ziplist-value list-max-ziplist-size
            list-compress-depth set-max-intset-entries zset-max-ziplist-entries zset-max-ziplist-value
            hll-sparse-max-bytes activerehashing client-output-buffer-limit client-query-buffer-limit
            proto-max-bulk-len hz aof-rewrite-incremental-fsync lfu-log-factor lfu-decay-time activedefrag
            active-defrag-ignore-bytes active-defrag-threshold-lower active-defrag-threshold-upper
            active-defrag-cycle-min active-defrag-cycle-max loadmodule
            replicaof replica-serve-stale-data replica-read-only repl-ping-replica-period replica-priority
            min-replicas-to-write min-replicas-max-lag replica-announce-ip replica-announce-port replica-lazy-flush
            """.split(whereSeparator: { $0 == " " || $0 == "\n" })
        XCTAssertEqual(names.count, 107)
        for name in names {
            XCTAssertNotNil(ConfigTable.lookup(String(name)), String(name))
            XCTAssertNotNil(ConfigTable.lookup(name.uppercased()), String(name))
        }
        // Redis 4.0's redis.conf, its active lines with Cairn's save default: loads as is.
        let c = try parse(redis40DefaultLines)
        XCTAssertEqual(c.bind, ["127.0.0.1"])
        XCTAssertEqual(c.pidfile, "/var/run/redis_6379.pid")
        XCTAssertEqual(c.clientOutputBufferLimits, ServerConfig.defaultOutputBufferLimits)
    }
}

/// The uncommented lines of Redis 4.0's shipped redis.conf (save points replaced by `save ""`).
let redis40DefaultLines = """
    bind 127.0.0.1
    protected-mode yes
    port 6379
    tcp-backlog 511
    timeout 0
    tcp-keepalive 300
    daemonize no
    supervised no
    pidfile /var/run/redis_6379.pid
    loglevel notice
    logfile ""
    databases 16
    always-show-logo yes
    save ""
    stop-writes-on-bgsave-error yes
    rdbcompression yes
    rdbchecksum yes
    dbfilename dump.rdb
    dir ./
    slave-serve-stale-data yes
    slave-read-only yes
    repl-diskless-sync no
    repl-diskless-sync-delay 5
    repl-disable-tcp-nodelay no
    slave-priority 100
    lazyfree-lazy-eviction no
    lazyfree-lazy-expire no
    lazyfree-lazy-server-del no
    slave-lazy-flush no
    appendonly no
    appendfilename "appendonly.aof"
    appendfsync everysec
    no-appendfsync-on-rewrite no
    auto-aof-rewrite-percentage 100
    auto-aof-rewrite-min-size 64mb
    aof-load-truncated yes
    aof-use-rdb-preamble no
    lua-time-limit 5000
    slowlog-log-slower-than 10000
    slowlog-max-len 128
    latency-monitor-threshold 0
    notify-keyspace-events ""
    hash-max-ziplist-entries 512
    hash-max-ziplist-value 64
    list-max-ziplist-size -2
    list-compress-depth 0
    set-max-intset-entries 512
    zset-max-ziplist-entries 128
    zset-max-ziplist-value 64
    hll-sparse-max-bytes 3000
    activerehashing yes
    client-output-buffer-limit normal 0 0 0
    client-output-buffer-limit slave 256mb 64mb 60
    client-output-buffer-limit pubsub 32mb 8mb 60
    hz 10
    aof-rewrite-incremental-fsync yes

    """
