// PackedBuilding: a quicklist node's ziplist built whole from elements read
// elsewhere, in one pass and one allocation, and the element text helpers it
// shares with PackedStaging (a packed hash or sorted set).
//
// Contract: the elements are views (`ListElement`: an integer, or bytes valid
// for the call) of a blob the caller has already checked, typically an RDB
// file's listpack or ziplist. The result is byte for byte what the same
// elements pushed one at a time would give (a ziplist entry takes the integer
// encoding exactly when `ZipPayload` would). Loading a file is why this
// exists: pushing elements one by one costs an allocation each.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ListElement {
    /// Length of the element as text (an integer's decimal digits).
    @inlinable public var textLength: Int {
        @inline(__always) get {
            switch self {
            case .int(let v): return decimalLength(v)
            case .bytes(let b): return b.count
            }
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

extension SetValue {
    /// A set holding `intset` as it is (an RDB file's blob, adopted), converted
    /// to a table when it has more members than `limits` allow an intset.
    public init(intset: IntSet, limits: EncodingLimits) {
        storage = .intset(intset)
        if intset.count > limits.setMaxIntsetEntries { convertToTable(capacity: intset.count) }
    }
}
