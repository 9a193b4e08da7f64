// PackedLoading: the reader's engine mode: a key's listpack, ziplist, quicklist
// or intset blob (and a plain hash past the packed limit) converted straight
// into the engine's value, instead of into the neutral model and then element
// by element into the engine.
//
// Contract: `RDBReader.engineLimits` turns it on (server loads); the entry's
// value is then `.engine(Value)`, the same value `engineValue(limits:)` would
// have built from the neutral model, and every check the neutral path makes
// is made, with the same messages and offsets: the blob's integrity once (in
// the walk that reads it), then what the engine needs (an even entry count,
// scores that parse and are not NaN, no duplicate field or member). A blob is
// walked where it lies: in the reader's buffer, or decompressed into a buffer
// reused from key to key (RDBInput.withString). A hash or sorted set is
// staged in the packed form's layout during the walk (PackedStaging), checked
// there, then copied out in one allocation; a list node and an intset cost one
// allocation each. Other types and encodings take the neutral path (nil here).
// Tricky bit: the element views point into the blob, so they are used only
// while it is lent (inside `lent`); the scratch keeps its capacity
// across keys and only ever holds views of the blob being converted.
import Engine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers reused from key to key by one reader.
final class PackedScratch {
    var nodes: [Ziplist] = []
    /// Where a quicklist node is rebuilt as a ziplist.
    let ziplist = ZiplistBuilder()
    let staging = PackedStaging()
    let finder = DuplicateFinder()
    /// Where an LZF-compressed blob is decompressed.
    let blob = ByteScratch()
}

