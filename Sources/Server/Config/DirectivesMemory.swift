// DirectivesMemory: maxmemory and eviction, access tracking (LRU/LFU), lazy
// free, active defrag, and the compact-encoding thresholds.
//
// Built: the policy and LFU tunables (they choose what the keyspace tracks per
// key, so changing them at run time updates the keyspace's access policy).
// Built too: the encoding thresholds, list-compress-depth included (a CONFIG SET
// reaches the keyspace's EncodingLimits and applies to the next write).
// Built: `maxmemory` (MemoryLimit.swift); after lowering it the next command
// evicts (Redis's CONFIG SET evicts at once). Built: `activedefrag` and its tunables, read by
// each cron tick (ActiveDefrag.swift). Later: the lazy-free switches are tunables, stored for
// the features that will read them.
// Encoding thresholds read memory units in a file (Redis reads them with
// memtoll) but are written back as plain numbers, as Redis does.
import Engine

/// A limit below the memory in use warns, as Redis does; the next command evicts (MemoryLimit.swift).
private let warnOfMemoryLimit: (Server, ServerConfig) -> Void = { server, _ in
    if server.config.maxmemory > 0 && server.config.maxmemory < server.memory.refresh() {
        server.log.warning("WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in keys eviction and/or inability to accept new write commands depending on the maxmemory-policy.")
    }
}

private let refreshAccessPolicy: (Server, ServerConfig) -> Void = { server, _ in
    server.keyspace.accessPolicy = server.config.accessPolicy
}

/// Encoding thresholds changed at run time apply to the next write of each collection.
private let refreshEncodingLimits: (Server, ServerConfig) -> Void = { server, _ in
    server.keyspace.encodingLimits = server.config.encodingLimits
}

/// The lazyfree-lazy-* directives apply from the next deletion of their kind.
private let refreshLazyFree: (Server, ServerConfig) -> Void = { server, _ in
    server.keyspace.lazyFreePolicy = server.config.lazyFreePolicy
}

let memoryDirectives: [ConfigDirective] = [
    .int("maxmemory", \.maxmemory, status: .built, settable: true, range: 0...Int.max,
         problem: "maxmemory can't be negative", memory: true, effect: warnOfMemoryLimit),
    .choice("maxmemory-policy", \.maxmemoryPolicy, status: .built, settable: true,
            problem: "Invalid maxmemory policy", effect: refreshAccessPolicy),
    .int("maxmemory-samples", \.maxmemorySamples, status: .built, settable: true, range: 1...Int.max,
         problem: "maxmemory-samples must be 1 or greater"),
    .int("lfu-log-factor", \.lfuLogFactor, status: .built, settable: true, range: 0...Int.max,
         problem: "lfu-log-factor must be 0 or greater", effect: refreshAccessPolicy),
    .int("lfu-decay-time", \.lfuDecayTime, status: .built, settable: true, range: 0...Int.max,
         problem: "lfu-decay-time must be 0 or greater", effect: refreshAccessPolicy),
    .bool("lazyfree-lazy-eviction", \.lazyfreeLazyEviction, status: .built, settable: true, effect: refreshLazyFree),
    .bool("lazyfree-lazy-expire", \.lazyfreeLazyExpire, status: .built, settable: true, effect: refreshLazyFree),
    .bool("lazyfree-lazy-server-del", \.lazyfreeLazyServerDel, status: .built, settable: true, effect: refreshLazyFree),
    .bool("activedefrag", \.activeDefrag, status: .built, settable: true),
    .int("active-defrag-ignore-bytes", \.activeDefragIgnoreBytes, status: .built, settable: true,
         range: 1...Int.max, runtimeRange: 0...Int.max, problem: "active-defrag-ignore-bytes must above 0",
         memory: true),
    .int("active-defrag-threshold-lower", \.activeDefragThresholdLower, status: .built, settable: true,
         range: 0...Int.max, runtimeRange: 0...1000, problem: "active-defrag-threshold-lower must be 0 or greater"),
    .int("active-defrag-threshold-upper", \.activeDefragThresholdUpper, status: .built, settable: true,
         range: 0...Int.max, runtimeRange: 0...1000, problem: "active-defrag-threshold-upper must be 0 or greater"),
    .int("active-defrag-cycle-min", \.activeDefragCycleMin, status: .built, settable: true, range: 1...99,
         problem: "active-defrag-cycle-min must be between 1 and 99"),
    .int("active-defrag-cycle-max", \.activeDefragCycleMax, status: .built, settable: true, range: 1...99,
         problem: "active-defrag-cycle-max must be between 1 and 99"),
    .bool("activerehashing", \.activeRehashing, status: .later, settable: true),
    .int("hash-max-ziplist-entries", \.hashMaxZiplistEntries, status: .built, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
    .int("hash-max-ziplist-value", \.hashMaxZiplistValue, status: .built, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
    .int("list-max-ziplist-size", \.listMaxZiplistSize, status: .built, settable: true,
         runtimeRange: Int(Int32.min)...Int(Int32.max), effect: refreshEncodingLimits),
    // Dead since Redis 3.2 (quicklists); Redis 4.0 still reads and ignores them, so old files load.
    ConfigDirective("list-max-ziplist-entries", status: .later, settable: false,
                    apply: { _, _, _ in }, get: nil, rewrite: nil),
    ConfigDirective("list-max-ziplist-value", status: .later, settable: false,
                    apply: { _, _, _ in }, get: nil, rewrite: nil),
    .int("list-compress-depth", \.listCompressDepth, status: .built, settable: true,
         runtimeRange: 0...Int(Int32.max), effect: refreshEncodingLimits),
    .int("set-max-intset-entries", \.setMaxIntsetEntries, status: .built, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
    .int("zset-max-ziplist-entries", \.zsetMaxZiplistEntries, status: .built, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
    .int("zset-max-ziplist-value", \.zsetMaxZiplistValue, status: .built, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
    .int("hll-sparse-max-bytes", \.hllSparseMaxBytes, status: .later, settable: true,
         runtimeRange: 0...Int.max, memory: true, rewriteMemory: false, effect: refreshEncodingLimits),
]
