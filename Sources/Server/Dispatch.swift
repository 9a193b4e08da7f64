// Dispatch: running one command for one client, as Redis's processCommand and
// call() do: look up, check arity and authentication, feed monitors, run, time
// it (command stats, slow log), apply the client's reply mode, and turn the
// change it made into propagation records.
import NIOCore
import RESP
import Engine
import ChangeStream

extension Server {
    package func execute(_ client: Client, _ argv: [Bytes]) {
        let started = clock.ticks.now()
        let now = clock.wallMilliseconds(at: started)
        keyspace.now = now
        client.lastInteraction = now
        let replyStart = client.output.writerIndex
        var suspended = false  // a script went past lua-time-limit: the rest waits for its end
        defer { if !suspended { applyReplyMode(client, replyStart) } }

        // Set before the command runs, as Redis's processCommand does: CLIENT LIST shows
        // cmd=client for its own caller, and NULL after an unknown command.
        let command = lookUp(argv[0], for: client)
        client.lastCommand = command?.name ?? "NULL"
        guard let command else {
            client.transaction?.hasErrors = true
            replyUnknownCommand(client, argv)
            return
        }
        if (command.arity > 0 && argv.count != command.arity) || argv.count < -command.arity {
            client.transaction?.hasErrors = true
            stats.errorReplies += 1
            client.output.writeError("ERR wrong number of arguments for '\(command.name)' command")
            return
        }
        if !client.authenticated && command.name != "auth" {
            client.transaction?.hasErrors = true
            stats.errorReplies += 1
            client.output.writeError("NOAUTH Authentication required.")
            return
        }
        if client.subscriptions != nil && !Self.allowedWhileSubscribed.contains(command.name) {
            stats.errorReplies += 1
            client.output.writeError("ERR only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT allowed in this context")
            return
        }
        // Over maxmemory: evict first; a command that may grow memory is refused if that fails.
        if config.maxmemory > 0 && !client.replaysLog && !freeMemoryIfNeeded() && command.flags.contains(.denyoom) {
            client.transaction?.hasErrors = true
            stats.errorReplies += 1
            client.output.writeError(Self.outOfMemoryError)
            return
        }
        if !client.replaysLog && !client.isMaster, let refusal = stateRefusal(command) {
            if refusal.abortsTransaction { client.transaction?.hasErrors = true }
            stats.errorReplies += 1
            client.output.writeError(refusal.message)
            return
        }
        if suspendedScript != nil && !allowedWhileScriptBusy(command, argv) {
            client.transaction?.hasErrors = true
            stats.errorReplies += 1
            client.output.writeError(Self.busyError)
            return
        }
        if let transaction = client.transaction, !Self.transactionControl.contains(command.name) {
            transaction.queue.append((command, argv))
            client.output.writeStaticString("+QUEUED\r\n")
            return
        }
        call(command, client, argv, startedAt: started)
        if let script = suspendedScript, script.finishExecute == nil {
            suspended = true
            script.finishExecute = { [unowned self] in
                let start = client.output.writerIndex
                self.afterCommand(client)
                self.applyReplyMode(client, start)
            }
            return
        }
        afterCommand(client)
    }

    /// The command `name` spells, remembered per client: comparing a few bytes with the
    /// last name costs less than hashing it again.
    @inline(__always) private func lookUp(_ name: Bytes, for client: Client) -> Command? {
        if client.lookedUpGeneration == commands.generation, bytesEqual(client.lookedUpName, name) {
            return client.lookedUpCommand
        }
        let command = commands.lookup(name, tag: CommandSpellings.tag(name))
        guard let command else { return nil }
        client.lookedUpName = name.withUnsafeBufferPointer { Array($0) }  // a copy: the argument's storage is reused
        client.lookedUpCommand = command
        client.lookedUpGeneration = commands.generation
        return command
    }

