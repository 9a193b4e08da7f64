// CommandTable: the one table every command is looked up in.
//
// Each entry carries what Redis's command table carries (name, arity, flags, key
// positions), so COMMAND, COMMAND INFO and COMMAND GETKEYS answer from the same
// data the dispatcher enforces. Arity: N means exactly N arguments counting the
// name, -N means at least N. Key positions: first, last (-1 = the last argument,
// -2 the one before), step. Handler groups live one file per subject and are
// joined here.
import Engine

package struct CommandFlags: OptionSet, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    package static let write = CommandFlags(rawValue: 1 << 0)
    package static let readonly = CommandFlags(rawValue: 1 << 1)
    package static let denyoom = CommandFlags(rawValue: 1 << 2)
    package static let admin = CommandFlags(rawValue: 1 << 3)
    package static let pubsub = CommandFlags(rawValue: 1 << 4)
    package static let noscript = CommandFlags(rawValue: 1 << 5)
    package static let random = CommandFlags(rawValue: 1 << 6)
    package static let sortForScript = CommandFlags(rawValue: 1 << 7)
    package static let loading = CommandFlags(rawValue: 1 << 8)
    package static let stale = CommandFlags(rawValue: 1 << 9)
    package static let skipMonitor = CommandFlags(rawValue: 1 << 10)
    package static let asking = CommandFlags(rawValue: 1 << 11)
    package static let fast = CommandFlags(rawValue: 1 << 12)
    package static let movableKeys = CommandFlags(rawValue: 1 << 13)
    /// Registered by a module (never propagated as itself; COMMAND shows no flag for it, as in 4.0).
    package static let module = CommandFlags(rawValue: 1 << 14)

    /// Parses Redis's flag letters ("wm", "rF", "as", ...) as redisCommandTable spells them.
    package init(_ letters: String) {
        var f: CommandFlags = []
        for c in letters {
            switch c {
            case "w": f.insert(.write)
            case "r": f.insert(.readonly)
            case "m": f.insert(.denyoom)
            case "a": f.insert(.admin)
            case "p": f.insert(.pubsub)
            case "s": f.insert(.noscript)
            case "R": f.insert(.random)
            case "S": f.insert(.sortForScript)
            case "l": f.insert(.loading)
            case "t": f.insert(.stale)
            case "M": f.insert(.skipMonitor)
            case "k": f.insert(.asking)
            case "F": f.insert(.fast)
            default: preconditionFailure("unknown command flag \(c)")
            }
        }
        self = f
    }

    /// The flag names COMMAND reports, in Redis's order.
    package var names: [String] {
        let all: [(CommandFlags, String)] = [
            (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
            (.pubsub, "pubsub"), (.noscript, "noscript"), (.random, "random"), (.sortForScript, "sort_for_script"),
            (.loading, "loading"), (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.asking, "asking"),
            (.fast, "fast"), (.movableKeys, "movablekeys"),
        ]
        return all.filter { contains($0.0) }.map { $0.1 }
    }
}

package final class Command {
    package let name: String
    package let arity: Int
    package let flags: CommandFlags
    package let firstKey: Int
    package let lastKey: Int
    package let keyStep: Int
    /// For commands whose keys cannot be found from positions (movablekeys).
    package let keyFinder: (([Bytes]) -> [Int])?
    package let run: (Call) -> Void
    /// Calls and time spent, for INFO commandstats (a reference, so counting costs no lookup).
    package let stats = CommandStats()

    package convenience init(_ name: String, arity: Int, flags: String, keys: (Int, Int, Int) = (0, 0, 0),
                keyFinder: (([Bytes]) -> [Int])? = nil, run: @escaping (Call) -> Void) {
        var f = CommandFlags(flags)
        if keyFinder != nil { f.insert(.movableKeys) }
        self.init(name, arity: arity, flagSet: f, keys: keys, keyFinder: keyFinder, run: run)
    }

    package init(_ name: String, arity: Int, flagSet f: CommandFlags, keys: (Int, Int, Int),
                 keyFinder: (([Bytes]) -> [Int])?, run: @escaping (Call) -> Void) {
        self.name = name
        self.arity = arity
        self.flags = f
        self.firstKey = keys.0
        self.lastKey = keys.1
        self.keyStep = keys.2
        self.keyFinder = keyFinder
        self.run = run
    }

    /// The same command with counters of its own: the command lists are shared, and each
    /// server (several live in one test process) counts its own calls.
    init(copying c: Command) {
        name = c.name
        arity = c.arity
        flags = c.flags
        firstKey = c.firstKey
        lastKey = c.lastKey
        keyStep = c.keyStep
        keyFinder = c.keyFinder
        run = c.run
    }

    /// Positions in `argv` that hold keys.
    package func keyPositions(_ argv: [Bytes]) -> [Int] {
        if let keyFinder { return keyFinder(argv) }
        guard firstKey > 0 else { return [] }
        let last = lastKey >= 0 ? lastKey : argv.count + lastKey
        var out: [Int] = []
        var i = firstKey
        while i <= last && i < argv.count {
            out.append(i)
            i += keyStep
        }
        return out
    }
}

