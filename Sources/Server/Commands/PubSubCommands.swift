// PubSubCommands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
// PUBSUB CHANNELS | NUMSUB | NUMPAT, with Redis's reply shapes: each
// (un)subscription confirmed by [kind, name, subscriptions left].
import Engine

let pubsubCommands: [Command] = [
    Command("subscribe", arity: -2, flags: "pslt") { call in
        subscribeEach(call, "subscribe") { call.server.subscribe(call.client, channel: $0) }
    },
    Command("psubscribe", arity: -2, flags: "pslt") { call in
        subscribeEach(call, "psubscribe") { call.server.psubscribe(call.client, pattern: $0) }
    },
    Command("unsubscribe", arity: -1, flags: "pslt") { call in
        unsubscribeEach(call, "unsubscribe", current: call.client.subscriptions?.channels ?? []) {
            call.server.unsubscribe(call.client, channel: $0)
        }
    },
    Command("punsubscribe", arity: -1, flags: "pslt") { call in
        unsubscribeEach(call, "punsubscribe", current: call.client.subscriptions?.patterns ?? []) {
            call.server.punsubscribe(call.client, pattern: $0)
        }
    },
    Command("publish", arity: 3, flags: "pltF") { call in
        call.integer(call.server.publish(channel: call.argv[1], message: call.argv[2]))
        // Replicas' subscribers hear it too: Redis sends PUBLISH down the replication stream (not the AOF).
        call.server.stream.record(db: call.db, call.argv, replicasOnly: true)
    },
    Command("pubsub", arity: -2, flags: "pltR") { call in pubsubIntrospection(call) },
]

/// (P)SUBSCRIBE: subscribes to each argument and confirms each.
private func subscribeEach(_ call: Call, _ kind: String, _ subscribe: (Bytes) -> Bool) {
    for name in call.argv.dropFirst() {
        _ = subscribe(name)
        confirm(call, kind, name)
    }
}

/// (P)UNSUBSCRIBE: from the arguments, or from everything `current` holds when there are none;
/// with nothing to leave, one confirmation with a null name.
private func unsubscribeEach(_ call: Call, _ kind: String, current: [Bytes], _ unsubscribe: (Bytes) -> Bool) {
    let names = call.argv.count > 1 ? Array(call.argv.dropFirst()) : current
    if names.isEmpty { confirm(call, kind, nil) }
    for name in names {
        _ = unsubscribe(name)
        confirm(call, kind, name)
    }
}

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
