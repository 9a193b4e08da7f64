// InputFile: opens a data file for the tools: plain or gzip-compressed (zlib
// reads both transparently), with a progress line on stderr when it is a
// terminal and the run is long.
//
// Contract: `GzipSource` is an RDB ByteSource; progress is based on the
// compressed offset against the file size, printed at most 4 times a second,
// only after the first second, and erased at the end.
// Tricky bit: gzread returns -1 on a damaged gzip stream; that is an I/O error.
import CZlib
import RDB
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file through zlib (gzip or plain), with optional progress on stderr.
final class GzipSource: ByteSource {
    let file: gzFile
    let path: String
    let size: Int
    let showProgress: Bool
    let started = monotonicSeconds()
    var lastReport = 0.0
    var reported = false

    init(path: String, progress: Bool = true) throws {
        guard let f = gzopen(path, "rb") else { throw ByteStreamError("cannot open \(path): \(String(cString: strerror(errno)))") }
        file = f
        self.path = path
        var st = stat()
        size = stat(path, &st) == 0 ? Int(st.st_size) : 0
        showProgress = progress && isatty(2) != 0
        gzbuffer(f, 1 << 17)
    }

    deinit { gzclose(file); if reported { clearProgress() } }

    func read(max: Int) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: Swift.max(1, Swift.min(max, Int(Int32.max))))
        let n = buf.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        if n < 0 {
            var code: Int32 = 0
            let msg = gzerror(file, &code).map { String(cString: $0) } ?? "unknown"
            throw ByteStreamError("read error in \(path): \(msg)")
        }
        buf.removeSubrange(Int(n)...)
        if showProgress { progress() }
        return buf
    }

    func progress() {
        let now = monotonicSeconds()
        guard now - started > 1, now - lastReport > 0.25, size > 0 else { return }
        lastReport = now
        let done = Int(gzoffset(file))
        let pct = Swift.min(100, done * 100 / size)
        fputs("\r\(path): \(pct)% (\(done / 1_048_576) of \(size / 1_048_576) MB)", stderr)
        reported = true
    }

    func clearProgress() { fputs("\r\u{1B}[K", stderr) }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
