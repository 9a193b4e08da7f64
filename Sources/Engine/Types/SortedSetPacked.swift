// SortedSetPacked: the compact form of a small sorted set, one byte buffer (the
// role of Redis's ziplist encoding).
//
// Layout: a 4-byte little-endian element count, then the elements in sorted-set
// order, each as [score][member length, LEB128 varint][member bytes]. A score is
// one tag byte and its payload: a tag below 0xF0 is the integer score itself
// (0...239); 0xF1...0xF7 announce a signed little-endian integer of 1...7 bytes;
// 0xF8 an IEEE-754 double in 8 bytes. An integral score (not -0) below 2^55 takes
// the integer forms, so "member:12" at score 3 costs 11 bytes.
//
// Contract: every operation is a linear walk, as Redis's ziplist code is; the
// owner (SortedSetValue) keeps it at most zset-max-ziplist-entries long with
// members at most zset-max-ziplist-value bytes. The tricky bit is memory: an
// insert builds the new buffer at its exact size (one allocation, as a realloc)
// instead of letting Array double its capacity.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@usableFromInline struct SortedSetPacked: Sendable {
    private(set) var bytes: [UInt8]

    init() { bytes = [0, 0, 0, 0] }

    /// Bytes known to be a valid packed set (a copy of another's, active defrag).
    init(trusted bytes: [UInt8]) { self.bytes = bytes }

    /// A packed set holding `entries`, which must be sorted and unique.
    init(sorted entries: [SortedSetEntry]) {
        var out: [UInt8] = [0, 0, 0, 0]
        out.reserveCapacity(4 + entries.reduce(0) { $0 + Self.encodedLength($1.score, $1.member.count) })
        for e in entries { Self.appendEntry(e.score, e.member, to: &out) }
        bytes = out
        setCount(entries.count)
    }

    var count: Int {
        Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
    }

    private mutating func setCount(_ n: Int) {
        bytes[0] = UInt8(truncatingIfNeeded: n)
        bytes[1] = UInt8(truncatingIfNeeded: n >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: n >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: n >> 24)
    }

    /// Bytes in use including the header (what the buffer would be as a blob).
    var byteCount: Int { bytes.count }

    // MARK: encoding

    /// 2^55 (computed, not stored: a stored static costs a once-check per inlined use).
    @inlinable static var maxPackedInteger: Double { 36_028_797_018_963_968 }

    @inlinable @inline(__always) static func scoreLength(_ score: Double) -> Int {
        // Integral test by conversion (rounded() is a libm call without SSE4.1); NaN fails the range test.
        guard abs(score) < maxPackedInteger, !(score == 0 && score.sign == .minus) else { return 9 }
        let v = Int64(score)
        guard Double(v) == score else { return 9 }
        if v >= 0 && v < 0xF0 { return 1 }
        // The fewest bytes of two's complement that hold v: its magnitude bits plus a sign bit.
        let magnitude = v < 0 ? ~v : v
        let n = Swift.max(1, (65 - magnitude.leadingZeroBitCount + 7) / 8)
        return 1 + Swift.min(n, 7)
    }

    static func varintLength(_ n: Int) -> Int {
        var n = n, len = 1
        while n >= 0x80 { n >>= 7; len += 1 }
        return len
    }

    static func encodedLength(_ score: Double, _ memberCount: Int) -> Int {
        scoreLength(score) + varintLength(memberCount) + memberCount
    }

    static func appendEntry(_ score: Double, _ member: Bytes, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 9) { tmp in
            let n = writeScore(score, to: tmp.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<n]))
        }
        var len = member.count
        while len >= 0x80 {
            out.append(UInt8(len & 0x7F) | 0x80)
            len >>= 7
        }
        out.append(UInt8(len))
        out.append(contentsOf: member)
    }

    /// Writes the score's tag and payload at `out`; returns how many bytes. The
    /// payload is stored as one 8-byte word, so 9 bytes at `out` must be writable.
    @inlinable @inline(__always) static func writeScore(_ score: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let sl = scoreLength(score)
        let payload = UnsafeMutableRawPointer(out + 1)
        if sl == 9 {
            out[0] = 0xF8
            payload.storeBytes(of: score.bitPattern.littleEndian, as: UInt64.self)
        } else if sl == 1 {
            out[0] = UInt8(Int64(score))
        } else {
            out[0] = 0xF0 | UInt8(sl - 1)
            payload.storeBytes(of: UInt64(bitPattern: Int64(score)).littleEndian, as: UInt64.self)
        }
        return sl
    }

    // MARK: walking

    /// One decoded element: its score and where its member bytes and the element lie.
    struct Element {
        var score: Double
        var memberStart: Int
        var memberCount: Int
        var start: Int
        var end: Int
    }

    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> Element {
        var o = start
        let tag = p[o]
        o += 1
        let score: Double
        if tag < 0xF0 {
            score = Double(tag)
        } else if tag == 0xF8 {
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(p[o + k]) << (8 * UInt64(k)) }
            o += 8
            score = Double(bitPattern: bits)
        } else {
            let n = Int(tag & 0x0F)
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(p[o + k]) << (8 * UInt64(k)) }
            o += n
            let shift = UInt64(64 - 8 * n)
            score = Double(Int64(bitPattern: v << shift) >> shift)
        }
        var len = 0, shift = 0
        while true {
            let b = p[o]
            o += 1
            len |= Int(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Element(score: score, memberStart: o, memberCount: len, start: start, end: o + len)
    }

    @inline(__always)
    static func member(_ p: UnsafeBufferPointer<UInt8>, _ e: Element) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[e.memberStart..<e.end])
    }

    /// Calls `body` with each element in order until it returns false.
    @inline(__always)
    func walk(_ body: (UnsafeBufferPointer<UInt8>, Element, Int) -> Bool) {
        bytes.withUnsafeBufferPointer { p in
            var o = 4
            var rank = 0
            while o < p.count {
                let e = Self.decode(p, at: o)
                if !body(p, e, rank) { return }
                o = e.end
                rank += 1
            }
        }
    }

    // MARK: queries

    /// The element holding `member`, with its rank.
    func find(_ member: Bytes) -> (element: Element, rank: Int)? {
        var found: (Element, Int)? = nil
        member.withUnsafeBytes { m in
            walk { p, e, rank in
                if e.memberCount == m.count && compareMembers(Self.member(p, e), m) == 0 {
                    found = (e, rank)
                    return false
                }
                return true
            }
        }
        return found
    }

    /// The elements at ranks `ranks`, ascending.
    func entries(_ ranks: Range<Int>) -> [SortedSetEntry] {
        var out: [SortedSetEntry] = []
        out.reserveCapacity(ranks.count)
        walk { p, e, rank in
            if rank >= ranks.upperBound { return false }
            if rank >= ranks.lowerBound {
                out.append(SortedSetEntry(member: Array(Self.member(p, e)), score: e.score))
            }
            return true
        }
        return out
    }

    /// Calls `body` with the member bytes and score of the elements at `ranks`,
    /// ascending or descending, without copying members.
    func forEach(_ ranks: Range<Int>, reverse: Bool, _ body: (UnsafeRawBufferPointer, Double) -> Void) {
        guard !ranks.isEmpty else { return }
        if !reverse {
            walk { p, e, rank in
                if rank >= ranks.upperBound { return false }
                if rank >= ranks.lowerBound { body(Self.member(p, e), e.score) }
                return true
            }
            return
        }
        var starts: [Int] = []
        starts.reserveCapacity(ranks.count)
        walk { _, e, rank in
            if rank >= ranks.upperBound { return false }
            if rank >= ranks.lowerBound { starts.append(e.start) }
            return true
        }
        bytes.withUnsafeBufferPointer { p in
            for start in starts.reversed() {
                let e = Self.decode(p, at: start)
                body(Self.member(p, e), e.score)
            }
        }
    }

    /// The first rank at or after `from` whose element satisfies `pred`, or count.
    func firstRank(from: Int = 0, where pred: (Double, UnsafeRawBufferPointer) -> Bool) -> Int {
        var result = count
        walk { p, e, rank in
            if rank >= from && pred(e.score, Self.member(p, e)) {
                result = rank
                return false
            }
            return true
        }
        return result
    }

    /// Byte offsets of the elements at ranks `lo` and `hi` (the end for count).
    private func offsets(_ lo: Int, _ hi: Int) -> (Int, Int) {
        var a = bytes.count, b = bytes.count
        walk { _, e, rank in
            if rank == lo { a = e.start }
            if rank == hi { b = e.start; return false }
            return true
        }
        return (a, b)
    }

    // MARK: changes

    /// Inserts (score, member), which must be absent, at its place in order.
    mutating func insert(_ score: Double, _ member: Bytes) {
        var at = bytes.count
        member.withUnsafeBytes { m in
            walk { p, e, _ in
                if e.score > score || (e.score == score && compareMembers(Self.member(p, e), m) > 0) {
                    at = e.start
                    return false
                }
                return true
            }
        }
        var entry: [UInt8] = []
        entry.reserveCapacity(Self.encodedLength(score, member.count))
        Self.appendEntry(score, member, to: &entry)
        let oldCount = count
        let total = bytes.count + entry.count
        let fresh = [UInt8](unsafeUninitializedCapacity: total) { buf, initialized in
            bytes.withUnsafeBufferPointer { old in
                let base = buf.baseAddress!
                memcpy(base, old.baseAddress!, at)
                entry.withUnsafeBufferPointer { _ = memcpy(base + at, $0.baseAddress!, $0.count) }
                if old.count > at { memcpy(base + at + entry.count, old.baseAddress! + at, old.count - at) }
            }
            initialized = total
        }
        bytes = fresh
        setCount(oldCount + 1)
    }

    /// Removes the element `e` (from `find`).
    mutating func remove(_ e: Element) {
        removeBytes(e.start..<e.end, elements: 1)
    }

    /// Removes the elements at ranks `ranks`.
    mutating func removeRanks(_ ranks: Range<Int>) {
        guard !ranks.isEmpty else { return }
        let (a, b) = offsets(ranks.lowerBound, ranks.upperBound)
        removeBytes(a..<b, elements: ranks.count)
    }

    private mutating func removeBytes(_ range: Range<Int>, elements: Int) {
        let newCount = count - elements
        bytes.removeSubrange(range)
        // Give memory back as a realloc would once a quarter of the buffer is unused.
        if bytes.capacity - bytes.count > 32 && bytes.capacity > bytes.count + bytes.count / 4 {
            let n = bytes.count
            bytes = [UInt8](unsafeUninitializedCapacity: n) { buf, initialized in
                bytes.withUnsafeBufferPointer { _ = memcpy(buf.baseAddress!, $0.baseAddress!, n) }
                initialized = n
            }
        }
        setCount(newCount)
    }
}
