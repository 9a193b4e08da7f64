// ModuleContext: the object behind a RedisModuleCtx pointer.
//
// Contract: the pointer a module receives is a two-word C block: word 0 is
// RedisModule_GetApi (redismodule.h's Init reads it from there), word 1 is
// this object (unretained; the context lives until `finish`). One context
// serves one call into the module: OnLoad, a command, a keys-position request.
// Replies are built here as RESP bytes (postponed array lengths are inserted
// when set) and handed to the host's client when the call ends. With
// AutoMemory, strings, call replies and keys the module forgets are released
// at `finish`, as Redis does.
// Propagation follows Redis 4.0: a module command is never propagated as
// itself; Call with "!" and Replicate wrap what they emit in MULTI ... EXEC
// (Call's records go first, as they run; Replicate's are deferred to the
// end), ReplicateVerbatim emits the command as called.
#if canImport(Glibc)
import Glibc
#endif
import CairnModuleABI
import Engine

public final class ModuleContext {
    /// The C block modules see; word 1 points back here.
    let header: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    public unowned let host: ModuleHost
    /// The module whose code runs (nil while OnLoad has not called Init yet).
    public internal(set) var module: LoadedModule?
    /// The host's client this context serves (nil: none, e.g. a keys-position request).
    public let client: AnyObject?
    public let clientID: UInt64
    /// The selected database; SelectDb changes it (and the host applies it to the client).
    public internal(set) var db: Int
    /// The client is inside MULTI/EXEC: nothing is wrapped in another MULTI.
    public let inTransaction: Bool
    /// The command's arguments as called (for ReplicateVerbatim).
    public internal(set) var argv: [Bytes] = []

    // Replies.
    public internal(set) var reply: [UInt8] = []
    /// Offsets in `reply` of arrays whose length is still to be set (innermost last).
    var postponed: [Int] = []
    /// Number of top-level replies written; a command should write exactly one.
    var replyCount = 0

    // Memory.
    var autoMemory = false
    private var autoStrings: [ModuleString] = []
    private var autoReplies: [ModuleCallReply] = []
    private var pool: [UnsafeMutableRawPointer] = []
    /// Keys opened and not closed yet: closed at `finish` whatever the memory mode (so
    /// AutoMemory needs no list of its own for keys).
    var openKeys: [ObjectIdentifier: ModuleKey] = [:]

    // Keys-position requests.
    public let keysPositionRequest: Bool
    public internal(set) var keyPositions: [Int] = []

    // Propagation.
    public internal(set) var multiEmitted = false
    /// Records to append after the command (Replicate, ReplicateVerbatim), EXEC last if MULTI was emitted.
    public internal(set) var deferredRecords: [[Bytes]] = []

    // Blocked clients and thread-safe contexts (ModuleBlocking.swift).
    var blockedReply = false
    var blockedTimeout = false
    var blockedPrivdata: UnsafeMutableRawPointer? = nil
    /// A thread-safe context: the blocked client it replies to (nil: its replies go nowhere).
    var threadSafeOf: ModuleBlockedClient? = nil
    var executor: ModuleExecutor? = nil
    var heldLock: ParkedOwner? = nil

    /// Unknown API names asked for while loading (the load then fails), and the path loading.
    var unknownAPIs: [String] = []
    var loadingPath: String? = nil

    public init(host: ModuleHost, module: LoadedModule?, client: AnyObject?, clientID: UInt64, db: Int,
                inTransaction: Bool = false, keysPositionRequest: Bool = false) {
        self.host = host
        self.module = module
        self.client = client
        self.clientID = clientID
        self.db = db
        self.inTransaction = inTransaction
        self.keysPositionRequest = keysPositionRequest
        header = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 2)
        header[0] = cairn_module_get_api_address()
        header[1] = nil
        header[1] = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit { header.deallocate() }

    /// The pointer handed to the module.
    public var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(header) }

    static func from(_ p: UnsafeMutableRawPointer) -> ModuleContext {
        let words = p.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        return Unmanaged<ModuleContext>.fromOpaque(words[1]!).takeUnretainedValue()
    }

    // MARK: running a command

    /// Calls `function(ctx, argv, argc)`: the module's command, or its keys-position entry.
    public func run(_ function: UnsafeMutableRawPointer, argv: [Bytes]) {
        self.argv = argv
        module?.activeCalls += 1
        defer { module?.activeCalls -= 1 }
        moduleOwnerThread = pthread_self()
        let strings = argv.map { ModuleString(bytes: $0) }
        var pointers: [UnsafeMutableRawPointer?] = strings.map { Unmanaged.passUnretained($0).toOpaque() }
        _ = pointers.withUnsafeMutableBufferPointer { buffer in
            cairn_module_call_command(function, pointer, buffer.baseAddress, Int32(buffer.count))
        }
        // The argument strings live as long as the call (a RetainString keeps its own reference).
        withExtendedLifetime(strings) {}
    }

    /// Ends the call: closes keys left open, releases automatic memory and the pool,
    /// replaces an array the module never sized by an error (an API misuse, logged).
    public func finish() {
        for key in openKeys.values { key.close() }
        openKeys.removeAll()
        releaseAutoMemory()
        for p in pool { free(p) }
        pool.removeAll()
        if !postponed.isEmpty {
            host.moduleLog(.warning, "API misuse detected in module \(module?.name ?? "?"): "
                + "RedisModule_ReplyWithArray(REDISMODULE_POSTPONED_ARRAY_LEN) not matched by the same "
                + "number of RedisModule_ReplySetArrayLength() calls.")
            // Redis leaves the client's protocol broken. Everything after the outermost open array
            // belongs to it, so that one element becomes one error and the reply stays whole.
            reply.removeSubrange(postponed[0]...)
            postponed.removeAll()
            append("-ERR the module left a reply array without its length\r\n")
        }
    }

    // MARK: automatic memory

    func track(_ s: ModuleString) { if autoMemory { autoStrings.append(s) } }
    func track(_ r: ModuleCallReply) { if autoMemory { autoReplies.append(r) } }

    /// Removes one automatic reference to `s`; true if there was one to remove.
    func untrack(_ s: ModuleString) -> Bool {
        guard let i = autoStrings.lastIndex(where: { $0 === s }) else { return false }
        autoStrings.remove(at: i)
        return true
    }

    func untrack(_ r: ModuleCallReply) -> Bool {
        guard let i = autoReplies.lastIndex(where: { $0 === r }) else { return false }
        autoReplies.remove(at: i)
        return true
    }

    private func releaseAutoMemory() {
        // Each tracked object holds one retain the module never released.
        for s in autoStrings { Unmanaged.passUnretained(s).release() }
        for r in autoReplies { Unmanaged.passUnretained(r).release() }
        autoStrings.removeAll()
        autoReplies.removeAll()
    }

    func poolAlloc(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0, let p = malloc(bytes) else { return nil }
        pool.append(p)
        return p
    }

    // MARK: propagation

    /// Before the first replicated command: MULTI, unless the client is in a transaction already.
    public func emitMultiIfNeeded() {
        guard !multiEmitted, !inTransaction, client != nil else { return }
        host.moduleEmitMulti(self)
        multiEmitted = true
    }

    /// What the command propagates after it ran (deferred records, then EXEC).
    public var closingRecords: [[Bytes]] {
        multiEmitted ? deferredRecords + [[Bytes("EXEC".utf8)]] : deferredRecords
    }

    func replicate(_ argv: [Bytes]) {
        emitMultiIfNeeded()
        deferredRecords.append(argv)
    }

    func replicateVerbatim() { deferredRecords.append(argv) }
}
