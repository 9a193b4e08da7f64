// HyperLogLogCommands: PFADD, PFCOUNT, PFMERGE over HLL strings (Engine/HyperLogLog.swift).
//
// As in Redis, PFCOUNT of one key is a write when the cached cardinality is stale:
// it stores the fresh count in the header, so it is propagated like any change.
import Engine

let hyperLogLogCommands: [Command] = [
    Command("pfadd", arity: -2, flags: "wmF", keys: (1, 1, 1)) { call in pfadd(call) },
    Command("pfcount", arity: -2, flags: "r", keys: (1, -1, 1)) { call in pfcount(call) },
    Command("pfmerge", arity: -2, flags: "wm", keys: (1, -1, 1)) { call in pfmerge(call) },
]

let notHLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
let hllCorrupt = "INVALIDOBJ Corrupted HLL object detected"

/// The HLL bytes at `key` for writing: (index, bytes), nil when missing; replies and
/// returns `.failure` when the key holds something else.
enum HLLLookup { case missing, found(Int, Bytes), refused }

func lookupHLL(_ call: Call, _ key: Bytes, forWrite: Bool) -> HLLLookup {
    let ks = call.ks
    guard let i = forWrite ? ks.lookupWrite(call.db, key) : ks.lookupRead(call.db, key) else { return .missing }
    // Another type gets the standard WRONGTYPE (4.0's checkType); only a string that is
    // not an HLL gets "Key is not a valid HyperLogLog string value." (isHLLObjectOrReply).
    guard case .string(let s) = ks.value(call.db, i) else {
        call.wrongType()
        return .refused
    }
    guard HyperLogLog.isValid(s.bytes) else {
        call.error(notHLL)
        return .refused
    }
    return .found(i, s.bytes)
}

/// The register-wise maximum of the HLLs at `keys` (missing keys count as empty) and
/// whether one of them is dense; nil after replying with the error when one is not an
/// HLL or is corrupt.
private func maxRegisters(_ call: Call, _ keys: ArraySlice<Bytes>, forWrite: Bool) -> (regs: [UInt8], anyDense: Bool)? {
    var merged = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
    var anyDense = false
    for key in keys {
        switch lookupHLL(call, key, forWrite: forWrite) {
        case .refused: return nil
        case .missing: continue
        case .found(_, let bytes):
            guard let regs = try? HyperLogLog.registers(bytes) else {
                call.error(hllCorrupt)
                return nil
            }
            if bytes[4] == 0 { anyDense = true }
            for j in 0..<merged.count where regs[j] > merged[j] { merged[j] = regs[j] }
        }
    }
    return (merged, anyDense)
}

private func pfadd(_ call: Call) {
    let ks = call.ks
    let key = call.argv[1]
    var bytes: Bytes
    var index: Int?
    var changed = false
    switch lookupHLL(call, key, forWrite: true) {
    case .refused: return
    case .missing:
        bytes = HyperLogLog.empty()
        index = nil
        changed = true
    case .found(let i, let b):
        bytes = b
        index = i
    }
    do {
        for element in call.argv.dropFirst(2) {
            if try HyperLogLog.add(&bytes, element, sparseMaxBytes: ks.encodingLimits.hllSparseMaxBytes) { changed = true }
        }
    } catch {
        call.error(hllCorrupt)
        return
    }
    if changed {
        // Redis marks the cached count stale on every update, a new key's included.
        HyperLogLog.invalidate(&bytes)
        let value = Value.string(.bytes(bytes, raw: true))
        if let index { ks.replace(call.db, index, with: value) } else { ks.add(call.db, key, value) }
        ks.dirty += 1
        call.notify(.string, "pfadd", key)
    }
    call.integer(changed ? 1 : 0)
}

private func pfcount(_ call: Call) {
    let ks = call.ks
    if call.argv.count == 2 {
        switch lookupHLL(call, call.argv[1], forWrite: false) {
        case .refused: return
        case .missing: call.integer(0)
        case .found(let i, var bytes):
            if let cached = HyperLogLog.cachedCardinality(bytes) {
                call.integer(Int64(cached))
                return
            }
            guard let count = try? HyperLogLog.count(bytes) else { call.error(hllCorrupt); return }
            HyperLogLog.storeCardinality(&bytes, count)
            ks.replace(call.db, i, with: .string(.bytes(bytes, raw: true)))
            ks.dirty += 1
            call.integer(Int64(count))
        }
        return
    }
    guard let merged = maxRegisters(call, call.argv.dropFirst(), forWrite: false) else { return }
    call.integer(Int64(HyperLogLog.count(registers: merged.regs)))
}

private func pfmerge(_ call: Call) {
    let ks = call.ks
    guard let merged = maxRegisters(call, call.argv.dropFirst(), forWrite: true) else { return }
    let target = call.argv[1]
    var bytes: Bytes
    let index: Int?
    switch lookupHLL(call, target, forWrite: true) {
    case .refused: return
    case .missing:
        bytes = HyperLogLog.empty()
        index = nil
    case .found(let i, let b):
        bytes = b
        index = i
    }
    // As Redis 4.0: the destination turns dense only when a source is dense; otherwise
    // each register is raised in the sparse form, which promotes it only if it must.
    do {
        if merged.anyDense { bytes = try HyperLogLog.toDense(bytes) }
        for j in 0..<merged.regs.count where merged.regs[j] > 0 {
            try HyperLogLog.raiseRegister(&bytes, j, merged.regs[j], sparseMaxBytes: ks.encodingLimits.hllSparseMaxBytes)
        }
    } catch {
        call.error(hllCorrupt)
        return
    }
    HyperLogLog.invalidate(&bytes)
    let value = Value.string(.bytes(bytes, raw: true))
    if let index { ks.replace(call.db, index, with: value) } else { ks.add(call.db, target, value) }
    ks.dirty += 1
    call.notify(.string, "pfadd", target)
    call.ok()
}
