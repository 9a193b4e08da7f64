// ModuleRegistry: the modules a server has loaded (MODULE LOAD/UNLOAD/LIST,
// the loadmodule directive).
//
// Loading is Redis's: dlopen(RTLD_NOW|RTLD_LOCAL), find RedisModule_OnLoad,
// call it with a fresh context and the arguments; the module's Init (inlined
// from redismodule.h) fetches the API by name and names the module through
// SetModuleAttribs. Contract: a failed load leaves nothing behind (its
// commands are unregistered, the library closed) and says why in the log;
// the client gets Redis's one error line. On top of Redis: a module that asked
// for an API name Cairn does not have fails to load, that name in the log and
// the error, since calling through the missing pointer would crash the server.
// All of it runs on the keyspace thread.
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

public final class LoadedModule {
    public internal(set) var name: String
    public internal(set) var version: Int
    public internal(set) var apiVersion: Int
    public let path: String
    var handle: UnsafeMutableRawPointer? = nil
    public internal(set) var commands: [ModuleCommand] = []
    /// Calls into the module's code now on the stack (a command that Calls MODULE UNLOAD).
    var activeCalls = 0
    /// Blocked clients whose handle the module still holds (its threads may call back).
    var pendingBlocked = 0
    /// The data types it registered (CreateDataType): such a module cannot be unloaded.
    var types: [ModuleType] = []

    init(name: String, version: Int, apiVersion: Int, path: String) {
        self.name = name
        self.version = version
        self.apiVersion = apiVersion
        self.path = path
    }
}

public enum ModuleLoadError: Error, Equatable {
    /// The reply Redis gives (the log says more).
    case failed
    /// The module asked for API functions Cairn does not have.
    case unknownAPI([String])

    public var message: String {
        switch self {
        case .failed: return "ERR Error loading the extension. Please check the server logs."
        case .unknownAPI(let names):
            return "ERR Error loading the extension: the module asked for API functions this server does not have: "
                + names.joined(separator: ", ")
        }
    }
}

public enum ModuleUnloadError: Error {
    case noSuchModule
    /// Its code is running, or it holds blocked clients a thread may still answer.
    case inUse
    /// It registered data types (Redis 4.0's EBUSY).
    case exportsTypes

    public var message: String {
        switch self {
        case .noSuchModule: return "ERR Error unloading module: no such module with that name"
        case .inUse: return "ERR Error unloading module: operation not possible."
        case .exportsTypes:
            return "ERR Error unloading module: the module exports one or more module-side data types, can't unload"
        }
    }
}

/// The context of the load in progress: GetApi and IsModuleNameBusy take no context of their own.
nonisolated(unsafe) var loadingContext: ModuleContext? = nil
nonisolated(unsafe) var loadingRegistry: ModuleRegistry? = nil

public final class ModuleRegistry {
    public private(set) var modules: [String: LoadedModule] = [:]
    unowned let host: ModuleHost
    /// Runs work on the keyspace thread (for thread-safe contexts without a blocked client);
    /// set on the keyspace thread at each load, before any module thread can read it.
    var executor: ModuleExecutor? = nil
    /// Keyspace-event subscriptions, in the order made (ModuleNotifications.swift).
    var subscribers: [ModuleSubscriber] = []
    /// The host logs go to when a module logs without a context, and the registry of the
    /// last server made (a module subscribing outside OnLoad).
    nonisolated(unsafe) static weak var defaultHost: ModuleHost? = nil
    nonisolated(unsafe) static weak var defaultRegistry: ModuleRegistry? = nil

    public init(host: ModuleHost) {
        self.host = host
        Self.defaultHost = host
        Self.defaultRegistry = self
    }

    public var count: Int { modules.count }

    /// MODULE LOAD path [args...]: the loaded module, or why not.
    @discardableResult
    public func load(path: String, arguments: [Bytes]) throws(ModuleLoadError) -> LoadedModule {
        executor = host.moduleExecutor()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            host.moduleLog(.warning, "Module \(path) failed to load: \(why)")
            throw .failed
        }
        guard let onload = dlsym(handle, "RedisModule_OnLoad") else {
            dlclose(handle)
            host.moduleLog(.warning, "Module \(path) does not export RedisModule_OnLoad() symbol. Module not loaded.")
            throw .failed
        }
        let ctx = ModuleContext(host: host, module: nil, client: nil, clientID: 0, db: 0)
        loadingContext = ctx
        loadingRegistry = self
        ctx.loadingPath = path
        let strings = arguments.map { ModuleString(bytes: $0) }
        var pointers: [UnsafeMutableRawPointer?] = strings.map { Unmanaged.passUnretained($0).toOpaque() }
        let status = pointers.withUnsafeMutableBufferPointer { buffer in
            cairn_module_call_onload(onload, ctx.pointer, buffer.baseAddress, Int32(buffer.count))
        }
        withExtendedLifetime(strings) {}
        loadingContext = nil
        loadingRegistry = nil
        ctx.finish()
        let unknown = ctx.unknownAPIs
        if status != 0 || !unknown.isEmpty || ctx.module == nil {
            if let module = ctx.module { discard(module) }
            dlclose(handle)
            if !unknown.isEmpty {
                host.moduleLog(.warning, "Module \(path) asked for API functions this server does not have: "
                    + unknown.joined(separator: ", ") + ". Module not loaded.")
                throw .unknownAPI(unknown)
            }
            host.moduleLog(.warning, "Module \(path) initialization failed. Module not loaded")
            throw .failed
        }
        let module = ctx.module!
        module.handle = handle
        modules[module.name] = module
        host.moduleLog(.notice, "Module '\(module.name)' loaded from \(path)")
        return module
    }

    /// MODULE UNLOAD name.
    public func unload(name: String) throws(ModuleUnloadError) {
        guard let module = modules[name] else { throw .noSuchModule }
        // Values of its types may be in the keyspace, and an RDB load needs the callbacks.
        guard module.types.isEmpty else { throw .exportsTypes }
        // Unloading code that is on the stack, or that a module thread will call back into
        // (a blocked client's callbacks), would crash the server: refused, as 4.0's catch-all.
        guard module.activeCalls == 0, module.pendingBlocked == 0 else { throw .inUse }
        discard(module)
        if let handle = module.handle, dlclose(handle) != 0 {
            let why = dlerror().map { String(cString: $0) } ?? "Unknown error"
            host.moduleLog(.warning, "Error when trying to close the \(name) module: \(why)")
        }
        module.handle = nil
        modules[name] = nil
        host.moduleLog(.notice, "Module \(name) unloaded")
    }

    /// Unregisters what a module registered.
    private func discard(_ module: LoadedModule) {
        for command in module.commands { host.moduleUnregister(command.name) }
        module.commands.removeAll()
        for type in module.types { ModuleTypes.unregister(type) }
        module.types.removeAll()
        let before = subscribers.count
        subscribers.removeAll { $0.module === module }
        if subscribers.count != before { host.moduleSubscriptionsChanged() }
    }

    /// MODULE LIST: (name, version) of each module.
    public var list: [(name: String, version: Int)] {
        modules.values.sorted { $0.name < $1.name }.map { ($0.name, $0.version) }
    }
}
