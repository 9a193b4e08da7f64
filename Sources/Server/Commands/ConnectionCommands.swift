// ConnectionCommands: PING, ECHO, QUIT, AUTH, SELECT, SWAPDB-free connection state.
import Engine

let connectionCommands: [Command] = [
    Command("ping", arity: -1, flags: "tF") { call in
        if call.client.subscriptions != nil && call.argv.count <= 2 {
            // In pub/sub mode PING answers in the message shape: ["pong", argument or ""].
            call.array(2)
            call.bulk(Bytes("pong"))
            call.bulk(call.argv.count == 2 ? call.argv[1] : [])
            return
        }
        switch call.argv.count {
        case 1: call.status("PONG")
        case 2: call.bulk(call.argv[1])
        default: call.wrongArity()
        }
    },
    Command("echo", arity: 2, flags: "F") { call in call.bulk(call.argv[1]) },
    Command("quit", arity: 1, flags: "") { call in
        call.ok()
        call.client.closeAfterReply = true
    },
    Command("auth", arity: 2, flags: "sltF") { call in
        guard let password = call.server.config.requirepass else {
            call.error("ERR Client sent AUTH, but no password is set")
            return
        }
        if call.argv[1] == Bytes(password) {
            call.client.authenticated = true
            call.ok()
        } else {
            call.client.authenticated = false
            call.error("ERR invalid password")
        }
    },
    Command("select", arity: 2, flags: "lF") { call in
        guard let index = call.argv[1].parseInt64().map(databaseIndex40) else {
            call.error("ERR invalid DB index")
            return
        }
        guard index >= 0 && index < Int64(call.ks.databaseCount) else {
            call.error("ERR DB index is out of range")
            return
        }
        call.client.db = Int(index)
        call.ok()
    },
]

/// SELECT's and SWAPDB's index as Redis 4.0 takes it: parsed as a long, then passed to
/// functions taking an int, so 4294967297 is database 1.
func databaseIndex40(_ parsed: Int64) -> Int64 {
    Int64(Int32(truncatingIfNeeded: parsed))
}
