// HashValue: SCAFFOLD ONLY, replaced by the implementation of hashes (issue 3): packed small, hashtable past hash-max-ziplist-*.
// It exists so the Value enum and its generic users compile; no command creates one yet.

public struct HashValue: CollectionValue {
    public init() {}
    public var encodingName: String { "ziplist" }
    public var count: Int { 0 }
    public func mixDigest(into digest: inout [UInt8]) {}
}
