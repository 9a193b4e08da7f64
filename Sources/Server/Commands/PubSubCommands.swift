// PubSubCommands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
// PUBSUB CHANNELS | NUMSUB | NUMPAT, with Redis's reply shapes: each
// (un)subscription confirmed by [kind, name, subscriptions left].
import Engine

let pubsubCommands: [Command] = [
    Command("subscribe", arity: -2, flags: "pslt") { call in
        for channel in call.argv.dropFirst() {
            _ = call.server.subscribe(call.client, channel: channel)
            confirm(call, "subscribe", channel)
        }
    },
    Command("psubscribe", arity: -2, flags: "pslt") { call in
        for pattern in call.argv.dropFirst() {
            _ = call.server.psubscribe(call.client, pattern: pattern)
            confirm(call, "psubscribe", pattern)
        }
    },
    Command("unsubscribe", arity: -1, flags: "pslt") { call in
        let names = call.argv.count > 1 ? Array(call.argv.dropFirst()) : (call.client.subscriptions?.channels ?? [])
        if names.isEmpty { confirm(call, "unsubscribe", nil) }
        for channel in names {
            _ = call.server.unsubscribe(call.client, channel: channel)
            confirm(call, "unsubscribe", channel)
        }
    },
    Command("punsubscribe", arity: -1, flags: "pslt") { call in
        let names = call.argv.count > 1 ? Array(call.argv.dropFirst()) : (call.client.subscriptions?.patterns ?? [])
        if names.isEmpty { confirm(call, "punsubscribe", nil) }
        for pattern in names {
            _ = call.server.punsubscribe(call.client, pattern: pattern)
            confirm(call, "punsubscribe", pattern)
        }
    },
    Command("publish", arity: 3, flags: "pltF") { call in
        call.integer(call.server.publish(channel: call.argv[1], message: call.argv[2]))
    },
    Command("pubsub", arity: -2, flags: "pltR") { call in pubsubIntrospection(call) },
]

/// [kind, name or nil, subscriptions the client has left].
private func confirm(_ call: Call, _ kind: String, _ name: Bytes?) {
    call.array(3)
    call.bulk(Bytes(kind))
    call.bulkOrNull(name)
    call.integer(call.client.subscriptions?.count ?? 0)
}

private func pubsubIntrospection(_ call: Call) {
    let registry = call.server.pubsub
    switch (call.option(1), call.argv.count) {
    case ("channels", 2), ("channels", 3):
        let pattern = call.argv.count == 3 ? call.argv[2] : nil
        let names = registry.subscribers.keys.filter { pattern == nil || globMatch(pattern!, $0) }
        call.bulkArray(Array(names))
    case ("numsub", _):
        let names = call.argv.dropFirst(2)
        call.array(names.count * 2)
        for name in names {
            call.bulk(name)
            call.integer(registry.subscribers[name]?.count ?? 0)
        }
    case ("numpat", 2):
        call.integer(registry.patternSubscribers.count)
    default:
        call.error("ERR Unknown PUBSUB subcommand or wrong number of arguments for '\(call.argv[1].text)'")
    }
}
