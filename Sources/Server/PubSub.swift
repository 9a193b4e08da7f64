// PubSub: channels, patterns, and delivery of published messages.
//
// Contract: `subscribers` keeps, per channel, the clients in the order they
// subscribed; `patternSubscribers` keeps (pattern, client) pairs in order.
// PUBLISH writes the message into each receiver's output and flushes it at
// once, so a subscriber sees messages in publication order. A client with any
// subscription is in pub/sub mode: only (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING and
// QUIT are accepted, and its output obeys the pubsub class's buffer limits.
import Engine

/// One client's subscriptions, in subscription order.
package final class ClientSubscriptions {
    package var channels: [Bytes] = []
    package var patterns: [Bytes] = []
    package var count: Int { channels.count + patterns.count }
}

package struct PubSubRegistry {
    package var subscribers: [Bytes: [Client]] = [:]
    package var patternSubscribers: [(pattern: Bytes, client: Client)] = []
    package init() {}
}

extension Server {
    /// Delivers `message` on `channel`; returns the number of receivers.
    @discardableResult
    package func publish(channel: Bytes, message: Bytes) -> Int {
        var receivers = 0
        if let clients = pubsub.subscribers[channel] {
            for c in clients {
                c.output.writeArrayHeader(3)
                c.output.writeBulk(Bytes("message"))
                c.output.writeBulk(channel)
                c.output.writeBulk(message)
                c.connection?.flushOutput()
                receivers += 1
            }
        }
        for (pattern, c) in pubsub.patternSubscribers where globMatch(pattern, channel) {
            c.output.writeArrayHeader(4)
            c.output.writeBulk(Bytes("pmessage"))
            c.output.writeBulk(pattern)
            c.output.writeBulk(channel)
            c.output.writeBulk(message)
            c.connection?.flushOutput()
            receivers += 1
        }
        return receivers
    }

    /// Subscribes `client` to `channel`; false if it already was.
    func subscribe(_ client: Client, channel: Bytes) -> Bool {
        let subs = client.subscriptions ?? ClientSubscriptions()
        client.subscriptions = subs
        client.clientClass = .pubsub
        guard !subs.channels.contains(channel) else { return false }
        subs.channels.append(channel)
        pubsub.subscribers[channel, default: []].append(client)
        return true
    }

    func unsubscribe(_ client: Client, channel: Bytes) -> Bool {
        guard let subs = client.subscriptions, let at = subs.channels.firstIndex(of: channel) else { return false }
        subs.channels.remove(at: at)
        pubsub.subscribers[channel]?.removeAll { $0 === client }
        if pubsub.subscribers[channel]?.isEmpty == true { pubsub.subscribers[channel] = nil }
        leavePubSubModeIfIdle(client)
        return true
    }

    func psubscribe(_ client: Client, pattern: Bytes) -> Bool {
        let subs = client.subscriptions ?? ClientSubscriptions()
        client.subscriptions = subs
        client.clientClass = .pubsub
        guard !subs.patterns.contains(pattern) else { return false }
        subs.patterns.append(pattern)
        pubsub.patternSubscribers.append((pattern, client))
        return true
    }

    func punsubscribe(_ client: Client, pattern: Bytes) -> Bool {
        guard let subs = client.subscriptions, let at = subs.patterns.firstIndex(of: pattern) else { return false }
        subs.patterns.remove(at: at)
        pubsub.patternSubscribers.removeAll { $0.client === client && $0.pattern == pattern }
        leavePubSubModeIfIdle(client)
        return true
    }

    private func leavePubSubModeIfIdle(_ client: Client) {
        if client.subscriptions?.count == 0 {
            client.subscriptions = nil
            if client.clientClass == .pubsub { client.clientClass = .normal }
        }
    }

    /// Drops every subscription of a client that is going away.
    func removeSubscriptions(_ client: Client) {
        guard let subs = client.subscriptions else { return }
        for channel in subs.channels { _ = unsubscribe(client, channel: channel) }
        for pattern in subs.patterns { _ = punsubscribe(client, pattern: pattern) }
    }
}
