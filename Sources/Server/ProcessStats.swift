// ProcessStats: what the process itself can tell about memory and CPU, for
// INFO memory and INFO cpu. Heap use comes from glibc's allocator statistics
// (bytes handed out by malloc and not freed), the resident set from
// /proc/self/statm, CPU times from getrusage.
#if canImport(Glibc)
import Glibc
#endif
import CairnCSystem

package enum ProcessStats {
    /// Bytes currently allocated by malloc (Redis's used_memory counterpart).
    package static func heapBytes() -> Int {
        Int(cairn_heap_allocated_bytes())
    }

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
