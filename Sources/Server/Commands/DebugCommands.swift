// DebugCommands: the DEBUG subcommands operators and test tooling use:
// SLEEP, OBJECT, DIGEST, SET-ACTIVE-EXPIRE, POPULATE, HELP. RELOAD and LOADAOF
// need persistence and answer that it is not built yet.
#if canImport(Glibc)
import Glibc
#endif
import Engine

let debugCommands: [Command] = [
    Command("debug", arity: -2, flags: "as") { call in debugCommand(call) },
]

private func debugCommand(_ call: Call) {
    let ks = call.ks
    switch (call.option(1), call.argv.count) {
    case ("help", 2):
        call.bulkArray([
            "DEBUG <subcommand> arg arg ... arg. Subcommands:",
            "digest -- Outputs an hex signature representing the current DB content.",
            "object <key> -- Show low level info about key and associated value.",
            "populate <count> [prefix] [size] -- Create <count> string keys named key:<num>.",
            "set-active-expire (0|1) -- Setting it to 0 disables expiring keys in background.",
            "sleep <seconds> -- Stop the server for <seconds>. Decimals allowed.",
        ].map { Bytes($0) })
    case ("sleep", 3):
        let seconds = call.argv[2].parseDouble() ?? 0
        if seconds > 0 { usleep(useconds_t(min(seconds, 3600) * 1_000_000)) }
        call.ok()
    case ("digest", 2):
        call.status(DatasetDigest.hex(DatasetDigest.of(ks)))
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
        call.status("Value at:0x0 refcount:1 encoding:\(value.encodingName) serializedlength:\(serializedLength(value)) "
                    + "lru:\(ks.access(call.db, i) & 0xFFFFFF) lru_seconds_idle:\(idle)")
    case ("populate", 3...5):
        populate(call)
    case ("reload", 2), ("loadaof", 2):
        call.error("ERR DEBUG \(call.argv[1].text.uppercased()) needs persistence, which is not built in this version of Cairn")
    default:
        call.error("ERR Unknown DEBUG subcommand or wrong number of arguments for '\(call.argv[1].text)'")
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
private func serializedLength(_ value: Value) -> Int {
    switch value {
    case .string(.int(let v)):
        if v >= -128 && v <= 127 { return 2 }
        if v >= -32768 && v <= 32767 { return 3 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 5 }
        return 1 + decimalLength(v)
    case .string(.bytes(let b, _)):
        let n = b.count
        return (n < 64 ? 1 : n < 16384 ? 2 : n <= Int(UInt32.max) ? 5 : 9) + n
    default:
        // Collections: their exact RDB size comes with the RDB writer (issue 4); until then the element count.
        return value.elementCount
    }
}
