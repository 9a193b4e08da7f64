// AOFCheck: `cairn aof check [--fix] [--yes]` (validate every command and
// the RDB preamble, like redis-check-aof) and `cairn aof info` (summarise).
//
// Contract: check prints, per file, either OK with its command count or the
// damage: kind, offset of the first bad byte, and where the last whole
// command ends. A truncated or badly formatted last file can be fixed:
// --fix asks on the terminal (y/N; --yes skips the question), copies the
// file to FILE.bak (FILE.bak.1, ... if taken) and truncates it to the end of
// the last whole command outside an unfinished MULTI block, as
// redis-check-aof --fix does. A damaged preamble, a damaged file that is
// not the last of a manifest, or a gzip file is not fixed. Exit: 0 valid or
// fixed, 1 damaged, 2 unreadable.
// Tricky bit: info must not stop at damage: it prints what it counted, then
// the damage, and exits 1.
import AOF
import ArgumentParser
import Engine
import RDB
#if canImport(Glibc)
import Glibc
#endif

struct AOFCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate an AOF (or a Redis 7 multi-part AOF) and optionally cut off a damaged tail.",
        discussion: "Exit status: 0 valid (or fixed), 1 damaged and not fixed, 2 unreadable file or broken manifest.")
    @OptionGroup var path: AOFPath
    @Flag(help: "Truncate a damaged last file to its last whole command (after asking; a backup is kept).") var fix = false
    @Flag(help: "With --fix: do not ask.") var yes = false

    func run() throws {
        let set = try resolveAOF(path.file)
        if let m = set.manifestPath { writeOut("manifest \(m): \(set.files.count) files to load\n") }
        var damaged = false, preambleDamaged = false
        for i in set.files.indices {
            let path = set.files[i]
            var commands = 0, keys = 0
            let damage = try scanAOFFile(set, i) { item in
                switch item {
                case .command: commands += 1
                case .preamble(.entry): keys += 1
                default: break
                }
                return true
            }
            let pre = keys > 0 ? ", RDB preamble with \(keys) keys" : ""
            guard let e = damage else {
                writeOut("\(path): OK: \(commands) commands\(pre), \(fileSize(path)) bytes\n")
                continue
            }
            writeOut("\(path): DAMAGED (\(e.kind.rawValue)) at offset \(e.offset): \(e.message)\n")
            writeOut("\(path): \(e.commands) whole commands\(pre); the last good command ends at offset \(e.validUpTo)"
                     + " (\(fileSize(path) - e.validUpTo) bytes after it)\n")
            if fix, try repair(path, e, isLast: i == set.files.count - 1) { continue }
            damaged = true
            preambleDamaged = preambleDamaged || !(e.kind == .truncated || e.kind == .badFormat)
        }
        if damaged {
            if preambleDamaged {
                writeOut("the log is not valid: its RDB preamble is damaged, which truncation cannot repair (`cairn rdb check` on the preamble tells more)\n")
            } else if !fix {
                writeOut("the log is not valid; `cairn aof check --fix` can cut off a damaged tail\n")
            }
            throw ToolExit.damaged
        }
        writeOut("AOF is valid\n")
    }

    /// Truncates `path` at the damage after a backup; true when done.
    func repair(_ path: String, _ e: AOFReadError, isLast: Bool) throws -> Bool {
        guard e.kind == .truncated || e.kind == .badFormat else {
            writeOut("cannot fix: a damaged RDB preamble cannot be repaired by truncation\n"); return false
        }
        guard isLast else { writeOut("cannot fix: only the last file of a manifest may be truncated\n"); return false }
        if isGzip(path) { writeOut("cannot fix a gzip-compressed file; decompress it first\n"); return false }
        let lost = fileSize(path) - e.validUpTo
        if !yes {
            guard isatty(0) != 0 else {
                writeOut("not fixing: stdin is not a terminal to ask on (use --yes)\n"); return false
            }
            writeOut("Truncate \(path) to \(e.validUpTo) bytes, discarding \(lost) bytes? A backup is kept. [y/N] ")
            fflush(stdout)
            guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
                writeOut("not fixed\n"); return false
            }
        }
        let backup = try copyBackup(path)
        guard truncate(path, off_t(e.validUpTo)) == 0 else {
            writeErr("cannot truncate \(path): \(String(cString: strerror(errno)))\n")
            throw ToolExit.unreadable
        }
        writeOut("backup written to \(backup); \(path) truncated to \(e.validUpTo) bytes (\(lost) bytes removed)\n")
        return true
    }
}

