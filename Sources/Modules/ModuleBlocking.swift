// ModuleBlocking: blocked clients (RedisModule_BlockClient, UnblockClient,
// AbortBlock and the reply/timeout callbacks) and thread-safe contexts
// (GetThreadSafeContext, ThreadSafeContextLock/Unlock).
//
// Contract (Redis 4.0): BlockClient blocks the calling client; the module
// answers later from any thread with UnblockClient(bc, privdata): on the
// keyspace thread the reply callback runs with that privdata, free_privdata
// frees it, what thread-safe contexts replied is appended, and the client
// goes on with its pipelined commands. At the timeout the timeout callback
// answers instead and a later UnblockClient only frees the privdata. A
// client that disconnects is forgotten the same way. Blocking inside MULTI
// answers an error, as Redis does.
// The tricky bit is the lock: Redis's ThreadSafeContextLock takes the global
// lock its event loop holds while it runs commands. Here Lock sends the
// keyspace thread a task that parks it until Unlock, so the module's thread
// has the keyspace alone in between; the task queue's lock orders memory.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import CairnModuleABI
import Engine

/// Runs work on the keyspace thread, soon; callable from any thread.
public typealias ModuleExecutor = (@escaping () -> Void) -> Void

public final class ModuleBlockedClient: @unchecked Sendable {
    public let module: LoadedModule
    let replyCallback: UnsafeMutableRawPointer?
    let timeoutCallback: UnsafeMutableRawPointer?
    let freePrivdata: UnsafeMutableRawPointer?
    /// The blocked client, until it is answered, times out or goes away (keyspace thread only).
    public internal(set) var client: AnyObject?
    public let clientID: UInt64
    public let db: Int
    /// The blocked command's arguments, handed to the callbacks.
    let argv: [Bytes]
    /// Absolute deadline in ms; 0: none.
    public let deadline: Int64
    let executor: ModuleExecutor?
    /// Set by UnblockClient (any thread) before it hands the handle to the keyspace thread.
    var privdata: UnsafeMutableRawPointer? = nil
    /// Replies made through thread-safe contexts of this handle (their threads hold the lock).
    var threadReply: [UInt8] = []
    private var unblockRequested = false
    private let guardLock = NSLockLike()

    init(ctx: ModuleContext, module: LoadedModule, reply: UnsafeMutableRawPointer?, timeout: UnsafeMutableRawPointer?,
         free: UnsafeMutableRawPointer?, timeoutMs: Int64, executor: ModuleExecutor?) {
        self.module = module
        replyCallback = reply
        timeoutCallback = timeout
        freePrivdata = free
        client = ctx.client
        clientID = ctx.clientID
        db = ctx.db
        argv = ctx.argv
        deadline = timeoutMs > 0 ? wallClockMilliseconds() + timeoutMs : 0
        self.executor = executor
    }

    /// First UnblockClient wins; true if this call is it.
    fileprivate func claimUnblock() -> Bool {
        guardLock.withLock {
            if unblockRequested { return false }
            unblockRequested = true
            return true
        }
    }

    fileprivate var abortReply = false

    static func from(_ p: UnsafeRawPointer) -> ModuleBlockedClient {
        Unmanaged<ModuleBlockedClient>.fromOpaque(p).takeUnretainedValue()
    }
}

/// A pthread mutex (Foundation is not linked into the server's targets).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

extension ModuleRegistry {
    /// On the keyspace thread: the module answered (or aborted) a blocked client.
    func finishUnblocked(_ bc: ModuleBlockedClient) {
        var reply: [UInt8] = []
        var records: [[Bytes]] = []
        if let client = bc.client, let callback = bc.replyCallback, !bc.abortReply {
            let ctx = ModuleContext(host: host, module: bc.module, client: client, clientID: bc.clientID, db: bc.db)
            ctx.blockedReply = true
            ctx.blockedPrivdata = bc.privdata
            ctx.run(callback, argv: bc.argv)
            ctx.finish()
            reply = ctx.reply
            records = ctx.closingRecords
        }
        if let data = bc.privdata, let free = bc.freePrivdata { cairn_module_call_free(free, data) }
        if let client = bc.client {
            bc.client = nil
            host.moduleUnblock(client, reply: reply + bc.threadReply, records: records, db: bc.db)
        }
        bc.module.pendingBlocked -= 1
        Unmanaged.passUnretained(bc).release()  // the reference BlockClient gave the module
    }

    /// On the keyspace thread: the blocked client's deadline passed; the timeout callback answers.
    public func timedOut(_ bc: ModuleBlockedClient) {
        guard let client = bc.client else { return }
        var reply: [UInt8] = Array("$-1\r\n".utf8)  // a module without a timeout callback: a null reply
        if let callback = bc.timeoutCallback {
            let ctx = ModuleContext(host: host, module: bc.module, client: client, clientID: bc.clientID, db: bc.db)
            ctx.blockedTimeout = true
            ctx.run(callback, argv: bc.argv)
            ctx.finish()
            reply = ctx.reply
        }
        bc.client = nil
        host.moduleUnblock(client, reply: reply, records: [], db: bc.db)
    }

    /// The blocked client went away (disconnect, a replica turning): nothing will be answered.
    public func clientGone(_ bc: ModuleBlockedClient) { bc.client = nil }
}

