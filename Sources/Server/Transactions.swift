// Transactions: MULTI queues, EXEC runs the queue atomically, WATCH makes EXEC
// conditional on keys left untouched.
//
// WATCH hangs on the keyspace's modification hook (Keyspace.onModified), so
// every change breaks a watch whatever made it: a command, a flush. Expiry does
// not: Redis 4.0 removes an expired key without touching its watchers, so
// WATCH k, k expires, EXEC still runs (6.0.9 changed that; 4.0 is the reference).
// A flush or SWAPDB breaks only the watches on keys it really changes: keys
// that exist, in the flushed database or on either side of the swap.
// The hook is attached only while some client watches, so it costs nothing
// otherwise. EXEC's writes reach the change stream as one unit, wrapped in
// MULTI ... EXEC records, so a replica or an AOF applies all or nothing.
import Engine

/// The commands queued by one MULTI.
package final class Transaction {
    package var queue: [(command: Command, argv: [Bytes])] = []
    /// A queued command was refused (unknown, wrong arity...): EXEC aborts with EXECABORT.
    package var hasErrors = false
}

/// Who watches what: (db, key) -> watching clients.
package struct WatchRegistry {
    package var watchers: [WatchedKey: [Client]] = [:]
    package init() {}
}

package struct WatchedKey: Hashable {
    package let db: Int
    package let key: Bytes
    package func hash(into h: inout Hasher) {
        h.combine(db)
        key.withUnsafeBytes { h.combine(bytes: $0) }
    }
}

extension Server {
    func watch(_ client: Client, db: Int, key: Bytes) {
        guard !client.watchedKeys.contains(where: { $0.db == db && $0.key == key }) else { return }
        client.watchedKeys.append((db, key))
        watches.watchers[WatchedKey(db: db, key: key), default: []].append(client)
        attachWatchHook()
    }

    /// Forgets every key `client` watches (EXEC, DISCARD, UNWATCH, disconnect).
    func unwatchAll(_ client: Client) {
        for (db, key) in client.watchedKeys {
            let k = WatchedKey(db: db, key: key)
            watches.watchers[k]?.removeAll { $0 === client }
            if watches.watchers[k]?.isEmpty == true { watches.watchers[k] = nil }
        }
        client.watchedKeys = []
        client.watchBroken = false
        if watches.watchers.isEmpty { keyspace.onModified = nil }
    }

    private func attachWatchHook() {
        guard keyspace.onModified == nil else { return }
        keyspace.onModified = { [unowned self] change in
            switch change {
            case .key(let db, let key):
                self.watches.watchers[WatchedKey(db: db, key: key)]?.forEach { $0.watchBroken = true }
            case .expired:
                break
            case .flush(let db):
                // Only keys the flush removes change (Redis's touchWatchedKeysOnFlush);
                // the hook runs before the table is emptied, so they can still be found.
                self.breakWatches(in: [db]) { self.keyspace.peek(db, $0) != nil }
            case .swap(let a, let b):
                // A key changes if it exists on either side (7.0's touchAllWatchedKeysInDb):
                // absent from both, it is absent after the swap too.
                self.breakWatches(in: [a, b]) { self.keyspace.peek(a, $0) != nil || self.keyspace.peek(b, $0) != nil }
            }
        }
    }

    /// Breaks the watches on the keys of databases `dbs` for which `changed` holds.
    private func breakWatches(in dbs: [Int], where changed: (Bytes) -> Bool) {
        for (k, clients) in watches.watchers where dbs.contains(k.db) && changed(k.key) {
            clients.forEach { $0.watchBroken = true }
        }
    }
}
