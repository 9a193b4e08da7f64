// InfoCommand: INFO [section], with Redis 4.0's sections and field names, so
// redis-cli, redis-sentinel and exporters read Cairn as they read Redis.
// `redis_version` reports the Redis release whose behaviour Cairn implements;
// `cairn_version` reports Cairn's own. Sections whose feature is not built yet
// (persistence, replication) report the idle state truthfully.
#if canImport(Glibc)
import Glibc
#endif
import Engine

let infoCommand = Command("info", arity: -1, flags: "lt") { call in
    guard call.argv.count <= 2 else { call.syntaxError(); return }
    let section = call.argv.count == 2 ? call.option(1) : "default"
    call.bulk(Bytes(InfoReport(server: call.server).render(section: section)))
}

struct InfoReport {
    let server: Server

    static let titles = [
        "server": "Server", "clients": "Clients", "memory": "Memory", "persistence": "Persistence", "stats": "Stats",
        "replication": "Replication", "cpu": "CPU", "commandstats": "Commandstats", "cluster": "Cluster",
        "keyspace": "Keyspace",
    ]

    /// Redis 4.0's order; `all` adds Commandstats after CPU.
    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                                  "cluster", "keyspace"]
    static let allSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                              "commandstats", "cluster", "keyspace"]

    func render(section: String) -> String {
        var names: [String]
        switch section {
        // 4.0 knows no "everything" (its INFO everything is empty); Cairn takes it as `all`, as 7.0 does.
        case "all", "everything": names = Self.allSections
        case "default": names = Self.defaultSections
        default: names = [section]
        }
        names = names.filter { fields(for: $0) != nil }
        return names.map { name in
            "# \(Self.titles[name] ?? name)\r\n" + fields(for: name)!.map { "\($0.0):\($0.1)\r\n" }.joined()
        }.joined(separator: "\r\n")
    }

    private func fields(for section: String) -> [(String, String)]? {
        switch section {
        case "server": return serverFields()
        case "clients": return clientFields()
        case "memory": return memoryFields()
        case "persistence": return persistenceFields()
        case "stats": return statsFields()
        case "replication": return replicationFields()
        case "cpu": return cpuFields()
        case "commandstats": return commandStatFields()
        case "cluster": return [("cluster_enabled", "0")]  // cluster mode is not built
        case "keyspace": return keyspaceFields()
        default: return nil
        }
    }

    private func serverFields() -> [(String, String)] {
        var u = utsname()
        uname(&u)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        let uptime = (wallClockMilliseconds() - server.startTime) / 1000
        return [
            ("redis_version", Server.implementedRedisVersion),
            ("cairn_version", Server.cairnVersion),
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_build_id", "0"),
            ("redis_mode", "standalone"),
            ("os", "\(text(u.sysname)) \(text(u.release)) \(text(u.machine))"),
            ("arch_bits", "64"),
            ("multiplexing_api", "epoll"),
            ("atomicvar_api", "atomic-builtin"),
            ("gcc_version", "0.0.0"),
            ("process_id", "\(getpid())"),
            ("run_id", server.runId),
            ("tcp_port", "\(server.boundPort)"),
            ("uptime_in_seconds", "\(uptime)"),
            ("uptime_in_days", "\(uptime / 86400)"),
            ("hz", "\(server.config.hz)"),
            ("lru_clock", "\((wallClockMilliseconds() / 1000) & 0xFFFFFF)"),
            ("executable", CommandLine.arguments.first ?? ""),
            ("config_file", server.config.configFile),
        ]
    }

    private func clientFields() -> [(String, String)] {
        let clients = server.clients.values
        return [
            ("connected_clients", "\(clients.count)"),
            ("client_longest_output_list", "\(clients.map { $0.outputBytes > 0 ? 1 : 0 }.max() ?? 0)"),
            ("client_biggest_input_buf", "\(clients.map(\.queryBufferBytes).max() ?? 0)"),
            ("blocked_clients", "\(server.blocking.count)"),
        ]
    }

    /// Redis 4.0's memory section, from jemalloc's figures (MemoryAccounting.swift).
    private func memoryFields() -> [(String, String)] {
        let used = server.memory.refresh()
        let rss = ProcessStats.residentBytes()
        let peak = server.memory.peak
        let overhead = server.memoryOverhead().total
        let startup = server.memory.startup
        let dataset = max(used - overhead, 0)
        let netUsed = used - startup
        let system = ProcessStats.systemMemoryBytes()
        let maxmemory = server.config.maxmemory
        let ratio = used > 0 ? Double(rss) / Double(used) : 0
        return [
            ("used_memory", "\(used)"),
            ("used_memory_human", ProcessStats.human(used)),
            ("used_memory_rss", "\(rss)"),
            ("used_memory_rss_human", ProcessStats.human(rss)),
            ("used_memory_peak", "\(peak)"),
            ("used_memory_peak_human", ProcessStats.human(peak)),
            ("used_memory_peak_perc", format2(Double(used) * 100 / Double(max(peak, 1))) + "%"),
            ("used_memory_overhead", "\(overhead)"),
            ("used_memory_startup", "\(startup)"),
            ("used_memory_dataset", "\(dataset)"),
            ("used_memory_dataset_perc", format2(netUsed > 0 ? Double(dataset) * 100 / Double(netUsed) : 0) + "%"),
            ("total_system_memory", "\(system)"),
            ("total_system_memory_human", ProcessStats.human(system)),
            ("used_memory_lua", "\(server.scripting.engine.memoryBytes)"),
            ("used_memory_lua_human", ProcessStats.human(server.scripting.engine.memoryBytes)),
            ("maxmemory", "\(maxmemory)"),
            ("maxmemory_human", ProcessStats.human(maxmemory)),
            ("maxmemory_policy", server.config.maxmemoryPolicy.rawValue),
            ("mem_fragmentation_ratio", format2(ratio)),
            ("mem_allocator", ProcessStats.allocatorName),
            ("active_defrag_running", "\(server.defrag.running)"),
            ("lazyfree_pending_objects", "\(server.lazyFree.pendingObjects)"),
        ]
    }

    /// The loading_* fields Redis adds while a dataset loads.
    private func loadingFields() -> [(String, String)] {
        guard let progress = server.persistence.loading else { return [] }
        let now = wallClockMilliseconds() / 1000
        let elapsed = max(now - progress.startedAt, 0)
        let fraction = progress.totalBytes > 0 ? Double(progress.loadedBytes) / Double(progress.totalBytes) : 0
        let eta = progress.loadedBytes > 0
            ? Int64(Double(elapsed) * Double(progress.totalBytes - progress.loadedBytes) / Double(progress.loadedBytes)) : 1
        return [
            ("loading_start_time", "\(progress.startedAt)"),
            ("loading_total_bytes", "\(progress.totalBytes)"),
            ("loading_loaded_bytes", "\(progress.loadedBytes)"),
            ("loading_loaded_perc", format2(fraction * 100)),
            ("loading_eta_seconds", "\(eta)"),
        ]
    }

    private func persistenceFields() -> [(String, String)] {
        let p = server.persistence
        return [
            ("loading", p.loading == nil ? "0" : "1"),
            ("rdb_changes_since_last_save", "\(server.keyspace.dirty)"),
            ("rdb_bgsave_in_progress", p.bgsaveInProgress ? "1" : "0"),
            ("rdb_last_save_time", "\(p.lastSaveTime)"),
            ("rdb_last_bgsave_status", p.lastBgsaveOK ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", "\(p.lastBgsaveSeconds)"),
            ("rdb_current_bgsave_time_sec", p.bgsaveInProgress ? "\((wallClockMilliseconds() - p.bgsaveStartedMs) / 1000)" : "-1"),
            ("rdb_last_cow_size", "0"),
            ("aof_enabled", p.aofEnabled ? "1" : "0"),
            ("aof_rewrite_in_progress", p.aofRewriteInProgress ? "1" : "0"),
            ("aof_rewrite_scheduled", p.rewriteScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", "\(p.lastRewriteSeconds)"),
            ("aof_current_rewrite_time_sec", p.aofRewriteInProgress ? "\((wallClockMilliseconds() - p.rewriteStartedMs) / 1000)" : "-1"),
            ("aof_last_bgrewrite_status", p.lastRewriteOK ? "ok" : "err"),
            ("aof_last_write_status", p.aof.lastWriteError == nil ? "ok" : "err"),
            ("aof_last_cow_size", "0"),
        ] + aofFields() + loadingFields()  // Redis's order: the AOF's fields, then the load's
    }

    /// The aof_* fields Redis adds while the AOF is on.
    private func aofFields() -> [(String, String)] {
        let p = server.persistence
        guard p.aofEnabled else { return [] }
        return [
            ("aof_current_size", "\(p.aof.currentSize)"),
            ("aof_base_size", "\(p.aof.baseSize)"),
            ("aof_pending_rewrite", p.rewriteScheduled ? "1" : "0"),
            ("aof_buffer_length", "\(p.aof.encoder.buffer.count)"),
            ("aof_rewrite_buffer_length", "\(p.rewriteBuffer?.buffer.count ?? 0)"),
            ("aof_pending_bio_fsync", "\(p.aof.fsyncer.inProgress)"),
            ("aof_delayed_fsync", "\(p.aof.delayedFsyncs)"),
        ]
    }

    private func statsFields() -> [(String, String)] {
        let s = server.stats
        let k = server.keyspace.stats
        let d = server.defrag.defragmenter
        return [
            ("total_connections_received", "\(s.connectionsReceived)"),
            ("total_commands_processed", "\(s.commandsProcessed)"),
            ("instantaneous_ops_per_sec", "\(server.opsSampler.opsPerSecond)"),
            ("total_net_input_bytes", "\(s.netInputBytes)"),
            ("total_net_output_bytes", "\(s.netOutputBytes)"),
            ("instantaneous_input_kbps", format2(server.opsSampler.inputKbps)),
            ("instantaneous_output_kbps", format2(server.opsSampler.outputKbps)),
            ("rejected_connections", "\(s.rejectedConnections)"),
            ("sync_full", "\(server.replication.stats.syncFull)"),
            ("sync_partial_ok", "\(server.replication.stats.syncPartialOK)"),
            ("sync_partial_err", "\(server.replication.stats.syncPartialErr)"),
            ("expired_keys", "\(k.expiredKeys)"),
            ("expired_stale_perc", format2(k.expiredStalePercent)),
            ("expired_time_cap_reached_count", "\(k.expiredTimeCapReached)"),
            ("evicted_keys", "\(s.evictedKeys)"),
            ("keyspace_hits", "\(k.keyspaceHits)"),
            ("keyspace_misses", "\(k.keyspaceMisses)"),
            ("pubsub_channels", "0"),
            ("pubsub_patterns", "0"),
            ("latest_fork_usec", "0"),
            ("migrate_cached_sockets", "0"),
            ("slave_expires_tracked_keys", "0"),
            ("active_defrag_hits", "\(d.hits)"),
            ("active_defrag_misses", "\(d.misses)"),
            ("active_defrag_key_hits", "\(d.keyHits)"),
            ("active_defrag_key_misses", "\(d.keyMisses)"),
        ]
    }

    private func replicationFields() -> [(String, String)] { server.replicationInfoFields() }

    private func cpuFields() -> [(String, String)] {
        let cpu = ProcessStats.cpuSeconds()
        return [
            ("used_cpu_sys", format2(cpu.sys)),
            ("used_cpu_user", format2(cpu.user)),
            ("used_cpu_sys_children", format2(cpu.childSys)),
            ("used_cpu_user_children", format2(cpu.childUser)),
        ]
    }

    private func commandStatFields() -> [(String, String)] {
        server.commandStats.map { name, stat in
            let perCall = stat.calls > 0 ? Double(stat.microseconds) / Double(stat.calls) : 0
            return ("cmdstat_\(name)", "calls=\(stat.calls),usec=\(stat.microseconds),usec_per_call=\(format2(perCall))")
        }
    }

    private func keyspaceFields() -> [(String, String)] {
        let ks = server.keyspace
        return (0..<ks.databaseCount).compactMap { db in
            let keys = ks.keyCount(db)
            guard keys > 0 else { return nil }
            return ("db\(db)", "keys=\(keys),expires=\(ks.expiringCount(db)),avg_ttl=\(ks.averageTTL(db))")
        }
    }
}

/// Two decimals, as Redis's "%.2f".
func format2(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    var s = String(r)
    if s.contains("e") { return String(Int64(r)) + ".00" }
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
    }
    return s
}