@_cdecl("cairn_rm_BlockClient")
func cairn_rm_BlockClient(_ ctx: UnsafeMutableRawPointer?, _ reply: UnsafeMutableRawPointer?, _ timeout: UnsafeMutableRawPointer?,
                          _ freePrivdata: UnsafeMutableRawPointer?, _ ms: Int64) -> UnsafeMutableRawPointer? {
    guard let ctx else { return nil }
    let c = ModuleContext.from(ctx)
    guard let module = c.module, c.client != nil else { return nil }
    let bc = ModuleBlockedClient(ctx: c, module: module, reply: reply, timeout: timeout, free: freePrivdata,
                                 timeoutMs: max(ms, 0), executor: c.host.moduleExecutor())
    module.pendingBlocked += 1
    if c.inTransaction {
        bc.client = nil
        c.replyError("ERR Blocking module command called from transaction")
    } else if bc.executor == nil {
        bc.client = nil
        c.replyError("ERR Blocking module commands need the server's event loop")
    } else {
        c.host.moduleBlock(c, bc)
    }
    return Unmanaged.passRetained(bc).toOpaque()
}

@_cdecl("cairn_rm_UnblockClient")
func cairn_rm_UnblockClient(_ bcp: UnsafeMutableRawPointer?, _ privdata: UnsafeMutableRawPointer?) -> Int32 {
    guard let bcp else { return moduleERR }
    let bc = ModuleBlockedClient.from(bcp)
    guard bc.claimUnblock() else { return moduleERR }
    bc.privdata = privdata
    guard let executor = bc.executor, let registry = ModuleRegistry.defaultRegistry else {
        // Never blocked (no event loop): only the privdata is the module's to see freed.
        // (Without an event loop there is no other thread to race with the counter.)
        if let data = privdata, let free = bc.freePrivdata { cairn_module_call_free(free, data) }
        bc.module.pendingBlocked -= 1
        Unmanaged.passUnretained(bc).release()
        return moduleOK
    }
    executor { registry.finishUnblocked(bc) }
    return moduleOK
}

@_cdecl("cairn_rm_AbortBlock")
func cairn_rm_AbortBlock(_ bcp: UnsafeMutableRawPointer?) -> Int32 {
    guard let bcp else { return moduleERR }
    ModuleBlockedClient.from(bcp).abortReply = true
    return cairn_rm_UnblockClient(bcp, nil)
}

@_cdecl("cairn_rm_IsBlockedReplyRequest")
func cairn_rm_IsBlockedReplyRequest(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return 0 }
    return ModuleContext.from(ctx).blockedReply ? 1 : 0
}

@_cdecl("cairn_rm_IsBlockedTimeoutRequest")
func cairn_rm_IsBlockedTimeoutRequest(_ ctx: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx else { return 0 }
    return ModuleContext.from(ctx).blockedTimeout ? 1 : 0
}

@_cdecl("cairn_rm_GetBlockedClientPrivateData")
func cairn_rm_GetBlockedClientPrivateData(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let ctx else { return nil }
    return ModuleContext.from(ctx).blockedPrivdata
}

// MARK: thread-safe contexts

@_cdecl("cairn_rm_GetThreadSafeContext")
func cairn_rm_GetThreadSafeContext(_ bcp: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let registry = ModuleRegistry.defaultRegistry else { return nil }
    let bc = bcp.map { ModuleBlockedClient.from($0) }
    let ctx = ModuleContext(host: registry.host, module: bc?.module, client: nil, clientID: 0, db: bc?.db ?? 0)
    ctx.threadSafeOf = bc
    ctx.executor = bc?.executor ?? registry.executor
    // The module frees it with FreeThreadSafeContext: one reference until then.
    _ = Unmanaged.passRetained(ctx)
    return ctx.pointer
}

@_cdecl("cairn_rm_FreeThreadSafeContext")
func cairn_rm_FreeThreadSafeContext(_ ctx: UnsafeMutableRawPointer?) {
    guard let ctx else { return }
    let c = ModuleContext.from(ctx)
    c.finish()
    if let bc = c.threadSafeOf { bc.threadReply.append(contentsOf: c.reply) }
    if c.heldLock != nil { cairn_rm_ThreadSafeContextUnlock(ctx) }
    Unmanaged.passUnretained(c).release()
}

/// The thread module code was last called on by the server: the keyspace thread (set by
/// ModuleContext.run; read by ThreadSafeContextLock to spot a call from that same thread).
nonisolated(unsafe) var moduleOwnerThread: pthread_t? = nil

/// The keyspace thread parked for a module thread between Lock and Unlock.
final class ParkedOwner: @unchecked Sendable {
    let parked = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
}

@_cdecl("cairn_rm_ThreadSafeContextLock")
func cairn_rm_ThreadSafeContextLock(_ ctx: UnsafeMutableRawPointer?) {
    guard let ctx else { return }
    let c = ModuleContext.from(ctx)
    guard c.heldLock == nil, let executor = c.executor else { return }
    // On the keyspace thread itself (inside a command) the caller holds the keyspace already;
    // parking the loop for it would wait forever (Redis's non-recursive mutex deadlocks here).
    if let owner = moduleOwnerThread, pthread_equal(owner, pthread_self()) != 0 { return }
    let owner = ParkedOwner()
    executor {
        owner.parked.signal()
        owner.release.wait()
    }
    owner.parked.wait()
    c.heldLock = owner
}

@_cdecl("cairn_rm_ThreadSafeContextUnlock")
func cairn_rm_ThreadSafeContextUnlock(_ ctx: UnsafeMutableRawPointer?) {
    guard let ctx else { return }
    let c = ModuleContext.from(ctx)
    guard let owner = c.heldLock else { return }
    c.heldLock = nil
    owner.release.signal()
}
