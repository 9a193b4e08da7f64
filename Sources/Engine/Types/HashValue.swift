// HashValue: what a hash key holds, in Redis 4.0's two encodings.
//
// Contract: a small hash is packed (PackedPairs, OBJECT ENCODING "ziplist",
// though its bytes are a Redis 7.0 listpack, so a file's listpack is adopted);
// it converts, one way as in Redis, to a table (ByteStringTable, "hashtable")
// when it gets more than hash-max-ziplist-entries fields, or when a command
// that checks lengths (HSET, HMSET, HSETNX: Redis's hashTypeTryConversion)
// brings a field or value longer than hash-max-ziplist-value. HINCRBY and
// HINCRBYFLOAT do not check lengths, exactly as in Redis. A value is one
// reference wide, so the keyspace's `Value` stays small.
//
// The tricky bit: mutation in place. A mutator moves its payload out of the enum
// (leaving an empty, allocation-free placeholder) so the buffer or box it edits
// is uniquely referenced and is not copied; a box shared with a copy (a
// snapshot) is copied first. The digest follows Redis's DEBUG DIGEST for
// hashes: per pair, a fresh 20-byte digest mixes the field then the value, and
// is xor-ed (through SHA1) into the key's digest, so order does not matter.

public struct HashValue: CollectionValue {
    @usableFromInline enum Storage: Sendable {
        case packed(PackedPairs)
        case table(TableBox<InlineBytes>)
    }

    @usableFromInline var storage: Storage

    /// An empty hash in the packed form.
    public init() { storage = .packed(PackedPairs()) }

    /// A hash holding `pairs`, built as successive HSETs under `limits` would build it.
    public init(pairs: [(Bytes, Bytes)], limits: EncodingLimits) {
        self.init()
        convertIfAnyLonger(than: limits.hashMaxPackedValue, pairs.flatMap { [$0.0, $0.1] })
        for (f, v) in pairs { set(f, v, limits: limits) }
    }

    /// A table-form hash of `fields` and `values`, sized once; nil when a field repeats (a file's hash).
    public init?(tableFields fields: [Bytes], values: [Bytes]) {
        var table = ByteStringTable<InlineBytes>(capacity: fields.count)
        for (f, v) in zip(fields, values) where !table.insertIfAbsent(f, InlineBytes(v)) { return nil }
        self.init(table: table)
    }

    /// A packed hash adopting a copy of `listpack`, which the caller has checked: a
    /// valid listpack of `pairs` pairs with unique fields, within the packed limits.
    public init(validListpack listpack: UnsafeRawBufferPointer, pairs: Int) {
        storage = .packed(PackedPairs(validListpack: listpack, pairs: pairs))
    }

    /// A packed hash taking `buffer` as its storage, which the caller has checked
    /// as for `init(validListpack:pairs:)`.
    public init(validListpack buffer: PackedBuffer, pairs: Int) {
        storage = .packed(PackedPairs(validListpack: buffer, pairs: pairs))
    }

    /// A hash in the table form holding `table`'s fields and values.
    init(table: ByteStringTable<InlineBytes>) {
        storage = .table(TableBox(table))
    }

    /// A table-form hash filled field by field (a loader's, as it reads them).
    /// Here rather than in the loader so the table's generic code is specialized:
    /// unspecialized, each insert looked its type metadata up.
    public struct TableBuilder {
        var table: ByteStringTable<InlineBytes>
        public init(capacity: Int) { table = ByteStringTable(capacity: capacity) }
        /// Adds `field` unless present; false when it was.
        public mutating func insertIfAbsent(_ field: Bytes, _ value: Bytes) -> Bool { table.insertIfAbsent(field, InlineBytes(value)) }
        public var hash: HashValue { HashValue(table: table) }
    }

    /// True in the packed ("ziplist") form.
    public var isPacked: Bool {
        if case .packed = storage { return true }
        return false
    }

    public var encodingName: String { isPacked ? "ziplist" : "hashtable" }

    public var count: Int {
        switch storage {
        case .packed(let p): return p.count
        case .table(let box): return box.table.count
        }
    }

    // MARK: reads

    /// The value of `field`, or nil.
    public func value(for field: Bytes) -> Bytes? {
        switch storage {
        case .packed(let p): return p.value(for: field)
        case .table(let box): return box.table.payload(for: field)?.bytes
        }
    }

    /// The length of `field`'s value, 0 when absent (HSTRLEN).
    public func valueLength(for field: Bytes) -> Int {
        switch storage {
        case .packed(let p): return p.valueLength(for: field) ?? 0
        case .table(let box): return box.table.payload(for: field)?.count ?? 0
        }
    }

    public func contains(_ field: Bytes) -> Bool {
        switch storage {
        case .packed(let p): return p.contains(field)
        case .table(let box): return box.table.contains(field)
        }
    }

    /// Visits every pair (packed: insertion order; table: storage order).
    public func forEach(_ body: (Bytes, Bytes) throws -> Void) rethrows {
        switch storage {
        case .packed(let p): try p.forEach(body)
        case .table(let box): try box.table.forEach { try body($0, $1.bytes) }
        }
    }

