// Notifications: the keyspace events every write reports (notify-keyspace-events).
//
// Command handlers call `call.notify(.list, "lpush", key)` after a change, with
// Redis's event names; expiry and eviction report through the keyspace. The
// events reach subscribers as `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>`
// messages once pub/sub exists; until `notify-keyspace-events` selects a class,
// a notification costs one flag test.
import Engine

/// The classes of notify-keyspace-events (its letters: g $ l s h z x e, K E, A).
public struct NotificationClass: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let keyspace = NotificationClass(rawValue: 1 << 0)  // K
    public static let keyevent = NotificationClass(rawValue: 1 << 1)  // E
    public static let generic = NotificationClass(rawValue: 1 << 2)   // g
    public static let string = NotificationClass(rawValue: 1 << 3)    // $
    public static let list = NotificationClass(rawValue: 1 << 4)      // l
    public static let set = NotificationClass(rawValue: 1 << 5)       // s
    public static let hash = NotificationClass(rawValue: 1 << 6)      // h
    public static let zset = NotificationClass(rawValue: 1 << 7)      // z
    public static let expired = NotificationClass(rawValue: 1 << 8)   // x
    public static let evicted = NotificationClass(rawValue: 1 << 9)   // e
    /// "A": every type class.
    public static let all: NotificationClass = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted]
}

extension Server {
    /// Reports a keyspace event for `key` in `db`, if its class is selected.
    public func notifyKeyspaceEvent(_ type: NotificationClass, _ event: String, _ key: Bytes, db: Int) {
        guard !notificationClasses.isDisjoint(with: type) else { return }
        keyspaceEventSink?(type, event, key, db)
    }
}

extension Call {
    /// Reports a keyspace event for `key` in the client's database.
    public func notify(_ type: NotificationClass, _ event: String, _ key: Bytes) {
        server.notifyKeyspaceEvent(type, event, key, db: db)
    }
}
