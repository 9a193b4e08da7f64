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
        let builder = ZiplistBuilder()
        builder.start()
        for e in elements { builder.append(e) }
        self = builder.finish()
    }
}

/// Builds ziplists element by element in storage it keeps from one to the next (a
/// load's scratch), each copied out at its exact size: one pass over the elements (an
/// element's integer form is decided once) and one allocation per ziplist.
public final class ZiplistBuilder {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written of the ziplist being built, the header's included.
    private var used = 0
    /// Where the last entry starts, and its length (the next entry's prevlen).
    private var tail = 0
    private var previousLength = 0
    private var count = 0

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        storage = .allocate(capacity: self.capacity)
        start()
    }

    deinit { storage.deallocate() }

    /// Begins a new ziplist.
    public func start() {
        used = Ziplist.headerSize
        tail = used
        previousLength = 0
        count = 0
    }

    /// Appends one element, with the integer encoding exactly when `ZipPayload` would use it.
    @inline(__always) public func append(_ e: ListElement) {
        let int = e.ziplistInt
        let textLength = int == nil ? e.textLength : 0
        reserve(5 + 5 + textLength + 9)  // prevlen, header, text or integer, end byte
        let start = used
        var p = storage + used
        if previousLength < 254 {
            p[0] = UInt8(previousLength)
            p += 1
        } else {
            p[0] = 0xFE
            storeLE(p + 1, UInt64(previousLength), 4)
            p += 5
        }
        if let v = int {
            ZipPayload.writeInt(v, to: p)
            p += 1 + ZipPayload.intDataSize(v)
        } else {
            p += ZipPayload.writeStringHeader(textLength, to: p)
            p += e.writeText(to: p)
        }
        used = p - storage
        tail = start
        previousLength = used - start
        count += 1
    }

    /// Bytes the entries appended since `start` take.
    public var entriesSize: Int { used - Ziplist.headerSize }

    /// The ziplist built since `start`, in an allocation of its own size.
    public func finish() -> Ziplist { Ziplist(trusted: finishBytes()) }

    /// The ziplist built since `start` as bytes (an RDB file's blob).
    public func finishBytes() -> [UInt8] {
        reserve(1)
        storage[used] = 0xFF
        let total = used + 1
        storeLE(storage, UInt64(total), 4)
        storeLE(storage + 4, UInt64(tail), 4)
        storeLE(storage + 8, UInt64(min(count, 0xFFFF)), 2)
        return [UInt8](UnsafeBufferPointer(start: storage, count: total))
    }

    private func reserve(_ more: Int) {
        guard used + more > capacity else { return }
        let grown = max(capacity * 2, used + more)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.update(from: storage, count: used)
        storage.deallocate()
        storage = bigger
        capacity = grown
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
