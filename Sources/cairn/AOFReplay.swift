// AOFReplay: `cairn aof replay FILE --host H --port P`: sends a log to any
// Redis-compatible server, pipelined, and checks every reply.
//
// Contract: commands are numbered from 1 across the files of the log; an
// RDB preamble's keys count as the commands that recreate them (the rewrite
// encoding: SET, RPUSH/SADD/ZADD/HMSET by 64, PEXPIREAT), numbered too.
// --from-command/--until-command select a range of those numbers; --db N
// sends only commands of database N. SELECT is sent where the database
// changes (the log's own SELECTs are not forwarded as such). At most
// --window commands await their replies; the first error reply stops the
// run naming the command's number, file and offset, unless --continue.
// A range that ends inside a MULTI block is reported (the server drops the
// unfinished transaction), and so are commands already in flight when an
// error stopped the run. --dry-run counts what would be sent without connecting. A progress line
// goes to stderr when it is a terminal. Exit: 0 all replies fine, 1 an
// error reply or a damaged log (whole commands before the damage are sent),
// 2 unreadable file or connection failure.
// Tricky bit: a reply belongs to the oldest command still waiting; each sent
// command (including the SELECTs the encoder adds) is queued with its
// number and offset so an error can be traced back to the log.
import AOF
import ArgumentParser
import Engine
import ChangeStream
import RDB
#if canImport(Glibc)
import Glibc
#endif

