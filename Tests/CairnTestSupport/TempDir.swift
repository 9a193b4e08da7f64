// TempDir: a fresh directory per test under the system's temporary directory.
//
// Contract: `TempDir()` makes a new empty directory (mkdtemp, so two tests
// or two processes never share one); `remove()` deletes it with everything
// in it. Tests call `defer { dir.remove() }`; a crash leaves the directory in
// /tmp, named cairn-<prefix>-XXXXXX, for a look afterwards.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed with its contents by `remove()`.
public final class TempDir {
    /// The directory's absolute path, without a trailing slash.
    public let path: String

    public init(prefix: String = "test") {
        path = makeTemporaryDirectory(prefix: prefix)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` (replacing it) and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        write(name, Array(text.utf8))
    }

    /// Writes `bytes` to `name` (replacing it) and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = file(name)
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes)) else {
            fatalError("cannot write \(file)")
        }
        return file
    }

    /// The text of `name`, or "" when it cannot be read.
    public func read(_ name: String) -> String {
        String(decoding: readBytes(name) ?? [], as: UTF8.self)
    }

    /// The bytes of `name`, or nil when it cannot be read.
    public func readBytes(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: file(name)).map { Array($0) }
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A new empty directory /tmp/cairn-<prefix>-XXXXXX (never removed by itself).
public func makeTemporaryDirectory(prefix: String = "test") -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(base)/cairn-\(prefix)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
    return String(cString: made)
}
