// ListsBlockingCommands: BLPOP, BRPOP, BRPOPLPUSH.
//
// Contract: Redis 4.0's: the timeout is an integer number of seconds (0 = wait
// forever; "ERR timeout is not an integer or out of range", "ERR timeout is
// negative"). Keys are tried in order; the first non-empty list is popped at
// once and the command is propagated as LPOP/RPOP (BRPOPLPUSH as RPOPLPUSH).
// A key of another type answers WRONGTYPE. With nothing to pop, the client
// blocks (Blocking.swift), or inside MULTI answers a null at once as Redis does.
//
// The tricky bit: a blocking command that blocks writes no reply and changes
// nothing; its reply comes later, from whichever command makes a key ready.
import Engine

let listBlockingCommands: [Command] = [
    Command("blpop", arity: -3, flags: "ws", keys: (1, -2, 1)) { call in blockingPop(call, atHead: true) },
    Command("brpop", arity: -3, flags: "ws", keys: (1, -2, 1)) { call in blockingPop(call, atHead: false) },
    Command("brpoplpush", arity: 4, flags: "wms", keys: (1, 2, 1)) { call in
        guard let deadline = blockingDeadline(call, call.argv[3]) else { return }
        let source = call.argv[1]
        guard let i = call.ks.lookupWrite(call.db, source) else {
            if call.client.inMulti {
                call.null()
            } else {
                call.server.block(call.client, BlockedPop(kind: .popPush(destination: call.argv[2]), db: call.db,
                                                          keys: [source], deadline: deadline))
            }
            return
        }
        guard call.isList(i) else { call.wrongType(); return }
        if rpoplpush(call) {
            call.propagate(as: [[Bytes("RPOPLPUSH"), source, call.argv[2]]])
        }
    },
]

/// The absolute deadline (ms) of a blocking timeout argument in seconds (milliseconds for
/// WAIT), 0 for none; nil after replying with Redis 4.0's error.
func blockingDeadline(_ call: Call, _ arg: Bytes, unitMs: Int64 = 1000) -> Int64? {
    guard let seconds = arg.parseInt64() else {
        call.error("ERR timeout is not an integer or out of range")
        return nil
    }
    if seconds < 0 {
        call.error("ERR timeout is negative")
        return nil
    }
    if seconds == 0 { return 0 }
    let (ms, o1) = seconds.multipliedReportingOverflow(by: unitMs)
    let (deadline, o2) = ms.addingReportingOverflow(call.ks.now)
    return o1 || o2 ? Int64.max : deadline
}

/// BLPOP / BRPOP key [key ...] timeout.
private func blockingPop(_ call: Call, atHead: Bool) {
    let argv = call.argv
    guard let deadline = blockingDeadline(call, argv[argv.count - 1]) else { return }
    for j in 1..<(argv.count - 1) {
        let key = argv[j]
        guard let i = call.ks.lookupWrite(call.db, key) else { continue }
        guard call.isList(i) else { call.wrongType(); return }
        let value = call.withList(i) { list -> Bytes in
            let v = list.pop(atHead: atHead)!
            call.notify(.list, atHead ? "lpop" : "rpop", key)
            return v
        }
        call.array(2)
        call.bulk(key)
        call.bulk(value)
        call.ks.dirty += 1
        call.propagate(as: [[Bytes(atHead ? "LPOP" : "RPOP"), key]])
        return
    }
    if call.client.inMulti {
        call.nullArray()
        return
    }
    var keys: [Bytes] = []
    for key in argv[1..<(argv.count - 1)] where !keys.contains(key) { keys.append(key) }
    call.server.block(call.client, BlockedPop(kind: atHead ? .popHead : .popTail, db: call.db,
                                              keys: keys, deadline: deadline))
}
