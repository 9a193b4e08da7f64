// cairn: the file tools. `cairn rdb ...` inspects RDB files (Cairn's or
// Redis's); `cairn aof ...` checks, fixes, summarises and replays AOF logs.
import ArgumentParser
import Engine

@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Tools for Cairn and Redis data files.",
        version: "0.1.0",
        subcommands: [RDBTool.self, AOFTool.self])
}