    /// What follows every command the dispatcher ran: blocked clients served, records delivered.
    private func afterCommand(_ client: Client) {
        // Clients blocked on keys this command (or a whole EXEC) made ready are served now.
        if !blocking.ready.isEmpty { handleClientsBlockedOnKeys() }
        deliverChanges()
        client.replicationOffset = stream.offset  // what a WAIT after this command waits for
        // A snapshot starts between two commands' records, never inside one's.
        if persistence.scheduler.next != nil { persistence.startPendingSnapshot() }
    }

    /// Runs a command that passed the checks (Redis's call()): feeds monitors, times it,
    /// counts it, and records what it changed as propagation records. EXEC runs its
    /// queued commands through here. `propagate: false` (RedisModule_Call without "!")
    /// records nothing for the command itself.
    func call(_ command: Command, _ client: Client, _ argv: [Bytes], startedAt: UInt64? = nil, propagate: Bool = true) {
        if !monitors.isEmpty && !command.flags.contains(.admin) && !command.flags.contains(.skipMonitor) {
            feedMonitors(client, argv, now: keyspace.now)
        }
        let db = client.db
        let dirtyBefore = keyspace.dirty
        stream.beginCommand()
        #if DEBUG
        let unrecorded = UnrecordedChangeCheck(self)
        #endif
        let started = startedAt ?? clock.ticks.now()
        if command.keyStep > 0 && command.lastKey != command.firstKey && command.keyFinder == nil {
            // Several keys by position (MSET, MGET, DEL, ...): their lookups' cache misses overlap.
            let last = command.lastKey >= 0 ? min(command.lastKey, argv.count - 1) : argv.count + command.lastKey
            if last > command.firstKey {
                keyspace.warmKeys(db, argv, first: command.firstKey, last: last, step: command.keyStep)
            }
        }
        command.run(Call(server: self, client: client, argv: argv))
        if let script = suspendedScript, script.finishCall == nil {
            // An EVAL past lua-time-limit: counted and recorded when the script ends.
            script.finishCall = { [unowned self] in
                self.finishCall(command, client, argv, db: db, dirtyBefore: dirtyBefore, started: started,
                                propagate: propagate)
                #if DEBUG
                if propagate { unrecorded.verify(command) }
                #endif
            }
            return
        }
        finishCall(command, client, argv, db: db, dirtyBefore: dirtyBefore, started: started, propagate: propagate)
        #if DEBUG
        if propagate { unrecorded.verify(command) }
        #endif
    }

    private func finishCall(_ command: Command, _ client: Client, _ argv: [Bytes], db: Int, dirtyBefore: Int64, started: UInt64,
                            propagate: Bool) {
        let micros = Int64(clock.ticks.elapsed(since: started) / 1000)

        stats.commandsProcessed += 1
        command.stats.calls += 1
        command.stats.microseconds += micros
        // EXEC is never logged; the commands it runs are (Redis 4.0's call()).
        if config.slowlogLogSlowerThan >= 0 && micros >= Int64(config.slowlogLogSlowerThan)
            && command.name != "exec" {
            slowlog.add(argv: argv, microseconds: micros, client: client, maxLength: config.slowlogMaxLen)
        }
        // EXEC's own time is its commands' time, each recorded already (as in 4.0).
        if latency.isOn && command.name != "exec" {
            latency.add(command.flags.contains(.fast) ? "fast-command" : "command", milliseconds: micros / 1000)
        }

        // Grown: a save or a reload lowers it, and is no write.
        if propagate {
            stream.endCommand(db: db, argv: argv, wrote: keyspace.dirty > dirtyBefore)
        } else {
            stream.beginCommand()  // drops any rewrite it asked for
            stream.endCommand(db: db, argv: argv, wrote: false)
        }
    }

