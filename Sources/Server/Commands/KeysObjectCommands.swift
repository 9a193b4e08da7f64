// KeysObjectCommands: OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP.
//
// OBJECT looks keys up without touching their access time, as Redis does, so
// asking for IDLETIME does not reset it. Integers 0..9999 are shared objects in
// Redis (refcount INT_MAX); Cairn reports the same figure for them.
import Engine

/// Redis shares integer objects below this value (OBJ_SHARED_INTEGERS).
let sharedIntegerLimit: Int64 = 10000
let sharedObjectRefcount: Int64 = 2_147_483_647

let keyObjectCommands: [Command] = [
    Command("object", arity: -2, flags: "r", keys: (2, 2, 2)) { call in objectCommand(call) },
]

private let lfuSwitchNote = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

private func objectCommand(_ call: Call) {
    let sub = call.option(1)
    if sub == "help" && call.argv.count == 2 {
        call.bulkArray([
            "OBJECT <subcommand> key. Subcommands:",
            "refcount -- Return the number of references of the value associated with the specified key.",
            "encoding -- Return the kind of internal representation used in order to store the value associated with a key.",
            "idletime -- Return the idle time of the key, that is the approximated number of seconds elapsed since the last access to the key.",
            "freq -- Return the access logarithmic counter of the key, when the LFU maxmemory policy is selected.",
        ].map { Bytes($0) })
        return
    }
    guard call.argv.count == 3, ["encoding", "refcount", "idletime", "freq"].contains(sub) else {
        call.error("ERR Unknown subcommand or wrong number of arguments for '\(call.argv[1].text)'. Try OBJECT HELP")
        return
    }
    let ks = call.ks, db = call.db
    guard let i = ks.lookupWrite(db, call.argv[2], touch: false) else {
        call.null()
        return
    }
    let value = ks.value(db, i)
    switch sub {
    case "encoding":
        call.bulk(Bytes(value.encodingName))
    case "refcount":
        if case .string(.int(let v)) = value, v >= 0, v < sharedIntegerLimit {
            call.integer(sharedObjectRefcount)
        } else {
            call.integer(1)
        }
    case "idletime":
        if ks.accessPolicy.isLFU {
            call.error("ERR An LFU maxmemory policy is selected, idle time not tracked. " + lfuSwitchNote)
            return
        }
        call.integer(ks.accessPolicy.idleSeconds(ks.access(db, i), nowMs: ks.now))
    default:
        guard ks.accessPolicy.isLFU else {
            call.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. " + lfuSwitchNote)
            return
        }
        call.integer(Int64(ks.accessPolicy.decayedCounter(ks.access(db, i), nowMs: ks.now)))
    }
}
