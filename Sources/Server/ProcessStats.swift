// ProcessStats: what the process itself can tell about memory and CPU, for
// INFO memory and INFO cpu. Heap use comes from jemalloc, the process's
// allocator (bytes handed out and not freed, read through mallctl), the
// resident set from /proc/self/statm, CPU times from getrusage.
#if canImport(Glibc)
import Glibc
#endif
import CairnCSystem

package enum ProcessStats {
    /// Bytes currently allocated (Redis's used_memory): jemalloc's stats.allocated, refreshed.
    package static func heapBytes() -> Int { allocatorStats().allocated }

    /// jemalloc's whole-process figures, refreshed now (a few microseconds: not per command).
    package static func allocatorStats() -> (allocated: Int, active: Int, resident: Int) {
        var stats = cairn_allocator_stats()
        guard cairn_allocator_stats(&stats) == 0 else { return (0, 0, 0) }
        return (Int(stats.allocated), Int(stats.active), Int(stats.resident))
    }

    /// What INFO reports as mem_allocator: "jemalloc-5.3.0" for Debian's build.
    package static let allocatorName: String = {
        guard let raw = cairn_allocator_version() else { return "jemalloc" }
        // The version reads "5.3.0-0-g<sha>"; Redis shows the release only.
        let version = String(cString: raw)
        return "jemalloc-" + (version.split(separator: "-").first.map(String.init) ?? version)
    }()

    /// jemalloc's own report (malloc_stats_print), for MEMORY MALLOC-STATS.
    package static func allocatorReport() -> String {
        var length = 0
        guard let text = cairn_allocator_report(&length) else { return "" }
        defer { free(text) }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }

    /// Hands every arena's unused dirty pages back to the system (MEMORY PURGE).
    package static func purgeAllocator() -> Bool { cairn_allocator_purge() == 0 }

    /// The block jemalloc hands out for a request of `size` bytes (tests check HeapBlock against it).
    package static func allocatorSizeClass(_ size: Int) -> Int { Int(cairn_allocator_size_class(size)) }

    /// Bytes this thread allocated minus bytes it freed (cheap; only differences mean anything).
    package static func threadAllocatedNet() -> Int { Int(cairn_thread_allocated_net()) }

    /// Resident set size in bytes.
    package static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var size = 0, resident = 0
        guard fscanf_statm(f, &size, &resident) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func fscanf_statm(_ f: UnsafeMutablePointer<FILE>, _ size: inout Int, _ resident: inout Int) -> Bool {
        var buf = [CChar](repeating: 0, count: 256)
        guard fgets(&buf, 256, f) != nil else { return false }
        let text = String(cString: buf)
        let parts = text.split(separator: " ")
        guard parts.count >= 2, let s = Int(parts[0]), let r = Int(parts[1]) else { return false }
        size = s
        resident = r
        return true
    }

    /// Total physical memory in bytes.
    package static func systemMemoryBytes() -> Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// (system, user) CPU seconds of this process and of its children.
    package static func cpuSeconds() -> (sys: Double, user: Double, childSys: Double, childUser: Double) {
        var me = rusage(), children = rusage()
        getrusage(RUSAGE_SELF.rawValue, &me)
        getrusage(RUSAGE_CHILDREN.rawValue, &children)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return (seconds(me.ru_stime), seconds(me.ru_utime), seconds(children.ru_stime), seconds(children.ru_utime))
    }

    /// Bytes as Redis's bytesToHuman shows them ("1.50M").
    package static func human(_ n: Int) -> String {
        let d = Double(n)
        func f(_ v: Double, _ unit: String) -> String {
            let r = (v * 100).rounded() / 100
            var s = String(r)
            if let dot = s.firstIndex(of: ".") {
                let decimals = s.distance(from: dot, to: s.endIndex) - 1
                if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
            }
            return s + unit
        }
        if n < 1024 { return "\(n)B" }
        if n < 1024 * 1024 { return f(d / 1024, "K") }
        if n < 1024 * 1024 * 1024 { return f(d / 1024 / 1024, "M") }
        if n < 1024 * 1024 * 1024 * 1024 { return f(d / 1024 / 1024 / 1024, "G") }
        return f(d / 1024 / 1024 / 1024 / 1024, "T")
    }
}
