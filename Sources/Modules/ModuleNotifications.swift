// ModuleNotifications: RedisModule_SubscribeToKeyspaceEvents and the delivery
// of keyspace events to the modules that subscribed.
//
// Contract (Redis 4.0): every event of a subscribed class reaches the
// module's callback whatever notify-keyspace-events says, on the keyspace
// thread, right when the write reports it, with a context in the event's
// database (RedisModule_Call works there; replies go nowhere). A callback is
// never re-entered by the events its own calls cause.
import CairnModuleABI
import Engine

final class ModuleSubscriber {
    unowned let module: LoadedModule
    let types: Int32
    let callback: UnsafeMutableRawPointer
    var active = false

    init(module: LoadedModule, types: Int32, callback: UnsafeMutableRawPointer) {
        self.module = module
        self.types = types
        self.callback = callback
    }
}

extension ModuleRegistry {
    /// The union of the subscribed classes (REDISMODULE_NOTIFY_* bits, the same as notify-keyspace-events').
    public var subscribedTypes: Int32 { subscribers.reduce(0) { $0 | $1.types } }

    /// Hands one keyspace event to the subscribers of its class.
    public func notify(type: Int32, event: String, key: Bytes, db: Int) {
        for sub in subscribers where sub.types & type != 0 && !sub.active {
            let ctx = ModuleContext(host: host, module: sub.module, client: nil, clientID: 0, db: db)
            let keyString = ModuleString(bytes: key)
            sub.active = true
            _ = event.withCString { e in
                cairn_module_call_notify(sub.callback, ctx.pointer, type, e, Unmanaged.passUnretained(keyString).toOpaque())
            }
            sub.active = false
            ctx.finish()
            withExtendedLifetime(keyString) {}
        }
    }
}

@_cdecl("cairn_rm_SubscribeToKeyspaceEvents")
func cairn_rm_SubscribeToKeyspaceEvents(_ ctx: UnsafeMutableRawPointer?, _ types: Int32, _ cb: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx, let cb else { return moduleERR }
    let c = ModuleContext.from(ctx)
    guard let module = c.module, let registry = loadingRegistry ?? ModuleRegistry.defaultRegistry else { return moduleERR }
    registry.subscribers.append(ModuleSubscriber(module: module, types: types, callback: cb))
    registry.host.moduleSubscriptionsChanged()
    return moduleOK
}
