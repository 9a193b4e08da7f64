// AOFToRDB: `cairn aof to-rdb FILE OUT.rdb`: compacts a log into a snapshot.
//
// Contract: the log is replayed into an in-process server (the same command
// code cairn-server runs, no network), which then SAVEs to OUT.rdb (written
// under a temporary name and renamed, like any save). A damaged log stops
// with exit 1 before anything is written; commands the server refuses are
// counted and reported, since the snapshot then differs from the log.
import AOF
import ArgumentParser
import Server

struct AOFToRDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "to-rdb",
        abstract: "Compact a log into a snapshot: replay it and write the dataset as an RDB file.")

    @OptionGroup var path: AOFPath
    @Argument(help: "The RDB file to write.") var out: String

    func run() throws {
        let set = try resolveAOF(path.file)
        var config = ServerConfig()
        config.savePoints = []
        let slash = out.lastIndex(of: "/")
        config.dir = slash.map { String(out[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        config.dbfilename = slash.map { String(out[out.index(after: $0)...]) } ?? out
        let server = Server(config: config, log: ServerLog(level: .warning))
        let replayed: (commands: Int, failed: Int)
        do {
            replayed = try server.persistence.replayAppendOnly(files: set.files)
        } catch {
            writeErr("cairn aof to-rdb: \(error)\n")
            throw ToolExit.damaged
        }
        do {
            try server.persistence.save()
        } catch {
            writeErr("cairn aof to-rdb: cannot write \(out): \(error)\n")
            throw ToolExit.unreadable
        }
        print("\(replayed.commands) commands replayed, \(server.keyspace.totalKeys) keys written to \(out)")
        if replayed.failed > 0 {
            writeErr("warning: \(replayed.failed) commands were refused by the server (see the log lines above)\n")
        }
    }
}
