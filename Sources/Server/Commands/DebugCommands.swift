// DebugCommands: the DEBUG subcommands operators and test tooling use:
// SLEEP, OBJECT, DIGEST, SET-ACTIVE-EXPIRE, POPULATE, RELOAD, LOADAOF, RESTART,
// CRASH-AND-RECOVER, HELP.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB

let debugCommands: [Command] = [
    Command("debug", arity: -2, flags: "as") { call in debugCommand(call) },
]

private func debugCommand(_ call: Call) {
    let ks = call.ks
    switch (call.option(1), call.argv.count) {
    case ("help", 2):
        call.bulkArray([
            "DEBUG <subcommand> arg arg ... arg. Subcommands:",
            "change-repl-id -- Change the replication IDs of the instance. Dangerous, should be used only for testing the replication subsystem.",
            "digest -- Outputs an hex signature representing the current DB content.",
            "object <key> -- Show low level info about key and associated value.",
            "populate <count> [prefix] [size] -- Create <count> string keys named key:<num>.",
            "restart [ms] -- Save, rewrite the config file, and restart the server with the same arguments.",
            "crash-and-recover [ms] -- Restart the server at once, with no save.",
            "set-active-expire (0|1) -- Setting it to 0 disables expiring keys in background.",
            "sleep <seconds> -- Stop the server for <seconds>. Decimals allowed.",
        ].map { Bytes($0) })
    case ("sleep", 3):
        let seconds = call.argv[2].parseDouble() ?? 0
        if seconds > 0 { usleep(useconds_t(min(seconds, 3600) * 1_000_000)) }
        call.ok()
    case ("change-repl-id", 2):
        // A new history: no replica may continue the old one by partial resync.
        call.server.replication.history.changeReplicationID()
        call.server.replication.history.clearSecondaryID()
        call.ok()
    case ("digest", 2):
        call.status(DatasetDigest.hex(DatasetDigest.of(ks)))
    case ("lua-always-replicate-commands", 3):
        call.server.scripting.alwaysReplicateCommands = (call.argv[2].parseInt64() ?? 0) != 0
        call.ok()
    case ("set-active-expire", 3):
        call.server.activeExpireEnabled = call.argv[2] != Bytes("0")
        call.ok()
    case ("object", 3):
        guard let i = ks.peek(call.db, call.argv[2]) else {
            call.error("ERR no such key")
            return
        }
        let value = ks.value(call.db, i)
        let idle = ks.accessPolicy.idleSeconds(ks.access(call.db, i), nowMs: ks.now)
        call.status("Value at:0x0 refcount:1 encoding:\(value.encodingName) serializedlength:\(serializedLength(value, compression: call.server.config.rdbCompression)) "
                    + "lru:\(ks.access(call.db, i) & 0xFFFFFF) lru_seconds_idle:\(idle)")
    case ("populate", 3...5):
        populate(call)
    case ("restart", 2...3), ("crash-and-recover", 2...3):
        let delayMs = call.argv.count == 3 ? Int(call.argv[2].parseInt64() ?? 0) : 0
        if !call.server.restart(graceful: call.option(1) == "restart", delayMs: delayMs) {
            call.error("ERR failed to restart the server. Check server logs.")
        }
    case ("reload", 2):
        reload(call, done: "DB reloaded by DEBUG RELOAD", failed: "ERR Error trying to load the RDB dump") {
            try $0.debugReload()
        }
    case ("loadaof", 2):
        reload(call, done: "Append Only File loaded by DEBUG LOADAOF", failed: "ERR Error trying to load the AOF") {
            try $0.debugLoadAOF()
        }
    default:
        call.error("ERR Unknown DEBUG subcommand or wrong number of arguments for '\(call.argv[1].text)'")
    }
}

/// DEBUG RELOAD and LOADAOF: empty the dataset and load it back from disk; a failure is logged and replied.
private func reload(_ call: Call, done: String, failed: String, _ load: (Persistence) throws -> Void) {
    do {
        try load(call.server.persistence)
        call.server.log.notice(done)
        call.ok()
    } catch {
        call.server.log.warning("\(call.argv[0].text.uppercased()) \(call.argv[1].text.uppercased()) failed: \(error)")
        call.error(error is ReloadSaveFailed ? "ERR" : failed)
    }
}

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` holding `value:N`
/// (padded with zero bytes or cut to `size`); existing keys are left alone.
private func populate(_ call: Call) {
    guard let count = call.int64(2) else { return }
    guard count >= 0 else {
        call.error("ERR count is not an integer or out of range")
        return
    }
    let prefix = call.argv.count >= 4 ? call.argv[3] : Bytes("key")
    var size: Int? = nil
    if call.argv.count == 5 {
        guard let s = call.int64(4) else { return }
        size = Int(max(s, 0))
    }
    let ks = call.ks
    for n in 0..<count {
        let key = prefix + Bytes(":\(n)")
        if ks.lookupWrite(call.db, key) != nil { continue }
        var value = Bytes("value:\(n)")
        if let size {
            if value.count > size { value.removeLast(value.count - size) } else {
                value += [UInt8](repeating: 0, count: size - value.count)
            }
        }
        ks.add(call.db, key, .string(StringValue(encoding: value)))
    }
    call.ok()
}

/// The length this value takes in an RDB file, without LZF compression.
/// The bytes the value's RDB body takes (Redis's rdbSavedObjectLen): the DUMP payload
/// without its type byte and 10-byte footer.
private func serializedLength(_ value: Value, compression: Bool) -> Int {
    ((try? DumpPayload.make(value, compression: compression))?.count ?? 11) - 11
}
