// UnrecordedChangeCheck: a debug-build guard that a command which changed the
// keyspace also recorded a propagation record.
//
// Why: replicas and the AOF see only the change stream. A handler that edits
// a key but forgets to raise the dirty count (or to propagate its rewrite)
// would make every replica silently diverge; this check turns that mistake
// into an assertion failure in the tests instead. It sees keys added, set,
// deleted, expired or given a TTL, and flushes (Keyspace.modifications), not
// in-place edits of a value.
// Contract: made before a command runs, `verify` after its records were
// added. Commands that legitimately change the keyspace without a record of
// their own (DEBUG RELOAD/LOADAOF reload the data; the loader's own replays)
// are exempt by name, and so is a command that replied with an error: handlers
// take a value out and put it back unchanged when they find the arguments bad.
#if DEBUG
import Engine
import ChangeStream

struct UnrecordedChangeCheck {
    private unowned let server: Server
    private let modificationsBefore: UInt64
    private let recordsBefore: Int
    private let errorsBefore: Int64

    init(_ server: Server) {
        self.server = server
        modificationsBefore = server.keyspace.modifications
        _ = server.stream.mark  // records of earlier commands are counted before this one's
        recordsBefore = server.stream.recorded
        errorsBefore = server.stats.errorReplies
    }

    /// Commands that may change the keyspace and record nothing.
    /// EVAL: a script replicating its effects with redis.set_repl(redis.REPL_NONE) records nothing.
    private static let exempt: Set<String> = ["debug", "exec", "eval", "evalsha"]

    func verify(_ command: Command) {
        guard server.keyspace.modifications != modificationsBefore,
              server.stream.recorded == recordsBefore,
              server.stats.errorReplies == errorsBefore,
              server.stream.commandRouting != .nowhere,  // a command a script runs: its EVAL records
              !Self.exempt.contains(command.name),
              // A module's key-API writes propagate only as the module asks (as in Redis 4.0).
              !command.flags.contains(.module) else { return }
        assertionFailure("\(command.name) changed the keyspace but recorded no propagation record")
    }
}
#endif
