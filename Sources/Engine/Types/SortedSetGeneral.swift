// SortedSetGeneral: the general form of a sorted set (OBJECT ENCODING "skiplist"):
// a member -> score table beside an order-statistics tree of (score, member).
//
// Contract: the table and the tree always hold the same members with the same
// scores; every change goes through this class, which updates both. Lookups by
// member are O(1), ranks and rank ranges O(log n). It is a class so a large set
// is not copied by accident; SortedSetValue copies it before changing a shared one.

final class SortedSetGeneral: @unchecked Sendable {
    var table: SortedSetTable
    var tree: SortedSetTree

    init() {
        table = SortedSetTable()
        tree = SortedSetTree()
    }

    /// A set holding `entries`, sorted and unique.
    init(sorted entries: [SortedSetEntry]) {
        table = SortedSetTable(capacity: entries.count)
        for e in entries { table.insert(e.member, e.score) }
        tree = SortedSetTree(sorted: entries)
    }

    private init(table: SortedSetTable, tree: SortedSetTree) {
        self.table = table
        self.tree = tree
    }

    func copy() -> SortedSetGeneral { SortedSetGeneral(table: table, tree: tree.deepCopy()) }

    var count: Int { table.count }

    func score(_ member: Bytes) -> Double? {
        guard let i = table.find(member) else { return nil }
        return table.score(at: i)
    }

    func rank(_ member: Bytes) -> Int? {
        guard let i = table.find(member) else { return nil }
        return tree.rank(score: table.score(at: i), member: member)
    }

    /// Adds a member known to be absent.
    func insert(_ member: Bytes, _ score: Double) {
        table.insert(member, score)
        tree.insert(SortedSetEntry(member: member, score: score))
    }

    /// Sets the score of the member at table slot `i`.
    func update(slot i: Int, to score: Double) {
        let member = table.member(at: i)
        tree.remove(score: table.score(at: i), member: member)
        table.setScore(score, at: i)
        tree.insert(SortedSetEntry(member: member, score: score))
    }

    func remove(_ member: Bytes) -> Bool {
        guard let i = table.find(member) else { return false }
        tree.remove(score: table.score(at: i), member: member)
        table.remove(at: i)
        return true
    }

    func removeRanks(_ ranks: Range<Int>) {
        var doomed: [SortedSetEntry] = []
        doomed.reserveCapacity(ranks.count)
        tree.forEach(ranks: ranks, reverse: false) { doomed.append($0) }
        for e in doomed {
            tree.remove(score: e.score, member: e.member)
            if let i = table.find(e.member) { table.remove(at: i) }
        }
    }
}
