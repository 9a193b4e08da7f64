// SortedSetValue: SCAFFOLD ONLY, replaced by the implementation of sorted sets (issue 3): packed small, skiplist with O(log n) rank otherwise.
// It exists so the Value enum and its generic users compile; no command creates one yet.

public struct SortedSetValue: CollectionValue {
    public init() {}
    public var encodingName: String { "ziplist" }
    public var count: Int { 0 }
    public func mixDigest(into digest: inout [UInt8]) {}
}
