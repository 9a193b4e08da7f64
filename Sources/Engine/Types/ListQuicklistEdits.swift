// ListQuicklistEdits: the quicklist operations away from the ends: replace at an
// index (LSET), insert next to a pivot (LINSERT), remove matches (LREM), and drop
// elements from either end (LTRIM).
//
// Contract: as ListQuicklist; every operation leaves no empty node and keeps `count`.
// Scans read nodes through `read(i)` (a compressed node is decompressed into a
// temporary); only the nodes that change are decompressed in place (`edit`).
// The tricky bit: inserting into a full node. At a node's edge the value goes
// to the neighbour (or a new node); inside, the node splits at the insertion
// point and the halves are merged with their neighbours when the fill allows,
// so repeated LINSERTs do not leave a trail of tiny nodes.

extension QuickList {
    /// Replaces element `index` (0 ..< count).
    func replace(at index: Int, with value: Bytes) {
        let (ni, local) = locate(index)
        let z = edit(ni)
        z.pointee.replace(at: z.pointee.offset(ofIndex: local), with: value)
    }

    /// Inserts `value` before or after the first element equal to `pivot`; false when none is.
    func insert(_ value: Bytes, pivot: ListProbe, after: Bool, fill: Int) -> Bool {
        for ni in 0..<nodes {
            // The scan's copy of the node is gone before the insert writes it (no copy-on-write).
            if let local = firstMatch(pivot, node: ni) {
                insert(value, node: ni, local: after ? local + 1 : local, fill: fill)
                return true
            }
        }
        return false
    }

    /// The index inside node `ni` of its first element equal to `probe`.
    private func firstMatch(_ probe: ListProbe, node ni: Int) -> Int? {
        let z = read(ni)
        var p = Ziplist.headerSize
        var local = 0
        while !z.isEnd(p) {
            if z.matches(at: p, probe) { return local }
            p = z.next(p)
            local += 1
        }
        return nil
    }

    /// The offsets in node `ni` of up to `limit` elements equal to `probe`, from the head or the tail.
    private func matchOffsets(_ probe: ListProbe, node ni: Int, limit: Int, fromTail: Bool) -> Set<Int> {
        let z = read(ni)
        var hits = Set<Int>()
        if fromTail {
            var p: Int? = z.tailOffset
            while let q = p, hits.count < limit {
                if z.matches(at: q, probe) { hits.insert(q) }
                p = z.previous(q)
            }
        } else {
            var p = Ziplist.headerSize
            while !z.isEnd(p) && hits.count < limit {
                if z.matches(at: p, probe) { hits.insert(p) }
                p = z.next(p)
            }
        }
        return hits
    }

    /// Inserts `value` so it becomes entry `local` of node `ni` (or joins a neighbour at the node's edge).
    private func insert(_ value: Bytes, node ni: Int, local: Int, fill: Int) {
        count += 1
        let n = slot(ni).pointee.count
        if NodeLimits.allowInsert(slot(ni).pointee, length: value.count, fill: fill) {
            let z = edit(ni)
            z.pointee.insert(value, at: local == n ? z.pointee.endOffset : z.pointee.offset(ofIndex: local))
            return
        }
        if local == n {
            if ni + 1 < nodes && NodeLimits.allowInsert(slot(ni + 1).pointee, length: value.count, fill: fill) {
                edit(ni + 1).pointee.prepend(value)
            } else {
                insertNode(Ziplist([value]), at: ni + 1)
            }
            return
        }
        if local == 0 {
            if ni > 0 && NodeLimits.allowInsert(slot(ni - 1).pointee, length: value.count, fill: fill) {
                edit(ni - 1).pointee.append(value)
            } else {
                insertNode(Ziplist([value]), at: ni)
            }
            return
        }
        // Inside a full node: split, put the value at the seam, then merge around.
        let right = edit(ni).pointee.split(at: local)
        insertNode(right, at: ni + 1)
        if NodeLimits.allowInsert(slot(ni).pointee, length: value.count, fill: fill) {
            edit(ni).pointee.append(value)
        } else if NodeLimits.allowInsert(slot(ni + 1).pointee, length: value.count, fill: fill) {
            edit(ni + 1).pointee.prepend(value)
        } else {
            insertNode(Ziplist([value]), at: ni + 1)
        }
        mergeIfAllowed(ni + 1, fill: fill)
        mergeIfAllowed(ni, fill: fill)
        mergeIfAllowed(ni - 1, fill: fill)
    }

    /// Merges node `i` with node `i + 1` when both exist and the fill allows.
    func mergeIfAllowed(_ i: Int, fill: Int) {
        guard i >= 0, i + 1 < nodes else { return }
        guard NodeLimits.allowMerge(slot(i).pointee, slot(i + 1).pointee, fill: fill) else { return }
        let next = read(i + 1)
        edit(i).pointee.appendEntries(of: next)
        removeNode(at: i + 1)
    }

    /// Removes up to `limit` elements equal to `probe`: from the head when limit > 0,
    /// from the tail when < 0, all when 0. Returns how many were removed.
    func remove(_ probe: ListProbe, limit: Int) -> Int {
        let wanted = limit == 0 || limit == Int.min ? Int.max : abs(limit)
        var removed = 0
        if limit >= 0 {
            var ni = 0
            while ni < nodes && removed < wanted {
                let hits = matchOffsets(probe, node: ni, limit: wanted - removed, fromTail: false)
                removed += hits.count
                if removeEntries(node: ni, hits) { continue }
                ni += 1
            }
        } else {
            var ni = nodes - 1
            while ni >= 0 && removed < wanted {
                let hits = matchOffsets(probe, node: ni, limit: wanted - removed, fromTail: true)
                removed += hits.count
                _ = removeEntries(node: ni, hits)
                ni -= 1
            }
        }
        count -= removed
        return removed
    }

    /// Drops the entries at `offsets` from node `ni`; true when that removed the node.
    private func removeEntries(node ni: Int, _ offsets: Set<Int>) -> Bool {
        guard !offsets.isEmpty else { return false }
        if offsets.count == slot(ni).pointee.count {
            removeNode(at: ni)
            return true
        }
        let z = edit(ni)
        if offsets.count == 1 {
            z.pointee.delete(at: offsets.first!, count: 1)
        } else {
            z.pointee = z.pointee.removing(offsets: offsets)
        }
        return false
    }

    /// Drops the first `n` elements (n <= count).
    func removeFirst(_ n: Int) {
        var left = n
        while left > 0 {
            let c = slot(0).pointee.count
            if c <= left {
                removeNode(at: 0)
                left -= c
            } else {
                edit(0).pointee.delete(at: Ziplist.headerSize, count: left)
                left = 0
            }
        }
        count -= n
    }

    /// Drops the last `n` elements (n <= count).
    func removeLast(_ n: Int) {
        var left = n
        while left > 0 {
            let last = nodes - 1
            let c = slot(last).pointee.count
            if c <= left {
                removeNode(at: last)
                left -= c
            } else {
                let z = edit(last)
                z.pointee.delete(at: z.pointee.offset(ofIndex: c - left), count: left)
                left = 0
            }
        }
        count -= n
    }
}