    /// Why the server's state refuses `command` now (a failed background save on a master, too
    /// few good replicas for min-slaves-to-write, a read-only replica, a replica whose link is down with slave-serve-stale-data no, a load in
    /// progress), or nil; in Redis 4.0's order. A READONLY refusal leaves a MULTI block intact,
    /// as in Redis.
    @inline(__always) private func stateRefusal(_ command: Command) -> (message: String, abortsTransaction: Bool)? {
        let isReplica = replication.isReplica
        if !isReplica && (!persistence.lastBgsaveOK || persistence.aof.lastWriteError != nil)
            && (command.flags.contains(.write) || command.name == "ping"),
           let refusal = persistence.writeRefusal {
            return (refusal, true)
        }
        if !isReplica && config.minReplicasToWrite > 0 && config.minReplicasMaxLag > 0
            && command.flags.contains(.write) && goodReplicaCount() < config.minReplicasToWrite {
            return ("NOREPLICAS Not enough good slaves to write.", true)
        }
        if isReplica {
            if config.replicaReadOnly && command.flags.contains(.write) {
                return ("READONLY You can't write against a read only slave.", false)
            }
            if !config.replicaServeStaleData && replication.link?.state != .connected && !command.flags.contains(.stale) {
                return ("MASTERDOWN Link with MASTER is down and slave-serve-stale-data is set to 'no'.", true)
            }
        }
        if persistence.loading != nil && !command.flags.contains(.loading) {
            return ("LOADING Redis is loading the dataset in memory", true)
        }
        return nil
    }

    /// Commands that run at once inside MULTI instead of being queued.
    static let transactionControl: Set<String> = ["exec", "discard", "multi", "watch"]

    static let allowedWhileSubscribed: Set<String> = ["subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ping", "quit"]

    private func replyUnknownCommand(_ client: Client, _ argv: [Bytes]) {
        // Redis 4.0.14's wording: the name and up to 128 bytes of the first arguments, in backquotes.
        var args = ""
        for arg in argv.dropFirst() {
            guard args.utf8.count < 128 else { break }
            let room = 128 - args.utf8.count
            args += "`" + String(decoding: arg.prefix(room), as: UTF8.self) + "`, "
        }
        let name = String(decoding: argv[0].prefix(128), as: UTF8.self)
        stats.errorReplies += 1
        client.output.writeError("ERR unknown command `\(name)`, with args beginning with: \(args)")
    }

    /// CLIENT REPLY OFF/SKIP: drop what this command wrote.
    private func applyReplyMode(_ client: Client, _ replyStart: Int) {
        switch client.replyMode {
        case .on: return
        case .off:
            client.output.moveWriterIndex(to: replyStart)
        case .skipThis:
            client.output.moveWriterIndex(to: replyStart)
            client.replyMode = .on
        case .skipNext:
            // Set by CLIENT REPLY SKIP itself: its own reply is dropped, and so is the next one.
            client.output.moveWriterIndex(to: replyStart)
            client.replyMode = .skipThis
        }
    }

    /// Sends `+<time> [<db> <addr>] "cmd" "arg" ...` to every MONITOR client.
    func feedMonitors(_ client: Client, _ argv: [Bytes], now: Int64) {
        let micros = wallClockMicroseconds()
        var line = "+\(micros / 1_000_000).\(String(micros % 1_000_000).leftPadded(to: 6)) [\(client.db) \(client.address)]"
        for arg in argv { line += " " + quotedRepresentation(arg) }
        line += "\r\n"
        for monitor in monitors where monitor !== client {
            monitor.output.writeString(line)
            monitor.connection?.flushOutput()
        }
    }
}

/// Bytes as Redis's sdscatrepr shows them: double-quoted, with escapes.
package func quotedRepresentation(_ b: Bytes) -> String {
    var s = "\""
    for c in b {
        switch c {
        case UInt8(ascii: "\\"): s += "\\\\"
        case UInt8(ascii: "\""): s += "\\\""
        case 10: s += "\\n"
        case 13: s += "\\r"
        case 9: s += "\\t"
        case 7: s += "\\a"
        case 8: s += "\\b"
        case 32...126: s.unicodeScalars.append(Unicode.Scalar(c))
        default:
            let hex = String(c, radix: 16)
            s += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return s + "\""
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
