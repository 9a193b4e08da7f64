// CommandSpellings: the exact-bytes index from a command name as clients send it
// ("SET", "set") to the command, for the dispatcher's lookup of every request.
//
// Open addressing over the keyspace's key hash (Engine's hashKey), probed
// linearly, in parallel arrays so a probe reads plain integers: a Dictionary
// keyed by the name's byte array fed its hasher one byte at a time and
// finalised it, a cost paid on every command. Spellings not in the index (mixed
// case) fall back to CommandTable's lowercased lookup. Small, and rebuilt whole
// on the rare changes (a module's command, rename-command).
import Engine

struct CommandSpellings {
    /// A spelling's hash with the low bit set (0 marks an empty slot).
    private var hashes: [UInt64] = Array(repeating: 0, count: 16)
    private var spellings: [Bytes] = Array(repeating: [], count: 16)
    private var commands: [Command?] = Array(repeating: nil, count: 16)
    private(set) var count = 0

    /// What `lookup` takes: the caller hashes the name before reaching for the table,
    /// so that no call into another module falls inside the table's access (around one,
    /// the server's table is copied: a retain and release of each of its arrays).
    @inline(__always) static func tag(_ spelling: Bytes) -> UInt64 { hashKey(spelling) | 1 }

    /// The slot holding `spelling`, or the empty slot where it would go.
    @inline(__always) private func slot(of spelling: Bytes, tag: UInt64) -> Int {
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: tag >> 1) & mask
        while hashes[i] != 0 {
            if hashes[i] == tag && spellings[i] == spelling { return i }
            i = (i + 1) & mask
        }
        return i
    }

    @inline(__always) func lookup(_ name: Bytes, tag: UInt64) -> Command? { commands[slot(of: name, tag: tag)] }

    /// Adds or replaces the command for `spelling`.
    mutating func set(_ spelling: Bytes, _ command: Command) {
        if (count + 1) * 2 > hashes.count { rebuild(capacity: hashes.count * 2, dropping: nil) }
        let tag = Self.tag(spelling)
        let i = slot(of: spelling, tag: tag)
        if hashes[i] == 0 { count += 1 }
        hashes[i] = tag
        spellings[i] = spelling
        commands[i] = command
    }

    /// Drops every spelling of `command`.
    mutating func removeAll(of command: Command) { rebuild(capacity: hashes.count, dropping: command) }

    private mutating func rebuild(capacity: Int, dropping dropped: Command?) {
        let old = zip(spellings, commands).compactMap { spelling, command in
            command.flatMap { $0 === dropped ? nil : (spelling, $0) }
        }
        hashes = Array(repeating: 0, count: capacity)
        spellings = Array(repeating: [], count: capacity)
        commands = Array(repeating: nil, count: capacity)
        count = 0
        for (spelling, command) in old { set(spelling, command) }
    }
}
