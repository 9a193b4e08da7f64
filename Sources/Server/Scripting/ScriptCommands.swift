// ScriptCommands: EVAL, EVALSHA and SCRIPT (LOAD, EXISTS, FLUSH, KILL; DEBUG is
// refused: Cairn has no Lua debugger), with Redis 4.0's replies.
//
// Propagation: a script replicated as itself records its EVAL when it wrote,
// EVALSHA always as EVAL with the body (a replica or an AOF may lack the
// script; Redis keeps a cache of scripts replicas already have, Cairn always
// sends the body, which gives the same data), and only when the stream is
// heard (no record is built with the AOF off and no backlog). With effects replication the
// commands the script ran are recorded instead, wrapped in MULTI/EXEC unless
// the EVAL itself runs inside an EXEC. SCRIPT LOAD and SCRIPT FLUSH propagate.
import Engine
import ChangeStream
import Scripting

let scriptCommands: [Command] = [
    Command("eval", arity: -3, flags: "s", keyFinder: evalKeys) { call in eval(call, bySHA: false) },
    Command("evalsha", arity: -3, flags: "s", keyFinder: evalKeys) { call in eval(call, bySHA: true) },
    Command("script", arity: -2, flags: "s") { call in scriptCommand(call) },
]

/// EVAL's keys: the numkeys arguments after it.
private func evalKeys(_ argv: [Bytes]) -> [Int] {
    guard argv.count >= 3, let n = argv[2].parseInt64(), n > 0, n <= Int64(argv.count - 3) else { return [] }
    return Array(3..<(3 + Int(n)))
}

private let noScript = "NOSCRIPT No matching script. Please use EVAL."

private func eval(_ call: Call, bySHA: Bool) {
    let server = call.server, scripting = server.scripting, engine = scripting.engine
    guard let numkeys = call.int64(2) else { return }
    if numkeys > Int64(call.argv.count - 3) {
        call.error("ERR Number of keys can't be greater than number of args")
        return
    } else if numkeys < 0 {
        call.error("ERR Number of keys can't be negative")
        return
    }
    let script: CachedScript
    if bySHA {
        guard call.argv[1].count == 40, let cached = engine.script(sha: call.argv[1]) else {
            call.error(noScript)
            return
        }
        script = cached
    } else {
        switch engine.load(body: call.argv[1]) {
        case .success(let loaded): script = loaded
        case .failure(let error):
            server.stats.errorReplies += 1
            writeErrorBytes(error.message, into: &call.client.output)
            return
        }
    }
    var state = ScriptRunState()
    state.replicatesEffects = scripting.alwaysReplicateCommands
    let client = call.client
    scripting.client.db = client.db
    scripting.caller = client
    let run = ScriptInvocation(call: call, script: script, bySHA: bySHA, firstRecord: server.stream.mark,
                               dirtyBefore: server.keyspace.dirty, now: server.keyspace.now)
    // Past lua-time-limit a script may hand the loop back only when it runs for a client's own
    // command (not inside EXEC, an AOF load or a master's stream) and a loop exists to hand to.
    let maySuspend = server.schedule != nil && !server.replication.isReplica && !client.execInProgress
        && !client.replaysLog && !client.isMaster && client.clientClass == .normal
    let limit = server.replication.isReplica ? 0 : server.config.luaTimeLimit
    let keys = call.argv[3..<(3 + Int(numkeys))]
    let args = call.argv[(3 + Int(numkeys))...]
    switch engine.start(script, keys: keys, args: args, limitMs: limit, maySuspend: maySuspend, state: state) {
    case .done: run.finish()
    case .suspended: server.scriptSuspended(run)
    }
}

/// One EVAL/EVALSHA between its start and its reply.
package struct ScriptInvocation {
    let call: Call
    let script: CachedScript
    let bySHA: Bool
    /// The stream's mark at the start: effects are wrapped in MULTI/EXEC from here.
    let firstRecord: Int
    let dirtyBefore: Int64
    /// The time keys expire against for the whole script (Redis freezes it at the start).
    let now: Int64

    /// Writes the reply and decides what the EVAL propagates as.
    func finish() {
        let server = call.server, scripting = server.scripting, engine = scripting.engine
        engine.writeReply(into: &call.client.output)
        scripting.caller = nil
        let state = engine.run
        if state.replicatesEffects {
            if !call.client.execInProgress {
                server.stream.wrapTransaction(since: firstRecord, startDB: call.db, endDB: scripting.client.db)
            }
            call.propagate(as: [])
        } else if bySHA && server.keyspace.dirty > dirtyBefore {
            // The EVAL record costs a copy of the arguments; nobody may want it (no AOF, no backlog).
            guard server.stream.isHeard else { return call.propagate(as: []) }
            var eval: [Bytes] = []
            eval.reserveCapacity(call.argv.count)
            eval.append(Self.evalName)
            eval.append(script.body)
            eval.append(contentsOf: call.argv[2...])
            call.propagate(as: [eval])
        }
    }

    private static let evalName = Bytes("EVAL".utf8)
}

private func scriptCommand(_ call: Call) {
    let server = call.server, scripting = server.scripting, engine = scripting.engine
    switch (call.option(1), call.argv.count) {
    case ("flush", 2):
        engine.reset()
        call.ok()
        server.keyspace.dirty += 1  // replicas and the AOF flush too
    case ("exists", _):
        call.array(call.argv.count - 2)
        for sha in call.argv.dropFirst(2) { call.integer(engine.exists(sha: sha) ? 1 : 0) }
    case ("load", 3):
        switch engine.load(body: call.argv[2]) {
        case .success(let script):
            call.bulk(script.sha)
            call.propagate(as: [call.argv])
        case .failure(let error):
            server.stats.errorReplies += 1
            writeErrorBytes(error.message, into: &call.client.output)
        }
    case ("kill", 2):
        if scripting.caller == nil {
            call.error("NOTBUSY No scripts in execution right now.")
        } else if engine.run.wrote {
            call.error("UNKILLABLE Sorry the script already executed write commands against the dataset. "
                       + "You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
        } else {
            engine.kill()
            call.ok()
        }
    case ("debug", 3):
        call.error("ERR SCRIPT DEBUG is not supported: Cairn has no Lua debugger (LDB)")
    default:
        call.error("ERR Unknown SCRIPT subcommand or wrong # of args.")
    }
}
