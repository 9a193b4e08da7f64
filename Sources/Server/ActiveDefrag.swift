// ActiveDefrag: Redis 4.0's active defragmentation, run from the cron on the
// keyspace thread (activedefrag and the active-defrag-* directives).
//
// Once a second the cycle reads jemalloc's fragmentation as Redis 4.0 does:
// (active - allocated) / allocated, and active - allocated in bytes (pages
// holding allocations versus bytes handed out; resident would also count pages
// kept for reuse, which defrag cannot help). Above threshold-lower and
// ignore-bytes, a pass starts: each cron tick walks the keyspace from a cursor
// for a time budget of `effort` percent of the tick, the effort interpolated
// between cycle-min and cycle-max as fragmentation goes from threshold-lower to
// threshold-upper. During a pass the effort may rise, never fall; the pass ends
// after the last database and the next check decides whether another is due.
//
// The rule for moving a block (jemalloc 5.3's experimental.utilization.query):
// move it when its slab is less used than the average slab of its size class in
// its arena, unless the slab is full or is the one the arena fills next. Blocks
// leave sparse slabs and land in fuller ones, so sparse slabs empty and their
// pages go back. The keyspace thread's block cache is off during a step, so a
// new block comes from the arena (the fullest slabs first), not from the cache
// of blocks just freed.
import CairnCSystem
import Engine

/// How hard to work, from where fragmentation sits between the thresholds.
package enum DefragEffort {
    /// The percentage of CPU for fragmentation `percent`: cycle-min at threshold-lower,
    /// cycle-max at threshold-upper, linear between, clamped to [min, max].
    package static func cpuPercent(fragmentation percent: Double, lower: Int, upper: Int,
                                   cycleMin: Int, cycleMax: Int) -> Int {
        let span = Double(upper - lower)
        let raw = span > 0
            ? Double(cycleMin) + (percent - Double(lower)) * Double(cycleMax - cycleMin) / span
            : Double(percent >= Double(upper) ? cycleMax : cycleMin)
        let low = min(cycleMin, cycleMax), high = max(cycleMin, cycleMax)
        return min(max(Int(raw), low), high)
    }

    /// Microseconds of one cron tick that `cpuPercent` allows at `hz` ticks a second (at least 1).
    package static func budgetMicroseconds(cpuPercent: Int, hz: Int) -> Int64 {
        max(Int64(1_000_000 * cpuPercent / max(hz, 1) / 100), 1)
    }

    /// Whether a block whose slab has `nfree` of `nregs` regions free should move, when
    /// its size class's slabs in the arena have `binFree` of `binRegions` free in all.
    package static func shouldMove(nfree: Int, nregs: Int, binFree: Int, binRegions: Int, isCurrent: Bool) -> Bool {
        // Not a slab (a large block), a full slab, or the slab being filled: nothing to gain.
        guard nregs > 1, nfree > 0, !isCurrent, binRegions > 0 else { return false }
        // used/nregs < binUsed/binRegions, in integers.
        return (nregs - nfree) * binRegions < (binRegions - binFree) * nregs
    }
}

/// The allocator's fragmentation as Redis 4.0's getAllocatorFragmentation computes it.
package struct Fragmentation: Equatable {
    package var allocated: Int
    package var active: Int
    package init(allocated: Int, active: Int) {
        self.allocated = allocated
        self.active = active
    }
    package var percent: Double { allocated > 0 ? Double(active) / Double(allocated) * 100 - 100 : 0 }
    package var bytes: Int { max(active - allocated, 0) }

    package static func read() -> Fragmentation {
        let s = ProcessStats.allocatorStats()
        return Fragmentation(allocated: s.allocated, active: s.active)
    }
}

/// The directives' values one cycle needs.
package struct DefragSettings {
    package var ignoreBytes: Int
    package var lower: Int
    package var upper: Int
    package var cycleMin: Int
    package var cycleMax: Int
    package var hz: Int

    package init(_ c: ServerConfig) {
        ignoreBytes = c.activeDefragIgnoreBytes
        lower = c.activeDefragThresholdLower
        upper = c.activeDefragThresholdUpper
        cycleMin = c.activeDefragCycleMin
        cycleMax = c.activeDefragCycleMax
        hz = c.hz
    }
}

