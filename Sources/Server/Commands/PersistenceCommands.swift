// PersistenceCommands: SAVE, BGSAVE, BGREWRITEAOF, DUMP and RESTORE (LASTSAVE and SHUTDOWN
// live with the admin commands, DEBUG RELOAD with DEBUG).
//
// Replies and errors are Redis 4.0's. RESTORE takes payloads of any RDB
// version the reader knows, so DUMPs from Redis 7.0 restore here. A RESTORE
// with a TTL propagates as RESTORE with TTL 0 plus PEXPIREAT, so a replica or
// an AOF replayed later gives the key the same deadline.
import Engine
import RDB

let persistenceCommands: [Command] = [
    Command("save", arity: 1, flags: "as") { call in
        let p = call.server.persistence
        guard !p.bgsaveInProgress else {
            call.error("ERR Background save already in progress")
            return
        }
        do {
            try p.save()
            call.ok()
        } catch {
            call.error("ERR")
        }
    },
    Command("bgsave", arity: -1, flags: "a") { call in
        var schedule = false
        if call.argv.count > 1 {
            guard call.argv.count == 2, call.option(1) == "schedule" else {
                call.syntaxError()
                return
            }
            schedule = true
        }
        // The save starts once this command is done (SnapshotScheduler), at a command boundary.
        switch call.server.persistence.scheduler.requestBgsave(schedule: schedule) {
        case .alreadyInProgress:
            call.error("ERR Background save already in progress")
        case .rewriteInProgress:
            call.error("ERR An AOF log rewriting in progress: can't BGSAVE right now. "
                       + "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        case .scheduled:
            call.status("Background saving scheduled")
        case .started:
            call.status("Background saving started")
        }
    },
    Command("bgrewriteaof", arity: 1, flags: "a") { call in
        guard let reply = call.server.persistence.requestRewrite() else { return call.ok() }
        if reply.hasPrefix("ERR") { call.error(reply) } else { call.status(reply) }
    },
    Command("dump", arity: 2, flags: "r", keys: (1, 1, 1)) { call in
        guard let i = call.ks.lookupRead(call.db, call.argv[1]) else {
            call.null()
            return
        }
        do {
            call.bulk(try DumpPayload.make(call.ks.value(call.db, i), compression: call.server.config.rdbCompression))
        } catch {
            call.error("ERR \(error)")
        }
    },
    Command("restore", arity: -4, flags: "wm", keys: (1, 1, 1)) { call in restore(call) },
]

/// RESTORE key ttl serialized-value [REPLACE]
private func restore(_ call: Call) {
    let key = call.argv[1]
    var replace = false
    for i in 4..<call.argv.count {
        guard call.option(i) == "replace" else {
            call.syntaxError()
            return
        }
        replace = true
    }
    // Redis's order: an existing key is refused before the TTL is even parsed.
    let ks = call.ks
    if !replace && ks.lookupWrite(call.db, key) != nil {
        call.error("BUSYKEY Target key name already exists.")
        return
    }
    guard let ttl = call.int64(2) else { return }
    guard ttl >= 0 else {
        call.error("ERR Invalid TTL value, must be >= 0")
        return
    }
    let value: Value
    do {
        let entry = try DumpPayload.parse(call.argv[3], key: key)
        try entry.requireSupported()
        value = try entry.engineValue(limits: ks.encodingLimits)
    } catch DumpPayload.Problem.versionOrChecksum {
        call.error("ERR DUMP payload version or checksum are wrong")
        return
    } catch {
        call.error("ERR Bad data format")
        return
    }
    if replace { ks.serverDelete(call.db, key) }
    let deadline = ttl > 0 ? ks.now + ttl : nil
    ks.add(call.db, key, value, expireAt: deadline)
    ks.dirty += 1
    // A payload newer than 4.0's RDB 8 (Redis 7.0's listpacks) goes on as Cairn's own DUMP of
    // the value: a 4.0 replica or loader refuses the original.
    var payload = call.argv[3]
    if (DumpPayload.writtenVersion(payload) ?? 0) > Int(DumpPayload.version) {
        payload = (try? DumpPayload.make(value, compression: call.server.config.rdbCompression)) ?? payload
    }
    if deadline != nil || payload != call.argv[3] {
        var records = [[Bytes("RESTORE"), key, Bytes("0"), payload] + (replace ? [Bytes("REPLACE")] : [])]
        if let deadline { records.append([Bytes("PEXPIREAT"), key, bytesOf(deadline)]) }
        call.propagate(as: records)
    }
    call.notify(.generic, "restore", key)
    call.ok()
}
