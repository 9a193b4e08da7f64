// ListZiplist: one quicklist node, a packed byte buffer in Redis's ziplist format.
//
// Contract: `bytes` is always a valid ziplist, byte for byte the layout Redis
// stores as a quicklist node in RDB files, so persistence can write and read a
// node as one blob. Layout: zlbytes (u32 LE), zltail (u32 LE, offset of the
// last entry), zllen (u16 LE, 65535 = "count by walking"), the entries, 0xFF.
// An entry is prevlen (1 byte, or 0xFE and a u32 LE when >= 254), an encoding
// header and data: a string of up to 63 / 16383 / 2^32-1 bytes has a 1 / 2 / 5
// byte header; a string Redis would store as an integer (shorter than 32 bytes
// and strictly parsed) becomes int8/16/24/32/64 data, or a 4-bit immediate 0...12.
// Offsets (`p`) index `bytes`; an offset is valid until the next mutation.
// Entry encoding and decoding live in ListZiplistEntries.swift.
//
// The tricky bit: prevlen. Changing an entry's size can change the size of the
// next entry's prevlen field, so that entry's size, and so on. Every edit ends
// with `fixPrevlen`, which walks forward only while sizes keep changing. Fields
// are kept minimal (Redis sometimes leaves a small value in a 5-byte field;
// both read the same, and `isValid` accepts both).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct Ziplist: Equatable, Sendable {
    /// The packed bytes, a valid ziplist.
    public private(set) var bytes: [UInt8]

    @usableFromInline static let headerSize = 10
    static let emptyBytes: [UInt8] = [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF]

    public init() { bytes = Ziplist.emptyBytes }

    /// Adopts `bytes` if they form a valid ziplist (a node read from a file).
    public init?(validating bytes: [UInt8]) {
        guard Ziplist.isValid(bytes) else { return nil }
        self.bytes = bytes
    }

    /// Adopts `bytes` known to be a valid ziplist (a compressed node's own bytes, decompressed).
    init(trusted bytes: [UInt8]) { self.bytes = bytes }

    /// A ziplist holding `values` in order.
    public init(_ values: [Bytes]) {
        self.init()
        for v in values { insert(v, at: endOffset) }
    }

    // MARK: header

    public var byteSize: Int { bytes.count }
    @inlinable var firstOffset: Int { Ziplist.headerSize }
    @inlinable var endOffset: Int { bytes.count - 1 }
    @inlinable var tailOffset: Int { Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24 }
    public var isEmpty: Bool { bytes[Ziplist.headerSize] == 0xFF }

    public var count: Int {
        let c = Int(bytes[8]) | Int(bytes[9]) << 8
        if c < 0xFFFF { return c }
        var n = 0
        var p = firstOffset
        while bytes[p] != 0xFF { p = next(p); n += 1 }
        return n
    }

    private mutating func writeHeader(tail: Int, count: Int) {
        let total = bytes.count
        let c = min(count, 0xFFFF)
        bytes.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress!
            storeLE(p, UInt64(total), 4)
            storeLE(p + 4, UInt64(tail), 4)
            storeLE(p + 8, UInt64(c), 2)
        }
    }

    // MARK: reading

    @inlinable func entry(_ p: Int) -> ZipEntry {
        bytes.withUnsafeBufferPointer { ZipEntry($0.baseAddress!, p) }
    }

    @inlinable func isEnd(_ p: Int) -> Bool { bytes[p] == 0xFF }

    /// The offset after the entry at `p` (an entry or the end marker).
    @inlinable func next(_ p: Int) -> Int { p + entry(p).size }

    /// The entry before offset `p` (an entry or the end marker), nil at the first.
    func previous(_ p: Int) -> Int? {
        if p == firstOffset || isEmpty { return nil }
        if isEnd(p) { return tailOffset }
        return p - entry(p).prevlen
    }

    /// The offset of the entry at `index` (0 ..< count; count gives the end), walking from the nearer end.
    func offset(ofIndex index: Int) -> Int {
        let n = count
        if index >= n { return endOffset }
        if index <= n / 2 {
            var p = firstOffset
            for _ in 0..<index { p = next(p) }
            return p
        }
        var p = tailOffset
        for _ in 0..<(n - 1 - index) { p = previous(p)! }
        return p
    }

    /// Calls `body` with the element at `p`.
    @inlinable func withElement<R>(at p: Int, _ body: (ListElement) -> R) -> R {
        bytes.withUnsafeBufferPointer { buf -> R in
            let b = buf.baseAddress!
            let e = ZipEntry(b, p)
            if e.isString {
                return body(.bytes(UnsafeRawBufferPointer(start: b + p + e.prevlenSize + e.headerSize, count: e.dataSize)))
            }
            return body(.int(e.intValue(b, p)))
        }
    }

    /// Calls `body` with up to `n` elements from offset `p` on, decoding each entry once;
    /// returns how many it visited (fewer when the node ends).
    @inlinable func forEachElement(from p: Int, count n: Int, _ body: (ListElement) -> Void) -> Int {
        bytes.withUnsafeBufferPointer { buf -> Int in
            let b = buf.baseAddress!
            let end = buf.count - 1
            var q = p
            var done = 0
            while done < n && q < end {
                let e = ZipEntry(b, q)
                if e.isString {
                    body(.bytes(UnsafeRawBufferPointer(start: b + q + e.prevlenSize + e.headerSize, count: e.dataSize)))
                } else {
                    body(.int(e.intValue(b, q)))
                }
                q += e.size
                done += 1
            }
            return done
        }
    }

    /// The element at `p` as bytes.
    public func element(at p: Int) -> Bytes { withElement(at: p) { $0.bytesValue } }

    /// True when the entry at `p` equals `probe` (an integer entry equals only a canonical integer string).
    func matches(at p: Int, _ probe: ListProbe) -> Bool {
        bytes.withUnsafeBufferPointer { buf -> Bool in
            let b = buf.baseAddress!
            let e = ZipEntry(b, p)
            if e.isString {
                guard e.dataSize == probe.bytes.count else { return false }
                if e.dataSize == 0 { return true }
                return probe.bytes.withUnsafeBufferPointer { memcmp(b + p + e.prevlenSize + e.headerSize, $0.baseAddress!, e.dataSize) == 0 }
            }
            guard let v = probe.int else { return false }
            return e.intValue(b, p) == v
        }
    }

    // MARK: editing

    /// Room for `extra` more bytes, growing by an eighth at least (capacity slack stays small).
    @inline(__always) private mutating func reserve(extra: Int) {
        let needed = bytes.count + extra
        if needed > bytes.capacity {
            bytes.reserveCapacity(Swift.max(needed, bytes.count + bytes.count >> 3))
        }
    }

    private mutating func openGap(at p: Int, size k: Int) {
        let old = bytes.count
        reserve(extra: k)
        bytes.append(contentsOf: repeatElement(0, count: k))
        bytes.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress!
            memmove(base + p + k, base + p, old - p)
        }
    }

    private mutating func closeGap(at p: Int, size k: Int) {
        let old = bytes.count
        bytes.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress!
            memmove(base + p, base + p + k, old - p - k)
        }
        bytes.removeLast(k)
    }

    /// Gives back storage after large removals, so a shrunk node does not keep its peak size.
    private mutating func shrinkIfSparse() {
        if bytes.capacity > 256 && bytes.capacity > bytes.count * 2 {
            bytes = Array(bytes)
        }
    }

    @inline(__always) private static func writePrevlen(_ b: UnsafeMutablePointer<UInt8>, _ len: Int, size: Int) {
        if size == 1 {
            b[0] = UInt8(len)
        } else {
            b[0] = 0xFE
            storeLE(b + 1, UInt64(len), 4)
        }
    }

    /// Sets the prevlen of the entry at `p` to `prevLen`, resizing the field (and following
    /// fields, as long as entry sizes change). `tail` follows the last entry's moves.
    private mutating func fixPrevlen(from start: Int, prevLen: Int, tail: inout Int) {
        var p = start
        var len = prevLen
        while bytes[p] != 0xFF {
            let e = entry(p)
            let need = len < 254 ? 1 : 5
            if need == e.prevlenSize {
                bytes.withUnsafeMutableBufferPointer { Ziplist.writePrevlen($0.baseAddress! + p, len, size: need) }
                return
            }
            let delta = need - e.prevlenSize
            if delta > 0 { openGap(at: p, size: delta) } else { closeGap(at: p, size: -delta) }
            bytes.withUnsafeMutableBufferPointer { Ziplist.writePrevlen($0.baseAddress! + p, len, size: need) }
            if p < tail { tail += delta }
            len = e.size + delta
            p += len
        }
    }

    /// Inserts `value` so that it becomes the entry at offset `p` (an entry, or the end to append).
    public mutating func insert(_ value: Bytes, at p: Int) {
        let payload = ZipPayload(value)
        let n = count
        let atEnd = isEnd(p)
        var tail = tailOffset
        let prevLen: Int
        if p == firstOffset {
            prevLen = 0
        } else if atEnd {
            prevLen = p - tail
        } else {
            prevLen = entry(p).prevlen
        }
        let fieldSize = prevLen < 254 ? 1 : 5
        let k = fieldSize + payload.size
        openGap(at: p, size: k)
        bytes.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress! + p
            Ziplist.writePrevlen(base, prevLen, size: fieldSize)
            payload.write(value, to: base + fieldSize)
        }
        if atEnd {
            tail = p
        } else {
            tail += k
            fixPrevlen(from: p + k, prevLen: k, tail: &tail)
        }
        writeHeader(tail: tail, count: n + 1)
    }

    public mutating func append(_ value: Bytes) { insert(value, at: endOffset) }
    public mutating func prepend(_ value: Bytes) { insert(value, at: firstOffset) }

    /// Deletes `n` entries starting with the one at `p`.
    public mutating func delete(at p: Int, count n: Int) {
        guard n > 0 else { return }
        let total = count
        var tail = tailOffset
        let prevLen = p == firstOffset ? 0 : entry(p).prevlen
        var q = p
        var deleted = 0
        while deleted < n && !isEnd(q) {
            q = next(q)
            deleted += 1
        }
        let removed = q - p
        let throughEnd = isEnd(q)
        closeGap(at: p, size: removed)
        if throughEnd {
            tail = p == firstOffset ? firstOffset : p - prevLen
        } else {
            tail -= removed
            fixPrevlen(from: p, prevLen: prevLen, tail: &tail)
        }
        writeHeader(tail: tail, count: total - deleted)
        shrinkIfSparse()
    }

    /// Replaces the entry at `p` with `value`.
    public mutating func replace(at p: Int, with value: Bytes) {
        delete(at: p, count: 1)
        insert(value, at: p)
    }

    // MARK: whole-node operations

    /// Appends the entries of `other` whose offsets `keep` accepts (all when nil).
    mutating func appendEntries(of other: Ziplist, keep: ((Int) -> Bool)? = nil) {
        var tail = tailOffset
        var added = 0
        var prevLen = isEmpty ? 0 : endOffset - tail
        reserve(extra: other.bytes.count - Ziplist.headerSize)
        var src = other.firstOffset
        while !other.isEnd(src) {
            let e = other.entry(src)
            if keep?(src) ?? true {
                let payloadSize = e.headerSize + e.dataSize
                let fieldSize = prevLen < 254 ? 1 : 5
                let at = endOffset
                bytes.removeLast()
                bytes.append(contentsOf: repeatElement(0, count: fieldSize + payloadSize + 1))
                bytes.withUnsafeMutableBufferPointer { b in
                    let base = b.baseAddress! + at
                    Ziplist.writePrevlen(base, prevLen, size: fieldSize)
                    _ = other.bytes.withUnsafeBufferPointer { s in
                        memcpy(base + fieldSize, s.baseAddress! + src + e.prevlenSize, payloadSize)
                    }
                    base[fieldSize + payloadSize] = 0xFF
                }
                tail = at
                prevLen = fieldSize + payloadSize
                added += 1
            }
            src += e.size
        }
        writeHeader(tail: tail, count: count + added)
    }

    /// The entries of `self` from index `k` on, leaving the first `k` here.
    mutating func split(at k: Int) -> Ziplist {
        let p = offset(ofIndex: k)
        var right = Ziplist()
        right.appendEntries(of: self) { $0 >= p }
        delete(at: p, count: count - k)
        return right
    }

    /// A copy without the entries at the given offsets.
    func removing(offsets: Set<Int>) -> Ziplist {
        var out = Ziplist()
        out.appendEntries(of: self) { !offsets.contains($0) }
        return out
    }

    // MARK: validation

    /// True when `b` is a well-formed ziplist (header, entries, prevlens, counts, end marker).
    public static func isValid(_ b: [UInt8]) -> Bool {
        guard b.count >= 11, b.count <= Int(UInt32.max), b[b.count - 1] == 0xFF else { return false }
        // Decoding may read a header past a truncated entry: pad so those reads stay in bounds.
        let padded = b + [UInt8](repeating: 0, count: 16)
        let end = b.count - 1
        return padded.withUnsafeBufferPointer { buf -> Bool in
            let base = buf.baseAddress!
            guard loadLE32(base) == b.count else { return false }
            let tail = loadLE32(base + 4)
            let stored = Int(base[8]) | Int(base[9]) << 8
            var p = headerSize
            var prevSize = 0
            var last = headerSize
            var n = 0
            while p < end {
                guard base[p] != 0xFF else { return false }
                let e = ZipEntry(base, p)
                guard e.prevlen == prevSize else { return false }
                let enc = e.encoding
                if enc >> 6 == 2 && enc != 0x80 { return false }
                switch enc {
                case 0xC0, 0xD0, 0xE0, 0xF0, 0xFE, 0xF1...0xFD, 0...0xBF: break
                default: return false
                }
                guard e.size <= end - p else { return false }
                last = p
                prevSize = e.size
                p += e.size
                n += 1
            }
            guard p == end, tail == last else { return false }
            return stored == 0xFFFF ? n >= 0xFFFF : stored == n
        }
    }
}