package final class ActiveDefrag {
    /// The CPU percentage of the pass under way, 0 when none (INFO's active_defrag_running).
    package private(set) var running = 0
    /// Where the pass resumes.
    package private(set) var cursor = DefragCursor()
    /// Counters since start-up or CONFIG RESETSTAT, and the pass's own walker.
    package private(set) var defragmenter: Defragmenter
    /// Completed passes (tests and the log).
    package private(set) var passes = 0
    /// When fragmentation was last read (it is read once a second).
    private var lastCheckMs: Int64? = nil
    /// When the pass under way started, and the hits before it (for the log).
    private var passStartedMs: Int64 = 0
    private var passHitsBefore: Int64 = 0
    private let readFragmentation: () -> Fragmentation
    private let clockNanoseconds: () -> UInt64
    private let hint: RelocationHint
    /// Slots walked between two clock reads.
    private let slotsPerStep: Int

    package init(hint: @escaping RelocationHint = ActiveDefrag.slabHint,
                 fragmentation: @escaping () -> Fragmentation = Fragmentation.read,
                 clock: @escaping () -> UInt64 = monotonicNanoseconds, slotsPerStep: Int = 64) {
        self.hint = hint
        self.defragmenter = Defragmenter(hint: hint)
        self.readFragmentation = fragmentation
        self.clockNanoseconds = clock
        self.slotsPerStep = slotsPerStep
    }

    package func resetStats() { defragmenter = Defragmenter(hint: hint) }

    /// Stops a pass (activedefrag turned off).
    package func stop() {
        running = 0
        cursor = DefragCursor()
    }

    /// One cron tick's worth: decides once a second whether to run and how hard, then walks
    /// for the budget. `log` gets a line when a pass starts and when it ends.
    package func cycle(_ keyspace: Keyspace, _ settings: DefragSettings, nowMs: Int64, log: (String) -> Void = { _ in }) {
        // A snapshot keeps the old blocks alive: moving would only add memory.
        guard keyspace.activeSnapshot == nil else { return }
        if lastCheckMs.map({ nowMs - $0 >= 1000 }) ?? true {
            lastCheckMs = nowMs
            let frag = readFragmentation()
            if running == 0 && (frag.percent < Double(settings.lower) || frag.bytes < settings.ignoreBytes) { return }
            let effort = DefragEffort.cpuPercent(fragmentation: frag.percent, lower: settings.lower, upper: settings.upper,
                                                 cycleMin: settings.cycleMin, cycleMax: settings.cycleMax)
            if effort > running {
                if running == 0 {
                    passStartedMs = nowMs
                    passHitsBefore = defragmenter.hits
                    log("Starting active defrag, frag=\(Int(frag.percent))%, frag_bytes=\(frag.bytes), cpu=\(effort)%")
                }
                running = effort
            }
        }
        guard running > 0 else { return }
        let limitNs = UInt64(DefragEffort.budgetMicroseconds(cpuPercent: running, hz: settings.hz)) * 1000
        let start = clockNanoseconds()
        // Restored as it was: MALLOC_CONF may have turned the cache off for good.
        let cacheWasOn = cairn_thread_cache_swap(0) == 1
        defer { if cacheWasOn { cairn_thread_cache_swap(1) } }
        while true {
            guard let next = keyspace.defragStep(from: cursor, slots: slotsPerStep, &defragmenter) else {
                let frag = readFragmentation()
                passes += 1
                stop()
                log("Active defrag done in \(nowMs - passStartedMs)ms, reallocated=\(defragmenter.hits - passHitsBefore), "
                    + "frag=\(Int(frag.percent))%, frag_bytes=\(frag.bytes)")
                return
            }
            cursor = next
            if clockNanoseconds() - start >= limitNs { return }
        }
    }

    /// The production hint: jemalloc's slab use for the block, judged by `DefragEffort.shouldMove`.
    package static let slabHint: RelocationHint = { address in
        var use = cairn_slab_use()
        guard cairn_allocator_slab_use(address, &use) == 0 else { return false }
        return DefragEffort.shouldMove(nfree: Int(use.nfree), nregs: Int(use.nregs), binFree: Int(use.bin_nfree),
                                       binRegions: Int(use.bin_nregs), isCurrent: use.is_current != 0)
    }
}
