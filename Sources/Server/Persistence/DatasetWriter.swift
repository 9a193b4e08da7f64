// DatasetWriter: writes a dataset as an RDB stream (SAVE, BGSAVE, DUMP's
// sibling, later the AOF preamble and full sync), and `AtomicFile`, which
// puts a finished file in place so a crash never leaves a torn dump.rdb.
//
// Contract: `begin` writes the header and Redis 4.0's aux fields; `write`
// takes keys in any database order, emitting SELECTDB whenever the database
// changes (and RESIZEDB the first time, from the hints given), because a
// forkless snapshot captures keys in the order writes touch them; `finish`
// writes EOF and the CRC64. Redis loads a file that selects a database more
// than once, and redis-check-rdb accepts it.
// Tricky bit: AtomicFile writes to `temp-<pid>-<n>.rdb` beside the target,
// fsyncs it, renames it over the target and fsyncs the directory, so the
// target is either the old file or the whole new one.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB

/// What the aux fields of a written RDB say.
struct DatasetHeader {
    var ctime: Int64
    var usedMemory: Int64
    var aofPreamble = false
    /// Keys and keys with a TTL per database, written as RESIZEDB hints.
    var sizes: [Int: (keys: Int, expires: Int)] = [:]
    /// The replication position (aux fields repl-stream-db, repl-id, repl-offset), when there is one.
    var replication: ReplicationAux? = nil
}

/// Where the dataset stands in the replication stream: what a replica (or this server,
/// restarted) continues from after loading the file.
struct ReplicationAux: Equatable {
    var streamDB: Int
    var replid: String
    var offset: Int64
}

/// Streams a dataset into an RDB sink.
struct DatasetWriter<Sink: ByteSink> {
    var rdb: RDBWriter<Sink>
    private var currentDB = -1
    private var selected = Set<Int>()
    private var sizes: [Int: (keys: Int, expires: Int)] = [:]
    /// Keys written.
    private(set) var keys = 0

    init(sink: Sink, compression: Bool, checksum: Bool) {
        rdb = RDBWriter(sink)
        rdb.compression = compression
        rdb.checksum = checksum
    }

    mutating func begin(_ header: DatasetHeader) throws {
        sizes = header.sizes
        try rdb.header()
        try rdb.standardAux(redisVersion: Server.implementedRedisVersion, ctime: header.ctime,
                            usedMem: header.usedMemory, aofPreamble: header.aofPreamble)
        if let repl = header.replication {
            try rdb.aux("repl-stream-db", Bytes(String(repl.streamDB)))
            try rdb.aux("repl-id", Bytes(repl.replid))
            try rdb.aux("repl-offset", Bytes(String(repl.offset)))
        }
    }

    mutating func write(db: Int, key: Bytes, value: Value, expireAt: Int64?) throws {
        if db != currentDB {
            try rdb.selectDB(db)
            if selected.insert(db).inserted, let hint = sizes[db] {
                try rdb.resizeDB(dbSize: hint.keys, expiresSize: hint.expires)
            }
            currentDB = db
        }
        try rdb.entry(key: key, value: value, expireAt: expireAt)
        keys += 1
    }

    mutating func finish() throws { try rdb.finish() }
}

extension Keyspace {
    /// RESIZEDB hints for every non-empty database.
    var sizeHints: [Int: (keys: Int, expires: Int)] {
        var out: [Int: (keys: Int, expires: Int)] = [:]
        for db in 0..<databaseCount where keyCount(db) > 0 { out[db] = (keyCount(db), expiringCount(db)) }
        return out
    }
}

/// A file written under a temporary name and renamed into place once synced.
struct AtomicFile {
    let target: String
    let temporary: String
    private static var counter = 0

    /// A file for `target`, written first as `<prefix>-<pid>-<n>.<suffix>` beside it.
    init(target: String, prefix: String = "temp", suffix: String = "rdb") {
        self.target = target
        Self.counter += 1
        let dir = Self.directory(of: target)
        temporary = (dir == "." ? "" : dir + "/") + "\(prefix)-\(getpid())-\(Self.counter).\(suffix)"
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    func open() throws -> FileSink { try FileSink(path: temporary) }

    /// Syncs and closes `sink`, renames the temporary file over the target and syncs the directory.
    func commit(_ sink: FileSink) throws {
        do {
            try sink.close()
        } catch {
            unlink(temporary)
            throw error
        }
        try moveIntoPlace()
    }

    /// Renames the (closed, synced) temporary file over the target and syncs the directory.
    func moveIntoPlace() throws {
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ByteStreamError("Error moving temp DB file \(temporary) on the final destination \(target) (in server root dir \(currentDirectory())): \(reason)")
        }
        let fd = Glibc.open(Self.directory(of: target), O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Closes `sink` if open and removes the temporary file, after a failed write.
    func abandon(_ sink: FileSink?) {
        try? sink?.close()
        unlink(temporary)
    }

    /// The prefixes and suffixes the server's temporary files use.
    static let temporaryKinds: [(prefix: String, suffix: String)] =
        [("temp", "rdb"), ("temp-rewriteaof", "aof"), ("temp-rewriteaof-bg", "aof")]

    /// Removes, from `dir`, the temporary files of Cairn processes that no longer
    /// run (a save or rewrite cut short by a crash or SIGKILL: a whole dataset's
    /// worth of disk each). Files of a live process, and Redis's own temporary
    /// names (`temp-<pid>.rdb`, one number), are left alone. Returns the names removed.
    static func removeStale(in dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var removed: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = ownerPid(of: name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(dir + "/" + name) == 0 { removed.append(name) }
        }
        return removed
    }

    /// The pid in a name of the form `<prefix>-<pid>-<n>.<suffix>`, or nil.
    static func ownerPid(of name: String) -> pid_t? {
        for kind in temporaryKinds where name.hasPrefix(kind.prefix + "-") && name.hasSuffix("." + kind.suffix) {
            let middle = name.dropFirst(kind.prefix.count + 1).dropLast(kind.suffix.count + 1)
            let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt(parts[1]) != nil else { continue }
            return pid
        }
        return nil
    }
}

func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return "?" }
    return String(cString: buf)
}
