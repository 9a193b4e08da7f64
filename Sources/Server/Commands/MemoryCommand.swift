// MemoryCommand: MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP,
// Redis 4.0's introspection of where memory goes.
//
// USAGE measures a key's heap blocks (Engine/MemoryUsage.swift); STATS lays out
// the same overhead breakdown INFO memory uses (MemoryAccounting.swift) with
// 4.0's field names, order and types (doubles computed in single precision, as
// 4.0 computes them in floats); DOCTOR applies 4.0's checks with Cairn's words.
import Engine

let memoryCommands: [Command] = [
    Command("memory", arity: -2, flags: "r") { call in memoryCommand(call) },
]

/// Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES.
private let defaultUsageSamples = 5

private func memoryCommand(_ call: Call) {
    let sub = call.option(1), argc = call.argv.count
    switch sub {
    case "usage" where argc >= 3: memoryUsage(call)
    case "stats" where argc == 2: memoryStats(call)
    case "doctor" where argc == 2: call.bulk(memoryDoctorReport(call.server))
    case "malloc-stats" where argc == 2: call.bulk(ProcessStats.allocatorReport())
    case "purge" where argc == 2:
        if ProcessStats.purgeAllocator() { call.ok() } else { call.error("ERR Error purging dirty pages") }
    case "help" where argc == 2:
        call.bulkArray([
            "MEMORY DOCTOR                        - Report memory problems found in this instance",
            "MEMORY USAGE <key> [SAMPLES <count>] - Bytes a key and its value take (0 samples: all elements)",
            "MEMORY STATS                         - Where the used memory goes, field by field",
            "MEMORY PURGE                         - Hand unused allocator pages back to the system",
            "MEMORY MALLOC-STATS                  - The allocator's own statistics",
        ].map { Bytes($0) })
    default: call.error("ERR Syntax error. Try MEMORY HELP")
    }
}

/// MEMORY USAGE key [SAMPLES n]: nil for a missing key.
private func memoryUsage(_ call: Call) {
    var samples = defaultUsageSamples
    var j = 3
    while j < call.argv.count {
        guard call.option(j) == "samples", j + 1 < call.argv.count else { call.syntaxError(); return }
        guard let n = call.int64(j + 1) else { call.notInteger(); return }
        guard n >= 0 else { call.syntaxError(); return }
        samples = n == 0 ? Int.max : Int(n)
        j += 2
    }
    let ks = call.ks, db = call.db
    guard let i = ks.lookupWrite(db, call.argv[2], touch: false) else {
        call.null()
        return
    }
    call.integer(ks.databases[db].memoryUsage(at: i, samples: samples))
}

/// What MEMORY STATS and DOCTOR report, as 4.0's getMemoryOverheadData gathers it.
private struct MemoryReport {
    var used = 0, peak = 0, rss = 0
    var overhead = MemoryOverhead()
    /// (database, main table overhead, TTL index overhead) for databases holding keys.
    var databases: [(db: Int, main: Int, expires: Int)] = []
    var keys = 0

    init(_ server: Server) {
        used = server.memory.refresh()
        peak = server.memory.peak
        rss = ProcessStats.residentBytes()
        overhead = server.memoryOverhead()
        for (db, table) in server.keyspace.databases.enumerated() where table.count > 0 {
            let expires = table.expiresOverheadBytes
            databases.append((db, table.overheadBytes - expires, expires))
            keys += table.count
        }
    }

    var dataset: Int { used - overhead.total }
    /// Used memory above the start-up figure (at least 1, as 4.0 divides by it).
    var netUsed: Int { used > overhead.startup ? used - overhead.startup : 1 }
    var fragmentation: Float { used > 0 ? Float(rss) / Float(used) : 0 }
}

private func memoryStats(_ call: Call) {
    let r = MemoryReport(call.server)
    let o = r.overhead
    call.array((14 + r.databases.count) * 2)
    for (name, v) in [("peak.allocated", r.peak), ("total.allocated", r.used), ("startup.allocated", o.startup),
                      ("replication.backlog", o.replicationBacklog), ("clients.slaves", o.replicaClients),
                      ("clients.normal", o.normalClients), ("aof.buffer", o.aofBuffers)] {
        call.bulk(name)
        call.integer(v)
    }
    for d in r.databases {
        call.bulk("db.\(d.db)")
        call.array(4)
        call.bulk("overhead.hashtable.main")
        call.integer(d.main)
        call.bulk("overhead.hashtable.expires")
        call.integer(d.expires)
    }
    for (name, v) in [("overhead.total", o.total), ("keys.count", r.keys),
                      ("keys.bytes-per-key", r.keys > 0 ? r.netUsed / r.keys : 0), ("dataset.bytes", r.dataset)] {
        call.bulk(name)
        call.integer(v)
    }
    call.bulk("dataset.percentage")
    call.bulkScore(Double(Float(r.dataset) * 100 / Float(r.netUsed)))
    call.bulk("peak.percentage")
    call.bulkScore(Double(Float(r.used) * 100 / Float(max(r.peak, 1))))
    call.bulk("fragmentation")
    call.bulkScore(Double(r.fragmentation))
}

/// 4.0's diagnosis: too little data to judge (under 5 MB), a peak over 150% of current
/// use, fragmentation over 1.4, normal clients' buffers over 200 KB each on average,
/// replicas' over 10 MB each.
func memoryDoctorReport(_ server: Server) -> String {
    let r = MemoryReport(server)
    if r.used < 5 << 20 {
        return "This instance holds almost no data (under 5 MB in use), too little for a diagnosis: "
            + "ask again once it carries its real workload.\n"
    }
    let replicas = server.clients.values.filter(\.isReplica).count
    let normal = max(server.clients.count - replicas, 1)
    var findings: [String] = []
    if Double(r.peak) / Double(r.used) > 1.5 {
        findings.append("Peak memory: this instance once used more than 1.5 times what it uses now (peak "
            + "\(ProcessStats.human(r.peak)), now \(ProcessStats.human(r.used))). The allocator keeps most freed pages, "
            + "so the resident size and the fragmentation ratio stay high; the memory is reused as the dataset "
            + "grows again. MEMORY PURGE hands unused pages back; otherwise only a restart does.")
    }
    if r.fragmentation > 1.4 {
        findings.append("High fragmentation: the resident set is \(format2(Double(r.fragmentation))) times the "
            + "memory allocated (over 1.4). After a peak this is expected and harmless; otherwise the workload "
            + "scatters allocations across pages. The allocator is \(ProcessStats.allocatorName).")
    }
    if r.overhead.normalClients / normal > 200 << 10 {
        findings.append("Big client buffers: normal clients hold more than 200 KB of buffers each on average. "
            + "Look for slow pub/sub subscribers, large replies or deep pipelines in CLIENT LIST (qbuf, omem).")
    }
    if replicas > 0 && r.overhead.replicaClients / replicas > 10 << 20 {
        findings.append("Big replica buffers: replicas' output buffers exceed 10 MB each on average: a replica "
            + "is reading its stream too slowly, or its link is poor. INFO replication and CLIENT LIST show which.")
    }
    if findings.isEmpty {
        return "No memory problem found: peak, fragmentation and client and replica buffers all look normal.\n"
    }
    return "Memory problems found in this instance:\n\n" + findings.map { " * " + $0 + "\n\n" }.joined()
}
