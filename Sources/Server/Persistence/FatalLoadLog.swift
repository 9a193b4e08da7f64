// FatalLoadLog: a load that cannot go on ends the log in Redis's words.
//
// Operators and their scripts look at the last lines of the log for Redis's
// fatal messages ("Bad file format reading the append only file", "Wrong RDB
// checksum", ...). Cairn's own line, with the offset and the `cairn aof check
// --fix` hint, comes first; Redis's lines come last, and nothing follows them
// (the shutdown after a failed load says no farewell).
import RDB

extension LoadError {
    /// A damaged AOF: Cairn's detail, then Redis 4.0's line for the kind of damage.
    static func aof(_ detail: String, redis line: String) -> LoadError {
        LoadError(description: detail, redisLines: [line])
    }
}

extension Persistence {
    /// Logs why the load stopped: Cairn's detail, then Redis's closing lines.
    func logFatalLoad(_ error: Error, of what: String) {
        server.log.warning("Fatal error loading the \(what): \(error)")
        for line in Self.redisFatalLines(for: error) { server.log.warning(line) }
        server.log.flush()
    }

    /// The lines Redis 4.0 logs last for this failure (none when Cairn's line is already Redis's).
    static func redisFatalLines(for error: Error) -> [String] {
        if let load = error as? LoadError { return load.redisLines }
        guard let rdb = error as? RDBError else { return [] }
        if rdb.message.hasPrefix("checksum mismatch") {
            return ["Wrong RDB checksum. Aborting now.", "Internal error in RDB reading function -> RDB CRC error"]
        }
        if rdb.message.hasPrefix("unexpected end of file") {
            return ["Short read or OOM loading DB. Unrecoverable error, aborting now.",
                    "Internal error in RDB reading function -> Unexpected EOF reading RDB file"]
        }
        return ["Internal error in RDB reading function -> \(rdb.message)"]
    }
}
