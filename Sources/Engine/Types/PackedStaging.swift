// PackedStaging: where a small hash read from a ziplist, or a sorted set read
// from a listpack or ziplist (an RDB blob), is assembled element by element
// before it becomes a value in one allocation; a hash listpack stages only its
// integer fields' texts here (for the duplicate check), its blob being adopted.
//
// Contract: `reset`, then `append` each element (a hash's field, value, ...;
// a sorted set's members in order, each with its score), then the caller
// checks what the form needs (`text(_:)`: unique fields or members, limits,
// order) and takes `packedHash()` or `packedSortedSet()`. The result is byte
// for byte what the same elements added one at a time would give: an integer
// element is staged as the decimal text Redis would reply with, so two
// elements are equal exactly when their staged texts are. Each text is staged
// after a LEB128 length, the packed sorted set's own layout; `packedHash`
// encodes the texts as a listpack (one sizing pass, one allocation). One
// staging area is reused for every key of a load; it never shrinks below what
// it last held unless that was large.
// Why: a load turns millions of blob entries into packed values; staging them
// means one walk of the file's blob, no per-element values, and one copy (a
// sorted set) or one encoding pass (a ziplist hash) to finish.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class PackedStaging {
    /// Where one element's text lies in the staged bytes (after its length prefix).
    public struct Span {
        public var start: Int
        public var count: Int
        @inlinable init(start: Int, count: Int) {
            self.start = start
            self.count = count
        }
    }

    @usableFromInline var bytes: UnsafeMutablePointer<UInt8>
    @usableFromInline var byteCount = 0
    @usableFromInline var byteCapacity: Int
    @usableFromInline var spans: UnsafeMutablePointer<Span>
    @usableFromInline var spanCapacity: Int
    @usableFromInline var elementCount = 0
    @usableFromInline var scores: UnsafeMutablePointer<Double>
    @usableFromInline var scoreCapacity: Int
    @usableFromInline var scoreCount = 0
    @usableFromInline var longestText = 0

    /// Number of elements appended.
    public var count: Int { elementCount }
    /// The longest element text appended.
    public var longest: Int { longestText }

    /// Above this, `reset` gives the memory back (one huge key must not pin it for a whole load).
    static let keptBytes = 1 << 20

    public init() {
        byteCapacity = 4096
        bytes = .allocate(capacity: byteCapacity)
        spanCapacity = 256
        spans = .allocate(capacity: spanCapacity)
        scoreCapacity = 128
        scores = .allocate(capacity: scoreCapacity)
    }

    deinit {
        bytes.deallocate()
        spans.deallocate()
        scores.deallocate()
    }

    /// Empties the staging area for the next value.
    public func reset() {
        if byteCapacity > Self.keptBytes {
            regrow(&bytes, &byteCapacity, to: 4096, keeping: 0)
        }
        if spanCapacity > Self.keptBytes / 16 { regrow(&spans, &spanCapacity, to: 256, keeping: 0) }
        if scoreCapacity > Self.keptBytes / 8 { regrow(&scores, &scoreCapacity, to: 128, keeping: 0) }
        byteCount = 0
        elementCount = 0
        scoreCount = 0
        longestText = 0
    }

    /// Stages `e` (its length prefix, then its text). For a few elements (tests);
    /// a load's walk appends through a `Writer`.
    public func append(_ e: ListElement) {
        var w = writer(reserving: 0)
        w.append(e)
        commit(w)
    }

    /// Stages a sorted-set member with its score (see `Writer.append(member:score:)`).
    public func append(member e: ListElement, score: Double) {
        var w = writer(reserving: 0)
        w.append(member: e, score: score)
        commit(w)
    }

    /// A writer appending after what is staged, with room for `bytes` more bytes
    /// (it grows past that as needed). Hand it back with `commit` when done.
    @inlinable public func writer(reserving bytes: Int) -> Writer {
        if byteCount + bytes + 64 > byteCapacity { growBytes(byteCount + bytes + 64) }
        return Writer(self)
    }

    /// Takes back what `w` appended.
    @inlinable public func commit(_ w: Writer) {
        byteCount = w.byteCount
        elementCount = w.elementCount
        scoreCount = w.scoreCount
        longestText = w.longest
    }

    /// Appends elements with the staging area's counts and pointers held in the
    /// writer itself, a local variable of the walk that fills it, where they can
    /// stay in registers: through the class, a byte store may alias its fields,
    /// so each count is read back from memory after every store.
    public struct Writer {
        @usableFromInline unowned(unsafe) let staging: PackedStaging
        @usableFromInline var bytes: UnsafeMutablePointer<UInt8>
        @usableFromInline var byteCapacity: Int
        @usableFromInline var spans: UnsafeMutablePointer<Span>
        @usableFromInline var spanCapacity: Int
        @usableFromInline var scores: UnsafeMutablePointer<Double>
        @usableFromInline var scoreCapacity: Int
        @usableFromInline var byteCount: Int
        @usableFromInline var elementCount: Int
        @usableFromInline var scoreCount: Int
        @usableFromInline var longest: Int

        @inlinable init(_ s: PackedStaging) {
            staging = s
            bytes = s.bytes
            byteCapacity = s.byteCapacity
            spans = s.spans
            spanCapacity = s.spanCapacity
            scores = s.scores
            scoreCapacity = s.scoreCapacity
            byteCount = s.byteCount
            elementCount = s.elementCount
            scoreCount = s.scoreCount
            longest = s.longestText
        }

        /// Number of elements staged.
        @inlinable public var count: Int { elementCount }

        /// Element `i`'s text (valid until the next append).
        @inlinable public func text(_ i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: bytes + spans[i].start, count: spans[i].count)
        }

        /// Stages `e` (its length prefix, then its text). Inlined: it runs once per
        /// element of a load's hashes, where a call costs about what the copy does.
        @inlinable @inline(__always) public mutating func append(_ e: ListElement) {
            let n = e.textLength
            if byteCount + n + 16 > byteCapacity { growBytes(n + 16) }
            appendText(e, n)
        }

        /// Stages a sorted-set member with its score, in the packed sorted set's
        /// layout (the score's tag and payload, then the member's length and text):
        /// the value is then one copy of the staged bytes.
        @inlinable @inline(__always) public mutating func append(member e: ListElement, score: Double) {
            if scoreCount == scoreCapacity { growScores() }
            scores[scoreCount] = score
            scoreCount += 1
            let n = e.textLength
            if byteCount + n + 32 > byteCapacity { growBytes(n + 32) }
            byteCount += SortedSetPacked.writeScore(score, to: bytes + byteCount)
            appendText(e, n)
        }

        /// Writes `e`'s length prefix and its `n` bytes of text (room checked by the caller).
        @inlinable @inline(__always) mutating func appendText(_ e: ListElement, _ n: Int) {
            if elementCount == spanCapacity { growSpans() }
            if n < 0x80 {
                bytes[byteCount] = UInt8(n)
                byteCount += 1
            } else {
                writeLength(n, UnsafeMutableRawBufferPointer(start: bytes, count: byteCapacity), &byteCount)
            }
            spans[elementCount] = Span(start: byteCount, count: n)
            if case .bytes(let b) = e {
                if n > 0 { smallCopy(bytes + byteCount, b.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
                byteCount += n
            } else {
                byteCount += e.writeText(to: bytes + byteCount)
            }
            elementCount += 1
            if n > longest { longest = n }
        }

        // Growth goes through the staging area, which owns the memory; the writer
        // then takes its new pointers.
        @usableFromInline mutating func growBytes(_ extra: Int) {
            staging.commit(self)
            staging.growBytes(byteCount + extra)
            bytes = staging.bytes
            byteCapacity = staging.byteCapacity
        }

        @usableFromInline mutating func growSpans() {
            staging.commit(self)
            staging.growSpans()
            spans = staging.spans
            spanCapacity = staging.spanCapacity
        }

        @usableFromInline mutating func growScores() {
            staging.commit(self)
            staging.growScores()
            scores = staging.scores
            scoreCapacity = staging.scoreCapacity
        }
    }

    /// Element `i`'s text (valid until the next append or reset).
    @inlinable public func text(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes + spans[i].start, count: spans[i].count)
    }

    /// Element `i`'s span.
    @inlinable public func span(_ i: Int) -> Span { spans[i] }

    /// The staged bytes (spans are offsets into them).
    public var stagedBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: byteCount) }

    /// Score `i` of a staged sorted set.
    @inlinable public func score(_ i: Int) -> Double { scores[i] }

    /// The staged elements (field, value, ...) as a packed hash (a listpack, each
    /// text encoded as `PackedPairs.set` would): fields unique, their count and
    /// lengths within the limits that keep it packed.
    public func packedHash() -> HashValue {
        let pairs = PackedPairs(elements: count) { text($0) }
        var hash = HashValue()
        hash.storage = .packed(pairs)
        return hash
    }

    /// The staged members, each with its score, as a packed sorted set: in
    /// sorted-set order (score, then member bytes), unique, within the packed limits.
    public func packedSortedSet() -> SortedSetValue {
        precondition(scoreCount == count, "a score for every member")
        let packed = [UInt8](unsafeUninitializedCapacity: 4 + byteCount) { buf, initialized in
            let b = buf.baseAddress!
            for k in 0..<4 { b[k] = UInt8(truncatingIfNeeded: count >> (8 * k)) }
            if byteCount > 0 { memcpy(b + 4, bytes, byteCount) }
            initialized = 4 + byteCount
        }
        var set = SortedSetValue()
        set.storage = .packed(SortedSetPacked(trusted: packed))
        return set
    }

    // MARK: growth

    @usableFromInline func growBytes(_ needed: Int) {
        regrow(&bytes, &byteCapacity, to: Swift.max(needed, byteCapacity * 2), keeping: byteCount)
    }

    @usableFromInline func growSpans() { regrow(&spans, &spanCapacity, to: spanCapacity * 2, keeping: elementCount) }

    @usableFromInline func growScores() { regrow(&scores, &scoreCapacity, to: scoreCapacity * 2, keeping: scoreCount) }

    private func regrow<T>(_ p: inout UnsafeMutablePointer<T>, _ capacity: inout Int, to newCapacity: Int, keeping n: Int) {
        let q = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
        q.moveInitialize(from: p, count: n)
        p.deallocate()
        p = q
        capacity = newCapacity
    }
}

/// Writes `n` as a LEB128 length prefix (7 bits a byte, high bit on all but the
/// last) at `i`: a staged text's prefix, and a packed sorted set member's.
@inline(__always) @usableFromInline func writeLength(_ n: Int, _ p: UnsafeMutableRawBufferPointer, _ i: inout Int) {
    var v = n
    while v >= 0x80 {
        p[i] = UInt8(truncatingIfNeeded: v) | 0x80
        i += 1
        v >>= 7
    }
    p[i] = UInt8(v)
    i += 1
}
