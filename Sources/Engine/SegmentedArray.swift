// SegmentedArray: a growable array kept in fixed-size segments, for the keyspace's
// entries (KeyTable).
//
// Why not Array: a growing Array doubles, copying every element and leaving on
// average a third of its slots unused; at a million keys that is a 50 MB copy in
// one event-loop turn and about 12 bytes per key of slack, and the freed buffers
// stay in the process's resident set. Here growth appends one segment: no element
// ever moves, and the unused slots are at most those of the last segment.
//
// Contract: indices are dense from 0 to count-1, as in Array; the first segment
// grows as an Array does, so a small table (most of the 16 databases) costs little.

@usableFromInline struct SegmentedArray<Element> {
    /// Elements per segment: as many as fill one 160 KiB allocation (a jemalloc size
    /// class) after Array's 32-byte header; a power of two would spill into the next
    /// class (192 KiB). 4,095 keyspace entries. Specialised, the division is by a constant.
    @usableFromInline static var segmentSize: Int { (160 * 1024 - 32) / MemoryLayout<Element>.stride }

    @usableFromInline var segments: [[Element]] = []
    @usableFromInline private(set) var count = 0

    @inlinable init() {}

    /// Slots allocated, used or not.
    @inlinable var capacity: Int { segments.reduce(0) { $0 + $1.capacity } }

    @inlinable var isEmpty: Bool { count == 0 }
    @inlinable var indices: Range<Int> { 0..<count }

    @inlinable subscript(i: Int) -> Element {
        // Borrow and modify in place: a copied entry would retain and release its key and value.
        _read { yield segments[i / Self.segmentSize][i % Self.segmentSize] }
        _modify { yield &segments[i / Self.segmentSize][i % Self.segmentSize] }
    }

    @inlinable mutating func append(_ element: Element) {
        if count / Self.segmentSize == segments.count {
            var fresh: [Element] = []
            // Past the first segment every segment fills up: allocate it whole once.
            if count > 0 { fresh.reserveCapacity(Self.segmentSize) }
            segments.append(fresh)
        }
        let last = segments.count - 1
        let room = segments[last].capacity
        if segments[last].count == room {
            // The first segment doubles as Array would, but never past a segment's size.
            segments[last].reserveCapacity(Swift.min(Swift.max(2 * room, 16), Self.segmentSize))
        }
        segments[last].append(element)
        count += 1
    }

    /// Makes room for `n` elements in all (a load's size hint), whole segments at a time.
    @inlinable mutating func reserveCapacity(_ n: Int) {
        guard n > count else { return }
        if segments.isEmpty { segments.append([]) }
        let first = Swift.min(n, Self.segmentSize)
        if segments.count == 1 && segments[0].capacity < first { segments[0].reserveCapacity(first) }
        segments.reserveCapacity((n + Self.segmentSize - 1) / Self.segmentSize)
    }

    @inlinable mutating func removeAll() {
        segments = []
        count = 0
    }
}
