// cairn: the file tools (RDB inspection and AOF check/fix/replay come with the
// persistence issues).
import ArgumentParser
import Engine

@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Tools for Cairn and Redis data files.",
        version: "0.1.0")
}
