// ScriptEngine: one Lua 5.1 interpreter with Redis 4.0's environment, the
// script cache, and the run of one script at a time.
//
// Contract: used on the keyspace thread only. `load` compiles the function of a
// script (named f_<sha1> as in Redis, so compile errors read the same) unless
// cached, `script(sha:)` finds a cached one, `start` runs it with KEYS and ARGV
// set, and either finishes or (when the
// caller allows it and lua-time-limit has passed) comes back suspended: the
// caller keeps serving its event loop and calls `resume` until the run is done,
// then `writeReply` turns the result into RESP. What a script does to the data
// goes through the `ScriptHost` (the server), which runs each redis.call.
// Tricky bit: Swift code here never raises a Lua error itself (a longjmp over
// Swift frames would skip their releases); the C trampolines raise on its behalf.
import CLua
import CLuaShim
import Engine
import NIOCore
import RESP

/// What the server does for a running script.
public protocol ScriptHost: AnyObject {
    /// Runs one command for the script. Returns nil after `convert` was called with the
    /// command's RESP reply (and whether to sort it), or Redis's refusal text.
    func runScriptCommand(_ argv: [Bytes], _ convert: (inout ByteBuffer, _ sortArray: Bool) -> Void) -> String?
    /// redis.log: level 0 debug ... 3 warning.
    func scriptLog(level: Int, _ message: String)
}

/// The state of the script running now (Redis's lua_random_dirty, lua_write_dirty, ...).
public struct ScriptRunState {
    /// A command flagged random ran: later writes are refused unless effects are replicated.
    public var calledRandom = false
    /// A write command ran (SCRIPT KILL answers UNKILLABLE).
    public var wrote = false
    /// redis.replicate_commands() (or DEBUG LUA-ALWAYS-REPLICATE-COMMANDS): effects, not the script.
    public var replicatesEffects = false
    /// redis.set_repl: bit 1 the AOF, bit 2 the replicas.
    public var replicationTargets = ScriptEngine.replicateAll
    public init() {}
}

public enum ScriptStep {
    case done
    case suspended
}

/// One script of the cache: what EVAL sent, its sha1 (the name EVALSHA uses), its function.
public final class CachedScript {
    public let body: Bytes
    public let sha: Bytes
    /// The registry reference of the compiled f_<sha1> function.
    let ref: Int32

    init(body: Bytes, sha: Bytes, ref: Int32) {
        self.body = body
        self.sha = sha
        self.ref = ref
    }
}

public final class ScriptEngine {
    public static let replicateAOF = 1
    public static let replicateReplicas = 2
    public static let replicateAll = 3

    private(set) var L: OpaquePointer
    private let runner: OpaquePointer
    /// Body -> script, for EVAL's fast path (no digest per call).
    private var scriptsByBody: [Bytes: CachedScript] = [:]
    /// The script loaded or run last: a repeated EVAL or EVALSHA compares bytes, hashing nothing.
    private var lastScript: CachedScript? = nil
    /// sha1 (lowercase) -> script.
    private var scripts: [Bytes: CachedScript] = [:]
    /// The server (it owns this engine, so it outlives it; no reference counting on the hot path).
    public unowned(unsafe) var host: ScriptHost?
    public var run = ScriptRunState()
    /// The running script, for the error reply's function name.
    private var running: CachedScript? = nil
    public private(set) var isRunning = false
    /// redis.call's argument list, kept empty between calls to reuse its storage.
    var callArguments: [Bytes] = []
    /// Libraries Redis loads that this machine lacks (logged once by the server).
    public private(set) var missingLibraries = ""

    public init() {
        cairn_lua_set_callback(scriptCallback)
        runner = cairn_run_create()!
        L = luaL_newstate()!
        setUpInterpreter()
    }

    deinit {
        lua_close(lp)
        cairn_run_destroy(rp)
    }

    var lp: OpaquePointer { L }
    var rp: OpaquePointer { runner }

    /// SCRIPT FLUSH: a fresh interpreter and an empty cache.
    public func reset() {
        precondition(!isRunning, "SCRIPT FLUSH during a script")
        lua_close(lp)
        L = luaL_newstate()!
        scriptsByBody = [:]
        scripts = [:]
        lastScript = nil
        setUpInterpreter()
    }

