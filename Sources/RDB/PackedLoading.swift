// PackedLoading: the reader's engine mode: a key's listpack, ziplist, quicklist
// or intset blob converted straight into the engine's value, instead of into
// the neutral model and then element by element into the engine.
//
// Contract: `RDBReader.engineLimits` turns it on (server loads); the entry's
// value is then `.engine(Value)`, the same value `engineValue(limits:)` would
// have built from the neutral model, and every check the neutral path makes
// is made, with the same messages and offsets: the blob's integrity once (in
// the walk that reads it), then what the engine needs (an even entry count,
// scores that parse and are not NaN, no duplicate field or member). A packed
// hash or sorted set within the limits, a list node and an intset cost one
// allocation each; no per-element copies or hashing into a table. Values past
// the packed limits, and encodings Redis no longer writes, take the neutral
// path (nil here).
// Tricky bit: the element views point into the blob, so they are used only
// inside its `withUnsafeBytes`; the scratch arrays keep their capacity across
// keys and only ever hold views of the blob being converted.
import Engine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers reused from key to key by one reader.
final class PackedScratch {
    var elements: [ListElement] = []
    var members: [ListElement] = []
    var scores: [Double] = []
    var nodes: [Ziplist] = []
    let finder = DuplicateFinder()
}

extension RDBReader {
    /// The engine's value for a compact `type`, or nil when the neutral path must read it.
    mutating func engineValue(_ type: RDBType, limits: EncodingLimits, entryStart: Int) throws -> Value? {
        let start = input.offset
        let what = type.encodingName
        // A walk's CompactError is reported at the value, as the neutral reader does.
        func walk(_ blob: UnsafeRawBufferPointer, listpack: Bool, _ into: inout [ListElement]) throws {
            into.removeAll(keepingCapacity: true)
            do {
                if listpack {
                    _ = try ListpackDecoder.walk(blob) { into.append($0) }
                } else {
                    _ = try ZiplistDecoder.walk(blob) { into.append($0) }
                }
            } catch let e as CompactError {
                throw input.error("\(what) value of type \(type.typeName): \(e.message)", at: start)
            }
        }
        // What the engine refuses is reported at the entry, as `engineValue(limits:)` does.
        func refuse(_ message: String) -> RDBError { RDBError(offset: entryStart, key: input.currentKey ?? [], message: message) }
        let s = scratch
        switch type {
        case .hashZiplist, .hashListpack:
            let blob = try input.string()
            return try blob.withUnsafeBytes { p -> Value in
                try walk(p, listpack: type == .hashListpack, &s.elements)
                guard s.elements.count % 2 == 0 else { throw input.error("\(what) hash has an odd number of entries", at: start) }
                let longest = s.elements.reduce(0) { Swift.max($0, $1.textLength) }
                if s.elements.count / 2 > limits.hashMaxPackedEntries || longest > limits.hashMaxPackedValue {
                    let fields = stride(from: 0, to: s.elements.count, by: 2).map { s.elements[$0].bytesValue }
                    let values = stride(from: 1, to: s.elements.count, by: 2).map { s.elements[$0].bytesValue }
                    guard let hash = HashValue(tableFields: fields, values: values) else { throw refuse("duplicate hash fields") }
                    return .hash(hash)
                }
                guard !s.finder.hasDuplicates(s.elements, stride: 2) else { throw refuse("duplicate hash fields") }
                return .hash(HashValue(packedElements: s.elements))
            }
        case .zsetZiplist, .zsetListpack:
            let blob = try input.string()
            return try blob.withUnsafeBytes { p -> Value in
                try walk(p, listpack: type == .zsetListpack, &s.elements)
                guard s.elements.count % 2 == 0 else { throw input.error("\(what) zset has an odd number of entries", at: start) }
                s.members.removeAll(keepingCapacity: true)
                s.scores.removeAll(keepingCapacity: true)
                var longest = 0
                for i in stride(from: 0, to: s.elements.count, by: 2) {
                    guard let score = Self.score(s.elements[i + 1]) else { throw input.error("invalid score in \(what) zset", at: start) }
                    s.members.append(s.elements[i])
                    s.scores.append(score)
                    longest = Swift.max(longest, s.elements[i].textLength)
                }
                guard !s.scores.contains(where: { $0.isNaN }) else { throw refuse("sorted set with a NaN score") }
                if s.members.count <= limits.zsetMaxPackedEntries && longest <= limits.zsetMaxPackedValue
                    && Self.inOrder(s.members, s.scores) {
                    guard !s.finder.hasDuplicates(s.members, stride: 1) else { throw refuse("duplicate sorted set members") }
                    return .zset(SortedSetValue(packedSorted: s.members, scores: s.scores))
                }
                let entries = zip(s.members, s.scores).map { SortedSetEntry(member: $0.bytesValue, score: $1) }
                guard !hasDuplicates(entries.count, { entries[$0].member }) else { throw refuse("duplicate sorted set members") }
                return .zset(SortedSetValue(entries: entries, limits: limits))
            }
        case .listQuicklist, .listQuicklist2:
            let n = try input.count("quicklist node count")
            s.nodes.removeAll(keepingCapacity: true)
            for _ in 0..<n {
                let (plain, blob) = try quicklistNode(type, valueStart: start)
                let node = try blob.withUnsafeBytes { p -> Ziplist in
                    if plain { return Ziplist(elements: [.bytes(p)]) }
                    try walk(p, listpack: type == .listQuicklist2, &s.elements)
                    return Ziplist(elements: s.elements)
                }
                // An empty node holds nothing; Redis 7.0 skips it too (and then a list left empty).
                if !node.isEmpty { s.nodes.append(node) }
            }
            return .list(ListValue(nodes: s.nodes, depth: limits.listCompressDepth))
        case .setIntset:
            let blob = try input.string()
            guard let intset = IntSet(blob: blob) else {
                // Not well formed: the decoder says what is wrong.
                do { _ = try IntsetDecoder.members(blob) } catch let e as CompactError {
                    throw input.error("\(what) value of type \(type.typeName): \(e.message)", at: start)
                }
                throw input.error("\(what) value of type \(type.typeName): malformed intset", at: start)
            }
            return .set(SetValue(intset: intset, limits: limits))
        default:
            return nil
        }
    }

    /// A packed score entry as a number (strtod's rules, "inf"/"nan" words as `parseScore`).
    static func score(_ e: ListElement) -> Double? {
        switch e {
        case .int(let v): return Double(v)
        case .bytes(let b): return parseDouble(b) ?? parseScore(Bytes(b))
        }
    }

    /// True when (score, member) strictly ascend, the order the packed form keeps.
    static func inOrder(_ members: [ListElement], _ scores: [Double]) -> Bool {
        for i in 1..<max(members.count, 1) {
            if scores[i - 1] < scores[i] { continue }
            if scores[i - 1] > scores[i] { return false }
            guard members[i - 1].withText({ a in members[i].withText { b in compareText(a, b) < 0 } }) else { return false }
        }
        return true
    }
}

/// Byte order of two texts (memcmp, then the shorter first), as sorted sets order members.
func compareText(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = Swift.min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

extension ListElement {
    /// Calls `body` with the element as text (an integer's decimal digits on the stack).
    func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .bytes(let b): return body(b)
        case .int(let v):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
                let n = ListElement.int(v).writeText(to: buf.baseAddress!)
                return body(UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
            }
        }
    }
}
