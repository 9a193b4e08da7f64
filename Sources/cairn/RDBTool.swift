// RDBTool: the `cairn rdb` command group and what its subcommands share:
// opening a file (plain or gzip), walking its events, printing byte strings.
//
// Contract: `scanRDB` calls `body` for every event with the offset after it;
// it throws the reader's RDBError for a damaged file. Exit statuses for all
// subcommands: 0 fine, 1 damaged file (or, for diff, files differ), 2 cannot
// read the file, 3 (check) valid but holds types Cairn cannot load.
// Tricky bit: keys and values are raw bytes; they are printed raw where a
// pipe expects data (keys, get) and quoted/escaped in human reports.
import ArgumentParser
import Engine
import RDB
#if canImport(Glibc)
import Glibc
#endif

struct RDBTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rdb",
        abstract: "Inspect RDB files written by Cairn or Redis (plain or gzip-compressed).",
        subcommands: [RDBCheck.self, RDBInfo.self, RDBKeys.self, RDBGet.self, RDBDump.self, RDBMemory.self, RDBDiff.self])
}

/// Exit codes shared by the rdb subcommands.
enum ToolExit {
    static let damaged = ExitCode(1)
    static let unreadable = ExitCode(2)
    static let unsupported = ExitCode(3)
}

/// Walks every event of the file at `path`; `body` gets the event and the offset after it.
func scanRDB(_ path: String, progress: Bool = true, _ body: (RDBEvent, Int) throws -> Bool) throws {
    let source: GzipSource
    do { source = try GzipSource(path: path, progress: progress) } catch {
        writeErr("cairn rdb: \(error)\n")
        throw ToolExit.unreadable
    }
    var reader = RDBReader(source)
    while let ev = try reader.next() {
        if try !body(ev, reader.offset) { return }
    }
}

/// Runs `scan`, turning an RDBError into a report on stderr and exit status 1.
func reportingDamage(_ path: String, _ scan: () throws -> Void) throws {
    do { try scan() } catch let e as RDBError {
        writeErr("\(path): damaged RDB file: \(e)\n")
        throw ToolExit.damaged
    }
}

func writeOut(_ s: String) { fputs(s, stdout) }
func writeOut(_ b: Bytes) { _ = b.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stdout) } }
func writeErr(_ s: String) { fputs(s, stderr) }

/// Options naming which keys a subcommand looks at.
struct KeyFilter: ParsableArguments {
    @Option(help: "Only this database.") var db: Int?
    @Option(help: "Only keys matching this glob pattern.") var match: String?
    @Option(help: "Only keys of this type (string, list, set, zset, hash, stream, module).") var type: String?

    func accepts(_ e: RDBEntry) -> Bool {
        if let db, e.db != db { return false }
        if let match, !globMatch(Bytes(match), e.key) { return false }
        if let type, !(e.value.typeName == type || e.value.typeName.hasPrefix(type + ":")) { return false }
        return true
    }
}
