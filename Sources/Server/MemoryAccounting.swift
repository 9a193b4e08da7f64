// MemoryAccounting: how much memory the server uses, as INFO memory and the
// maxmemory limit see it.
//
// used_memory is jemalloc's stats.allocated: what the allocator has handed to
// the process and not had back, every thread included. Reading it means
// refreshing jemalloc's statistics ("epoch"), a few microseconds: fine for
// INFO and the cron, too dear before every command. Between two refreshes the
// meter adds what the keyspace thread itself allocated and freed since
// (jemalloc's per-thread counters, two loads), so the per-command maxmemory
// check is cheap and exact for the thread that does nearly all allocating;
// other threads' drift (a snapshot writer, lazy free) is caught at the next
// refresh, at least every cron tick.
#if canImport(Glibc)
import Glibc
#endif
import Engine

package final class MemoryMeter {
    /// stats.allocated at the last refresh.
    package private(set) var allocated = 0
    /// stats.active and stats.resident at the last refresh.
    package private(set) var active = 0
    package private(set) var resident = 0
    /// The highest figure seen (used_memory_peak).
    package private(set) var peak = 0
    /// Memory in use once the server was set up, before any data (used_memory_startup).
    package private(set) var startup = 0
    private var threadNetAtRefresh = 0
    private var refreshThread: pthread_t? = nil

    package init() {}

    /// Reads the allocator's figures now; returns used_memory.
    @discardableResult
    package func refresh() -> Int {
        let stats = ProcessStats.allocatorStats()
        allocated = stats.allocated
        active = stats.active
        resident = stats.resident
        threadNetAtRefresh = ProcessStats.threadAllocatedNet()
        refreshThread = pthread_self()
        peak = max(peak, allocated)
        return allocated
    }

    /// used_memory without a refresh: the last figure plus this thread's net allocation
    /// since. Refreshes when called on another thread than the last refresh.
    package func estimate() -> Int {
        guard let thread = refreshThread, pthread_equal(thread, pthread_self()) != 0 else { return refresh() }
        let used = max(allocated + ProcessStats.threadAllocatedNet() - threadNetAtRefresh, 0)
        peak = max(peak, used)
        return used
    }

    /// Records the start-up figure (call once the server is set up, before loading data).
    package func markStartup() { startup = refresh() }
}

/// What used_memory_overhead counts, in Redis 4.0's getMemoryOverheadData terms.
package struct MemoryOverhead {
    package var startup = 0
    /// The replication backlog's ring buffer.
    package var replicationBacklog = 0
    /// Output buffers of replicas.
    package var replicaClients = 0
    /// Query and output buffers of every other client.
    package var normalClients = 0
    /// The AOF buffer and the rewrite buffer.
    package var aofBuffers = 0
    /// The keyspace tables themselves: entry slots, buckets, the TTL index.
    package var keyTables = 0

    package var total: Int { startup + replicationBacklog + replicaClients + normalClients + aofBuffers + keyTables }
}

extension Server {
    package func memoryOverhead() -> MemoryOverhead {
        var o = MemoryOverhead()
        o.startup = memory.startup
        o.replicationBacklog = replication.history.backlog?.capacity ?? 0
        for client in clients.values {
            if client.isReplica {
                o.replicaClients += client.outputBytes
            } else {
                o.normalClients += client.outputBytes + client.queryBufferBytes
            }
        }
        o.aofBuffers = aofBufferBytes
        o.keyTables = keyspace.databases.reduce(0) { $0 + $1.overheadBytes }
        return o
    }

    /// Bytes waiting in the AOF buffer and the rewrite buffer.
    var aofBufferBytes: Int {
        guard persistence.aofEnabled else { return 0 }
        return persistence.aof.encoder.buffer.count + (persistence.rewriteBuffer?.buffer.count ?? 0)
    }

    /// Memory that maxmemory does not count: replicas' output buffers and the AOF's
    /// buffers (Redis's freeMemoryGetNotCountedMemory), which eviction could not shrink.
    package func memoryNotCountedForEviction() -> Int {
        var bytes = aofBufferBytes
        for peer in replication.replicas { bytes += peer.client.outputBytes }
        return bytes
    }
}
