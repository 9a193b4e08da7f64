// AOFManifest: the manifest of Redis 7.0's multi-part AOF directory
// (`appendonlydir/<appendfilename>.manifest`), and the ordered list of files
// to load from it.
//
// Contract: `AOFManifest.parse` takes the manifest's bytes; each line is
// `file <name> seq <n> type <b|i|h>` (more key/value pairs are ignored;
// values may be quoted, split by RESP's sdssplitargs-like `splitArguments`);
// '#' lines are comments. It throws an AOFManifestError naming the line for
// what Redis 7.0 refuses too: an empty manifest, an empty or odd line, a
// missing key, a path instead of a file name, two base files, incremental
// sequence numbers that do not increase, an unknown type. `filesToLoad` is
// the base (if any) then the incremental files in manifest order; history
// files are ignored. `AOFFileSet.resolve` accepts a plain AOF file, a
// manifest, or the directory holding one.
// Tricky bit: names are bytes (a file name may hold any byte but '/'), kept
// as Bytes and turned into a path only at the end.
import Engine
import RDB
import RESP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A broken manifest: what is wrong and on which line (1-based; 0 for the whole file).
public struct AOFManifestError: Error, CustomStringConvertible, Equatable, Sendable {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { line > 0 ? "manifest line \(line): \(message)" : "manifest: \(message)" }
}

/// One file listed in a manifest.
public struct AOFManifestEntry: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case base = 98 // 'b'
        case incremental = 105 // 'i'
        case history = 104 // 'h'
    }
    public var name: Bytes
    public var seq: Int64
    public var kind: Kind
    public init(name: Bytes, seq: Int64, kind: Kind) { self.name = name; self.seq = seq; self.kind = kind }
}

/// The parsed manifest of a multi-part AOF.
public struct AOFManifest: Equatable, Sendable {
    public var base: AOFManifestEntry?
    public var incremental: [AOFManifestEntry] = []
    public var history: [AOFManifestEntry] = []

    /// The files to load, in order: the base, then the incremental files.
    public var filesToLoad: [AOFManifestEntry] { (base.map { [$0] } ?? []) + incremental }

    /// Parses a manifest's contents.
    public static func parse(_ bytes: Bytes) throws -> AOFManifest {
        var m = AOFManifest()
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        if lines.isEmpty { throw AOFManifestError(line: 0, message: "the manifest is empty") }
        var lastIncr: Int64 = 0
        for (i, raw) in lines.enumerated() {
            let lineNo = i + 1
            func fail(_ message: String) -> AOFManifestError { AOFManifestError(line: lineNo, message: message) }
            if raw.first == UInt8(ascii: "#") { continue }
            if raw.count > 1024 { throw fail("line longer than 1024 bytes") }
            guard let args = splitArguments(Array(raw)) else { throw fail("unbalanced quotes") }
            if args.isEmpty { throw fail("empty line") }
            if args.count < 6 || args.count % 2 != 0 { throw fail("expected 'file <name> seq <n> type <b|i|h>'") }
            var name: Bytes?, seq: Int64?, type: UInt8?
            for k in stride(from: 0, to: args.count, by: 2) {
                let key = String(decoding: args[k], as: UTF8.self).lowercased()
                switch key {
                case "file": name = args[k + 1]
                case "seq": seq = args[k + 1].parseInt64()
                case "type": type = args[k + 1].first
                default: break
                }
            }
            guard let name, !name.isEmpty else { throw fail("no file name") }
            guard !name.contains(UInt8(ascii: "/")) else { throw fail("the file name is a path: \(printableKey(name))") }
            guard let seq, seq > 0 else { throw fail("no valid sequence number") }
            guard let type, let kind = AOFManifestEntry.Kind(rawValue: type) else { throw fail("unknown file type") }
            let entry = AOFManifestEntry(name: name, seq: seq, kind: kind)
            switch kind {
            case .base:
                if m.base != nil { throw fail("a second base file") }
                m.base = entry
            case .incremental:
                if seq <= lastIncr { throw fail("incremental sequence number \(seq) does not increase") }
                lastIncr = seq
                m.incremental.append(entry)
            case .history:
                m.history.append(entry)
            }
        }
        return m
    }
}

/// The files an AOF path stands for: one plain file, or the parts a manifest lists.
public struct AOFFileSet: Equatable, Sendable {
    /// The manifest's path, when the set came from one.
    public var manifestPath: String?
    /// The paths to read, in load order.
    public var files: [String]
    /// For each file, whether it is the manifest's base file.
    public var isBase: [Bool]

    /// Resolves `path`: a directory holding one `*.manifest`, a manifest
    /// (a file whose first line starts with "file "), or a single AOF file.
    public static func resolve(_ path: String) throws -> AOFFileSet {
        var manifest = path
        if isDirectory(path) {
            let found = listDirectory(path).filter { $0.hasSuffix(".manifest") }
            guard found.count == 1 else {
                throw AOFManifestError(line: 0, message: found.isEmpty ? "no *.manifest file in \(path)"
                                       : "several manifests in \(path): \(found.sorted().joined(separator: ", "))")
            }
            manifest = path + "/" + found[0]
        } else {
            var probe = try FileSource(path: path)
            let head = try probe.read(max: 5)
            guard head.elementsEqual("file ".utf8) || path.hasSuffix(".manifest") else {
                return AOFFileSet(manifestPath: nil, files: [path], isBase: [false])
            }
        }
        let bytes = try readWholeFile(manifest)
        let m = try AOFManifest.parse(bytes)
        let dir = manifest.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let prefix = dir.isEmpty ? "" : dir + "/"
        let list = m.filesToLoad
        return AOFFileSet(manifestPath: manifest, files: list.map { prefix + String(decoding: $0.name, as: UTF8.self) },
                          isBase: list.map { $0.kind == .base })
    }
}

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func listDirectory(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Reads a (small) file whole.
func readWholeFile(_ path: String) throws -> Bytes {
    var src = try FileSource(path: path)
    var out: Bytes = []
    while true {
        let c = try src.read(max: 1 << 16)
        if c.isEmpty { return out }
        out += c
    }
}