    /// Visits every pair as views of the stored bytes (valid only during the call), without copies.
    public func forEachView(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        switch storage {
        case .packed(let p):
            try p.withPairs(body)
        case .table(let box):
            try box.table.forEachView { f, v in
                try v.withBytes { vp in try body(f.assumingMemoryBound(to: UInt8.self), vp.assumingMemoryBound(to: UInt8.self)) }
            }
        }
    }

    /// Every (field, value) pair, in iteration order.
    public var pairs: [(Bytes, Bytes)] {
        var out: [(Bytes, Bytes)] = []
        out.reserveCapacity(count)
        forEach { out.append(($0, $1)) }
        return out
    }

    /// The packed buffer (nil in the table form), for serializers.
    public var packedPairs: PackedPairs? {
        if case .packed(let p) = storage { return p }
        return nil
    }

    // MARK: writes

    /// Redis's hashTypeTryConversion: converts to a table when any of `strings`
    /// is longer than `limit` (hash-max-ziplist-value).
    public mutating func convertIfAnyLonger<S: Sequence>(than limit: Int, _ strings: S) where S.Element == Bytes {
        guard isPacked else { return }
        for s in strings where s.count > limit {
            convertToTable()
            return
        }
    }

    /// Sets `field` to `value` (Redis's hashTypeSet); true when the field is new.
    /// A packed hash converts once it holds more than `limits.hashMaxPackedEntries` fields.
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes, limits: EncodingLimits) -> Bool {
        switch storage {
        case .packed(var p):
            storage = .packed(PackedPairs())
            let added = p.set(field, value)
            let n = p.count
            storage = .packed(p)
            if n > limits.hashMaxPackedEntries { convertToTable() }
            return added
        case .table(var box):
            storage = .packed(PackedPairs())
            if !isKnownUniquelyReferenced(&box) { box = TableBox(box.table) }
            let added = box.table.set(field, InlineBytes(value))
            storage = .table(box)
            return added
        }
    }

    /// Makes room in the packed form for the listpack entries of `pairs` (several new pairs at once).
    public mutating func reservePacked(pairs: ArraySlice<Bytes>) {
        guard case .packed(var p) = storage else { return }
        storage = .packed(PackedPairs())
        var extra = 0
        for s in pairs { extra += PackedPairs.entrySize(s) }
        p.reserve(extra: extra)
        storage = .packed(p)
    }

    /// Removes `field`; true when it was there. The form never changes back.
    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        switch storage {
        case .packed(var p):
            storage = .packed(PackedPairs())
            let removed = p.remove(field)
            storage = .packed(p)
            return removed
        case .table(var box):
            guard box.table.contains(field) else { return false }
            storage = .packed(PackedPairs())
            if !isKnownUniquelyReferenced(&box) { box = TableBox(box.table) }
            box.table.remove(field)
            storage = .table(box)
            return true
        }
    }

    /// Converts the packed form to a table (no-op when already one).
    public mutating func convertToTable() {
        guard case .packed(let p) = storage else { return }
        var table = ByteStringTable<InlineBytes>(capacity: p.count)
        p.forEach { f, v in table.insertNew(f, InlineBytes(v)) }
        storage = .table(TableBox(table))
    }

    // MARK: iteration for HSCAN

    /// One HSCAN step: the packed form answers every pair with cursor 0 (as
    /// Redis does for a ziplist); a table walks buckets with SCAN's cursor
    /// until `count` elements (fields and values alike, as Redis counts them)
    /// are collected or 10x`count` more buckets are visited.
    public func scan(cursor: UInt64, count: Int) -> (next: UInt64, pairs: [(Bytes, Bytes)]) {
        switch storage {
        case .packed:
            return (0, pairs)
        case .table(let box):
            var out: [(Bytes, Bytes)] = []
            var cursor = cursor
            var budget = max(count, 1) * 10
            while true {
                cursor = box.table.scan(cursor: cursor) { out.append((box.table.key(at: $0), box.table.payload(at: $0).bytes)) }
                if cursor == 0 || budget == 0 || out.count * 2 >= count { break }
                budget -= 1
            }
            return (cursor, out)
        }
    }

    // MARK: CollectionValue

    public func mixDigest(into digest: inout [UInt8]) {
        forEach { field, value in
            var element = [UInt8](repeating: 0, count: 20)
            DatasetDigest.mix(&element, field)
            DatasetDigest.mix(&element, value)
            DatasetDigest.xorIn(&digest, element)
        }
    }

    /// Equal when both hold the same pairs, whatever their forms or orders.
    public static func == (a: HashValue, b: HashValue) -> Bool {
        guard a.count == b.count else { return false }
        var same = true
        a.forEach { f, v in
            if same, b.value(for: f) != v { same = false }
        }
        return same
    }

    /// The identity of the table's box (nil when packed): unchanged across an in-place edit (tests).
    var tableIdentity: ObjectIdentifier? {
        if case .table(let box) = storage { return ObjectIdentifier(box) }
        return nil
    }

    /// True when a mutation right now would edit storage in place (tests).
    mutating func storageIsUnique() -> Bool {
        switch storage {
        case .packed: return true
        case .table(var box):
            storage = .packed(PackedPairs())
            let unique = isKnownUniquelyReferenced(&box)
            storage = .table(box)
            return unique
        }
    }
}
