// AOFRewrite: the commands an AOF rewrite without RDB preamble writes for
// one key, as Redis 4.0's rewriteAppendOnlyFile does.
//
// Contract: strings become SET; lists RPUSH, sets SADD, sorted sets ZADD
// (score then member, scores as %.17g) and hashes HMSET, each batched at 64
// items per command (AOF_REWRITE_ITEMS_PER_CMD; a hash item is a field and
// its value); then PEXPIREAT with the absolute expiry in ms when the key has
// one. An empty collection writes nothing. Keys already past their expiry
// are the caller's to skip (Redis skips them), as is the SELECT before each
// database. The same encoding serves RDB entries (an AOF preamble replayed
// as commands); entries of types Cairn does not hold are refused.
// Tricky bit: the argument count of each batch is written before its items,
// so it is computed from the number of items left; items are written
// straight from the stored representation without building argv arrays.
import Engine
import ChangeStream
import RDB

/// A module value's aof_rewrite callback failed (an unknown command, a bad EmitAOF format).
public struct AOFRewriteError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Encodes keys as the commands of a rewritten AOF.
public enum AOFRewrite {
    /// Items per variadic command (Redis's AOF_REWRITE_ITEMS_PER_CMD).
    public static let itemsPerCommand = 64

    /// Appends the commands that recreate `key` holding `value`, expiring at `expireAtMs` if set.
    /// Throws only for a module value whose aof_rewrite failed (nothing of the key is written then).
    public static func append(key: Bytes, value: Value, expireAtMs: Int64?, to e: inout CommandEncoder) throws {
        switch value {
        case .string(let s):
            e.beginCommand(argumentCount: 3)
            e.appendArgument(names.set)
            e.appendArgument(key)
            switch s {
            case .int(let v): e.appendArgument(v)
            case .bytes(let b, _): e.appendArgument(b)
            case .embedded: s.withBytes { e.appendArgument($0) }
            }
        case .list(let l):
            var b = Batch(name: names.rpush, key: key, perItem: 1, count: l.count)
            l.forEach { el in
                b.next(&e)
                switch el {
                case .int(let v): e.appendArgument(v)
                case .bytes(let raw): e.appendArgument(raw)
                }
            }
        case .set(let s):
            var b = Batch(name: names.sadd, key: key, perItem: 1, count: s.count)
            s.forEach { m in b.next(&e); e.appendArgument(m) }
        case .zset(let z):
            var b = Batch(name: names.zadd, key: key, perItem: 2, count: z.count)
            z.forEach(ranks: 0..<z.count) { member, score in
                b.next(&e)
                e.appendArgument(formatDouble(score))
                e.appendArgument(member)
            }
        case .hash(let h):
            var b = Batch(name: names.hmset, key: key, perItem: 2, count: h.count)
            h.forEachView { f, v in
                b.next(&e)
                e.appendArgument(UnsafeRawBufferPointer(f))
                e.appendArgument(UnsafeRawBufferPointer(v))
            }
        case .module(let m):
            // What the type's aof_rewrite emitted (frozen in a snapshot, or run now on the keyspace thread).
            let commands: [[Bytes]]
            do { commands = try m.commands(key: key) } catch let err as ModuleTypeError {
                throw AOFRewriteError(message: "module type \(m.type.name), key \(printableKey(key)): \(err.message)")
            }
            for argv in commands {
                e.beginCommand(argumentCount: argv.count)
                for a in argv { e.appendArgument(a) }
            }
        }
        if let ms = expireAtMs, value.elementCount > 0 { appendExpire(key: key, ms: ms, to: &e) }
    }

    /// Appends the commands that recreate an RDB entry; false (nothing written) for unsupported types.
    @discardableResult
    public static func append(_ entry: RDBEntry, to e: inout CommandEncoder) -> Bool {
        let key = entry.key
        switch entry.value {
        case .string(let s):
            e.beginCommand(argumentCount: 3)
            e.appendArgument(names.set); e.appendArgument(key); e.appendArgument(s)
        case .list(let items), .set(let items):
            var b = Batch(name: entry.value.typeName == "list" ? names.rpush : names.sadd, key: key, perItem: 1, count: items.count)
            for m in items { b.next(&e); e.appendArgument(m) }
        case .zset(let items):
            var b = Batch(name: names.zadd, key: key, perItem: 2, count: items.count)
            for m in items { b.next(&e); e.appendArgument(formatDouble(m.score)); e.appendArgument(m.member) }
        case .hash(let items):
            var b = Batch(name: names.hmset, key: key, perItem: 2, count: items.count)
            for p in items { b.next(&e); e.appendArgument(p.field); e.appendArgument(p.value) }
        case .module, .unsupported:
            return false  // a module value needs its module to become commands
        case .engine(let value):
            // Only a module value can fail to become commands, and a reader hands those over as .module.
            return (try? append(key: key, value: value, expireAtMs: entry.expireMs, to: &e)) != nil
        }
        if let ms = entry.expireMs, entry.value.count > 0 { appendExpire(key: key, ms: ms, to: &e) }
        return true
    }

    /// The commands for one key, as argument lists (for tests and tools).
    public static func commands(key: Bytes, value: Value, expireAtMs: Int64?) throws -> [[Bytes]] {
        var e = CommandEncoder(selectedDB: 0)
        try append(key: key, value: value, expireAtMs: expireAtMs, to: &e)
        return splitCommands(e.buffer)
    }

    static func appendExpire(key: Bytes, ms: Int64, to e: inout CommandEncoder) {
        e.beginCommand(argumentCount: 3)
        e.appendArgument(names.pexpireat)
        e.appendArgument(key)
        e.appendArgument(ms)
    }

    static let names = (set: Bytes("SET"), rpush: Bytes("RPUSH"), sadd: Bytes("SADD"), zadd: Bytes("ZADD"),
                        hmset: Bytes("HMSET"), pexpireat: Bytes("PEXPIREAT"))

    /// Starts a new command every `itemsPerCommand` items, sized by the items left.
    struct Batch {
        let name: Bytes, key: Bytes, perItem: Int
        var left: Int
        var inCommand = 0

        init(name: Bytes, key: Bytes, perItem: Int, count: Int) {
            self.name = name; self.key = key; self.perItem = perItem; left = count
        }

        /// Call before writing each item's arguments.
        mutating func next(_ e: inout CommandEncoder) {
            if inCommand == 0 {
                inCommand = Swift.min(left, AOFRewrite.itemsPerCommand)
                e.beginCommand(argumentCount: 2 + inCommand * perItem)
                e.appendArgument(name)
                e.appendArgument(key)
            }
            inCommand -= 1
            left -= 1
        }
    }
}

/// Splits well-formed AOF bytes (no preamble) into argument lists.
public func splitCommands(_ bytes: [UInt8]) -> [[Bytes]] {
    var r = AOFReader(MemorySource(bytes))
    r.checkTransactions = false
    var out: [[Bytes]] = []
    while let item = try? r.next() {
        if case .command(let c) = item { out.append(c.argv) }
    }
    return out
}
