// HeldStream: the replication stream kept for one replica while its full
// sync's RDB is made and sent, then handed to its socket as the socket drains.
//
// Contract: bytes are appended in order and leave in order; `drain` moves
// whole chunks into the client's output only while less than a limit is in
// flight, so a large backlog of writes made during a sync never doubles in
// memory as one big copy in the output buffer.
// Tricky bit: chunks are at most 64 KB and reserved at that size, so memory is
// the bytes held plus at most one partly filled chunk (a growing array would
// keep up to twice the bytes after its last doubling). A replica that joins a
// running sync copies another's HeldStream: the chunks are shared until one
// of them appends.

struct HeldStream {
    static let chunkBytes = 64 << 10

    private var chunks: [[UInt8]] = []
    /// Chunks before `head` were handed over already.
    private var head = 0
    /// Bytes held.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes[...]
        if chunks.count > head, let last = chunks.indices.last, chunks[last].count < Self.chunkBytes {
            let take = min(Self.chunkBytes - chunks[last].count, rest.count)
            chunks[last].append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
        while !rest.isEmpty {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkBytes)
            let take = min(Self.chunkBytes, rest.count)
            chunk.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            chunks.append(chunk)
        }
        count += bytes.count
    }

    /// Moves chunks into `client`'s output while less than `limit` bytes are in flight to it;
    /// true once nothing is held.
    mutating func drain(into client: Client, limit: Int) -> Bool {
        while head < chunks.count && client.outputBytes < limit {
            client.output.writeBytes(chunks[head])
            count -= chunks[head].count
            chunks[head] = []
            head += 1
        }
        guard head == chunks.count else { return false }
        chunks = []
        head = 0
        return true
    }
}
