// SetValue: what a set key holds, in Redis 4.0's two encodings.
//
// Contract: a set whose members are all integers (Redis's string2ll rules,
// `parseInt64`: canonical decimal text only) is an IntSet ("intset") while it
// has at most set-max-intset-entries members; adding a non-integer or going
// past the limit converts it, one way, to a ByteStringTable ("hashtable"). A
// new set starts as an intset when its first member is an integer, else as a
// table (Redis's setTypeCreate); sets built by SINTERSTORE and friends start as
// an empty intset (`init()`). A value is one reference wide.
//
// The tricky bit: as in HashValue, mutators move the payload out of the enum so
// the blob or box they edit is unique and edited in place. Members of an
// intset are reported as their decimal text, which is exactly the text they
// were added with (parseInt64 accepts only canonical forms). The digest is
// Redis's: each member's SHA1 xor-ed into the key's digest.

public struct SetValue: CollectionValue {
    @usableFromInline enum Storage: Sendable {
        case intset(IntSet)
        case table(TableBox<Void>)
    }

    @usableFromInline var storage: Storage

    /// An empty set in the intset form.
    public init() { storage = .intset(IntSet()) }

    /// An empty set in the form Redis picks for a set whose first member is `member`.
    public init(forFirstMember member: Bytes) {
        if member.parseInt64() != nil {
            storage = .intset(IntSet())
        } else {
            storage = .table(TableBox(ByteStringTable()))
        }
    }

    /// A set holding `members`, built as SADD would build it under `limits`.
    public init(members: [Bytes], limits: EncodingLimits) {
        if let first = members.first { self.init(forFirstMember: first) } else { self.init() }
        for m in members { add(m, limits: limits) }
    }

    /// A table-form set of `members`, sized once; nil when a member repeats (a file's set).
    public init?(tableMembers members: [Bytes]) {
        var table = ByteStringTable<Void>(capacity: members.count)
        for m in members where !table.insertIfAbsent(m, ()) { return nil }
        storage = .table(TableBox(table))
    }

    public var isIntset: Bool {
        if case .intset = storage { return true }
        return false
    }

    public var encodingName: String { isIntset ? "intset" : "hashtable" }

    public var count: Int {
        switch storage {
        case .intset(let s): return s.count
        case .table(let box): return box.table.count
        }
    }

    /// The intset (nil in the table form), for serializers.
    public var intset: IntSet? {
        if case .intset(let s) = storage { return s }
        return nil
    }

    // MARK: reads

    public func contains(_ member: Bytes) -> Bool {
        switch storage {
        case .intset(let s):
            guard let v = member.parseInt64() else { return false }
            return s.contains(v)
        case .table(let box):
            return box.table.contains(member)
        }
    }

    /// The member at position `i` (0..<count) in iteration order.
    public func member(at i: Int) -> Bytes {
        switch storage {
        case .intset(let s): return bytesOf(s.element(at: i))
        case .table(let box): return box.table.key(at: i)
        }
    }

    /// Visits every member (intset: ascending; table: storage order).
    public func forEach(_ body: (Bytes) throws -> Void) rethrows {
        switch storage {
        case .intset(let s): try s.forEach { try body(bytesOf($0)) }
        case .table(let box): try box.table.forEach { key, _ in try body(key) }
        }
    }

    /// Visits every member as a view valid only during the call (an integer's text
    /// on the stack), in `forEach`'s order, without making arrays.
    public func forEachView(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        switch storage {
        case .intset(let s): try s.forEach { try StringValue.int($0).withBytes(body) }
        case .table(let box): try box.table.forEachView { key, _ in try body(key) }
        }
    }

