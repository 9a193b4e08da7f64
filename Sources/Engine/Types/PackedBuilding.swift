// PackedBuilding: the packed forms (a quicklist node's ziplist, a packed hash, a
// packed sorted set) built whole from elements read elsewhere, in one pass and
// one allocation.
//
// Contract: the elements are views (`ListElement`: an integer, or bytes valid
// for the call) of a blob the caller has already checked, typically an RDB
// file's listpack or ziplist. The caller guarantees what the form needs and
// the per-element edits would have checked: no duplicate fields or members,
// the encoding limits, sorted-set order. The result is byte for byte what
// the same elements added one at a time would give (an integer is stored as
// the text Redis would reply with; a ziplist entry takes the integer encoding
// exactly when `ZipPayload` would). Loading a file is why this exists: adding
// elements one by one costs an allocation (and, for hashes, a search) each.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ListElement {
    /// Length of the element as text (an integer's decimal digits).
    @inlinable public var textLength: Int {
        switch self {
        case .int(let v): return decimalLength(v)
        case .bytes(let b): return b.count
        }
    }

    /// Writes the element as text at `out`; returns the bytes written.
    @inlinable public func writeText(to out: UnsafeMutablePointer<UInt8>) -> Int {
        switch self {
        case .bytes(let b):
            if b.count > 0 { smallCopy(out, b.baseAddress!.assumingMemoryBound(to: UInt8.self), b.count) }
            return b.count
        case .int(let v):
            let n = decimalLength(v)
            var m = v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(v.magnitude)
            var i = n
            repeat {
                i -= 1
                out[i] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m > 0
            if v < 0 { out[0] = UInt8(ascii: "-") }
            return n
        }
    }

    /// The integer a ziplist would store this element as, if any (ZipPayload's rule).
    @inlinable var ziplistInt: Int64? {
        switch self {
        case .int(let v): return v
        case .bytes(let b): return b.count < 32 ? parseInt64(b) : nil
        }
    }
}

extension Ziplist {
    /// A ziplist of `elements` in order, built in one allocation (a listpack node's, converted).
    public init(elements: [ListElement]) {
        var total = Ziplist.headerSize + 1
        var prev = 0
        for e in elements {
            let payload: Int
            if let v = e.ziplistInt {
                payload = 1 + ZipPayload.intDataSize(v)
            } else {
                let n = e.textLength
                payload = (n <= 0x3F ? 1 : n <= 0x3FFF ? 2 : 5) + n
            }
            prev = (prev < 254 ? 1 : 5) + payload
            total += prev
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buf, initialized in
            let b = buf.baseAddress!
            var p = Ziplist.headerSize, prevLen = 0, tail = Ziplist.headerSize
            for e in elements {
                let start = p
                if prevLen < 254 {
                    b[p] = UInt8(prevLen); p += 1
                } else {
                    b[p] = 0xFE; storeLE(b + p + 1, UInt64(prevLen), 4); p += 5
                }
                if let v = e.ziplistInt {
                    ZipPayload.writeInt(v, to: b + p)
                    p += 1 + ZipPayload.intDataSize(v)
                } else {
                    p += ZipPayload.writeStringHeader(e.textLength, to: b + p)
                    p += e.writeText(to: b + p)
                }
                tail = start
                prevLen = p - start
            }
            b[p] = 0xFF
            storeLE(b, UInt64(total), 4)
            storeLE(b + 4, UInt64(tail), 4)
            storeLE(b + 8, UInt64(min(elements.count, 0xFFFF)), 2)
            initialized = total
        }
        self.init(trusted: bytes)
    }
}

extension PackedPairs {
    /// Pairs from `elements` (field, value, field, value...), unique fields, in one allocation.
    init(elements: [ListElement]) {
        self.init()
        guard !elements.isEmpty else { return }
        var total = 0
        for e in elements {
            let n = e.textLength
            total += lengthSize(n) + n
        }
        storage.resize(to: total)
        storage.withUnsafeMutableBytes { p in
            var i = 0
            for e in elements {
                writeLength(e.textLength, p, &i)
                i += e.writeText(to: p.baseAddress!.assumingMemoryBound(to: UInt8.self) + i)
            }
        }
        storage.setTag(UInt32(elements.count / 2))
    }
}

extension HashValue {
    /// A packed ("ziplist") hash of `elements` (field, value, ...): the fields
    /// unique, and their count and lengths within the limits that keep it packed.
    public init(packedElements elements: [ListElement]) {
        storage = .packed(PackedPairs(elements: elements))
    }
}

extension SortedSetValue {
    /// A packed ("ziplist") sorted set of `members` with `scores`, already in
    /// sorted-set order (score, then member bytes), unique, within the packed limits.
    public init(packedSorted members: [ListElement], scores: [Double]) {
        var total = 4
        for (m, s) in zip(members, scores) { total += SortedSetPacked.encodedLength(s, m.textLength) }
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { buf, initialized in
            let b = buf.baseAddress!
            let n = members.count
            for k in 0..<4 { b[k] = UInt8(truncatingIfNeeded: n >> (8 * k)) }
            var o = 4
            for (m, s) in zip(members, scores) {
                o += SortedSetPacked.writeScore(s, to: b + o)
                var len = m.textLength
                while len >= 0x80 {
                    b[o] = UInt8(len & 0x7F) | 0x80; o += 1
                    len >>= 7
                }
                b[o] = UInt8(len); o += 1
                o += m.writeText(to: b + o)
            }
            initialized = total
        }
        storage = .packed(SortedSetPacked(trusted: bytes))
    }
}

extension SetValue {
    /// A set holding `intset` as it is (an RDB file's blob, adopted), converted
    /// to a table when it has more members than `limits` allow an intset.
    public init(intset: IntSet, limits: EncodingLimits) {
        storage = .intset(intset)
        if intset.count > limits.setMaxIntsetEntries { convertToTable(capacity: intset.count) }
    }
}
