// TransferFile: a full sync's payload on the replica, written under a
// temporary name (`temp-<time>.<pid>.rdb`, as Redis names it) while it
// arrives, with its RDB checksum computed on the way.
//
// Contract: `write` appends in order; `damage` says, once the payload is
// whole, why it cannot be a sound RDB file (bad magic, too short, a CRC64
// trailer that does not match), so the replica refuses it before flushing
// any data; `finish` syncs and closes; `discard` removes the file.
// Tricky bit: the CRC covers every byte but the last 8, which are unknown
// until the end, so the last 8 bytes seen are kept back from the running CRC.
#if canImport(Glibc)
import Glibc
#endif
import Engine
import RDB

/// The payload of a full sync, written under a temporary name in `dir`; its RDB checksum
/// is computed on the way, so a corrupt payload is known before any data is flushed.
final class TransferFile {
    let path: String
    private var fd: Int32
    /// CRC64 of every byte but the last 8 seen so far, and those 8 (the trailer, at the end).
    private var crc: UInt64 = 0
    private var tail: [UInt8] = []
    /// The first bytes: "REDIS" and the version.
    private var head: [UInt8] = []

    init?(directory: String) {
        path = ConfigValue.absolute("temp-\(wallClockMilliseconds() / 1000).\(getpid()).rdb", from: directory)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return nil }
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(_ bytes: [UInt8]) -> Bool {
        if head.count < 9 { head.append(contentsOf: bytes.prefix(9 - head.count)) }
        let combined = tail + bytes
        if combined.count > 8 {
            crc = CRC64.update(crc, combined[..<(combined.count - 8)])
            tail = Array(combined.suffix(8))
        } else {
            tail = combined
        }
        return bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    /// Why the payload cannot be a whole RDB file, or nil: the magic, and for version 5 and
    /// later the CRC64 trailer (unless the master wrote it as zero: checksums disabled).
    var damage: String? {
        guard head.count == 9, Array(head[0..<5]) == Array("REDIS".utf8),
              let version = Int(String(decoding: head.suffix(4), as: UTF8.self)) else {
            return "not an RDB file (bad magic)"
        }
        guard version >= 5 else { return nil }
        guard tail.count == 8 else { return "too short" }
        let stored = tail.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        if stored != 0 && stored != crc { return "Wrong RDB checksum (the payload is corrupt or cut)" }
        return nil
    }

    /// Syncs and closes the file; false on an error.
    func finish() -> Bool {
        let ok = fsync(fd) == 0
        close(fd)
        fd = -1
        return ok
    }

    /// Removes the file (a transfer that did not complete).
    func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(path)
    }
}