    /// Every member, in iteration order.
    public var members: [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// A uniformly chosen member, or nil when empty.
    public func randomMember<G: RandomNumberGenerator>(using g: inout G) -> Bytes? {
        let n = count
        if n == 0 { return nil }
        return member(at: Int.random(in: 0..<n, using: &g))
    }

    // MARK: writes

    /// Adds `member` (Redis's setTypeAdd); true when it was not there. An intset
    /// converts on a non-integer member or past `limits.setMaxIntsetEntries`.
    @discardableResult
    public mutating func add(_ member: Bytes, limits: EncodingLimits) -> Bool {
        switch storage {
        case .intset(var s):
            if let v = member.parseInt64() {
                storage = .intset(IntSet())
                let added = s.insert(v)
                let n = s.count
                storage = .intset(s)
                if added && n > limits.setMaxIntsetEntries { convertToTable(capacity: n) }
                return added
            }
            convertToTable(capacity: s.count + 1)
            return add(member, limits: limits)
        case .table(var box):
            storage = .intset(IntSet())
            if !isKnownUniquelyReferenced(&box) { box = TableBox(box.table) }
            let added = box.table.insertIfAbsent(member, ())
            storage = .table(box)
            return added
        }
    }

    /// Removes `member`; true when it was there. The form never changes back.
    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        switch storage {
        case .intset(var s):
            guard let v = member.parseInt64(), s.contains(v) else { return false }
            storage = .intset(IntSet())
            s.remove(v)
            storage = .intset(s)
            return true
        case .table(var box):
            guard box.table.contains(member) else { return false }
            storage = .intset(IntSet())
            if !isKnownUniquelyReferenced(&box) { box = TableBox(box.table) }
            box.table.remove(member)
            storage = .table(box)
            return true
        }
    }

    /// Removes and returns a uniformly chosen member, or nil when empty.
    public mutating func removeRandom<G: RandomNumberGenerator>(using g: inout G) -> Bytes? {
        let n = count
        if n == 0 { return nil }
        let i = Int.random(in: 0..<n, using: &g)
        switch storage {
        case .intset(var s):
            let v = s.element(at: i)
            storage = .intset(IntSet())
            s.remove(v)
            storage = .intset(s)
            return bytesOf(v)
        case .table(var box):
            storage = .intset(IntSet())
            if !isKnownUniquelyReferenced(&box) { box = TableBox(box.table) }
            let removed = box.table.remove(at: i).key
            storage = .table(box)
            return removed
        }
    }

    /// Converts an intset to a table with room for `capacity` members (no-op when already one).
    public mutating func convertToTable(capacity: Int = 0) {
        guard case .intset(let s) = storage else { return }
        var table = ByteStringTable<Void>(capacity: max(capacity, s.count))
        s.forEach { table.insertNew(bytesOf($0), ()) }
        storage = .table(TableBox(table))
    }

    // MARK: iteration for SSCAN

    /// One SSCAN step: an intset answers every member with cursor 0 (as Redis
    /// does); a table walks buckets with SCAN's cursor until `count` members are
    /// collected or 10x`count` more buckets are visited.
    public func scan(cursor: UInt64, count: Int) -> (next: UInt64, members: [Bytes]) {
        switch storage {
        case .intset:
            return (0, members)
        case .table(let box):
            var out: [Bytes] = []
            var cursor = cursor
            var budget = max(count, 1) * 10
            while true {
                cursor = box.table.scan(cursor: cursor) { out.append(box.table.key(at: $0)) }
                if cursor == 0 || budget == 0 || out.count >= count { break }
                budget -= 1
            }
            return (cursor, out)
        }
    }

    // MARK: CollectionValue

    public func mixDigest(into digest: inout [UInt8]) {
        forEach { DatasetDigest.xorIn(&digest, $0) }
    }

    /// Equal when both hold the same members, whatever their forms.
    public static func == (a: SetValue, b: SetValue) -> Bool {
        guard a.count == b.count else { return false }
        var same = true
        a.forEach { if same, !b.contains($0) { same = false } }
        return same
    }

    /// The identity of the table's box (nil for an intset): unchanged across an in-place edit (tests).
    var tableIdentity: ObjectIdentifier? {
        if case .table(let box) = storage { return ObjectIdentifier(box) }
        return nil
    }

    /// True when a mutation right now would edit storage in place (tests).
    mutating func storageIsUnique() -> Bool {
        switch storage {
        case .intset: return true
        case .table(var box):
            storage = .intset(IntSet())
            let unique = isKnownUniquelyReferenced(&box)
            storage = .table(box)
            return unique
        }
    }
}
