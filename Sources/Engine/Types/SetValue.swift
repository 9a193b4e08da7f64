// SetValue: SCAFFOLD ONLY, replaced by the implementation of sets (issue 3): intset for small integer sets, hashtable otherwise.
// It exists so the Value enum and its generic users compile; no command creates one yet.

public struct SetValue: CollectionValue {
    public init() {}
    public var encodingName: String { "intset" }
    public var count: Int { 0 }
    public func mixDigest(into digest: inout [UInt8]) {}
}
