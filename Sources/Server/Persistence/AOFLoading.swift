// AOFLoading: reading the append-only file back at start-up (when appendonly
// is on, the AOF is the source of truth, not dump.rdb) and for DEBUG LOADAOF.
//
// Contract: Cairn's own single file (optionally an RDB preamble followed by
// commands) is loaded, or else, when only Redis 7.0's `appendonlydir/` with
// its manifest exists, its base and incremental files in order; Cairn then
// writes its own single file from the loaded dataset so later appends have a
// file to go to. Commands run through a client of the server's own, exactly
// as a client's would (MULTI/EXEC included), with lazy expiry off meanwhile.
// A log whose last command is cut short: with aof-load-truncated the file is
// cut back to the last whole command (logged) and the server starts; without
// it, loading stops and says to run `cairn aof check --fix`. Anything else
// malformed stops the load naming the file and offset.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Engine
import RDB
import AOF

/// What the AOF reader thread hands the owner thread.
enum AOFLoadItem {
    /// A key of an RDB preamble (or its aux field).
    case data(LoadItem)
    case command(AOFCommand)
    /// File `index` ended cleanly after `bytes` bytes.
    case fileEnd(index: Int, bytes: Int)
    /// The last file ends inside a command or a MULTI block: cut it back to `validUpTo` (aof-load-truncated).
    case truncated(path: String, validUpTo: Int, revertsTransaction: Bool)
}

/// Replays AOF files into the server: a reader thread parses the files (and
/// converts a preamble's values) while the owner thread runs the commands.
final class AOFLoader: StepLoader, @unchecked Sendable {
    let server: Server
    let files: [String]
    private let client: Client
    let totalBytes: Int
    private var doneBytes = 0
    private(set) var tally = LoadTally()
    private(set) var commands = 0
    private(set) var failedCommands = 0
    private let queue = BatchQueue<AOFLoadItem>(maxQueued: 1 << 16)
    private var failure: Error?  // set by the reader thread before it closes the queue

    init(server: Server, files: [String], truncateTail: Bool) {
        self.server = server
        self.files = files
        totalBytes = files.reduce(0) { total, path in
            var st = stat()
            return total + (stat(path, &st) == 0 ? Int(st.st_size) : 0)
        }
        client = Client(id: 0, address: "", localAddress: "", authenticated: true)
        client.replaysLog = true
        let (limits, databases, now) = (server.keyspace.encodingLimits, server.keyspace.databaseCount, server.keyspace.now)
        BackgroundThread.start(name: "cairn-aof-load") { [self] in
            read(truncateTail: truncateTail, limits: limits, databases: databases, now: now)
        }
    }

    var loadedBytes: Int { doneBytes }

    func step(into ks: Keyspace, budget: Int) throws -> Bool {
        let finished = try queue.drain(budget: budget, prepare: { Self.warm($0, in: ks) }) { try apply($0, ks) }
        // The queue closed after the thread recorded any failure.
        if finished, let failure { throw failure }
        return finished
    }

    /// Touches the table slots of a batch's keys before running it (KeyTable.warm): a
    /// command's first argument is its key for nearly every command a log holds.
    private static func warm(_ items: [AOFLoadItem], in ks: Keyspace) {
        LoadTally.warmTables(items, in: ks) { item in
            switch item {
            case .command(let c) where c.argv.count >= 2: return (c.db, hashKey(c.argv[1]))
            case .data(.key(let db, _, let hash, _, _, _)): return (db, hash)
            default: return nil
            }
        }
    }

    private func apply(_ item: AOFLoadItem, _ ks: Keyspace) throws {
        switch item {
        case .data(let data):
            try tally.apply(data, to: ks, source: "AOF preamble")
        case .command(let command):
            try run(command)
        case .fileEnd(_, let bytes):
            doneBytes += bytes
            // A file ending inside MULTI leaves the transaction queued: it never happened.
            if client.transaction != nil {
                server.log.warning(Self.revertLine)
                client.transaction = nil
            }
            client.db = 0  // each file starts in database 0
        case .truncated(let path, let validUpTo, let revertsTransaction):
            if revertsTransaction { server.log.warning(Self.revertLine) }
            server.log.warning("!!! Warning: short read while loading the AOF file \(path)!!!")
            server.log.warning("!!! Truncating the AOF at offset \(validUpTo) !!!")
            guard truncate(path, off_t(validUpTo)) == 0 else {
                throw LoadError(description: "Error truncating the AOF file \(path): \(String(cString: strerror(errno)))")
            }
            server.log.warning("AOF loaded anyway because aof-load-truncated is enabled")
            client.transaction = nil
            client.db = 0
        }
    }

