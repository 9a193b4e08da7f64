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
// reused from key to key (RDBInput.withString). A hash listpack that stays
// packed is adopted: the packed hash is a listpack, so after the walk (which
// also measures it and collects its fields as views, an integer field's text
// staged) and the duplicate check, the value is one copy of the blob. A
// ziplist hash or a sorted set is staged during the walk (PackedStaging),
// checked there, then encoded or copied out in one allocation; a list node
// and an intset cost one allocation each; a string under 64 bytes is made from
// its bytes where they lie (a short one is one box). Other types and encodings
// take the neutral path (nil here).
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
    /// A hash listpack's field texts, for the duplicate check.
    let fieldTexts = FieldTexts()
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
        case .hashListpack:
            // Adopted as the value when it stays packed: one walk checks the blob, measures
            // it and collects its fields (views of the blob; an integer field's text staged),
            // then the blob is the value: one copy of a view of the read buffer, none of an
            // LZF-compressed blob, decompressed straight into the buffer that becomes the value.
            // All of it while the blob is lent.
            let st = s.staging
            st.reset()
            var fresh = PackedBuffer()
            let outcome: LoadedHash
            do {
                outcome = try input.withString(reserve: { n in
                    fresh = n > 0 ? PackedBuffer(uninitializedCount: n, tag: 0) : PackedBuffer()
                    return fresh.baseAddress ?? s.blob.reserve(0)
                }) { p in
                    var walk = HashListpackWalk(st.writer(reserving: 0), s.fieldTexts, placeholder: p.baseAddress!)
                    let n = try ListpackDecoder.walk(p) { walk.take($0) }
                    st.commit(walk.writer)
                    guard n % 2 == 0 else { return .odd }
                    if n / 2 > limits.hashMaxPackedEntries || walk.longest > limits.hashMaxPackedValue {
                        // Past the limits: a table, from the elements staged whole (a second walk of a checked blob).
                        st.reset()
                        var w = st.writer(reserving: 0)
                        _ = try ListpackDecoder.walk(p) { w.append($0) }
                        st.commit(w)
                        let fields = stride(from: 0, to: st.count, by: 2).map { Bytes(st.text($0)) }
                        let values = stride(from: 1, to: st.count, by: 2).map { Bytes(st.text($0)) }
                        guard let hash = HashValue(tableFields: fields, values: values) else { return .duplicate }
                        return .value(hash)
                    }
                    let texts = walk.texts
                    if st.count > 0 {
                        // Integer fields point at their staged texts, now that staging no longer moves.
                        for k in 0..<walk.fields where texts[k].count < 0 {
                            let t = st.text(-texts[k].count - 1)
                            texts[k] = (t.baseAddress!, t.count)
                        }
                    }
                    guard !s.finder.hasDuplicates(UnsafeBufferPointer(start: texts, count: walk.fields)) else { return .duplicate }
                    if n > 0 && p.baseAddress == UnsafeRawPointer(fresh.baseAddress) {
                        return .value(HashValue(validListpack: fresh, pairs: n / 2))
                    }
                    return .value(HashValue(validListpack: p, pairs: n / 2))
                }
            } catch let e as CompactError {
                throw input.error("\(what) value of type \(type.typeName): \(e.message)", at: start)
            }
            switch outcome {
            case .odd: throw input.error("\(what) hash has an odd number of entries", at: start)
            case .duplicate: throw refuse("duplicate hash fields")
            case .value(let hash): return .hash(hash)
            }
        case .hashZiplist:
            let st = s.staging
            st.reset()
            var w = st.writer(reserving: 0)
            try lent { p in _ = try ZiplistDecoder.walk(p) { w.append($0) } }
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
        case .string:
            // A string with a one-byte length (under 64 bytes: most values) is made from
            // the file's bytes where they lie, so a short one costs one block, its box
            // (StringValue); others are read whole as the array that becomes the value.
            guard let b = input.bufferedByte, b >> 6 == 0 || (b >= 0xC0 && b <= 0xC2) else { return nil }
            return .string(try input.withString(into: s.blob) { StringValue(encoding: $0) })
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

/// What a hash listpack's blob became, decided while it was lent.
enum LoadedHash {
    case odd
    case duplicate
    case value(HashValue)
}

/// Where a hash listpack's field texts are collected, reused from key to key.
final class FieldTexts {
    var texts: UnsafeMutablePointer<DuplicateFinder.Text>
    var capacity = 256

    init() { texts = .allocate(capacity: capacity) }
    deinit { texts.deallocate() }

    func grow(keeping n: Int) {
        let fresh = UnsafeMutablePointer<DuplicateFinder.Text>.allocate(capacity: capacity * 2)
        fresh.moveInitialize(from: texts, count: n)
        texts.deallocate()
        texts = fresh
        capacity *= 2
    }
}

/// A hash listpack's walk: its longest element text (an integer's decimal text
/// counts), and every field's text: a view of the blob, or for an integer field
/// its index in staging (as -1 - index in `count`, the view being `placeholder`)
/// where its decimal text is written. A local value of the walk, so its state
/// stays in registers.
struct HashListpackWalk {
    var writer: PackedStaging.Writer
    let owner: FieldTexts
    var texts: UnsafeMutablePointer<DuplicateFinder.Text>
    var capacity: Int
    var fields = 0
    var longest = 0
    var isField = true
    let placeholder: UnsafeRawPointer

    init(_ writer: PackedStaging.Writer, _ owner: FieldTexts, placeholder: UnsafeRawPointer) {
        self.writer = writer
        self.owner = owner
        texts = owner.texts
        capacity = owner.capacity
        self.placeholder = placeholder
    }

    @inline(__always) mutating func take(_ e: ListElement) {
        let n: Int
        switch e {
        case .bytes(let b):
            n = b.count
            if isField { record((b.baseAddress ?? placeholder, n)) }
        case .int(let v):
            n = decimalLength(v)
            if isField {
                writer.append(e)
                record((placeholder, -writer.count))
            }
        }
        if n > longest { longest = n }
        isField.toggle()
    }

    @inline(__always) mutating func record(_ t: DuplicateFinder.Text) {
        if fields == capacity {
            owner.grow(keeping: fields)
            texts = owner.texts
            capacity = owner.capacity
        }
        texts[fields] = t
        fields += 1
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
