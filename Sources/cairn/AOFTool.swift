// AOFTool: the `cairn aof` command group and what its subcommands share:
// resolving a path to the files of a log (one AOF, or the parts a Redis 7
// manifest lists), and walking their items.
//
// Contract: `scanAOF` calls `body` with each file's index and every item of
// it, in load order; a damaged file ends the walk with its AOFReadError
// (returned, not thrown, so callers can still report what came before).
// Exit statuses of every subcommand: 0 fine, 1 damaged log (or, for replay,
// an error reply), 2 the files cannot be read or the manifest is broken.
// Tricky bit: a manifest names its files relative to its own directory, so
// `AOFFileSet.resolve` turns them into paths before anything is opened.
import AOF
import ArgumentParser
import Engine
import RDB
#if canImport(Glibc)
import Glibc
#endif

struct AOFTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aof",
        abstract: "Check, fix, summarise and replay append-only files written by Cairn or Redis.",
        discussion: """
        FILE may be one AOF (with or without an RDB preamble), a Redis 7 manifest \
        (appendonly.aof.manifest), or the appendonlydir directory holding one: then every \
        file it lists is used, base first. Exit status: 0 fine, 1 damaged log (or an error \
        reply during replay), 2 unreadable file or broken manifest.
        """,
        subcommands: [AOFCheck.self, AOFInfo.self, AOFReplay.self, AOFToRDB.self])
}

/// The FILE argument every subcommand takes.
struct AOFPath: ParsableArguments {
    @Argument(help: "The AOF file, a Redis 7 manifest, or an appendonlydir directory.") var file: String
}

/// Resolves a path to the files of a log, or exits 2 with the reason.
func resolveAOF(_ path: String) throws -> AOFFileSet {
    do { return try AOFFileSet.resolve(path) } catch {
        writeErr("cairn aof: \(path): \(error)\n")
        throw ToolExit.unreadable
    }
}

/// Size of a file in bytes (0 when it cannot be read).
func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// Walks every item of file `index` of `set`; returns the damage that ended it, if any.
func scanAOFFile(_ set: AOFFileSet, _ index: Int, progress: Bool = true,
                 timestamps: (_ first: Int64?, _ last: Int64?) -> Void = { _, _ in },
                 _ body: (AOFItem) throws -> Bool) throws -> AOFReadError? {
    let path = set.files[index]
    let source: GzipSource
    do { source = try GzipSource(path: path, progress: progress) } catch {
        writeErr("cairn aof: \(error)\n")
        throw ToolExit.unreadable
    }
    var reader = AOFReader(source)
    defer { timestamps(reader.firstTimestamp, reader.lastTimestamp) }
    do {
        while let item = try reader.next() {
            if try !body(item) { return nil }
        }
    } catch let e as AOFReadError {
        if e.kind == .io {
            writeErr("cairn aof: \(path): \(e.message)\n")
            throw ToolExit.unreadable
        }
        return e
    }
    return nil
}

/// The name of a command as printed in summaries: its first argument, uppercased.
func commandName(_ argv: [Bytes]) -> String {
    String(decoding: argv[0].prefix(64), as: UTF8.self).uppercased()
}
