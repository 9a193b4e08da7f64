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
            let set = SetValue(members: members, limits: limits)
            guard set.count == members.count else { throw refuse("duplicate set members") }
            return .set(set)
        case .zset(let members):
            var seen = Set<Bytes>()
            seen.reserveCapacity(members.count)
            for m in members {
                guard !m.score.isNaN else { throw refuse("sorted set with a NaN score") }
                guard seen.insert(m.member).inserted else { throw refuse("duplicate sorted set members") }
            }
            return .zset(SortedSetValue(entries: members.map { SortedSetEntry(member: $0.member, score: $0.score) },
                                        limits: limits))
        case .hash(let fields):
            let hash = HashValue(pairs: fields.map { ($0.field, $0.value) }, limits: limits)
            guard hash.count == fields.count else { throw refuse("duplicate hash fields") }
            return .hash(hash)
        case .unsupported:
            try requireSupported()
            throw refuse("unsupported value")
        }
    }
}
