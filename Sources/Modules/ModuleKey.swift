// ModuleKey: the object behind a RedisModuleKey pointer (RedisModule_OpenKey).
//
// A key handle names (db, key) and looks the key up again at each call, so it
// never holds an index that a write elsewhere could move. Writes bump the
// dirty count (SAVE's change counter) and reach WATCH through the keyspace's
// own hooks; like Redis 4.0's low-level API they propagate nothing: a module
// that writes this way replicates with ReplicateVerbatim or Replicate.
// StringDMA hands out a buffer of the key's bytes; what the module writes
// there is stored back at the next call on the key or when it is closed.
#if canImport(Glibc)
import Glibc
#endif
import Engine

let keyModeRead: Int32 = 1
let keyModeWrite: Int32 = 2

public final class ModuleKey {
    unowned let ctx: ModuleContext
    let db: Int
    let name: Bytes
    let mode: Int32
    /// The DMA buffer handed out (bytes + NUL), and whether the module may write it.
    private var dma: UnsafeMutablePointer<UInt8>? = nil
    private var dmaCount = 0
    private var dmaWritable = false
    /// The zset range iterator (ZsetFirstIn*Range ... ZsetRangeStop).
    var range: ZsetRangeState? = nil

    init(ctx: ModuleContext, db: Int, name: Bytes, mode: Int32) {
        self.ctx = ctx
        self.db = db
        self.name = name
        self.mode = mode
    }

    deinit { free(dma) }

    var ks: Keyspace { ctx.host.moduleKeyspace }
    var writable: Bool { mode & keyModeWrite != 0 }

    static func from(_ p: UnsafeRawPointer) -> ModuleKey {
        Unmanaged<ModuleKey>.fromOpaque(p).takeUnretainedValue()
    }

    /// The key's slot now (after storing back a DMA buffer), or nil when it is empty.
    func slot() -> Int? {
        syncDMA()
        return ks.lookupWrite(db, name, touch: false)
    }

    func value() -> Value? { slot().map { ks.value(db, $0) } }

    /// Replaces the value (or creates the key), counting one change.
    func store(_ v: Value) {
        if let i = ks.lookupWrite(db, name, touch: false) {
            ks.replace(db, i, with: v)
        } else {
            ks.add(db, name, v)
        }
        ks.dirty += 1
    }

    /// Deletes the key when its collection became empty (Redis's moduleDelKeyIfEmpty).
    func deleteIfEmpty() {
        guard let i = ks.lookupWrite(db, name, touch: false) else { return }
        if ks.value(db, i).elementCount == 0 { _ = ks.delete(db, name) }
    }

    /// Takes the value out for an in-place edit; put it back with `ks.replace`.
    func edit<R>(_ body: (inout Value) -> R) -> R? {
        guard let i = slot() else { return nil }
        var v = ks.take(db, i)
        let r = body(&v)
        ks.replace(db, i, with: v)
        ks.dirty += 1
        return r
    }

    // MARK: DMA

    func dmaPointer(writable: Bool) -> (UnsafeMutablePointer<UInt8>, Int)? {
        syncDMA()
        guard let i = ks.lookupWrite(db, name, touch: false) else { return nil }
        guard case .string(let s) = ks.value(db, i) else { return nil }
        let bytes = s.bytes
        let p = malloc(bytes.count + 1)!.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBytes { if let b = $0.baseAddress, bytes.count > 0 { memcpy(p, b, bytes.count) } }
        p[bytes.count] = 0
        dma = p
        dmaCount = bytes.count
        dmaWritable = writable
        return (p, bytes.count)
    }

    /// Stores what the module wrote through the DMA pointer, and forgets the pointer.
    func syncDMA() {
        guard let p = dma else { return }
        dma = nil
        defer { free(p) }
        guard dmaWritable, let i = ks.lookupWrite(db, name, touch: false),
              case .string(let s) = ks.value(db, i) else { return }
        let now = Bytes(UnsafeBufferPointer(start: p, count: dmaCount))
        if now != s.bytes {
            ks.replace(db, i, with: .string(.bytes(now, raw: true)))
            ks.dirty += 1
        }
    }

    func close() {
        syncDMA()
        range = nil
    }
}
