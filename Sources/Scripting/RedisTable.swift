// RedisTable: the `redis` table scripts see, and the one C callback behind it.
//
// Each redis.* function is a C closure (cluashim's trampoline) carrying the
// engine and the function's number; `scriptCallback` dispatches on the number.
// A function that must raise an error pushes the message and returns -1: the
// trampoline raises it once Swift has returned. Texts and numbers are Redis
// 4.0's (LOG_* 0..3, REPL_* 0..3, the argument errors of log and set_repl).
import CLua
import CLuaShim
import Engine
import NIOCore

private enum RedisFunction: Int32, CaseIterable {
    case call, pcall, log, sha1hex, errorReply, statusReply, replicateCommands, setRepl, breakpoint, debug

    var name: String {
        switch self {
        case .call: "call"
        case .pcall: "pcall"
        case .log: "log"
        case .sha1hex: "sha1hex"
        case .errorReply: "error_reply"
        case .statusReply: "status_reply"
        case .replicateCommands: "replicate_commands"
        case .setRepl: "set_repl"
        case .breakpoint: "breakpoint"
        case .debug: "debug"
        }
    }
}

/// The C callback every redis.* closure calls (see cluashim.h).
let scriptCallback: cairn_lua_callback = { owner, L, which in
    guard let owner, let L, let function = RedisFunction(rawValue: which) else { return 0 }
    let engine = Unmanaged<ScriptEngine>.fromOpaque(owner).takeUnretainedValue()
    return engine.dispatch(function, L)
}

