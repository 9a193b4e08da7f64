// Defragment: moving a key's heap blocks to fresh allocations, one key at a time,
// when the allocator says a block sits in a sparsely used slab (active defrag).
//
// Contract: the engine knows nothing of the allocator; the server hands it a
// `RelocationHint` that answers, for the address of a heap block, whether moving
// it pays. "Moving" a Swift value means building a new copy of its storage and
// storing that in the entry: the old block is freed when its last reference goes.
// Contents never change, so DEBUG DIGEST and every reader see the same value.
// What moves, per kind of value: DefragmentValues.swift; here, the walk and the
// long keys.
// Tricky bit: a running snapshot. The walk refuses to run while one is active:
// replacing a value is invisible to it (the snapshot holds its own reference or
// captures the new, equal copy), but the old block would stay alive in the
// snapshot, so the move would only add memory; Redis likewise skips defrag
// while a child process saves.

/// Whether the heap block at this address (anywhere inside it) should move.
public typealias RelocationHint = (UnsafeRawPointer) -> Bool

/// Asks the hint about blocks, copies those it picks, and counts both.
public struct Defragmenter {
    let shouldMove: RelocationHint
    /// Blocks moved, and blocks asked about and left (Redis's active_defrag_hits/misses).
    public var hits: Int64 = 0
    public var misses: Int64 = 0
    /// Keys with at least one block moved, and keys visited with none moved.
    public var keyHits: Int64 = 0
    public var keyMisses: Int64 = 0

    public init(hint: @escaping RelocationHint) { shouldMove = hint }

    mutating func ask(_ address: UnsafeRawPointer) -> Bool {
        if shouldMove(address) { hits += 1; return true }
        misses += 1
        return false
    }

    /// A fresh copy of `bytes` when its block should move, else nil.
    mutating func relocate(_ bytes: Bytes) -> Bytes? {
        // Capacity 0 is the shared empty storage, not a heap block.
        guard bytes.capacity > 0 else { return nil }
        guard bytes.withUnsafeBufferPointer({ ask(UnsafeRawPointer($0.baseAddress!)) }) else { return nil }
        return bytes.withUnsafeBufferPointer { Bytes($0) }
    }

    /// A fresh copy of a long string's box when its block should move, else nil (an inline one has no block).
    mutating func relocate(_ bytes: InlineBytes) -> InlineBytes? {
        guard case .heap(let b, let n) = bytes else { return nil }
        return relocate(b, Int(n)).map { .heap($0, count: n) }
    }

    /// A fresh copy of a short string's box (`count` bytes used) when its block should move, else nil.
    mutating func relocate(_ box: StringBox, _ count: Int) -> StringBox? {
        guard ask(box.address) else { return nil }
        return box.withBytes(count) { StringBox.make($0) }
    }

    /// A fresh copy of `buffer` when its block should move, else nil.
    mutating func relocate(_ buffer: PackedBuffer) -> PackedBuffer? {
        guard let storage = buffer.storage else { return nil }
        guard ask(UnsafeRawPointer(Unmanaged.passUnretained(storage).toOpaque())) else { return nil }
        var fresh = PackedBuffer()
        fresh.storage = PackedBuffer.copy(of: storage, capacity: Int(storage.header.count))
        return fresh
    }
}

/// Where a defrag walk resumes: a database and an entry slot in it.
public struct DefragCursor: Equatable, Sendable {
    public var db: Int
    public var slot: Int
    public init(db: Int = 0, slot: Int = 0) {
        self.db = db
        self.slot = slot
    }
}

extension KeyTable {
    /// Visits up to `slots` entry slots from `start`, moving what the hint picks;
    /// returns the next slot, or nil past the last one. Slots, not buckets: a
    /// compaction between two steps may make the walk see a key twice or miss one
    /// until the next pass, which costs defrag nothing but a little work.
    mutating func defragWalk(from start: Int, slots: Int, _ d: inout Defragmenter) -> Int? {
        var i = start
        let end = min(entries.count, start + slots)
        while i < end {
            defer { i += 1 }
            guard entries[i].expireSlot != freeMarker else { continue }
            let hitsBefore = d.hits
            if let moved = d.relocate(entries[i].key) { entries[i].key = moved }
            if let moved = entries[i].value.defragmented(&d) {
                entries[i].value = moved
            }
            if d.hits > hitsBefore { d.keyHits += 1 } else { d.keyMisses += 1 }
        }
        return i < entries.count ? i : nil
    }
}

extension Keyspace {
    /// Walks up to `slots` entry slots from `cursor` (moving to the next database at the end of
    /// one); returns where to resume, or nil once the last database is done. Does nothing
    /// (returns `cursor`) while a snapshot is active.
    public func defragStep(from cursor: DefragCursor, slots: Int, _ d: inout Defragmenter) -> DefragCursor? {
        guard activeSnapshot == nil else { return cursor }
        guard cursor.db < databases.count else { return nil }
        if let next = databases[cursor.db].defragWalk(from: cursor.slot, slots: slots, &d) {
            return DefragCursor(db: cursor.db, slot: next)
        }
        return cursor.db + 1 < databases.count ? DefragCursor(db: cursor.db + 1, slot: 0) : nil
    }
}
