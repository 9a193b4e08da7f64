// DefragmentValues: what active defrag moves in each kind of value
// (Defragment.swift has the walk and the allocator hint).
//
// Contract: `defragmented` returns an equal value whose blocks the hint picked
// are fresh copies, or nil when none was picked; it never edits storage in place,
// so a value shared with anyone else (another reference to the same box or
// ring) is untouched: the copy is stored in the entry, the old storage freed
// when its last holder lets go. Moved: string bytes (an array or a box); a list's ziplists (raw or
// LZF-compressed nodes; the node ring is copied along when one moves); packed
// hashes, intsets and packed sorted sets (one buffer each); the fields, values
// and members of table-form hashes and sets (with the entry array, copied when
// one moves); the members of a general sorted set (rebuilt whole when one
// moves). Left alone: integers (no block).
// Tricky bit: a large collection is handled whole within one step, as Redis 4.0
// does, so one huge key can overrun a tick's budget.

extension Value {
    func defragmented(_ d: inout Defragmenter) -> Value? {
        switch self {
        case .string(.bytes(let b, let raw)):
            return d.relocate(b).map { .string(.bytes($0, raw: raw)) }
        case .string(.embedded(let box, let n)):
            return d.relocate(box, Int(n)).map { .string(.embedded($0, count: n)) }
        case .string(.int):
            return nil
        case .list(let l):
            return l.defragmented(&d).map(Value.list)
        case .hash(let h):
            return h.defragmented(&d).map(Value.hash)
        case .set(let s):
            return s.defragmented(&d).map(Value.set)
        case .zset(let z):
            return z.defragmented(&d).map(Value.zset)
        case .module:
            return nil  // the module's own allocations are not Cairn's to move
        }
    }
}

extension ListValue {
    func defragmented(_ d: inout Defragmenter) -> ListValue? {
        var out = self
        switch storage {
        case .single(let z):
            guard let fresh = d.relocate(z.bytes) else { return nil }
            out.storage = .single(Ziplist(trusted: fresh))
        case .nodes(let q):
            var moved: [(Int, QuickNode)] = []
            for i in 0..<Int(q.nodeCount) {
                var node = q.slot(i).pointee
                // A compressed node's raw ziplist is a shared empty placeholder: only its LZF bytes count.
                if let packed = node.packed {
                    guard let fresh = d.relocate(packed) else { continue }
                    node.packed = fresh
                } else {
                    guard let fresh = d.relocate(node.raw.bytes) else { continue }
                    node.raw = Ziplist(trusted: fresh)
                }
                moved.append((i, node))
            }
            if moved.isEmpty { return nil }
            let copy = q.copy()
            for (i, node) in moved { copy.slot(i).pointee = node }
            out.storage = .nodes(copy)
        }
        return out
    }
}

extension ByteStringTable {
    /// A copy with the moved keys and payloads, nil when nothing moved. The entry array is
    /// copied on the first move (and so moves too).
    func defragmented(_ d: inout Defragmenter, payload: (Payload, inout Defragmenter) -> Payload?) -> ByteStringTable? {
        var copy: ByteStringTable? = nil
        for i in entries.indices {
            if let key = d.relocate(entries[i].key) {
                if copy == nil { copy = self }
                copy!.entries[i].key = key
            }
            if let p = payload(entries[i].payload, &d) {
                if copy == nil { copy = self }
                copy!.entries[i].payload = p
            }
        }
        return copy
    }
}

extension HashValue {
    func defragmented(_ d: inout Defragmenter) -> HashValue? {
        var out = self
        switch storage {
        case .packed(var pairs):
            guard let moved = d.relocate(pairs.storage) else { return nil }
            pairs.storage = moved
            out.storage = .packed(pairs)
        case .table(let box):
            guard let table = box.table.defragmented(&d, payload: { v, d in d.relocate(v) }) else { return nil }
            out.storage = .table(TableBox(table))
        }
        return out
    }
}

extension SetValue {
    func defragmented(_ d: inout Defragmenter) -> SetValue? {
        var out = self
        switch storage {
        case .intset(var ints):
            guard let moved = d.relocate(ints.storage) else { return nil }
            ints.storage = moved
            out.storage = .intset(ints)
        case .table(let box):
            guard let table = box.table.defragmented(&d, payload: { _, _ in nil }) else { return nil }
            out.storage = .table(TableBox(table))
        }
        return out
    }
}

extension SortedSetValue {
    func defragmented(_ d: inout Defragmenter) -> SortedSetValue? {
        var out = self
        switch storage {
        case .packed(let p):
            guard let fresh = d.relocate(p.bytes) else { return nil }
            out.storage = .packed(SortedSetPacked(trusted: fresh))
        case .general(let g):
            // A member's bytes are held by the table and by the tree (leaf and separator
            // copies): rather than chase every holder, a set with any member moved is built
            // again in order, which also gives its table and tree nodes fresh blocks.
            var entries: [SortedSetEntry] = []
            entries.reserveCapacity(g.count)
            var moved = false
            g.tree.forEach(ranks: 0..<g.count, reverse: false) { e in
                if let fresh = d.relocate(e.member) {
                    moved = true
                    entries.append(SortedSetEntry(member: fresh, score: e.score))
                } else {
                    entries.append(e)
                }
            }
            guard moved else { return nil }
            out.storage = .general(SortedSetGeneral(sorted: entries))
        }
        return out
    }
}