/// Per-command counters for INFO commandstats.
package final class CommandStats {
    package var calls: Int64 = 0
    package var microseconds: Int64 = 0
    package init() {}
    package func reset() {
        calls = 0
        microseconds = 0
    }
}

/// One `rename-command FROM TO` line (TO empty: the command is disabled).
package struct CommandRename: Equatable, Sendable {
    package let from: String
    package let to: String
}

package struct CommandTable {
    package private(set) var byName: [String: Command] = [:]
    /// Exact-bytes index (lower and upper case spellings) that skips lowercasing on the hot path.
    private var byBytes = CommandSpellings()
    /// Moves on every change of the table, so a cached lookup knows when it is stale.
    package private(set) var generation = 0

    package init(_ groups: [[Command]]) {
        for group in groups {
            for shared in group {
                let command = Command(copying: shared)
                precondition(byName[command.name] == nil, "duplicate command \(command.name)")
                byName[command.name] = command
                byBytes.set(Bytes(command.name), command)
                byBytes.set(Bytes(command.name.uppercased()), command)
            }
        }
    }

    /// The command `name` calls, any spelling. `tag`: CommandSpellings.tag(name), taken
    /// before the table is reached (see there).
    @inline(__always) package func lookup(_ name: Bytes, tag: UInt64? = nil) -> Command? {
        if let c = byBytes.lookup(name, tag: tag ?? CommandSpellings.tag(name)) { return c }
        guard name.count <= 64 else { return nil }
        return byName[String(decoding: name, as: UTF8.self).lowercased()]
    }

    package var all: [Command] { Array(byName.values) }

    /// Adds a command at run time (a module's); false if the name is taken.
    package mutating func add(_ command: Command) -> Bool {
        guard byName[command.name] == nil else { return false }
        byName[command.name] = command
        byBytes.set(Bytes(command.name), command)
        byBytes.set(Bytes(command.name.uppercased()), command)
        generation += 1
        return true
    }

    /// Removes a command added by `add` (MODULE UNLOAD).
    package mutating func remove(_ name: String) {
        guard let command = byName.removeValue(forKey: name) else { return }
        byBytes.removeAll(of: command)
        generation += 1
    }

    /// rename-command: serves the command named `from` as `to` instead, or no longer
    /// at all when `to` is empty. The command keeps its own name for COMMAND and INFO
    /// commandstats, as in Redis; names compare case-insensitively.
    package mutating func rename(_ from: String, to: String) throws {
        let old = from.lowercased()
        guard let command = byName.removeValue(forKey: old) else {
            throw ConfigProblem("No such command in rename-command")
        }
        byBytes.removeAll(of: command)
        generation += 1
        guard !to.isEmpty else { return }
        let new = to.lowercased()
        guard byName[new] == nil else { throw ConfigProblem("Target command name already exists") }
        byName[new] = command
        for spelling in [to, new, to.uppercased()] { byBytes.set(Bytes(spelling), command) }
    }

    /// The standard table with the config file's renames applied (they were checked at load).
    package static func standard(renaming renames: [CommandRename]) -> CommandTable {
        var table = standard
        for r in renames { try? table.rename(r.from, to: r.to) }
        return table
    }

    /// Every command group the server serves, in a fresh table (each server counts its own stats).
    /// A new group file adds its list here.
    package static var standard: CommandTable { CommandTable([
        connectionCommands,
        stringCommands,
        bitCommands,
        keyCommands,
        hashCommands,
        setCommands,
        serverCommands,
        clientCommands,
        configCommands,
        debugCommands,
        introspectionCommands,
        pubsubCommands,
        transactionCommands,
        hyperLogLogCommands,
        hyperLogLogDebugCommands,
        listCommands,
        sortedSetCommands,
        geoCommands,
        replicationCommands,
        replicationWaitCommands,
        sortCommands,
        persistenceCommands,
        migrateCommands,
        memoryCommands,
        latencyCommands,
        moduleCommands,
        scriptCommands,
    ]) }
}
