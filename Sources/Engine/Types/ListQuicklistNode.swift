// ListQuicklistNode: one quicklist node, raw or LZF-compressed, and the rule of
// list-compress-depth that decides which nodes are compressed.
//
// Contract: with a depth d > 0, the d nodes at each end are raw and every node
// between them is compressed when that pays, as Redis 4.0 decides it: only a
// ziplist of at least 48 bytes, and only when LZF saves more than 8 bytes. A
// compressed node keeps its entry count and raw size, so walking to an index
// needs no decompression. Reads decompress into a temporary and leave the node
// alone (a snapshot may share it); writes go through `QuickList.edit`, which
// decompresses in place and marks the node for recompression.
//
// The tricky bit: settling after each write without scanning the whole list.
// A push or pop moves nodes across the boundary only at positions d-1/d and
// n-d-1/n-d, so `settleCompression` looks at those; a write in the interior
// (LSET, LINSERT, LREM) sets `pendingRecompress`, which adds one pass over the
// nodes' flags. `tried` remembers that a node's current bytes did not compress,
// so an incompressible boundary node is not compressed again on every push.

/// A quicklist node: a ziplist, held raw or LZF-compressed.
@usableFromInline struct QuickNode {
    /// The ziplist while raw; an empty placeholder while compressed.
    var raw: Ziplist
    /// The LZF form of the ziplist while compressed, else nil.
    var packed: [UInt8]?
    /// While compressed: the ziplist's entry count and byte size.
    var packedCount: Int32 = 0
    var packedSize: Int32 = 0
    /// Compression was tried on the current bytes (true while compressed, or after it did not pay).
    var tried = false

    /// Redis 4.0's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE.
    static let minCompressBytes = 48
    static let minCompressImprove = 8

    init(_ z: Ziplist) { raw = z }

    var isCompressed: Bool { packed != nil }
    var count: Int { packed == nil ? raw.count : Int(packedCount) }
    var byteSize: Int { packed == nil ? raw.byteSize : Int(packedSize) }

    /// The ziplist, decompressed into a temporary when the node is compressed.
    var ziplist: Ziplist {
        guard let p = packed else { return raw }
        guard let bytes = LZF.decompress(p, length: Int(packedSize)) else {
            preconditionFailure("a compressed quicklist node does not decompress")
        }
        return Ziplist(trusted: bytes)
    }

    /// Compresses the raw ziplist when it is long enough and LZF saves enough; once per content.
    mutating func compressIfWorthIt() {
        guard packed == nil, !tried else { return }
        tried = true
        let size = raw.byteSize
        guard size >= QuickNode.minCompressBytes,
              let lzf = LZF.compress(raw.bytes, limit: size - QuickNode.minCompressImprove - 1) else { return }
        packedCount = Int32(raw.count)
        packedSize = Int32(size)
        packed = lzf
        raw = Ziplist()
    }

    /// Makes the node raw again (a no-op when it is); it will compress again when asked.
    mutating func decompress() {
        guard packed != nil else { return }
        raw = ziplist
        packed = nil
        tried = false
    }
}

extension QuickList {
    /// Whether node `i` of a list of `n` nodes lies deeper than the compress depth.
    @inline(__always) func isInterior(_ i: Int, nodes n: Int) -> Bool {
        compressDepth > 0 && i >= compressDepth && i < n - compressDepth
    }

    /// Restores the compression rule after a write: the ends raw, the interior compressed.
    func settleCompression() {
        let d = compressDepth
        guard d > 0 else { return }
        let n = nodes
        if pendingRecompress {
            pendingRecompress = false
            if n > 2 * d { for i in d..<(n - d) { slot(i).pointee.compressIfWorthIt() } }
        }
        for i in 0..<min(d, n) { slot(i).pointee.decompress() }
        for i in max(n - d, 0)..<n { slot(i).pointee.decompress() }
        if n > 2 * d {
            slot(d).pointee.compressIfWorthIt()
            slot(n - 1 - d).pointee.compressIfWorthIt()
        }
    }

    /// How many nodes are held compressed (for tests and DEBUG).
    var compressedNodes: Int {
        var c = 0
        for i in 0..<nodes where slot(i).pointee.isCompressed { c += 1 }
        return c
    }

    /// True when only interior nodes are compressed, and each decompresses to a valid ziplist
    /// of the recorded size and count (for tests).
    var compressionIsConsistent: Bool {
        let n = nodes
        for i in 0..<n {
            let s = slot(i).pointee
            guard let p = s.packed else { continue }
            guard isInterior(i, nodes: n), let bytes = LZF.decompress(p, length: Int(s.packedSize)),
                  Ziplist.isValid(bytes), Ziplist(trusted: bytes).count == Int(s.packedCount) else { return false }
        }
        return true
    }
}
