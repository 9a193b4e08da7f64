// DirectivesReplication: replication and cluster directives.
//
// `slaveof`/`replicaof` starts the server as a replica (the SLAVEOF command
// changes it at run time); `cluster-enabled yes` until
// cluster mode does; the rest are tunables, stored and shown. Redis 5 renamed
// slave-* to replica-*; both spellings are read (the 4.0 name is the one
// CONFIG GET lists).
import Engine

let replicationDirectives: [ConfigDirective] = [
    ConfigDirective(
        "slaveof", aliases: ["replicaof"], status: .built, arguments: 2...2, settable: false,
        apply: { config, args, _ in
            guard let port = args[1].parseInt64(), (0...65535).contains(port) else { throw ConfigProblem("Invalid port") }
            config.replicaOf = (args[0].text, Int(port))
        },
        get: { c in c.replicaOf.map { "\($0.host) \($0.port)" } ?? "" },
        rewrite: { c in c.replicaOf.map { [("\($0.host) \($0.port)", true)] } ?? [] }),
    .optionalString("masterauth", \.masterauth, status: .built, settable: true),
    .bool("slave-serve-stale-data", \.replicaServeStaleData, aliases: ["replica-serve-stale-data"],
          status: .built, settable: true),
    .bool("slave-read-only", \.replicaReadOnly, aliases: ["replica-read-only"], status: .built, settable: true),
    .bool("repl-diskless-sync", \.replDisklessSync, status: .built, settable: true),
    .int("repl-diskless-sync-delay", \.replDisklessSyncDelay, status: .built, settable: true, range: 0...Int.max,
         problem: "repl-diskless-sync-delay can't be negative"),
    .int("repl-ping-slave-period", \.replPingReplicaPeriod, aliases: ["repl-ping-replica-period"],
         status: .built, settable: true, range: 1...Int.max, problem: "repl-ping-slave-period must be 1 or greater"),
    .int("repl-timeout", \.replTimeout, status: .built, settable: true, range: 1...Int.max,
         problem: "repl-timeout must be 1 or greater"),
    .bool("repl-disable-tcp-nodelay", \.replDisableTcpNodelay, status: .built, settable: true),
    .int("repl-backlog-size", \.replBacklogSize, status: .built, settable: true, range: 1...Int.max,
         problem: "repl-backlog-size must be 1 or greater.", memory: true,
         effect: { server, _ in server.replication.history.resizeBacklog(capacity: server.config.replBacklogSize) }),
    .int("repl-backlog-ttl", \.replBacklogTTL, status: .built, settable: true, range: 0...Int.max,
         problem: "repl-backlog-ttl can't be negative"),
    .int("slave-priority", \.replicaPriority, aliases: ["replica-priority"], status: .built, settable: true,
         runtimeRange: 0...Int.max),
    .int("min-slaves-to-write", \.minReplicasToWrite, aliases: ["min-replicas-to-write"], status: .built,
         settable: true, range: 0...Int.max, problem: "Invalid value for min-slaves-to-write."),
    .int("min-slaves-max-lag", \.minReplicasMaxLag, aliases: ["min-replicas-max-lag"], status: .built,
         settable: true, range: 0...Int.max, problem: "Invalid value for min-slaves-max-lag."),
    .optionalString("slave-announce-ip", \.replicaAnnounceIP, aliases: ["replica-announce-ip"],
                    status: .built, settable: true),
    .int("slave-announce-port", \.replicaAnnouncePort, aliases: ["replica-announce-port"], status: .built,
         settable: true, range: 0...65535, problem: "Invalid port"),
    .bool("slave-lazy-flush", \.replicaLazyFlush, aliases: ["replica-lazy-flush"], status: .built, settable: true),
]

let clusterDirectives: [ConfigDirective] = [
    .bool("cluster-enabled", \.clusterEnabled, status: .later, settable: false, enables: "cluster mode is"),
    .string("cluster-config-file", \.clusterConfigFile, status: .later, settable: false,
            rewriteDefault: "nodes.conf"),
    .int("cluster-node-timeout", \.clusterNodeTimeout, status: .later, settable: true, range: 1...Int.max,
         runtimeRange: 0...Int.max, problem: "cluster node timeout must be 1 or greater"),
    .int("cluster-slave-validity-factor", \.clusterSlaveValidityFactor, aliases: ["cluster-replica-validity-factor"],
         status: .later, settable: true, range: 0...Int.max,
         problem: "cluster slave validity factor must be zero or positive"),
    .int("cluster-migration-barrier", \.clusterMigrationBarrier, status: .later, settable: true, range: 0...Int.max,
         problem: "cluster migration barrier must zero or positive"),
    .bool("cluster-require-full-coverage", \.clusterRequireFullCoverage, status: .later, settable: true),
    .bool("cluster-slave-no-failover", \.clusterSlaveNoFailover, aliases: ["cluster-replica-no-failover"],
          status: .later, settable: true),
    .optionalString("cluster-announce-ip", \.clusterAnnounceIP, status: .later, settable: true),
    .int("cluster-announce-port", \.clusterAnnouncePort, status: .later, settable: true, range: 0...65535,
         problem: "Invalid port"),
    .int("cluster-announce-bus-port", \.clusterAnnounceBusPort, status: .later, settable: true, range: 0...65535,
         problem: "Invalid port"),
]
