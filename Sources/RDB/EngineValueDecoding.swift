// EngineValueDecoding: turns a value read from an RDB stream (RDBValue) into
// the engine's representation, choosing encodings as Redis does on load.
//
// Contract: the result holds exactly the elements read, built under the
// server's `EncodingLimits` (a ziplist hash past hash-max-ziplist-entries
// becomes a table, an integer set past set-max-intset-entries a table...).
// Strings get the encoding SET would give them (int, embstr or raw), as
// Redis's loader does with tryObjectEncoding. A value a file may hold but
// Redis would refuse (duplicate members or fields, a NaN score, a type Cairn
// does not hold) throws an RDBError naming the key and offset: never a
// silently wrong load.
import Engine

extension RDBEntry {
    /// The entry's value in the engine's representation.
    public func engineValue(limits: EncodingLimits) throws -> Value {
        func refuse(_ what: String) -> RDBError { RDBError(offset: offset, key: key, message: what) }
        switch value {
        case .string(let b):
            return .string(StringValue(encoding: b))
        case .list(let items):
            return .list(ListValue(items, fill: limits.listMaxNodeSize, depth: limits.listCompressDepth))
        case .set(let members):
            // The final form is known up front (Redis's loader would reach the same one
            // member by member): an intset only when every member is an integer and
            // they fit; otherwise a table sized once.
            if members.count > limits.setMaxIntsetEntries || !members.allSatisfy({ $0.parseInt64() != nil }) {
                guard let set = SetValue(tableMembers: members) else { throw refuse("duplicate set members") }
                return .set(set)
            }
            var set = SetValue()
            for m in members { set.add(m, limits: limits) }
            guard set.count == members.count else { throw refuse("duplicate set members") }
            return .set(set)
        case .zset(let members):
            var entries: [SortedSetEntry] = []
            entries.reserveCapacity(members.count)
            for m in members {
                guard !m.score.isNaN else { throw refuse("sorted set with a NaN score") }
                entries.append(SortedSetEntry(member: m.member, score: m.score))
            }
            guard !hasDuplicates(members.count, { members[$0].member }) else { throw refuse("duplicate sorted set members") }
            return .zset(SortedSetValue(entries: entries, limits: limits))
        case .hash(let fields):
            var hash = HashValue()
            let longest = fields.reduce(0) { Swift.max($0, $1.field.count, $1.value.count) }
            if longest > limits.hashMaxPackedValue || fields.count > limits.hashMaxPackedEntries {
                guard let table = HashValue(tableFields: fields.map(\.field), values: fields.map(\.value)) else {
                    throw refuse("duplicate hash fields")
                }
                return .hash(table)
            } else {
                var flat: [Bytes] = []
                flat.reserveCapacity(fields.count * 2)
                for f in fields { flat.append(f.field); flat.append(f.value) }
                hash.reservePacked(pairs: flat[...])
            }
            for f in fields { hash.set(f.field, f.value, limits: limits) }
            guard hash.count == fields.count else { throw refuse("duplicate hash fields") }
            return .hash(hash)
        case .module(let id, let fields):
            let name = ModuleTypes.name(ofID: id)
            let type = try requireModuleType(id)
            do {
                return .module(ModuleValue(type: type, pointer: try type.load(fields, encodingVersion: Int(id & 1023))))
            } catch {
                throw refuse("the module type '\(name)' could not load its data: \(error)")
            }
        case .unsupported:
            try requireSupported()
            throw refuse("unsupported value")
        case .engine(let v):
            return v
        }
    }
}

extension RDBEntry {
    /// The loaded module type of a module value's id, or the error naming the type no module registered.
    public func requireModuleType(_ id: UInt64) throws -> ModuleDataType {
        guard let type = ModuleTypes.lookup(id: id) else {
            throw RDBError(offset: offset, key: key, message: "module data of type '\(ModuleTypes.name(ofID: id))' "
                + "(id \(id)), but no loaded module registered that type")
        }
        return type
    }
}

/// True when two of the `n` strings `item(0)...item(n-1)` are equal: pairwise for
/// a few (no allocation), through a set beyond.
func hasDuplicates(_ n: Int, _ item: (Int) -> Bytes) -> Bool {
    if n <= 16 {
        for i in 0..<n {
            let a = item(i)
            for j in 0..<i where item(j) == a { return true }
        }
        return false
    }
    var seen = Set<WholeBytes>()
    seen.reserveCapacity(n)
    for i in 0..<n where !seen.insert(WholeBytes(bytes: item(i))).inserted { return true }
    return false
}

/// A byte string hashed in one call over its bytes: `[UInt8]`'s own hashing feeds
/// the hasher one byte at a time, which made this check a sixth of a sorted-set load.
struct WholeBytes: Hashable {
    let bytes: Bytes
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}
