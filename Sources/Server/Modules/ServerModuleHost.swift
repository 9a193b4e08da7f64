// ServerModuleHost: the server's side of the module API (Modules.ModuleHost),
// and how a module's command runs.
//
// A module command joins the command table as a Command flagged `.module`
// with Redis's arity -1 and the module's flags and key positions; running it
// makes a context for the calling client, calls the module, writes the reply
// it built, applies its SelectDb to the client, and replaces the command's
// own propagation record with what the module asked for (MULTI ... EXEC
// around Call "!" and Replicate, or ReplicateVerbatim): as in Redis 4.0, a
// module command is never propagated as itself.
// RedisModule_Call runs the command as a client of its own (id 0, no
// connection) in the caller's database, through the same `call` as every
// command (stats, slow log, monitors), and hands back its reply bytes.
import Engine
import ChangeStream
import Modules

extension Server: ModuleHost {
    package var moduleKeyspace: Keyspace { keyspace }

    package func moduleLog(_ level: ModuleLogLevel, _ message: String) {
        switch level {
        case .debug: log.debug(message)
        case .verbose: log.verbose(message)
        case .notice: log.notice(message)
        case .warning: log.warning(message)
        }
    }

    package func moduleCommandExists(_ name: String) -> Bool { commands.lookup(Bytes(name.utf8)) != nil }

    package func moduleRegister(_ mc: ModuleCommand) -> Bool {
        var flags: CommandFlags = [.module]
        let pairs: [(ModuleCommandFlags, CommandFlags)] = [
            (.write, .write), (.readonly, .readonly), (.admin, .admin), (.denyoom, .denyoom),
            (.noscript, .noscript), (.loading, .loading), (.pubsub, .pubsub), (.random, .random),
            (.stale, .stale), (.skipMonitor, .skipMonitor), (.fast, .fast),
        ]
        for (m, c) in pairs where mc.flags.contains(m) { flags.insert(c) }
        var finder: (([Bytes]) -> [Int])? = nil
        if mc.flags.contains(.getkeysAPI) {
            flags.insert(.movableKeys)
            finder = { [unowned self, unowned mc] argv in self.moduleKeyPositions(mc, argv) }
        }
        let command = Command(mc.name, arity: -1, flagSet: flags, keys: (mc.firstKey, mc.lastKey, mc.keyStep),
                              keyFinder: finder) { [unowned mc] call in call.server.runModuleCommand(mc, call) }
        return commands.add(command)
    }

    package func moduleUnregister(_ name: String) { commands.remove(name) }

    package func moduleCall(_ ctx: ModuleContext, _ argv: [Bytes], replicate: Bool) -> [UInt8]? {
        guard let command = commands.lookup(argv[0]) else { return nil }
        if (command.arity > 0 && argv.count != command.arity) || argv.count < -command.arity { return nil }
        if replicate { ctx.emitMultiIfNeeded() }
        // One module client per nesting level, reused (a module command may Call another).
        let client = moduleCallClients.popLast() ?? Client(id: 0, address: "", authenticated: true, now: keyspace.now)
        client.db = ctx.db
        call(command, client, argv, propagate: replicate)
        let reply = Array(client.output.readableBytesView)
        client.output.clear()
        // Kept only while nothing of the call stayed on it (a Call of MULTI, CLIENT REPLY, SUBSCRIBE...).
        if client.output.capacity <= 64 * 1024 && client.transaction == nil && client.subscriptions == nil
            && client.watchedKeys.isEmpty && client.replyMode == .on && !client.isMonitor && client.name == nil {
            moduleCallClients.append(client)
        }
        return reply
    }

    package func moduleEmitMulti(_ ctx: ModuleContext) {
        stream.record(db: ctx.db, [Bytes("MULTI".utf8)])
    }

    package func moduleContextFlags(_ ctx: ModuleContext) -> Int32 {
        var f: Int32 = 0
        if ctx.inTransaction { f |= 0x0002 }
        if replication.isReplica {
            f |= 0x0008
            if config.replicaReadOnly { f |= 0x0010 }
        } else {
            f |= 0x0004
        }
        if config.appendonly { f |= 0x0040 }
        if !config.savePoints.isEmpty { f |= 0x0080 }
        if config.maxmemory > 0 {
            f |= 0x0100
            if config.maxmemoryPolicy != .noeviction { f |= 0x0200 }
        }
        return f
    }

    package func moduleSubscriptionsChanged() {
        moduleEventTypes = NotificationClass(rawValue: UInt16(truncatingIfNeeded: modules.subscribedTypes))
    }

    package func moduleExecutor() -> ModuleExecutor? {
        guard let schedule else { return nil }
        return { work in schedule(0, work) }
    }

    package func moduleBlock(_ ctx: ModuleContext, _ bc: ModuleBlockedClient) {
        guard let client = ctx.client as? Client else { return }
        blocking.add(client, bc)
    }

    package func moduleUnblock(_ object: AnyObject, reply: [UInt8], records: [[Bytes]], db: Int) {
        guard let client = object as? Client else { return }
        blocking.remove(client)
        if !reply.isEmpty { client.output.writeBytes(reply) }
        for r in records { stream.record(db: db, r) }
        deliverChanges()
        client.connection?.resumeAfterUnblock()
    }

    /// Runs a module command for `call`'s client (see the file comment).
    func runModuleCommand(_ mc: ModuleCommand, _ call: Call) {
        let client = call.client
        let ctx = ModuleContext(host: self, module: mc.module, client: client, clientID: UInt64(max(client.id, 0)),
                                db: client.db, inTransaction: client.inMulti)
        ctx.run(mc.function, argv: call.argv)
        ctx.finish()
        if !ctx.reply.isEmpty { client.output.writeBytes(ctx.reply) }
        if ctx.db != client.db { client.db = ctx.db }
        stream.replaceCurrentCommand(with: ctx.closingRecords)
    }

    /// COMMAND GETKEYS for a "getkeys-api" command: the module answers a keys-position request.
    func moduleKeyPositions(_ mc: ModuleCommand, _ argv: [Bytes]) -> [Int] {
        let ctx = ModuleContext(host: self, module: mc.module, client: nil, clientID: 0, db: 0,
                                keysPositionRequest: true)
        ctx.run(mc.function, argv: argv)
        ctx.finish()
        return ctx.keyPositions.filter { $0 < argv.count }
    }
}
