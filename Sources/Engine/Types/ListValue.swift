// ListValue: SCAFFOLD ONLY, replaced by the implementation of lists (issue 3): a quicklist of packed nodes.
// It exists so the Value enum and its generic users compile; no command creates one yet.

public struct ListValue: CollectionValue {
    public init() {}
    public var encodingName: String { "quicklist" }
    public var count: Int { 0 }
    public func mixDigest(into digest: inout [UInt8]) {}
}
