// ServerAdminCommands: DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE, SHUTDOWN,
// MONITOR and SLOWLOG. INFO, CLIENT, CONFIG, DEBUG and COMMAND have files of
// their own.
import Engine

let serverCommands: [Command] = [
    Command("dbsize", arity: 1, flags: "rF") { call in call.integer(call.ks.keyCount(call.db)) },
    Command("flushdb", arity: -1, flags: "w") { call in
        guard let async = flushMode(call) else { return }
        let removed = call.ks.keyCount(call.db)
        // ASYNC: the table goes to the free thread (a running BGSAVE keeps what it captured).
        if async { call.ks.flushLazily(call.db) } else { call.ks.flush(call.db) }
        call.ks.dirty += Int64(removed)
        call.ok()
    },
    Command("flushall", arity: -1, flags: "w") { call in
        guard let async = flushMode(call) else { return }
        let removed = call.ks.totalKeys
        // The dataset a running BGSAVE captured is gone: its file must not outlive the flush.
        call.server.persistence.abortBackgroundSave()
        if async {
            // The tables are dropped off the keyspace thread; the owner never waits for the free.
            call.ks.flushAllLazily()
        } else {
            call.ks.flushAll()
        }
        // FLUSHALL is always propagated, even on an empty dataset, as Redis does.
        call.ks.dirty += Int64(removed) + 1
        if !call.server.config.savePoints.isEmpty {
            // As Redis: with save points, the empty dataset is saved at once (dirty stays counted for propagation).
            let dirty = call.ks.dirty
            try? call.server.persistence.save()
            call.ks.dirty = dirty
        }
        call.ok()
    },
    Command("time", arity: 1, flags: "RF") { call in
        let micros = wallClockMicroseconds()
        call.array(2)
        call.bulk(Bytes(String(micros / 1_000_000)))
        call.bulk(Bytes(String(micros % 1_000_000)))
    },
    Command("lastsave", arity: 1, flags: "RF") { call in call.integer(call.server.persistence.lastSaveTime) },
    Command("shutdown", arity: -1, flags: "alt") { call in
        var save: Bool? = nil
        if call.argv.count > 2 { call.syntaxError(); return }
        if call.argv.count == 2 {
            switch call.option(1) {
            case "nosave": save = false
            case "save": save = true
            default: call.syntaxError(); return
            }
        }
        call.server.log.warning("User requested shutdown...")
        guard call.server.prepareForShutdown(save: save) else {
            call.error("ERR Errors trying to SHUTDOWN. Check logs.")
            return
        }
        call.server.onShutdown?(save)
    },
    Command("monitor", arity: 1, flags: "as") { call in
        guard !call.client.isMonitor else { return }
        call.client.isMonitor = true
        call.server.monitors.append(call.client)
        call.ok()
    },
    Command("slowlog", arity: -2, flags: "aR") { call in slowlogCommand(call) },
]

/// FLUSHDB/FLUSHALL's optional ASYNC; nil after replying with a syntax error.
private func flushMode(_ call: Call) -> Bool? {
    if call.argv.count == 1 { return false }
    if call.argv.count == 2 && call.option(1) == "async" { return true }
    call.syntaxError()
    return nil
}

private func slowlogCommand(_ call: Call) {
    let sub = call.option(1)
    switch (sub, call.argv.count) {
    case ("reset", 2):
        call.server.slowlog.reset()
        call.ok()
    case ("len", 2):
        call.integer(call.server.slowlog.entries.count)
    case ("get", 2), ("get", 3):
        var count = 10
        if call.argv.count == 3 {
            guard let n = call.int64(2) else { return }
            count = n < 0 ? Int.max : Int(n)
        }
        let entries = call.server.slowlog.entries.prefix(count)
        call.array(entries.count)
        for e in entries {
            call.array(6)
            call.integer(e.id)
            call.integer(e.timestamp)
            call.integer(e.microseconds)
            call.bulkArray(e.argv)
            call.bulk(Bytes(e.clientAddress))
            call.bulk(e.clientName)
        }
    default:
        call.error("ERR Unknown SLOWLOG subcommand or wrong # of args. Try GET, RESET, LEN.")
    }
}
