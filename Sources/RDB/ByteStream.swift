// ByteStream: the byte-stream interfaces RDB reading and writing go through,
// with memory and file implementations (a socket or an AOF preamble is one more).
//
// Contract: a ByteSource hands out the next chunk of at most `max` bytes, or an
// empty array at the end; a ByteSink takes bytes in order and flushes on demand.
// Tricky bit: sources never need to know their total size, so the reader bounds
// allocations by reading in chunks, never by trusting a length from the stream.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes to read from.
public protocol ByteSource {
    /// Returns up to `max` next bytes (at least one), or an empty array at the end.
    mutating func read(max: Int) throws -> [UInt8]
    /// Replaces `buffer`'s contents with up to `max` next bytes (empty at the end),
    /// reusing its storage where the source can.
    mutating func read(into buffer: inout [UInt8], max: Int) throws
}

extension ByteSource {
    public mutating func read(into buffer: inout [UInt8], max: Int) throws { buffer = try read(max: max) }
}

/// A stream of bytes to write to.
public protocol ByteSink {
    /// Appends bytes to the stream.
    mutating func write(_ bytes: [UInt8]) throws
    /// Pushes buffered bytes to their destination.
    mutating func flush() throws
}

/// An I/O failure from a file source or sink.
public struct ByteStreamError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Reads from an in-memory array.
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    public private(set) var position = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public mutating func read(max: Int) throws -> [UInt8] {
        let n = Swift.min(max, bytes.count - position)
        if n <= 0 { return [] }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
}

/// Collects written bytes in memory.
public struct MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func write(_ b: [UInt8]) throws { bytes.append(contentsOf: b) }
    public mutating func flush() throws {}
}

/// Reads a file through stdio. The handle closes when the last copy is gone.
public struct FileSource: ByteSource {
    final class Handle { let fp: UnsafeMutablePointer<FILE>; init(_ f: UnsafeMutablePointer<FILE>) { fp = f }; deinit { fclose(fp) } }
    let handle: Handle
    /// Opens `path` for reading.
    public init(path: String) throws {
        guard let fp = fopen(path, "rb") else { throw ByteStreamError("cannot open \(path): \(String(cString: strerror(errno)))") }
        handle = Handle(fp)
    }
    public mutating func read(max: Int) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: Swift.max(1, max))
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle.fp) }
        if n == 0 && ferror(handle.fp) != 0 { throw ByteStreamError("read error: \(String(cString: strerror(errno)))") }
        buf.removeSubrange(n...)
        return buf
    }
    public mutating func read(into buffer: inout [UInt8], max: Int) throws {
        let want = Swift.max(1, max)
        if buffer.count != want {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: repeatElement(0, count: want))
        }
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle.fp) }
        if n == 0 && ferror(handle.fp) != 0 { throw ByteStreamError("read error: \(String(cString: strerror(errno)))") }
        if n < want { buffer.removeSubrange(n...) }
    }
}

/// Writes a file through stdio, buffered; call `close()` to finish it.
public struct FileSink: ByteSink {
    let fp: UnsafeMutablePointer<FILE>
    /// Creates (or truncates) `path`.
    public init(path: String) throws {
        guard let fp = fopen(path, "wb") else { throw ByteStreamError("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.fp = fp
    }
    public mutating func write(_ b: [UInt8]) throws {
        if b.isEmpty { return }
        let n = b.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, fp) }
        if n != b.count { throw ByteStreamError("write error: \(String(cString: strerror(errno)))") }
    }
    public mutating func flush() throws {
        if fflush(fp) != 0 { throw ByteStreamError("flush error: \(String(cString: strerror(errno)))") }
    }
    /// Flushes, syncs to disk and closes the file.
    public func close() throws {
        let ok = fflush(fp) == 0 && fsync(fileno(fp)) == 0
        let closed = fclose(fp) == 0
        if !ok || !closed { throw ByteStreamError("close error: \(String(cString: strerror(errno)))") }
    }
}
