// ReplicationBacklog: the last `capacity` bytes of the replication stream,
// kept so that a replica that lost its link can continue by partial resync.
//
// Contract: offsets are stream offsets as PSYNC counts them, the offset of a
// byte being the number of stream bytes before it plus one. The backlog is
// made empty with `nextOffset` (Redis: master_repl_offset + 1, the offset the
// next appended byte will get); each append moves `endOffset` on by the bytes
// appended, and once more than `capacity` bytes have passed the oldest fall
// out. `firstByteOffset ... endOffset` is what can still be served.
// Tricky bit: a replica asks for the first byte it lacks, its own offset + 1.
// Asking for `endOffset + 1` means "I have everything": that is covered (an
// empty reply, not a full resync), exactly as Redis's test
// `offset <= repl_backlog_off + repl_backlog_histlen` allows.

/// A ring buffer of the newest bytes of the replication stream, with Redis's offsets.
public struct ReplicationBacklog {
    /// The most bytes held (`repl-backlog-size`); at least 1.
    public private(set) var capacity: Int
    /// The ring; `storage.count == capacity`.
    private var storage: [UInt8]
    /// Where the next byte goes in `storage` (Redis's repl_backlog_idx).
    private var writeIndex = 0
    /// How many bytes are held (Redis's repl_backlog_histlen).
    public private(set) var historyLength = 0
    /// The offset the next appended byte will get (master_repl_offset + 1).
    public private(set) var nextOffset: Int64

    /// An empty backlog whose first appended byte will have offset `nextOffset`.
    /// A `capacity` below 1 is taken as 1.
    public init(capacity: Int, nextOffset: Int64) {
        self.capacity = max(1, capacity)
        self.storage = [UInt8](repeating: 0, count: self.capacity)
        self.nextOffset = nextOffset
    }

    /// The offset of the oldest byte held (Redis's repl_backlog_off). When the
    /// backlog is empty this is `nextOffset`.
    public var firstByteOffset: Int64 { nextOffset - Int64(historyLength) }

    /// The offset of the newest byte held: the master's replication offset.
    public var endOffset: Int64 { nextOffset - 1 }

    /// Appends stream bytes; the oldest fall out past `capacity`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        nextOffset += Int64(bytes.count)
        // Only the newest `capacity` bytes can survive this append.
        var source = bytes.count > capacity ? UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - capacity)...]) : bytes
        historyLength = min(capacity, historyLength + source.count)
        storage.withUnsafeMutableBytes { ring in
            while !source.isEmpty {
                let room = capacity - writeIndex
                let run = min(room, source.count)
                UnsafeMutableRawBufferPointer(rebasing: ring[writeIndex..<(writeIndex + run)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<run]))
                writeIndex = (writeIndex + run) % capacity
                source = UnsafeRawBufferPointer(rebasing: source[run...])
            }
        }
    }

    /// Appends stream bytes; the oldest fall out past `capacity`.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// True when the backlog can serve a replica whose first missing byte is
    /// `offset` (its replication offset + 1); `endOffset + 1` is covered and
    /// means "nothing to send".
    public func covers(_ offset: Int64) -> Bool {
        offset >= firstByteOffset && offset <= firstByteOffset + Int64(historyLength)
    }

    /// Every byte from `offset` to the end, or nil when `offset` is not covered.
    public func bytes(from offset: Int64) -> [UInt8]? {
        guard covers(offset) else { return nil }
        let count = Int(nextOffset - offset)
        // The oldest byte sits just after the newest when the ring is full.
        let oldestIndex = (writeIndex - historyLength + capacity) % capacity
        let start = (oldestIndex + Int(offset - firstByteOffset)) % capacity
        var result: [UInt8] = []
        result.reserveCapacity(count)
        let firstRun = min(count, capacity - start)
        result.append(contentsOf: storage[start..<(start + firstRun)])
        result.append(contentsOf: storage[0..<(count - firstRun)])
        return result
    }

    /// Changes the capacity. Unlike Redis 4.0 (whose resizeReplicationBacklog
    /// drops the history), the newest `min(historyLength, capacity)` bytes are
    /// kept, so replicas that could continue before may still continue.
    /// Offsets do not change.
    public mutating func resize(capacity newCapacity: Int) {
        let newCapacity = max(1, newCapacity)
        guard newCapacity != capacity else { return }
        let kept = min(historyLength, newCapacity)
        let newest = bytes(from: nextOffset - Int64(kept)) ?? []
        let end = nextOffset
        self = ReplicationBacklog(capacity: newCapacity, nextOffset: end - Int64(kept))
        append(newest)
    }
}