    private func run(_ command: AOFCommand) throws {
        guard server.commands.lookup(command.argv[0]) != nil else {
            throw LoadError(description: "Unknown command '\(command.argv[0].text)' reading the append only file at offset \(command.offset)")
        }
        // SELECT runs as a command (queued inside MULTI, refused past `databases`), as in Redis's loader.
        server.execute(client, command.argv)
        // Redis drops the replay's replies; an error is still worth a line, since the data differs then.
        if client.output.getInteger(at: client.output.readerIndex, as: UInt8.self) == UInt8(ascii: "-") {
            failedCommands += 1
            if failedCommands <= 3 {
                let reply = client.output.getString(at: client.output.readerIndex, length: min(client.output.readableBytes, 200)) ?? ""
                server.log.warning("AOF command at offset \(command.offset) failed: \(reply.split(separator: "\r").first.map(String.init) ?? "")")
            }
        }
        client.output.clear()
        commands += 1
    }

    /// The reader thread: every file in order, preamble values converted, commands as read.
    private func read(truncateTail: Bool, limits: EncodingLimits, databases: Int, now: Int64) {
        var batch: [AOFLoadItem] = []
        batch.reserveCapacity(1024)
        func hand(_ item: AOFLoadItem) {
            batch.append(item)
            if batch.count >= 1024 {
                queue.push(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        do {
            for (index, path) in files.enumerated() {
                var reader = AOFReader(try FileSource(path: path))
                reader.refuseUnpairedTransactions = false  // an EXEC without MULTI fails as a command, as in Redis
                reader.engineLimits = limits
                do {
                    while let item = try reader.next() {
                        switch item {
                        case .preamble(.entry(let entry)):
                            if let converted = try DatasetLoader.convert(entry, limits: limits, keepExpired: true,
                                                                         databases: databases, now: now) {
                                hand(.data(converted))
                            }
                        case .preamble(.aux(let name, let value)):
                            hand(.data(.aux(String(decoding: name, as: UTF8.self), value)))
                        case .preamble(.moduleAux(let name, let offset)):
                            throw LoadError(description: "The AOF preamble holds AUX data of module \(name) at offset \(offset), which Cairn cannot load")
                        case .preamble:
                            break
                        case .command(let command):
                            hand(.command(command))
                        }
                        if queue.isCancelled { return queue.close() }
                    }
                    hand(.fileEnd(index: index, bytes: reader.lastCommandEnd))
                } catch let damage as AOFReadError {
                    let isLast = index == files.count - 1
                    guard damage.kind == .truncated && isLast && truncateTail else { throw Self.describe(damage, path) }
                    hand(.truncated(path: path, validUpTo: damage.validUpTo, revertsTransaction: damage.endsInsideTransaction))
                }
            }
        } catch {
            failure = error
        }
        queue.push(batch)
        queue.close()
    }

    /// What Redis logs when a file ends inside MULTI: the block is dropped, never half-applied.
    static let revertLine = "Revert incomplete MULTI/EXEC transaction in AOF file"

    /// The error a damaged file stops the load with.
    static func describe(_ damage: AOFReadError, _ path: String) -> LoadError {
        let fix = "`cairn aof check --fix \(path)`"
        if damage.kind == .truncated {
            var error = LoadError.aof("Unexpected end of file reading the append only file \(path) (\(damage.message))",
                        redis: "Unexpected end of file reading the append only file. You can: 1) Make a backup of your AOF file, "
                            + "then use \(fix). 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes "
                            + "and restart the server.")
            if damage.endsInsideTransaction { error.redisLines.insert(revertLine, at: 0) }
            return error
        }
        if damage.kind == .preamble {
            return .aof("Bad RDB preamble in the append only file \(path) at offset \(damage.offset): \(damage.message). "
                        + "Truncation cannot repair it: restore the file from a backup",
                        redis: "Error reading the RDB preamble of the AOF file, AOF loading aborted")
        }
        return .aof("Bad file format reading the append only file \(path) at offset \(damage.offset): \(damage.message)",
                    redis: "Bad file format reading the append only file: make a backup of your AOF file, then use \(fix)")
    }
}

extension Persistence {
    /// Redis 7.0's manifest for `appendfilename`, inside `appendonlydir/`.
    var aofManifestPath: String {
        ConfigValue.absolute("appendonlydir/\(server.config.appendfilename).manifest", from: server.config.dir)
    }

    /// The files to replay: Cairn's single file, else Redis 7.0's multi-part set, else none.
    func aofFilesToLoad() throws -> (files: [String], fromManifest: Bool) {
        var st = stat()
        if stat(aofPath, &st) == 0 { return ([aofPath], false) }
        if stat(aofManifestPath, &st) == 0 {
            let set = try AOFFileSet.resolve(aofManifestPath)
            return (set.files, true)
        }
        return ([], false)
    }

    func makeAOFLoader() throws -> (AOFLoader, fromManifest: Bool)? {
        let (files, fromManifest) = try aofFilesToLoad()
        guard !files.isEmpty else { return nil }
        return (AOFLoader(server: server, files: files, truncateTail: server.config.aofLoadTruncated), fromManifest)
    }

    /// Start-up with appendonly yes: replay the AOF, then open it for appending.
    func loadAppendOnlyAtStartup(done: @escaping (Bool) -> Void) {
        let made: (AOFLoader, fromManifest: Bool)?
        do { made = try makeAOFLoader() } catch {
            loading = nil
            logFatalLoad(error, of: "AOF")
            return done(false)
        }
        guard let (loader, fromManifest) = made else {
            loading = nil
            return done(finishAppendOnlyStartup(writeFresh: false))
        }
        let wasExpiring = server.keyspace.expireOnLookup
        server.keyspace.expireOnLookup = false
        replayingAOF = true
        runInSteps(loader) { [self] result in
            replayingAOF = false
            server.keyspace.expireOnLookup = wasExpiring
            switch result {
            case .success(let summary):
                server.keyspace.dirty = 0
                server.log.notice("DB loaded from append only file: \(String(format3: summary?.seconds ?? 0)) seconds")
                done(finishAppendOnlyStartup(writeFresh: fromManifest))
            case .failure(let error):
                logFatalLoad(error, of: "AOF")
                done(false)
            }
        }
    }

    /// Opens the AOF for appending; first writes it from the dataset when it came from Redis 7.0's files.
    private func finishAppendOnlyStartup(writeFresh: Bool) -> Bool {
        do {
            if writeFresh {
                try writeAppendOnlyNow()
                server.log.notice("Wrote \(aofPath) from Redis 7.0's multi-part AOF; Cairn appends to it from now on")
                retireRedisAppendOnlyDir()
            }
            try openAppendOnlyAtStartup()
            return true
        } catch {
            server.log.warning("Can't open the append-only file: \(error)")
            return false
        }
    }

    /// Renames Redis 7.0's `appendonlydir/` once its data lives in Cairn's own file,
    /// so that a Redis 7.0 started here later loads (and upgrades) the newer
    /// `appendonly.aof` instead of the stale parts. Nothing is deleted.
    private func retireRedisAppendOnlyDir() {
        let dir = AtomicFile.directory(of: aofManifestPath)
        let retired = dir + ".imported-by-cairn-\(wallClockMilliseconds() / 1000)"
        if rename(dir, retired) == 0 {
            server.log.notice("Renamed \(dir) to \(retired): its data is in \(aofPath) now")
        } else {
            server.log.warning("Could not rename \(dir) (\(String(cString: strerror(errno)))); a Redis 7.0 started in this directory would load its older data")
        }
    }

    /// Writes the whole dataset as a new AOF at once (temporary file, sync, rename).
    func writeAppendOnlyNow() throws {
        let ks = server.keyspace
        let target = FileTarget(file: AtomicFile(target: aofPath, prefix: "temp-rewriteaof", suffix: "aof"), rename: true)
        let sink = try target.open()
        var serializer = AOFCommandSerializer(sink: sink, now: ks.now)
        do {
            for db in 0..<ks.databaseCount {
                for i in ks.allIndices(db) {
                    try serializer.write(SnapshotItem(db: db, key: ks.key(db, i), value: ks.value(db, i), expireAt: ks.expireAt(db, i)))
                }
            }
            let (done, _) = try serializer.finish()
            try target.commit(done)
        } catch {
            target.abandon(sink)
            throw error
        }
    }

    /// DEBUG LOADAOF: write out the buffer, empty the dataset, replay the AOF.
    /// A file that cannot be replayed ends the process, as in Redis: the dataset
    /// is gone from memory, and serving (or rewriting the AOF from) an empty or
    /// partial one would put the only good copy, the file, at risk.
    func debugLoadAOF() throws {
        if aof.state == .on {
            aof.flush(policy: server.config.appendfsync, force: true, skipFsync: false)
        }
        let made = try makeAOFLoader()  // a manifest that cannot be read fails here, before anything is emptied
        server.keyspace.flushAll()
        guard let (loader, _) = made else { return }
        do {
            try replayAll(loader)
        } catch {
            logFatalLoad(error, of: "AOF for DEBUG LOADAOF")
            exit(1)
        }
        server.keyspace.dirty = 0
    }
}

extension Persistence {
    /// Replays `files` (an AOF, or Redis 7.0's parts in order) into this server's keyspace,
    /// all at once; returns the commands run. For tools (`cairn aof to-rdb`).
    package func replayAppendOnly(files: [String]) throws -> (commands: Int, failed: Int) {
        let loader = AOFLoader(server: server, files: files, truncateTail: false)
        try replayAll(loader)
        return (loader.commands, loader.failedCommands)
    }

    /// Runs `loader` to its end, now, in replay mode: keys found expired stay
    /// (the log's own DELs remove them), and commands know they come from the log.
    private func replayAll(_ loader: AOFLoader) throws {
        let wasExpiring = server.keyspace.expireOnLookup
        server.keyspace.expireOnLookup = false
        replayingAOF = true
        defer {
            replayingAOF = false
            server.keyspace.expireOnLookup = wasExpiring
        }
        while try !loader.step(into: server.keyspace, budget: Int.max) {}
    }
}
