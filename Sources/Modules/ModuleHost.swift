// ModuleHost: what the module API needs from the server that loads modules.
//
// The Modules target knows the engine (keys are read and written through
// Keyspace directly) but not the server: commands, clients, the change
// stream and the log belong to Server, which conforms to this protocol. A
// context carries its client as an opaque token the host gave it.
import Engine

/// The flag words of RedisModule_CreateCommand, as Redis 4.0 spells them.
public struct ModuleCommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let write = ModuleCommandFlags(rawValue: 1 << 0)
    public static let readonly = ModuleCommandFlags(rawValue: 1 << 1)
    public static let admin = ModuleCommandFlags(rawValue: 1 << 2)
    public static let denyoom = ModuleCommandFlags(rawValue: 1 << 3)
    public static let noscript = ModuleCommandFlags(rawValue: 1 << 4)
    public static let loading = ModuleCommandFlags(rawValue: 1 << 5)
    public static let pubsub = ModuleCommandFlags(rawValue: 1 << 6)
    public static let random = ModuleCommandFlags(rawValue: 1 << 7)
    public static let stale = ModuleCommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = ModuleCommandFlags(rawValue: 1 << 9)
    public static let fast = ModuleCommandFlags(rawValue: 1 << 10)
    public static let getkeysAPI = ModuleCommandFlags(rawValue: 1 << 11)
    public static let noCluster = ModuleCommandFlags(rawValue: 1 << 12)

    /// Parses space-separated words ("write deny-oom"); nil on an unknown word, as Redis refuses it.
    public init?(words: String) {
        var f: ModuleCommandFlags = []
        for word in words.split(separator: " ", omittingEmptySubsequences: true) {
            switch word.lowercased() {
            case "write": f.insert(.write)
            case "readonly": f.insert(.readonly)
            case "admin": f.insert(.admin)
            case "deny-oom": f.insert(.denyoom)
            case "deny-script": f.insert(.noscript)
            case "allow-loading": f.insert(.loading)
            case "pubsub": f.insert(.pubsub)
            case "random": f.insert(.random)
            case "allow-stale": f.insert(.stale)
            case "no-monitor": f.insert(.skipMonitor)
            case "fast": f.insert(.fast)
            case "getkeys-api": f.insert(.getkeysAPI)
            case "no-cluster": f.insert(.noCluster)
            default: return nil
            }
        }
        self = f
    }
}

/// A command a module registered with RedisModule_CreateCommand.
public final class ModuleCommand {
    public unowned let module: LoadedModule
    public let name: String
    /// The module's RedisModuleCmdFunc.
    public let function: UnsafeMutableRawPointer
    public let flags: ModuleCommandFlags
    public let firstKey: Int
    public let lastKey: Int
    public let keyStep: Int

    init(module: LoadedModule, name: String, function: UnsafeMutableRawPointer, flags: ModuleCommandFlags,
         firstKey: Int, lastKey: Int, keyStep: Int) {
        self.module = module
        self.name = name
        self.function = function
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.keyStep = keyStep
    }
}

/// Log levels as module code names them ("debug", "verbose", "notice", "warning").
public enum ModuleLogLevel: Int, Sendable {
    case debug, verbose, notice, warning

    /// Redis maps an unknown level name to verbose.
    public init(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "notice": self = .notice
        case "warning": self = .warning
        default: self = .verbose
        }
    }
}

public protocol ModuleHost: AnyObject {
    /// The keyspace the key API works on (owner thread only).
    var moduleKeyspace: Keyspace { get }
    func moduleLog(_ level: ModuleLogLevel, _ message: String)
    /// Whether a command of this name exists (registration refuses a busy name; Replicate an unknown one).
    func moduleCommandExists(_ name: String) -> Bool
    /// Joins the command table; false if the name is busy.
    func moduleRegister(_ command: ModuleCommand) -> Bool
    func moduleUnregister(_ name: String)
    /// Runs `argv` for the context's client in the context's database, as a module
    /// client; the RESP reply, or nil for an unknown command or a wrong arity.
    /// `replicate`: the command's own records join the change stream (format "!"),
    /// after `ctx.emitMultiIfNeeded()`, called once the command passed its checks.
    func moduleCall(_ ctx: ModuleContext, _ argv: [Bytes], replicate: Bool) -> [UInt8]?
    /// Emits a MULTI record now (the first replicated command of a module command).
    func moduleEmitMulti(_ ctx: ModuleContext)
    /// REDISMODULE_CTX_FLAGS_* for this context.
    func moduleContextFlags(_ ctx: ModuleContext) -> Int32
    /// The set of keyspace-event subscriptions changed (ModuleRegistry.subscribedTypes).
    func moduleSubscriptionsChanged()
    /// What runs work on the keyspace thread from any thread; nil without an event loop.
    func moduleExecutor() -> ModuleExecutor?
    /// Blocks the context's client on `bc` until ModuleRegistry answers it (or its deadline).
    func moduleBlock(_ ctx: ModuleContext, _ bc: ModuleBlockedClient)
    /// Answers a client that was blocked on a module: writes `reply`, records `records`
    /// (in `db`), and lets the client go on.
    func moduleUnblock(_ client: AnyObject, reply: [UInt8], records: [[Bytes]], db: Int)
}
