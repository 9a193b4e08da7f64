// MigrateConnectionCache: MIGRATE's open connections to targets, reused across calls.
//
// Redis 4.0's rules (cluster.c's migrate socket cache): one connection per
// "host:port" as the command spelled them, at most 64 (adding one more closes a
// random one), closed by the cron once unused for more than 10 whole seconds,
// and dropped by the command after any I/O error so the next call reconnects.
// Each remembers the database it last selected on the target (nil: unknown, so
// the next MIGRATE sends SELECT). Generic over the link so tests need no sockets.

/// What the cache needs of a connection: a way to close it.
package protocol MigrateLink: AnyObject {
    func close()
}

extension MigrateSocket: MigrateLink {}

package final class MigrateCachedLink<Link: MigrateLink> {
    package let link: Link
    /// The database selected on the target by the last successful MIGRATE (nil: unknown).
    package var selectedDB: Int64? = nil
    /// Unix time in seconds of the last use.
    package var lastUse: Int64

    init(link: Link, now: Int64) {
        self.link = link
        self.lastUse = now
    }
}

package final class MigrateConnectionCache<Link: MigrateLink> {
    package static var capacity: Int { 64 }
    /// Seconds unused after which the cron closes a connection (Redis's MIGRATE_SOCKET_CACHE_TTL).
    package static var idleSeconds: Int64 { 10 }

    private var entries: [String: MigrateCachedLink<Link>] = [:]

    package init() {}

    package var count: Int { entries.count }

    /// The cached connection for `name`, marked as used now.
    package func lookup(_ name: String, now: Int64) -> MigrateCachedLink<Link>? {
        guard let entry = entries[name] else { return nil }
        entry.lastUse = now
        return entry
    }

    /// Caches a new connection, closing a random one first when the cache is full.
    package func add(_ name: String, _ link: Link, now: Int64) -> MigrateCachedLink<Link> {
        if entries[name] == nil, entries.count >= Self.capacity, let victim = entries.keys.randomElement() {
            drop(victim)
        }
        drop(name)
        let entry = MigrateCachedLink(link: link, now: now)
        entries[name] = entry
        return entry
    }

    /// Closes and forgets the connection for `name`, if any.
    package func drop(_ name: String) {
        entries.removeValue(forKey: name)?.link.close()
    }

    /// Closes connections unused for more than `idleSeconds` (the cron calls this).
    package func closeIdle(now: Int64) {
        for (name, entry) in entries where now - entry.lastUse > Self.idleSeconds {
            drop(name)
        }
    }
}