func isGzip(_ path: String) -> Bool {
    guard var src = try? FileSource(path: path), let head = try? src.read(max: 2) else { return false }
    return head == [0x1F, 0x8B]
}

/// Copies `path` to the first free name of path.bak, path.bak.1, ...; returns it.
func copyBackup(_ path: String) throws -> String {
    var name = path + ".bak"
    var n = 0
    while access(name, F_OK) == 0 { n += 1; name = path + ".bak.\(n)" }
    do {
        var src = try FileSource(path: path)
        var sink = try FileSink(path: name)
        while true {
            let chunk = try src.read(max: 1 << 20)
            if chunk.isEmpty { break }
            try sink.write(chunk)
        }
        try sink.close()
    } catch {
        writeErr("cannot write the backup \(name): \(error)\n")
        throw ToolExit.unreadable
    }
    return name
}

struct AOFInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Summarise an AOF: size, preamble, commands per name and per database.",
        discussion: "Exit status: 0 fine, 1 damaged (the counts before the damage are printed), 2 unreadable.")
    @OptionGroup var path: AOFPath

    func run() throws {
        let set = try resolveAOF(path.file)
        var byName: [String: Int] = [:], byDB: [Int: Int] = [:]
        var total = 0, bytes = 0, damaged = false
        for i in set.files.indices {
            let path = set.files[i]
            var keys: [Int: Int] = [:], aux: [(Bytes, Bytes)] = [], version = 0, commands = 0
            var span: (Int64?, Int64?) = (nil, nil)
            let damage = try scanAOFFile(set, i, timestamps: { span = ($0, $1) }) { item in
                switch item {
                case .preamble(.header(let v)): version = v
                case .preamble(.aux(let k, let v)): aux.append((k, v))
                case .preamble(.entry(let e)): keys[e.db, default: 0] += 1
                case .command(let c):
                    commands += 1
                    byName[commandName(c.argv), default: 0] += 1
                    byDB[c.db, default: 0] += 1
                default: break
                }
                return true
            }
            total += commands
            bytes += fileSize(path)
            writeOut("file \(path): \(fileSize(path)) bytes, \(commands) commands")
            writeOut(version > 0 ? ", RDB preamble (version \(version), \(keys.values.reduce(0, +)) keys)\n" : ", no preamble\n")
            for db in keys.keys.sorted() { writeOut("  preamble db\(db): \(keys[db]!) keys\n") }
            if let ctime = aux.first(where: { $0.0 == Bytes("ctime") })?.1.parseInt64() {
                writeOut("  preamble written at \(ctime) (Unix time): commands after it are later\n")
            }
            for (k, v) in aux where k == Bytes("redis-ver") { writeOut("  written by version \(v.text)\n") }
            if case (let first?, let last?) = span {
                writeOut("  commands annotated from \(first) to \(last) (Unix time, #TS lines)\n")
            }
            if let e = damage {
                writeOut("  DAMAGED (\(e.kind.rawValue)) at offset \(e.offset): \(e.message)\n")
                damaged = true
            }
        }
        writeOut("total: \(set.files.count) files, \(bytes) bytes, \(total) commands\n")
        for db in byDB.keys.sorted() { writeOut("db\(db): \(byDB[db]!) commands\n") }
        for (name, n) in byName.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            writeOut("\(name): \(n)\n")
        }
        if damaged { throw ToolExit.damaged }
    }
}
