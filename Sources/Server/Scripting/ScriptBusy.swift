// ScriptBusy: a script past lua-time-limit, while the event loop goes on.
//
// Redis serves other clients from inside its Lua hook. A SwiftNIO handler cannot
// re-enter its event loop, so Cairn runs each script on a stack of its own
// (cluashim's runner): past the limit the hook switches back to the loop's stack,
// EVAL returns without a reply, and the loop keeps polling. Until the script ends:
// - every other command gets -BUSY, except AUTH, REPLCONF, SHUTDOWN NOSAVE and
//   SCRIPT KILL (Redis 4.0's list); so nothing else touches the keyspace;
// - the caller's further input waits (Client.runsSuspendedScript);
// - the cron does nothing but beat the watchdog, and no change is delivered, so
//   the AOF and replicas never see half a script;
// - a task on the loop switches back into the script for slices of `sliceMs`.
// When the script ends, the EVAL is finished as if it had never paused: its
// reply, its records, the dispatcher's bookkeeping, then the caller's pipeline.
import Engine

package final class SuspendedScript {
    let invocation: ScriptInvocation
    /// The rest of `Server.call` and `Server.execute` for the EVAL, run at the end.
    var finishCall: (() -> Void)? = nil
    var finishExecute: (() -> Void)? = nil

    init(_ invocation: ScriptInvocation) { self.invocation = invocation }

    var caller: Client { invocation.call.client }
}

extension Server {
    /// Slices a suspended script runs for between two looks at the sockets.
    static let scriptSliceMs = 10

    package var scriptIsBusy: Bool { suspendedScript != nil }

    static let busyError = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

    /// The commands a busy script leaves to other clients (Redis 4.0's processCommand).
    func allowedWhileScriptBusy(_ command: Command, _ argv: [Bytes]) -> Bool {
        switch command.name {
        case "auth", "replconf": return true
        case "shutdown": return argv.count == 2 && argv[1].first.map { $0 | 0x20 } == UInt8(ascii: "n")
        case "script": return argv.count == 2 && argv[1].first.map { $0 | 0x20 } == UInt8(ascii: "k")
        default: return false
        }
    }

    /// The EVAL handler's script went past lua-time-limit and gave the loop back.
    func scriptSuspended(_ invocation: ScriptInvocation) {
        let script = SuspendedScript(invocation)
        suspendedScript = script
        invocation.call.client.runsSuspendedScript = true
        log.warning("Lua slow script detected: still in execution after \(config.luaTimeLimit) milliseconds. "
                    + "You can try killing the script using the SCRIPT KILL command.")
        scheduleScriptSlice()
    }

    private func scheduleScriptSlice() {
        schedule?(0) { [weak self] in self?.runScriptSlice() }
    }

    private func runScriptSlice() {
        guard let script = suspendedScript else { return }
        keyspace.now = script.invocation.now
        switch scripting.engine.resume(sliceMs: Self.scriptSliceMs) {
        case .suspended:
            scheduleScriptSlice()
        case .done:
            suspendedScript = nil
            script.invocation.finish()
            script.finishCall?()
            script.finishExecute?()
            let caller = script.caller
            caller.runsSuspendedScript = false
            caller.connection?.resumeAfterUnblock()
        }
    }
}
