// IntrospectionCommands: COMMAND (with COUNT, INFO, GETKEYS), answered from
// the same table the dispatcher enforces.
import Engine

let introspectionCommands: [Command] = [
    Command("command", arity: 0, flags: "lt") { call in commandCommand(call) },
    infoCommand,
]

private func commandCommand(_ call: Call) {
    let table = call.server.commands
    if call.argv.count == 1 {
        let all = table.all.sorted { $0.name < $1.name }
        call.array(all.count)
        for c in all { describe(c, call) }
        return
    }
    switch call.option(1) {
    case "count" where call.argv.count == 2:
        call.integer(table.byName.count)
    case "info":
        call.array(call.argv.count - 2)
        for name in call.argv.dropFirst(2) {
            if let c = table.lookup(name) { describe(c, call) } else { call.nullArray() }
        }
    case "getkeys" where call.argv.count >= 3:
        let argv = Array(call.argv.dropFirst(2))
        guard let c = table.lookup(argv[0]) else {
            call.error("ERR Invalid command specified")
            return
        }
        if (c.arity > 0 && argv.count != c.arity) || argv.count < -c.arity {
            call.error("ERR Invalid number of arguments specified for command")
            return
        }
        let positions = c.keyPositions(argv)
        guard !positions.isEmpty else {
            call.error("ERR Invalid arguments specified for command")
            return
        }
        call.bulkArray(positions.map { argv[$0] })
    default:
        call.error("ERR Unknown subcommand or wrong number of arguments.")
    }
}

/// One COMMAND entry: [name, arity, [flags], first key, last key, step].
private func describe(_ c: Command, _ call: Call) {
    call.array(6)
    call.bulk(Bytes(c.name))
    call.integer(c.arity)
    let flags = c.flags.names
    call.array(flags.count)
    for f in flags { call.status(f) }
    call.integer(c.firstKey)
    call.integer(c.lastKey)
    call.integer(c.keyStep)
}
