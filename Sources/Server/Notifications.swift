// Notifications: the keyspace events every write reports (notify-keyspace-events).
//
// Command handlers call `call.notify(.list, "lpush", key)` after a change, with
// Redis's event names; expiry and eviction report through the keyspace. The
// events reach subscribers as `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>`
// messages (PubSub.swift); until `notify-keyspace-events` selects a class, a
// notification costs one flag test.
import Engine
import Modules

/// The classes of notify-keyspace-events (its letters: g $ l s h z x e, K E, A).
package struct NotificationClass: OptionSet, Sendable {
    package let rawValue: UInt16
    package init(rawValue: UInt16) { self.rawValue = rawValue }
    package static let keyspace = NotificationClass(rawValue: 1 << 0)  // K
    package static let keyevent = NotificationClass(rawValue: 1 << 1)  // E
    package static let generic = NotificationClass(rawValue: 1 << 2)   // g
    package static let string = NotificationClass(rawValue: 1 << 3)    // $
    package static let list = NotificationClass(rawValue: 1 << 4)      // l
    package static let set = NotificationClass(rawValue: 1 << 5)       // s
    package static let hash = NotificationClass(rawValue: 1 << 6)      // h
    package static let zset = NotificationClass(rawValue: 1 << 7)      // z
    package static let expired = NotificationClass(rawValue: 1 << 8)   // x
    package static let evicted = NotificationClass(rawValue: 1 << 9)   // e
    /// "A": every type class.
    package static let all: NotificationClass = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted]

    private static let letterTable: [(UInt8, NotificationClass)] = [
        (UInt8(ascii: "g"), .generic), (UInt8(ascii: "$"), .string), (UInt8(ascii: "l"), .list),
        (UInt8(ascii: "s"), .set), (UInt8(ascii: "h"), .hash), (UInt8(ascii: "z"), .zset),
        (UInt8(ascii: "x"), .expired), (UInt8(ascii: "e"), .evicted),
    ]

    /// Parses notify-keyspace-events' letters; nil on an unknown letter.
    package init?(letters: Bytes) {
        var classes: NotificationClass = []
        for c in letters {
            switch c {
            case UInt8(ascii: "A"): classes.formUnion(.all)
            case UInt8(ascii: "K"): classes.insert(.keyspace)
            case UInt8(ascii: "E"): classes.insert(.keyevent)
            default:
                guard let match = Self.letterTable.first(where: { $0.0 == c }) else { return nil }
                classes.insert(match.1)
            }
        }
        self = classes
    }

    /// The canonical letters, as CONFIG GET shows them ("A" for all type classes, then K, E).
    package var letters: String {
        var out = ""
        if isSuperset(of: .all) {
            out = "A"
        } else {
            for (c, cls) in Self.letterTable where contains(cls) { out.unicodeScalars.append(Unicode.Scalar(c)) }
        }
        if contains(.keyspace) { out += "K" }
        if contains(.keyevent) { out += "E" }
        return out
    }
}

extension Server {
    /// Reports a keyspace event for `key` in `db`, if its class is selected.
    package func notifyKeyspaceEvent(_ type: NotificationClass, _ event: String, _ key: Bytes, db: Int) {
        // Modules hear their classes whatever notify-keyspace-events says, as in Redis 4.0.
        if !moduleEventTypes.isDisjoint(with: type) {
            modules.notify(type: Int32(type.rawValue), event: event, key: key, db: db)
        }
        guard !notificationClasses.isDisjoint(with: type) else { return }
        if notificationClasses.contains(.keyspace) {
            publish(channel: Bytes("__keyspace@\(db)__:") + key, message: Bytes(event))
        }
        if notificationClasses.contains(.keyevent) {
            publish(channel: Bytes("__keyevent@\(db)__:\(event)"), message: key)
        }
    }

    /// Connects the keyspace's own events (expiry) to notifications.
    func attachKeyspaceEvents() {
        notificationClasses = NotificationClass(letters: Bytes(config.notifyKeyspaceEvents)) ?? []
        keyspace.onExpired = { [unowned self] db, key in
            self.notifyKeyspaceEvent(.expired, "expired", key, db: db)
        }
    }
}

extension Call {
    /// Reports a keyspace event for `key` in the client's database.
    package func notify(_ type: NotificationClass, _ event: String, _ key: Bytes) {
        server.notifyKeyspaceEvent(type, event, key, db: db)
    }
}