    private func setUpInterpreter() {
        var missing = [CChar](repeating: 0, count: 128)
        cairn_lua_open_libraries(lp, &missing, missing.count)
        missingLibraries = String(cString: missing)
        for name in ["loadfile", "dofile"] {
            lua_pushnil(lp)
            lua_setfield(lp, cl_globalsindex(), name)
        }
        installRedisTable()
        cairn_lua_install_random(lp)
        runChunk(ScriptPrelude.compareHelper, name: "@cmp_func_def")
        runChunk(ScriptPrelude.errorHandler, name: "@err_handler_def")
        runChunk(ScriptPrelude.globalsGuard, name: "@enable_strict_lua")
        keysName = internedName("KEYS")
        argvName = internedName("ARGV")
        errorHandlerName = internedName("__redis__err__handler")
    }

    /// Registry references of the global names every run uses: pushing one is an array read,
    /// where lua_pushstring would hash the name and look it up in Lua's string table.
    private var keysName: Int32 = 0
    private var argvName: Int32 = 0
    private var errorHandlerName: Int32 = 0

    private func internedName(_ name: StaticString) -> Int32 {
        lua_pushstring(lp, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self))
        return luaL_ref(lp, cl_registryindex())
    }

    private func runChunk(_ code: String, name: String) {
        let bytes = Array(code.utf8)
        let loaded = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { luaL_loadbuffer(lp, $0.baseAddress, $0.count, name) }
        }
        precondition(loaded == 0 && lua_pcall(lp, 0, 0, 0) == 0, "prelude failed: \(String(cString: lua_tolstring(lp, -1, nil)))")
    }

    /// Bytes in use by the interpreter (INFO memory's used_memory_lua).
    public var memoryBytes: Int { Int(cl_gccount_bytes(lp)) }

    public var scriptCount: Int { scripts.count }

    // MARK: the cache

    /// Is a script with this sha1 (any case) cached?
    public func exists(sha: Bytes) -> Bool {
        if let last = lastScript, bytesEqual(last.sha, sha) { return true }
        return scripts[lowercased(sha)] != nil
    }

    /// The script cached under `sha` (any case), for EVALSHA.
    public func script(sha: Bytes) -> CachedScript? {
        if let last = lastScript, bytesEqual(last.sha, sha) { return last }
        guard let script = scripts[lowercased(sha)] else { return nil }
        lastScript = script
        return script
    }

    /// Compiles `body` unless cached; returns the script, or the error reply text.
    public func load(body: Bytes) -> Result<CachedScript, ScriptError> {
        if let last = lastScript, bytesEqual(last.body, body) { return .success(last) }
        if let script = scriptsByBody[body] {
            lastScript = script
            return .success(script)
        }
        let sha = SHA1.hex(body)
        if let script = scripts[sha] {
            scriptsByBody[body] = script
            return .success(script)
        }
        let name = Bytes("f_".utf8) + sha
        var source = Bytes("function ".utf8) + name + Bytes("() ".utf8)
        source += body
        source += Bytes("\nend".utf8)
        let status = source.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { luaL_loadbuffer(lp, $0.baseAddress, $0.count, "@user_script") }
        }
        if status != 0 {
            let message = popString()
            return .failure(ScriptError(Bytes("ERR Error compiling script (new function): ".utf8) + message + [10]))
        }
        if lua_pcall(lp, 0, 0, 0) != 0 {
            let message = popString()
            return .failure(ScriptError(Bytes("ERR Error running script (new function): ".utf8) + message + [10]))
        }
        name.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { lua_pushlstring(lp, $0.baseAddress, $0.count) }
        }
        lua_rawget(lp, cl_globalsindex())
        let script = CachedScript(body: body, sha: sha, ref: luaL_ref(lp, cl_registryindex()))
        scripts[sha] = script
        scriptsByBody[body] = script
        lastScript = script
        return .success(script)
    }

    /// The value on top as bytes (popped).
    func popString() -> Bytes {
        var length = 0
        guard let p = lua_tolstring(lp, -1, &length) else {
            cl_pop(lp, 1)
            return []
        }
        let out = Bytes(UnsafeRawBufferPointer(start: p, count: length))
        cl_pop(lp, 1)
        return out
    }

    private func lowercased(_ sha: Bytes) -> Bytes {
        sha.contains(where: { $0 >= 65 && $0 <= 90 }) ? sha.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } : sha
    }

    // MARK: running

    /// Starts a cached script with KEYS and ARGV. `limitMs` is lua-time-limit
    /// (0: no watch); with `maySuspend`, a run past the limit comes back `.suspended`.
    public func start(_ script: CachedScript, keys: ArraySlice<Bytes>, args: ArraySlice<Bytes>, limitMs: Int,
                      maySuspend: Bool, state: ScriptRunState) -> ScriptStep {
        run = state
        running = script
        cairn_lua_seed_random(0)
        setGlobalArray(keysName, keys)
        setGlobalArray(argvName, args)
        lua_settop(lp, 0)
        lua_rawgeti(lp, cl_registryindex(), errorHandlerName)
        lua_gettable(lp, cl_globalsindex())
        lua_rawgeti(lp, cl_registryindex(), script.ref)
        isRunning = true
        let step = cairn_run_start(rp, lp, 1, Int64(limitMs), maySuspend ? 1 : 0)
        return step == Int32(CAIRN_RUN_DONE) ? finish() : .suspended
    }

    /// Continues a suspended run for about `sliceMs`.
    public func resume(sliceMs: Int) -> ScriptStep {
        cairn_run_resume(rp, Int64(sliceMs)) == Int32(CAIRN_RUN_DONE) ? finish() : .suspended
    }

    private func finish() -> ScriptStep {
        isRunning = false
        gcCountdown -= 1
        if gcCountdown == 0 {
            // Redis's LUA_GC_CYCLE_PERIOD: a small collection step every 50 scripts.
            lua_gc(lp, LUA_GCSTEP, 50)
            gcCountdown = 50
        }
        return .done
    }

    private var gcCountdown = 50

    /// The run went past lua-time-limit.
    public var timedOut: Bool { cairn_run_timed_out(rp) != 0 }

    /// SCRIPT KILL: the running script stops at its next hook with an error.
    public func kill() { cairn_run_kill(rp) }

    /// Writes the finished script's reply (or its error) and clears the stack.
    public func writeReply(into out: inout ByteBuffer) {
        if cairn_run_status(rp) != 0 {
            let message = popString()
            let sha = running?.sha ?? []
            writeErrorBytes(Bytes("ERR Error running script (call to f_".utf8) + sha + Bytes("): ".utf8) + message + [10], into: &out)
        } else {
            LuaReply.write(lp, index: lua_gettop(lp), into: &out, depth: 0)
        }
        lua_settop(lp, 0)
    }

    private func setGlobalArray(_ name: Int32, _ items: ArraySlice<Bytes>) {
        lua_rawgeti(lp, cl_registryindex(), name)
        lua_createtable(lp, Int32(items.count), 0)
        var i: Int32 = 1
        for item in items {
            pushBytes(item)
            lua_rawseti(lp, -2, i)
            i += 1
        }
        lua_rawset(lp, cl_globalsindex())
    }

    func pushBytes(_ b: Bytes) {
        b.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { lua_pushlstring(lp, $0.baseAddress, $0.count) }
        }
    }

    /// While the host runs a command for the script, the runner never switches stacks.
    func hostEnter() { cairn_run_host_enter(rp) }
    func hostLeave() { cairn_run_host_leave(rp) }
}

/// An error reply's text (bytes: Lua messages need not be UTF-8).
public struct ScriptError: Error {
    public let message: Bytes
    public init(_ message: Bytes) { self.message = message }
}

/// `-<message>\r\n` with CR and LF inside turned into spaces, as Redis writes errors.
public func writeErrorBytes(_ message: Bytes, into out: inout ByteBuffer) {
    out.writeInteger(UInt8(ascii: "-"))
    out.writeBytes(message.map { $0 == 10 || $0 == 13 ? 32 : $0 })
    out.writeStaticString("\r\n")
}

extension SHA1 {
    /// The digest as 40 lowercase hex digits: how scripts are named (EVALSHA, SCRIPT LOAD/EXISTS, redis.sha1hex).
    public static func hex<C: Collection>(_ bytes: C) -> Bytes where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = Bytes()
        out.reserveCapacity(40)
        for b in hash(bytes) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return out
    }
}
