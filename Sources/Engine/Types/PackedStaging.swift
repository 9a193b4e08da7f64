// PackedStaging: where a small hash or sorted set read from a file (an RDB
// listpack or ziplist) is assembled element by element, in the packed form's
// own layout, before it becomes a value in one allocation.
//
// Contract: `reset`, then `append` each element (a hash's field, value, ...;
// a sorted set's members in order, each with its score), then the caller
// checks what the form needs (`text(_:)`: unique fields or members, limits,
// order) and takes `packedHash()` or `packedSortedSet()`. The result is byte
// for byte what the same elements added one at a time would give: an integer
// element is staged as the decimal text Redis would reply with, so two
// elements are equal exactly when their staged texts are. One staging area is
// reused for every key of a load; it never shrinks below what it last held
// unless that was large.
// Why: a load turns millions of listpack entries into packed values; staging
// them in final form means one walk of the file's blob, no per-element values,
// and one copy to finish.
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
        bytes.initialize(repeating: 0, count: byteCapacity)
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
            bytes.initialize(repeating: 0, count: byteCapacity)
        }
        if spanCapacity > Self.keptBytes / 16 { regrow(&spans, &spanCapacity, to: 256, keeping: 0) }
        if scoreCapacity > Self.keptBytes / 8 { regrow(&scores, &scoreCapacity, to: 128, keeping: 0) }
        byteCount = 0
        elementCount = 0
        scoreCount = 0
        longestText = 0
    }

    /// Stages `e` (its length prefix, then its text). Inlined: it runs once per
    /// element of a load's hashes, where a call costs about what the copy does.
    @inlinable @inline(__always) public func append(_ e: ListElement) {
        let n = e.textLength
        if byteCount + n + 16 > byteCapacity { growBytes(byteCount + n + 16) }
        appendText(e, n)
    }

    /// Stages a sorted-set member with its score, in the packed sorted set's
    /// layout (the score's tag and payload, then the member's length and text):
    /// the value is then one copy of the staged bytes.
    public func append(member e: ListElement, score: Double) {
        if scoreCount == scoreCapacity { growScores() }
        scores[scoreCount] = score
        scoreCount += 1
        let n = e.textLength
        if byteCount + n + 32 > byteCapacity { growBytes(byteCount + n + 32) }
        byteCount += SortedSetPacked.writeScore(score, to: bytes + byteCount)
        appendText(e, n)
    }

    /// Writes `e`'s length prefix and its `n` bytes of text (room checked by the caller).
    @inlinable @inline(__always) func appendText(_ e: ListElement, _ n: Int) {
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
        if n > longestText { longestText = n }
    }

    /// Element `i`'s text (valid until the next append or reset).
    @inlinable public func text(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes + spans[i].start, count: spans[i].count)
    }

    /// Element `i`'s span.
    @inlinable public func span(_ i: Int) -> Span { spans[i] }

    /// The staged bytes (spans are offsets into them). At least 8 bytes past
    /// them are readable, so a text may be read in whole words (hashing).
    public var stagedBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: byteCount) }

    /// Score `i` of a staged sorted set.
    @inlinable public func score(_ i: Int) -> Double { scores[i] }

    /// The staged elements (field, value, ...) as a packed hash: fields unique,
    /// their count and lengths within the limits that keep it packed.
    public func packedHash() -> HashValue {
        var pairs = PackedPairs()
        if count > 0 {
            pairs.storage = PackedBuffer(copying: UnsafeRawBufferPointer(start: bytes, count: byteCount), tag: UInt32(count / 2))
        }
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
        let old = byteCount
        regrow(&bytes, &byteCapacity, to: Swift.max(needed, byteCapacity * 2), keeping: old)
        // Initialized throughout, so the words read past the last text are defined.
        (bytes + old).initialize(repeating: 0, count: byteCapacity - old)
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
