// ServerScripting: the server's side of Lua scripting: the interpreter, the
// script's own client, and the commands a script runs (ScriptHost).
//
// Contract: a script's redis.call runs through `Server.call` as the client
// "lua" (MONITOR shows `[db lua]`, commandstats count it), after Redis 4.0's
// checks in its order: unknown command or wrong arity, commands flagged
// noscript, writes after a random command (unless effects are replicated), a
// read-only replica, a failing save, maxmemory before the first write. Where the
// command's records go is the script's replication mode: replicated as itself,
// its commands record nothing (`.nowhere`) and EVAL records itself; with
// redis.replicate_commands() they record as redis.set_repl routes them, and EVAL
// wraps them in MULTI/EXEC (ScriptCommands.swift).
import NIOCore
import Engine
import ChangeStream
import Scripting

package final class ServerScripting: ScriptHost {
    package let engine = ScriptEngine()
    /// The client scripts' commands run as (Redis's lua_client).
    package let client: Client
    /// DEBUG LUA-ALWAYS-REPLICATE-COMMANDS: every script replicates its effects.
    package var alwaysReplicateCommands = false
    /// The client whose EVAL is running (Redis's lua_caller), nil between scripts.
    package var caller: Client? = nil
    /// The server owns this object (so outlives it): no reference counting on the hot path.
    private unowned(unsafe) let server: Server

    init(server: Server) {
        self.server = server
        client = Client(id: 0, address: "lua", localAddress: "")
        client.execInProgress = true  // blocking commands answer at once, as inside MULTI
        engine.host = self
        if !engine.missingLibraries.isEmpty {
            server.log.warning("Lua libraries not found (scripts cannot use them): \(engine.missingLibraries)")
        }
    }

    static let randomThenWrite = "Write commands not allowed after non deterministic commands. Call redis.replicate_commands() "
        + "at the start of your script in order to switch to single commands replication mode."

    /// The command scripts called last: a script calling one command in a loop (or the same
    /// script run again) finds it by comparing bytes, without hashing the name.
    private var lastCommand: (name: Bytes, command: Command, generation: Int)? = nil

    private func lookUp(_ name: Bytes) -> Command? {
        let generation = server.commands.generation
        if let last = lastCommand, last.generation == generation, last.name == name { return last.command }
        guard let command = server.commands.lookup(name) else { return nil }
        lastCommand = (name, command, generation)
        return command
    }

    package func runScriptCommand(_ argv: [Bytes], _ convert: (inout ByteBuffer, Bool) -> Void) -> String? {
        guard let command = lookUp(argv[0]) else { return "Unknown Redis command called from Lua script" }
        if (command.arity > 0 && argv.count != command.arity) || argv.count < -command.arity {
            return "Wrong number of args calling Redis command From Lua script"
        }
        if command.flags.contains(.noscript) { return "This Redis command is not allowed from scripts" }
        if command.flags.contains(.write) {
            if engine.run.calledRandom && !engine.run.replicatesEffects { return Self.randomThenWrite }
            if server.replication.isReplica && server.config.replicaReadOnly && server.persistence.loading == nil
                && caller?.isMaster != true {
                return "-READONLY You can't write against a read only slave.\r\n"
            }
            if server.config.stopWritesOnBgsaveError && !server.config.savePoints.isEmpty && !server.persistence.lastBgsaveOK,
               let refusal = server.persistence.writeRefusal {
                return "-\(refusal)\r\n"
            }
        }
        if server.config.maxmemory > 0 && !engine.run.wrote && command.flags.contains(.denyoom)
            && caller?.replaysLog != true && !server.freeMemoryIfNeeded() {
            return "-\(Server.outOfMemoryError)\r\n"
        }
        if command.flags.contains(.random) { engine.run.calledRandom = true }
        if command.flags.contains(.write) { engine.run.wrote = true }

        let stream = server.stream
        if !engine.run.replicatesEffects {
            stream.commandRouting = .nowhere
        } else {
            switch engine.run.replicationTargets {
            case ScriptEngine.replicateAll: stream.commandRouting = .everywhere
            case ScriptEngine.replicateAOF: stream.commandRouting = .aofOnly
            case ScriptEngine.replicateReplicas: stream.commandRouting = .replicasOnly
            default: stream.commandRouting = .nowhere
            }
        }
        server.call(command, client, argv)
        stream.commandRouting = .everywhere
        convert(&client.output, command.flags.contains(.sortForScript))
        client.output.clear()
        return nil
    }

    package func scriptLog(level: Int, _ message: String) {
        switch level {
        case 0: server.log.debug(message)
        case 1: server.log.verbose(message)
        case 2: server.log.notice(message)
        default: server.log.warning(message)
        }
    }
}