extension ScriptEngine {
    func installRedisTable() {
        let l = L
        lua_createtable(l, 0, 24)
        let owner = Unmanaged.passUnretained(self).toOpaque()
        for function in RedisFunction.allCases {
            cairn_lua_push_function(l, owner, function.rawValue)
            lua_setfield(l, -2, function.name)
        }
        let constants: [(String, Double)] = [
            ("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3),
            ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_ALL", 3),
        ]
        for (name, value) in constants {
            lua_pushnumber(l, value)
            lua_setfield(l, -2, name)
        }
        lua_setfield(l, cl_globalsindex(), "redis")
    }

    fileprivate func dispatch(_ function: RedisFunction, _ l: OpaquePointer) -> Int32 {
        switch function {
        case .call: return command(l, raise: true)
        case .pcall: return command(l, raise: false)
        case .log: return log(l)
        case .sha1hex:
            guard lua_gettop(l) == 1 else { return raise(l, "wrong number of arguments") }
            var length = 0
            let p = lua_tolstring(l, 1, &length)
            let digest = p.map { SHA1.hex(UnsafeRawBufferPointer(start: $0, count: length)) } ?? SHA1.hex([UInt8]())
            LuaReply.push(l, digest)
            return 1
        case .errorReply, .statusReply:
            guard lua_gettop(l) == 1, lua_type(l, -1) == LUA_TSTRING else {
                pushErrorTable(l, Bytes("wrong number or type of arguments".utf8))
                return 1
            }
            lua_createtable(l, 0, 1)
            lua_pushvalue(l, -2)
            lua_setfield(l, -2, function == .errorReply ? "err" : "ok")
            return 1
        case .replicateCommands:
            if run.wrote {
                lua_pushboolean(l, 0)
            } else {
                run.replicatesEffects = true
                // Effects are replicated, so the script may see a different sequence each run.
                cairn_lua_seed_random(Int32.random(in: 0...Int32.max))
                lua_pushboolean(l, 1)
            }
            return 1
        case .setRepl:
            guard run.replicatesEffects else {
                return raise(l, "You can set the replication behavior only after turning on single commands replication with redis.replicate_commands().")
            }
            guard lua_gettop(l) == 1 else { return raise(l, "redis.set_repl() requires two arguments.") }
            let flags = Int(Int32(truncatingIfNeeded: Int64(lua_tonumber(l, -1).clampedToInt64)))
            guard flags & ~ScriptEngine.replicateAll == 0 else {
                return raise(l, "Invalid replication flags. Use REPL_AOF, REPL_SLAVE, REPL_ALL or REPL_NONE.")
            }
            run.replicationTargets = flags
            return 0
        case .breakpoint:
            lua_pushboolean(l, 0)  // no debugger session is ever active
            return 1
        case .debug:
            return 0
        }
    }

    private func raise(_ l: OpaquePointer, _ message: String) -> Int32 {
        lua_pushstring(l, message)
        return -1
    }

    private func log(_ l: OpaquePointer) -> Int32 {
        let argc = lua_gettop(l)
        guard argc >= 2 else { return raise(l, "redis.log() requires two arguments or more.") }
        guard lua_isnumber(l, 1) != 0 else { return raise(l, "First argument must be a number (log level).") }
        let level = lua_tonumber(l, 1).clampedToInt64
        guard (0...3).contains(level) else { return raise(l, "Invalid debug level.") }
        var text = Bytes()
        for i in 2...argc {
            var length = 0
            guard let p = lua_tolstring(l, i, &length) else { continue }
            if i != 2 { text.append(32) }
            text.append(contentsOf: UnsafeRawBufferPointer(start: p, count: length))
        }
        host?.scriptLog(level: Int(level), String(decoding: text, as: UTF8.self))
        return 0
    }

    /// Pushes Redis's error table {err = "<source>: <line>: <message>"} (the caller's position).
    func pushErrorTable(_ l: OpaquePointer, _ message: Bytes) {
        var text = message
        var frame = lua_Debug()
        if lua_getstack(l, 1, &frame) != 0 && lua_getinfo(l, "nSl", &frame) != 0, let source = frame.source {
            text = Bytes("\(String(cString: source)): \(frame.currentline): ".utf8) + message
        }
        lua_createtable(l, 0, 1)
        LuaReply.push(l, text)
        lua_setfield(l, -2, "err")
    }

    /// redis.call / redis.pcall.
    private func command(_ l: OpaquePointer, raise: Bool) -> Int32 {
        let argc = lua_gettop(l)
        guard argc > 0 else {
            return fail(l, Bytes("Please specify at least one argument for redis.call()".utf8), raise: raise)
        }
        // The list's storage is kept from call to call (a fresh one only if the command kept it).
        var argv = callArguments
        callArguments = []
        argv.reserveCapacity(Int(argc))
        for i in 1...argc {
            if lua_type(l, i) == LUA_TNUMBER {
                argv.append(withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { digits in
                    let n = Int(cl_format_number(lua_tonumber(l, i), digits.baseAddress, 64))
                    return Bytes(UnsafeRawBufferPointer(start: digits.baseAddress, count: min(n, 63)))
                })
            } else {
                var length = 0
                guard let p = lua_tolstring(l, i, &length) else {
                    return fail(l, Bytes("Lua redis() command arguments must be strings or integers".utf8), raise: raise)
                }
                argv.append(Bytes(UnsafeRawBufferPointer(start: p, count: length)))
            }
        }
        guard let host else { return fail(l, Bytes("no server".utf8), raise: raise) }
        var isError = false
        hostEnter()
        let refusal = host.runScriptCommand(argv) { reply, sort in
            isError = reply.readableBytes > 0 && reply.getInteger(at: reply.readerIndex, as: UInt8.self) == UInt8(ascii: "-")
            LuaReply.push(l, from: &reply, sortArray: sort && !self.run.replicatesEffects)
        }
        hostLeave()
        argv.removeAll(keepingCapacity: true)
        callArguments = argv
        if let refusal { return fail(l, Bytes(refusal.utf8), raise: raise) }
        guard raise && isError else { return 1 }
        // redis.call: raise the command's error text (the "err" field) instead of returning it.
        lua_getfield(l, -1, "err")
        return -1
    }

    private func fail(_ l: OpaquePointer, _ message: Bytes, raise: Bool) -> Int32 {
        pushErrorTable(l, message)
        guard raise else { return 1 }
        lua_getfield(l, -1, "err")
        return -1
    }
}

extension Double {
    /// The value as C's (long long) cast gives it on x86-64, as Redis's replies do: NaN and
    /// values out of range become Int64.min (the "integer indefinite" of cvttsd2si).
    var clampedToInt64: Int64 {
        guard !isNaN, self < 9.2233720368547758e18, self >= -9.2233720368547758e18 else { return Int64.min }
        return Int64(self)
    }
}
