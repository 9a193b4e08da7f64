// ConfigTable: the one table of directives, joined from the Directives*.swift
// files (one per subject), and lookup by name or alias.
//
// Contract: every directive name of Redis 4.0's redis.conf is here (plus
// `watchdog-period`, which only CONFIG GET/SET know, and Redis 5's replica-*
// spellings as aliases). The order is the order CONFIG GET lists names in and
// CONFIG REWRITE appends new lines in.
import Engine

package enum ConfigTable {
    /// Every directive, by subject.
    package static let directives: [ConfigDirective] = generalDirectives + networkDirectives + limitDirectives
        + memoryDirectives + persistenceDirectives + replicationDirectives + clusterDirectives

    private static let index: [String: Int] = {
        var index: [String: Int] = [:]
        for (i, d) in directives.enumerated() {
            for name in [d.name] + d.aliases {
                precondition(index[name] == nil, "duplicate config directive \(name)")
                index[name] = i
            }
        }
        return index
    }()

    /// The directive called `name` (or one of its aliases), case-insensitively.
    package static func lookup(_ name: String) -> ConfigDirective? {
        index[name.lowercased()].map { directives[$0] }
    }

    /// Every name and alias.
    package static var allNames: [String] { directives.flatMap { [$0.name] + $0.aliases } }
}
