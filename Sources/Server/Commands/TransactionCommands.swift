// TransactionCommands: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis 4.0's
// replies: EXECABORT after a refused queued command, a null array when a
// watched key changed.
import Engine
import ChangeStream

let transactionCommands: [Command] = [
    Command("multi", arity: 1, flags: "sF") { call in
        guard call.client.transaction == nil else {
            call.error("ERR MULTI calls can not be nested")
            return
        }
        call.client.transaction = Transaction()
        call.ok()
    },
    Command("discard", arity: 1, flags: "sF") { call in
        guard call.client.transaction != nil else {
            call.error("ERR DISCARD without MULTI")
            return
        }
        call.client.transaction = nil
        call.server.unwatchAll(call.client)
        call.ok()
    },
    Command("watch", arity: -2, flags: "sF", keys: (1, -1, 1)) { call in
        guard call.client.transaction == nil else {
            call.error("ERR WATCH inside MULTI is not allowed")
            return
        }
        for key in call.argv.dropFirst() { call.server.watch(call.client, db: call.db, key: key) }
        call.ok()
    },
    Command("unwatch", arity: 1, flags: "sF") { call in
        call.server.unwatchAll(call.client)
        call.ok()
    },
    Command("exec", arity: 1, flags: "sM") { call in exec(call) },
]

private func exec(_ call: Call) {
    let server = call.server, client = call.client
    guard let transaction = client.transaction else {
        call.error("ERR EXEC without MULTI")
        return
    }
    client.transaction = nil
    if transaction.hasErrors {
        server.unwatchAll(client)
        call.error("EXECABORT Transaction discarded because of previous errors.")
        return
    }
    if client.watchBroken {
        server.unwatchAll(client)
        call.nullArray()
        return
    }
    server.unwatchAll(client)
    let firstRecord = server.stream.mark
    let startDb = client.db
    call.array(transaction.queue.count)
    client.execInProgress = true
    for (command, argv) in transaction.queue {
        server.call(command, client, argv)
    }
    client.execInProgress = false
    // The writes of the block replay as one unit.
    server.stream.wrapTransaction(since: firstRecord, startDB: startDb, endDB: client.db)
    call.propagate(as: [])
}