struct AOFReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a log to a Cairn or Redis server, pipelined, checking every reply.",
        discussion: "Exit status: 0 every reply fine, 1 an error reply or a damaged log, 2 unreadable file or no connection.")
    @OptionGroup var path: AOFPath
    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 6379
    @Option(help: "Only the commands of this database.") var db: Int?
    @Option(help: "First command to send (numbered from 1).") var fromCommand = 1
    @Option(help: "Last command to send.") var untilCommand: Int?
    @Option(help: "Most commands awaiting replies at once.") var window = 1000
    @Flag(help: "Count what would be sent; do not connect.") var dryRun = false
    @Flag(name: .customLong("continue"), help: "Go on after error replies.") var keepGoing = false

    /// A command sent and not yet answered.
    struct Pending { var number: Int; var file: Int; var offset: Int }

    final class State {
        var conn: ReplayConnection?
        var encoder = CommandEncoder()
        var queue: [Pending] = []
        var head = 0
        var number = 0, sent = 0, replies = 0, errors = 0
        var stop = false
        /// Commands already sent after the one whose error reply stopped the run.
        var inFlightAtStop = 0
        /// The number of a MULTI sent without its EXEC (yet).
        var openMulti: Int?
        var lastProgress = 0.0
        var fileBytes = 0, doneBytes = 0
    }

    func validate() throws {
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if fromCommand < 1 { throw ValidationError("--from-command counts from 1") }
    }

    func run() throws {
        let set = try resolveAOF(path.file)
        let st = State()
        st.fileBytes = set.files.map(fileSize).reduce(0, +)
        if !dryRun {
            do { st.conn = try ReplayConnection(host: host, port: port) } catch {
                writeErr("cairn aof replay: \(error)\n")
                throw ToolExit.unreadable
            }
        }
        let started = monotonicSeconds()
        let tty = isatty(2) != 0
        var damage: (String, AOFReadError)?
        do {
            for i in set.files.indices where !st.stop {
                let before = st.doneBytes
                let d = try scanAOFFile(set, i, progress: false) { item in
                    switch item {
                    case .command(let c):
                        st.doneBytes = before + c.end
                        try consider(c.db, [c.argv], file: i, offset: c.offset, st, isSelect: isSelect(c.argv))
                    case .preamble(.entry(let e)):
                        var enc = CommandEncoder(selectedDB: e.db)
                        guard AOFRewrite.append(e, to: &enc) else {
                            writeErr("skipped: key \(printableKey(e.key)) of type \(e.value.typeName) at offset \(e.offset)\n")
                            return true
                        }
                        try consider(e.db, splitCommands(enc.buffer), file: i, offset: e.offset, st, isSelect: false)
                    default: break
                    }
                    if tty { progress(st) }
                    return !st.stop && (untilCommand.map { st.number < $0 } ?? true)
                }
                if let d { damage = (set.files[i], d); break }
                st.doneBytes = before + fileSize(set.files[i])
            }
            try flush(st, drain: true)
        } catch let e as ReplayError {
            if tty { fputs("\r\u{1B}[K", stderr) }
            writeErr("cairn aof replay: \(e) after \(st.replies) replies\n")
            throw ToolExit.unreadable
        }
        if tty { fputs("\r\u{1B}[K", stderr) }
        let secs = monotonicSeconds() - started
        let verb = dryRun ? "would send" : "sent"
        writeOut("\(verb) \(st.sent) commands (of \(st.number) in the log), \(st.replies) replies, \(st.errors) errors, in \(Double(Int(secs * 100)) / 100) s\n")
        if st.stop && st.inFlightAtStop > 0 {
            writeOut("note: \(st.inFlightAtStop) commands after the failed one were already sent (pipelined) and ran; --window 1 stops exactly at an error\n")
        }
        if let (path, e) = damage {
            writeOut("stopped: \(path) is damaged (\(e.kind.rawValue)) at offset \(e.offset): \(e.message)\n")
            throw ToolExit.damaged
        }
        if let multi = st.openMulti, !st.stop {
            writeOut("incomplete: the commands sent end inside the MULTI block of command #\(multi); the server discarded that transaction (end the range at its EXEC)\n")
            throw ToolExit.damaged
        }
        if st.errors > 0 { throw ToolExit.damaged }
    }

    func isSelect(_ argv: [Bytes]) -> Bool {
        argv.count == 2 && equalsIgnoringCase(argv[0], "select")
    }

    /// Numbers the commands of one log item and sends those selected.
    func consider(_ cmdDB: Int, _ cmds: [[Bytes]], file: Int, offset: Int, _ st: State, isSelect: Bool) throws {
        for argv in cmds {
            st.number += 1
            guard st.number >= fromCommand, untilCommand.map({ st.number <= $0 }) ?? true else { continue }
            if isSelect { continue }
            if let db, cmdDB != db { continue }
            let p = Pending(number: st.number, file: file, offset: offset)
            if cmdDB != st.encoder.selectedDB { st.encoder.appendSelect(cmdDB); st.queue.append(p) }
            st.encoder.appendCommand(argv)
            st.queue.append(p)
            st.sent += 1
            // Compared in place: no string is made per command sent.
            if equalsIgnoringCase(argv[0], "multi") {
                st.openMulti = st.number
            } else if equalsIgnoringCase(argv[0], "exec") || equalsIgnoringCase(argv[0], "discard") {
                st.openMulti = nil
            }
            if st.encoder.buffer.count >= 1 << 16 || st.queue.count - st.head >= window { try flush(st, drain: false) }
            if st.stop { return }
        }
    }

    /// Sends what is encoded, then reads replies: all of them when `drain`,
    /// else until at most half the window is outstanding.
    func flush(_ st: State, drain: Bool) throws {
        let bytes = st.encoder.take()
        guard let conn = st.conn else {
            st.head = st.queue.count
            return
        }
        if !bytes.isEmpty { try conn.send(bytes) }
        while st.head < st.queue.count {
            let mustWait = drain || st.queue.count - st.head > window / 2
            guard let reply = try conn.nextReply(wait: mustWait) else { break }
            let p = st.queue[st.head]
            st.head += 1
            st.replies += 1
            if reply.isError {
                st.errors += 1
                if st.errors <= 10 || !keepGoing {
                    writeErr("error reply to command #\(p.number) (file \(p.file + 1), offset \(p.offset)): \(reply.line)\n")
                }
                if !keepGoing {
                    st.stop = true
                    st.inFlightAtStop = st.queue.count - st.head
                    return
                }
            }
        }
        if st.head > 4096 { st.queue.removeSubrange(0..<st.head); st.head = 0 }
    }

    func progress(_ st: State) {
        let now = monotonicSeconds()
        guard now - st.lastProgress > 0.25, st.fileBytes > 0 else { return }
        st.lastProgress = now
        let pct = Swift.min(100, st.doneBytes * 100 / st.fileBytes)
        fputs("\rreplay: \(pct)% of the log, \(st.sent) commands sent, \(st.replies) replies", stderr)
    }
}
