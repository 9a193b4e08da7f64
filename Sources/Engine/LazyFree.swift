// LazyFree (engine side): which deletions give their value to a background
// releaser instead of freeing it on the keyspace thread.
//
// Contract: UNLINK, FLUSHDB/FLUSHALL ASYNC always free lazily; eviction, expiry
// and implicit deletes (a SET or RENAME over an existing key, a *STORE's
// destination, RESTORE REPLACE) do when their lazyfree-lazy-* directive says so
// (`lazyFreePolicy`). A value whose free effort (Redis 4.0's
// lazyfreeGetFreeEffort: elements of a hash table, skiplist or set table, nodes
// of a quicklist, 1 for anything that is one or a few blocks) is at most
// `lazyFreeThreshold` is freed inline: handing it over would cost more.
// The engine has no threads: lazy items collect in `lazyFreeOutbox`, which the
// server hands to its free thread after each command (Server/LazyFree.swift).
// Tricky bit: a value captured by a running snapshot is still referenced by the
// snapshot's pending list (KeyTable.preserve runs before every removal), so the
// releaser only drops one reference and the snapshot writer frees it later.

/// Above this free effort a lazily deleted value is freed in the background (Redis's LAZYFREE_THRESHOLD).
public let lazyFreeThreshold = 64

extension Value {
    /// Roughly how many allocations freeing this value takes, counted as Redis 4.0 does.
    public var freeEffort: Int {
        switch self {
        case .string: return 1
        case .list(let l): return l.nodeCount
        case .set(let s): return s.encodingName == "hashtable" ? s.count : 1
        case .hash(let h): return h.encodingName == "hashtable" ? h.count : 1
        case .zset(let z): return z.encodingName == "skiplist" ? z.count : 1
        case .module: return 1  // freed at once, on the keyspace thread, as in Redis 4.0
        }
    }
}

/// What waits to be freed off the keyspace thread.
public enum LazyFreeItem {
    case value(Value)
    /// A whole database's table (FLUSHDB/FLUSHALL ASYNC), its snapshot state already detached.
    case table(KeyTable)

    /// Objects this item counts for in lazyfree_pending_objects (a table: its keys, as Redis).
    public var objects: Int {
        switch self {
        case .value: return 1
        case .table(let t): return t.count
        }
    }
}

/// Which implicit deletions free lazily (the lazyfree-lazy-* directives).
public struct LazyFreePolicy: Sendable {
    public var eviction = false
    public var expire = false
    public var serverDelete = false
    public init() {}
}

extension Keyspace {
    /// Lets go of a value removed from the keyspace: into the outbox when `lazily` and
    /// costly enough to free, else here and now.
    @inline(__always) func dispose(_ value: Value, lazily: Bool) {
        if lazily && value.freeEffort > lazyFreeThreshold { lazyFreeOutbox.append(.value(value)) }
    }

    /// UNLINK: deletes `key` as `delete` does, freeing a big value in the background.
    @discardableResult
    public func unlink(_ db: Int, _ key: Bytes) -> Bool { delete(db, key, lazily: true) }

    /// A delete the server does on its own behalf (lazyfree-lazy-server-del decides how it frees).
    @discardableResult
    public func serverDelete(_ db: Int, _ key: Bytes) -> Bool { delete(db, key, lazily: lazyFreePolicy.serverDelete) }

    /// Empties database `db` by detaching its table for the background releaser (FLUSHDB ASYNC).
    public func flushLazily(_ db: Int) {
        if databases[db].count > 0 { modifications &+= 1 }
        onModified?(.flush(db: db))
        guard databases[db].count > 0 else { return }
        lazyFreeOutbox.append(.table(databases[db].detach()))
    }

    /// Empties every database, freeing the tables in the background (FLUSHALL ASYNC, slave-lazy-flush).
    public func flushAllLazily() {
        for db in 0..<databases.count { flushLazily(db) }
    }

    /// Moves what waits to be freed to the end of `queue`, leaving the outbox empty. Call it
    /// under the lock of the thread that frees, so the outbox's references go before it runs.
    public func moveLazyFree(into queue: inout [LazyFreeItem]) {
        if queue.isEmpty {
            Swift.swap(&queue, &lazyFreeOutbox)
        } else {
            queue.append(contentsOf: lazyFreeOutbox)
            lazyFreeOutbox.removeAll(keepingCapacity: true)
        }
    }
}

extension KeyTable {
    /// Takes the table's contents out, leaving it empty with its snapshot state (which the
    /// detached copy no longer has): every slot the snapshot still needs is captured first,
    /// here on the owner thread, so the releaser never frees what the snapshot reads.
    mutating func detach() -> KeyTable {
        preserveAll()
        var old = self
        self = KeyTable()
        snapshot = old.snapshot
        old.snapshot = nil
        return old
    }
}
