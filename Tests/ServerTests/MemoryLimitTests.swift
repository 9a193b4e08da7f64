// MemoryLimitTests: maxmemory through the dispatcher (Server/MemoryLimit.swift):
// -OOM for denyoom commands when nothing can be evicted, evictions replayed as
// DELs, volatile policies sparing keys without a TTL, INFO memory's fields.
// A limit of 1 byte is always exceeded, so every command evicts what it can.
import XCTest
import RESP
import Engine
@testable import Server

final class MemoryLimitTests: XCTestCase {
    private let oom = RESPValue.error("OOM command not allowed when used memory > 'maxmemory'.")

    private func harness(policy: String, keys: Int = 0, withTTL: Int = 0) -> Harness {
        let h = Harness()
        for n in 0..<keys { h.put("k\(n)", "value-\(n)") }
        for n in 0..<withTTL { h.put("t\(n)", "value-\(n)", expireAt: wallClockMilliseconds() + 600_000) }
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", policy), .ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1"), .ok)
        _ = h.takePropagated()
        return h
    }

    private func info(_ h: Harness, _ section: String) -> [String: String] {
        guard case .bulk(let text) = h.run("INFO", section) else { return [:] }
        var fields: [String: String] = [:]
        for line in text.text.split(separator: "\r\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    func testNoevictionRefusesDenyoomCommandsOnly() {
        let h = harness(policy: "noeviction", keys: 3)
        XCTAssertEqual(h.run("SET", "new", "v"), oom)
        XCTAssertEqual(h.run("RPUSH", "list", "a"), oom)
        XCTAssertEqual(h.run("GET", "k1"), .str("value-1"), "reads are served")
        XCTAssertEqual(h.run("DEL", "k1"), .int(1), "DEL may run: it only frees")
        XCTAssertEqual(h.server.keyspace.totalKeys, 2, "noeviction evicts nothing")
        XCTAssertEqual(h.run("MULTI"), .ok)
        XCTAssertEqual(h.run("SET", "x", "y"), oom)
        XCTAssertEqual(h.run("EXEC"), .error("EXECABORT Transaction discarded because of previous errors."))
    }

    func testAllkeysPolicyEvictsEverythingAndReplaysDELs() {
        let h = harness(policy: "allkeys-lru", keys: 40)
        XCTAssertEqual(h.run("PING"), .simple("PONG"))
        XCTAssertEqual(h.server.keyspace.totalKeys, 0)
        XCTAssertEqual(h.server.stats.evictedKeys, 40)
        let replayed = h.takePropagated()
        XCTAssertEqual(replayed.count, 40)
        XCTAssertTrue(replayed.allSatisfy { $0.hasPrefix("0: DEL k") }, "\(replayed.prefix(3))")
        XCTAssertEqual(h.run("SET", "k", "v"), oom, "nothing left to evict")
        XCTAssertEqual(info(h, "stats")["evicted_keys"], "40")
    }

    func testVolatilePoliciesSpareKeysWithoutTTL() {
        for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] {
            let h = harness(policy: policy, keys: 10, withTTL: 10)
            XCTAssertEqual(h.run("SET", "new", "v"), oom, policy)
            XCTAssertEqual(h.server.keyspace.totalKeys, 10, policy)
            XCTAssertEqual(h.server.keyspace.expiringCount(0), 0, policy)
        }
    }

    func testNoLimitNoEviction() {
        let h = Harness()
        for n in 0..<5 { h.put("k\(n)", "v") }
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-random"), .ok)
        XCTAssertEqual(h.run("SET", "new", "v"), .ok)
        XCTAssertEqual(h.server.keyspace.totalKeys, 6)
        XCTAssertEqual(h.server.stats.evictedKeys, 0)
    }

    func testEvictionDuringASnapshotStopsAtItsCredit() {
        // A snapshot keeps evicted values alive, so deleting frees nothing yet: each key still
        // counts for its key and an entry, and the run stops instead of emptying the keyspace.
        let h = Harness()
        for n in 0..<5000 { h.put("key-\(n)", String(repeating: "v", count: 100)) }
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-random"), .ok)
        guard h.server.keyspace.beginSnapshot() != nil else { return XCTFail("no snapshot") }
        defer { h.server.keyspace.endSnapshot() }
        let over = 20_000
        h.server.config.maxmemory = h.server.memory.refresh() - h.server.memoryNotCountedForEviction() - over
        XCTAssertEqual(h.run("PING"), .simple("PONG"))
        let evicted = Int(h.server.stats.evictedKeys)
        XCTAssertGreaterThan(evicted, 0)
        XCTAssertLessThan(evicted, over / 64 + 32, "credited at least 64 bytes and its key each")
    }

    func testInfoMemoryReportsJemallocFigures() {
        let h = Harness()
        h.server.memory.markStartup()
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "20mb"), .ok)
        let m = info(h, "memory")
        for field in ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak",
                      "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead", "used_memory_startup",
                      "used_memory_dataset", "used_memory_dataset_perc", "total_system_memory",
                      "total_system_memory_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
                      "mem_fragmentation_ratio", "mem_allocator", "active_defrag_running", "lazyfree_pending_objects"] {
            XCTAssertNotNil(m[field], field)
        }
        XCTAssertEqual(m["maxmemory"], "20971520")
        XCTAssertEqual(m["maxmemory_human"], "20.00M")
        XCTAssertEqual(m["mem_allocator"], "jemalloc-5.3.0")
        let used = Int(m["used_memory"] ?? "") ?? 0
        XCTAssertGreaterThan(used, 0)
        XCTAssertGreaterThanOrEqual(Int(m["used_memory_peak"] ?? "") ?? 0, used)
        XCTAssertGreaterThanOrEqual(Int(m["used_memory_overhead"] ?? "") ?? 0, Int(m["used_memory_startup"] ?? "") ?? 0)
    }

    func testUsedMemoryFollowsTheAllocator() {
        let meter = MemoryMeter()
        let before = meter.refresh()
        let block = UnsafeMutableRawPointer.allocate(byteCount: 8 << 20, alignment: 16)
        defer { block.deallocate() }
        XCTAssertGreaterThanOrEqual(meter.estimate() - before, 8 << 20, "this thread's allocation shows at once")
        XCTAssertGreaterThanOrEqual(meter.refresh() - before, 7 << 20, "and in stats.allocated")
    }
}
