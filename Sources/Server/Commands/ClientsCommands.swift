// ClientsCommands: CLIENT LIST | KILL | SETNAME | GETNAME | REPLY | PAUSE.
//
// CLIENT KILL takes the old form (`ip:port`, replying OK or an error) and the
// filter form (ID, TYPE, ADDR, SKIPME; replying how many were killed). Killing
// oneself closes after the reply is written, as Redis does.
import Engine

let clientCommands: [Command] = [
    // "l" beyond 4.0's flags: client libraries send CLIENT SETNAME/SETINFO on connect, and a
    // connection made during a load must not fail on it (Redis 7 serves CLIENT while loading too).
    Command("client", arity: -2, flags: "asl") { call in clientCommand(call) },
]

private func clientCommand(_ call: Call) {
    let sub = call.option(1)
    let n = call.argv.count
    switch (sub, n) {
    case ("list", 2):
        var text = ""
        let now = wallClockMilliseconds()
        for c in call.server.clients.values.sorted(by: { $0.id < $1.id }) {
            text += describe(c, now: now, server: call.server) + "\n"
        }
        call.bulk(Bytes(text))
    case ("getname", 2):
        call.bulkOrNull(call.client.name)
    case ("setname", 3):
        let name = call.argv[2]
        if name.contains(where: { $0 < UInt8(ascii: "!") || $0 > UInt8(ascii: "~") }) {
            call.error("ERR Client names cannot contain spaces, newlines or special characters.")
            return
        }
        call.client.name = name.isEmpty ? nil : name
        call.ok()
    case ("reply", 3):
        switch call.option(2) {
        case "on":
            call.client.replyMode = .on
            call.ok()
        case "off":
            call.client.replyMode = .off
        case "skip":
            if call.client.replyMode == .on { call.client.replyMode = .skipNext }
        default:
            call.syntaxError()
        }
    case ("pause", 3):
        guard let ms = call.argv[2].parseInt64(), ms >= 0 else {
            call.error("ERR timeout is not an integer or out of range")
            return
        }
        call.server.pausedUntil = max(call.server.pausedUntil, wallClockMilliseconds() + ms)
        call.ok()
    case ("kill", 3):
        let address = call.argv[2].text
        guard let victim = call.server.clients.values.first(where: { $0.address == address }) else {
            call.error("ERR No such client")
            return
        }
        call.ok()
        kill(victim, by: call)
    case ("kill", _) where n > 3 && n % 2 == 0:
        killFiltered(call)
    default:
        call.error("ERR Syntax error, try CLIENT (LIST | KILL | GETNAME | SETNAME | PAUSE | REPLY)")
    }
}

private func kill(_ victim: Client, by call: Call) {
    if victim === call.client {
        victim.closeAfterReply = true
    } else {
        victim.connection?.close(flush: false)
        call.server.disconnect(victim)
    }
}

private func killFiltered(_ call: Call) {
    var id: Int64? = nil
    var type: String? = nil
    var address: String? = nil
    var skipMe = true
    var i = 2
    while i + 1 < call.argv.count {
        let value = call.argv[i + 1]
        switch call.option(i) {
        case "id":
            guard let v = value.parseInt64() else { call.syntaxError(); return }
            id = v
        case "type":
            let t = value.text.lowercased()
            guard ["normal", "slave", "replica", "pubsub", "master"].contains(t) else {
                call.error("ERR Unknown client type '\(value.text)'")
                return
            }
            type = t == "replica" ? "slave" : t
        case "addr":
            address = value.text
        case "skipme":
            switch value.text.lowercased() {
            case "yes": skipMe = true
            case "no": skipMe = false
            default: call.syntaxError(); return
            }
        default:
            call.syntaxError()
            return
        }
        i += 2
    }
    let victims = call.server.clients.values.filter { c in
        if let id, c.id != id { return false }
        if let type, c.typeName != type { return false }
        if let address, c.address != address { return false }
        if skipMe && c === call.client { return false }
        return true
    }
    call.integer(victims.count)
    for v in victims { kill(v, by: call) }
}

/// One line of CLIENT LIST, with Redis 4.0's fields.
private func describe(_ c: Client, now: Int64, server: Server) -> String {
    let age = (now - c.createdAt) / 1000
    let idle = (now - c.lastInteraction) / 1000
    let name = c.name.map { $0.text } ?? ""
    return "id=\(c.id) addr=\(c.address) fd=\(c.fd) name=\(name) age=\(age) idle=\(idle) flags=\(c.flagsText) "
        + "db=\(c.db) sub=\(c.subscriptions?.channels.count ?? 0) psub=\(c.subscriptions?.patterns.count ?? 0) "
        + "multi=\(c.transaction?.queue.count ?? -1) qbuf=\(c.queryBufferBytes) qbuf-free=\(c.queryBufferFree) obl=\(c.output.readableBytes) "
        + "oll=0 omem=\(c.pendingOutputBytes) events=r cmd=\(c.lastCommand)"
}

extension Client {
    /// The type CLIENT KILL TYPE matches (Redis's getClientType): the master link, a replica,
    /// a pub/sub client, or normal (monitors included).
    var typeName: String {
        if isMaster { return "master" }
        if isReplica { return "slave" }
        if clientClass == .pubsub { return "pubsub" }
        return "normal"
    }
}
