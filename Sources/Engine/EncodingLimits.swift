// EncodingLimits: the thresholds past which a compact collection converts to its
// general form, as Redis 4.0 names and defaults them. The server copies them
// from its configuration; the collection types read them on every write.

public struct EncodingLimits: Equatable, Sendable {
    /// hash-max-ziplist-entries / -value: a hash stays packed up to this many fields, each field and value this long.
    public var hashMaxPackedEntries = 512
    public var hashMaxPackedValue = 64
    /// list-max-ziplist-size: >0 entries per node, or -1...-5 for 4/8/16/32/64 KiB per node.
    public var listMaxNodeSize = -2
    /// list-compress-depth: nodes left uncompressed at each end (0 = none compressed).
    public var listCompressDepth = 0
    /// set-max-intset-entries: an all-integer set stays an intset up to this size.
    public var setMaxIntsetEntries = 512
    /// zset-max-ziplist-entries / -value.
    public var zsetMaxPackedEntries = 128
    public var zsetMaxPackedValue = 64
    /// hll-sparse-max-bytes: a HyperLogLog stays sparse up to this size.
    public var hllSparseMaxBytes = 3000

    public init() {}
}