extension RDBReader {
    /// The engine's value for a compact `type`, or nil when the neutral path must read it.
    mutating func engineValue(_ type: RDBType, limits: EncodingLimits, entryStart: Int) throws -> Value? {
        let start = input.offset
        let what = type.encodingName
        // A string value's blob lent where it lies (in the read buffer, or decompressed into the
        // scratch); views of it are valid inside `body` only. A walk's CompactError is reported at
        // the value, as the neutral reader does. Callers write each walk's closure out in place:
        // passed on as a closure value, the per-element body was a call per element (a tenth of
        // a hash's load).
        @inline(__always) func lent<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
            do {
                return try input.withString(into: scratch.blob, body)
            } catch let e as CompactError {
                throw input.error("\(what) value of type \(type.typeName): \(e.message)", at: start)
            }
        }
        // What the engine refuses is reported at the entry, as `engineValue(limits:)` does.
        func refuse(_ message: String) -> RDBError { RDBError(offset: entryStart, key: input.currentKey ?? [], message: message) }
        let s = scratch
        switch type {
        case .hashZiplist, .hashListpack:
            let st = s.staging
            st.reset()
            var w = st.writer(reserving: 0)
            try lent { p in
                if type == .hashListpack { _ = try ListpackDecoder.walk(p) { w.append($0) } } else { _ = try ZiplistDecoder.walk(p) { w.append($0) } }
            }
            st.commit(w)
            guard st.count % 2 == 0 else { throw input.error("\(what) hash has an odd number of entries", at: start) }
            if st.count / 2 > limits.hashMaxPackedEntries || st.longest > limits.hashMaxPackedValue {
                let fields = stride(from: 0, to: st.count, by: 2).map { Bytes(st.text($0)) }
                let values = stride(from: 1, to: st.count, by: 2).map { Bytes(st.text($0)) }
                guard let hash = HashValue(tableFields: fields, values: values) else { throw refuse("duplicate hash fields") }
                return .hash(hash)
            }
            guard !s.finder.hasDuplicates(st, stride: 2) else { throw refuse("duplicate hash fields") }
            return .hash(st.packedHash())
        case .zsetZiplist, .zsetListpack:
            let st = s.staging
            st.reset()
            // Each member is staged with its score once that follows (a view of the blob
            // until then), each score checked against the one before (the packed form
            // needs strictly ascending (score, member)); what is wrong is reported after
            // the walk, so a damaged blob is reported as such first.
            var z = ScoredStaging(st.writer(reserving: 0))
            try lent { p in
                if type == .zsetListpack { _ = try ListpackDecoder.walk(p) { z.take($0) } } else { _ = try ZiplistDecoder.walk(p) { z.take($0) } }
            }
            st.commit(z.writer)
            guard !z.waiting else { throw input.error("\(what) zset has an odd number of entries", at: start) }
            guard !z.badScore else { throw input.error("invalid score in \(what) zset", at: start) }
            guard !z.nan else { throw refuse("sorted set with a NaN score") }
            if z.ordered && st.count <= limits.zsetMaxPackedEntries && st.longest <= limits.zsetMaxPackedValue {
                guard !s.finder.hasDuplicates(st, stride: 1) else { throw refuse("duplicate sorted set members") }
                return .zset(st.packedSortedSet())
            }
            let entries = (0..<st.count).map { SortedSetEntry(member: Bytes(st.text($0)), score: st.score($0)) }
            guard !hasDuplicates(entries.count, { entries[$0].member }) else { throw refuse("duplicate sorted set members") }
            return .zset(SortedSetValue(entries: entries, limits: limits))
        case .hash:
            let n = try input.count("field count")
            if n <= limits.hashMaxPackedEntries {
                // Small enough that it may become packed: the neutral conversion decides.
                var items: [HashField] = []
                for _ in 0..<n { items.append(HashField(try input.string(), try input.string())) }
                return try RDBEntry(db: 0, key: input.currentKey ?? [], value: .hash(items), offset: entryStart)
                    .engineValue(limits: limits)
            }
            // Past the packed limit it is a table whatever its lengths: fields go straight
            // in, without the neutral model's arrays; a duplicate is reported once all is read.
            var table = HashValue.TableBuilder(capacity: Swift.min(n, 1 << 16))
            var duplicate = false
            for _ in 0..<n {
                let field = try input.string(), value = try input.string()
                if !table.insertIfAbsent(field, value) { duplicate = true }
            }
            guard !duplicate else { throw refuse("duplicate hash fields") }
            return .hash(table.hash)
        case .listQuicklist, .listQuicklist2:
            let n = try input.count("quicklist node count")
            s.nodes.removeAll(keepingCapacity: true)
            for _ in 0..<n {
                let node: Ziplist
                if try quicklistNodeIsPlain(type, valueStart: start) {
                    node = try input.withString(into: s.blob) { Ziplist(elements: [.bytes($0)]) }
                } else {
                    let builder = s.ziplist
                    builder.start()
                    node = try lent { p in
                        if type == .listQuicklist2 {
                            _ = try ListpackDecoder.walk(p) { builder.append($0) }
                        } else {
                            _ = try ZiplistDecoder.walk(p) { builder.append($0) }
                        }
                        return builder.finish()
                    }
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

}

/// A sorted set's blob being staged: each member waits for the score that follows
/// it; what is wrong is noted, for the caller to report after the walk. A local
/// value of the walk, so its state stays in registers.
struct ScoredStaging {
    var writer: PackedStaging.Writer
    var member: ListElement = .int(0)
    var waiting = false
    var badScore = false
    var nan = false
    var ordered = true
    var previous = -Double.infinity

    init(_ writer: PackedStaging.Writer) { self.writer = writer }

    @inline(__always) mutating func take(_ e: ListElement) {
        guard waiting else {
            member = e
            waiting = true
            return
        }
        waiting = false
        guard let score = packedScore(e) else {
            badScore = true
            writer.append(member: member, score: 0)
            return
        }
        nan = nan || score.isNaN
        writer.append(member: member, score: score)
        let i = writer.count - 1
        if i > 0 && ordered && !(previous < score) {
            ordered = previous == score && compareText(writer.text(i - 1), writer.text(i)) < 0
        }
        previous = score
    }
}

/// A packed score entry as a number (strtod's rules, "inf"/"nan" words as `parseScore`).
@inline(__always) func packedScore(_ e: ListElement) -> Double? {
    switch e {
    case .int(let v): return Double(v)
    case .bytes(let b): return parseDouble(b) ?? parseScore(Bytes(b))
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
