// DatasetLoading: reading dump.rdb back: at start-up in steps on the event
// loop (clients connected meanwhile get -LOADING, as Redis serves them from
// its loading callback), or all at once for DEBUG RELOAD.
//
// Contract: a missing file is not an error (an empty dataset); any other
// problem is, and the caller decides: start-up exits (Redis's "Fatal error
// loading the DB"), DEBUG RELOAD replies with an error. A failed load leaves
// the keyspace empty, never half-filled.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB

/// A load that proceeds a bounded amount per step (an RDB, an AOF).
protocol StepLoader: AnyObject {
    var totalBytes: Int { get }
    var loadedBytes: Int { get }
    var tally: LoadTally { get }
    /// Loads up to `budget` keys or commands into `ks`; true once finished.
    func step(into ks: Keyspace, budget: Int) throws -> Bool
}

/// DEBUG RELOAD could not save first; nothing was emptied.
struct ReloadSaveFailed: Error, CustomStringConvertible {
    var cause: Error
    var description: String { "saving before the reload failed: \(cause)" }
}

/// What a finished load found.
struct LoadSummary {
    var keys: Int
    var expiredSkipped: Int
    var aux: [String: Bytes]
    var seconds: Double
}

extension Persistence {
    /// Keys loaded per step at start-up: a step takes a few milliseconds at most.
    static let loadStepKeys = 1000

    func openLoader(_ path: String) throws -> DatasetLoader? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw LoadError(description: "Can't open \(path): \(String(cString: strerror(errno)))")
        }
        let source = try FileSource(path: path)
        return DatasetLoader(source: source, totalBytes: Int(st.st_size), limits: server.keyspace.encodingLimits,
                             keepExpired: !server.keyspace.expireOnLookup, databases: server.keyspace.databaseCount,
                             now: server.keyspace.now)
    }

    /// Loads `path` completely, now; nil when there is no file.
    @discardableResult
    func loadNow(_ path: String) throws -> LoadSummary? {
        let started = monotonicNanoseconds()
        guard let loader = try openLoader(path) else { return nil }
        do {
            while try !loader.step(into: server.keyspace, budget: Int.max) {}
        } catch {
            server.keyspace.flushAll()
            throw error
        }
        return summary(loader, since: started)
    }

    /// Loads `path` in steps scheduled on the event loop, then calls `done` (with the error, if any).
    func loadInSteps(_ path: String, done: @escaping (Result<LoadSummary?, Error>) -> Void) {
        let loader: DatasetLoader
        do {
            guard let l = try openLoader(path) else {
                loading = nil
                return done(.success(nil))
            }
            loader = l
        } catch {
            loading = nil
            return done(.failure(error))
        }
        runInSteps(loader, done: done)
    }

    /// Runs `loader` in steps of about 10 ms on the event loop (all at once without one), with -LOADING meanwhile.
    func runInSteps(_ loader: StepLoader, done: @escaping (Result<LoadSummary?, Error>) -> Void) {
        let started = monotonicNanoseconds()
        loading = LoadProgress(startedAt: wallClockMilliseconds() / 1000, totalBytes: loader.totalBytes, loadedBytes: 0)
        func step() {
            do {
                // A step loads keys for about 10 ms, then lets the loop answer clients.
                let deadline = monotonicNanoseconds() + 10_000_000
                var finished = false
                while !finished && monotonicNanoseconds() < deadline {
                    finished = try loader.step(into: server.keyspace, budget: Self.loadStepKeys)
                }
                loading?.loadedBytes = loader.loadedBytes
                if !finished, let schedule = server.schedule {
                    schedule(0, step)
                    return
                }
                if !finished { while try !loader.step(into: server.keyspace, budget: Int.max) {} }
                loading = nil
                done(.success(summary(loader, since: started)))
            } catch {
                loading = nil
                server.keyspace.flushAll()
                done(.failure(error))
            }
        }
        step()
    }

    func summary(_ loader: StepLoader, since started: UInt64) -> LoadSummary {
        LoadSummary(keys: loader.tally.keysLoaded, expiredSkipped: loader.tally.expiredSkipped, aux: loader.tally.aux,
                    seconds: Double(monotonicNanoseconds() - started) / 1e9)
    }

    /// DEBUG RELOAD: save, empty the keyspace, load the file back.
    /// A save that fails throws `ReloadSaveFailed`: the dataset is kept, and Redis replies a bare -ERR.
    func debugReload() throws {
        do { try save() } catch { throw ReloadSaveFailed(cause: error) }
        server.keyspace.flushAll()
        try loadNow(dumpPath)
        server.keyspace.dirty = 0
    }
}

extension Persistence {
    /// Start-up: loads dump.rdb if present, logging as Redis does; `done(false)` after a fatal error.
    package func loadAtStartup(done: @escaping (Bool) -> Void) {
        for name in AtomicFile.removeStale(in: AtomicFile.directory(of: dumpPath)) {
            server.log.notice("Removed \(name), left by a save or rewrite of a server that is gone")
        }
        if server.config.appendonly { return loadAppendOnlyAtStartup(done: done) }
        loadInSteps(dumpPath) { [server = server!] result in
            switch result {
            case .success(nil):
                done(true)
            case .success(let summary?):
                Self.logAuxFields(summary.aux, server.log)
                server.log.notice("DB loaded from disk: \(String(format3: summary.seconds)) seconds")
                server.restoreReplicationPosition(from: summary.aux)
                if summary.expiredSkipped > 0 {
                    server.log.verbose("\(summary.expiredSkipped) expired keys skipped while loading")
                }
                done(true)
            case .failure(let error):
                self.logFatalLoad(error, of: "DB")
                done(false)
            }
        }
    }
}

extension Persistence {
    /// The lines Redis logs about the file it loaded: its maker's version, age and memory.
    static func logAuxFields(_ aux: [String: Bytes], _ log: ServerLog) {
        if let version = aux["redis-ver"] { log.notice("Loading RDB produced by version \(version.text)") }
        if let ctime = aux["ctime"].flatMap({ Int64($0.text) }) {
            let age = max(0, Int64(time(nil)) - ctime)
            log.notice("RDB age \(age) seconds")
        }
        if let used = aux["used-mem"].flatMap({ Double($0.text) }) {
            log.notice("RDB memory usage when created \(String(format2: used / (1024 * 1024))) Mb")
        }
    }
}

extension String {
    /// `v` with two decimals, as Redis's "%.2f".
    init(format2 v: Double) {
        let hundredths = Int64((v * 100).rounded())
        let frac = String(hundredths % 100)
        self = "\(hundredths / 100)." + String(repeating: "0", count: 2 - frac.count) + frac
    }

    /// `v` with three decimals, as Redis's "%.3f".
    init(format3 v: Double) {
        let thousandths = Int64((v * 1000).rounded())
        let frac = String(thousandths % 1000)
        self = "\(thousandths / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}

extension Persistence {
    /// Marks the server as loading when a dump file is there, before the listener accepts anyone.
    package func expectStartupLoad() {
        var st = stat()
        if stat(server.config.appendonly ? aofPath : dumpPath, &st) == 0
            || (server.config.appendonly && stat(aofManifestPath, &st) == 0) {
            loading = LoadProgress(startedAt: wallClockMilliseconds() / 1000, totalBytes: Int(st.st_size), loadedBytes: 0)
        }
    }
}
