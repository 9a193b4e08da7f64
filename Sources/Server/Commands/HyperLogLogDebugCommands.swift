// HyperLogLogDebugCommands: PFSELFTEST and PFDEBUG GETREG|DECODE|ENCODING|TODENSE.
//
// Contract: Redis 4.0's replies and errors, in its order: PFDEBUG looks the key
// up first ("ERR The specified key does not exist", WRONGTYPE), then checks the
// subcommand's arity ("ERR Wrong number of arguments for the '<sub>'
// subcommand"), then answers ("ERR Unknown PFDEBUG subcommand '<sub>'" last).
// GETREG and TODENSE convert a sparse HLL to dense and count as a write, so the
// command itself reaches replicas and the AOF, as in Redis.
import Engine

let hyperLogLogDebugCommands: [Command] = [
    Command("pfselftest", arity: 1, flags: "a", keys: (0, 0, 0)) { call in
        if let failure = HyperLogLog.selfTest(sparseMaxBytes: call.ks.encodingLimits.hllSparseMaxBytes) {
            call.error(failure)
        } else {
            call.ok()
        }
    },
    Command("pfdebug", arity: -3, flags: "w", keys: (0, 0, 0)) { call in pfdebug(call) },
]

private func pfdebug(_ call: Call) {
    let ks = call.ks
    let sub = call.argv[1]
    let key = call.argv[2]
    let index: Int
    var bytes: Bytes
    switch lookupHLL(call, key, forWrite: true) {
    case .refused: return
    case .missing: call.error("ERR The specified key does not exist"); return
    case .found(let i, let b): index = i; bytes = b
    }
    let name = sub.text.lowercased()
    guard ["getreg", "decode", "encoding", "todense"].contains(name) else {
        call.error("ERR Unknown PFDEBUG subcommand '\(sub.text)'")
        return
    }
    guard call.argv.count == 3 else {
        call.error("ERR Wrong number of arguments for the '\(sub.text)' subcommand")
        return
    }
    let sparse = bytes[4] == 1
    switch name {
    case "getreg", "todense":
        if sparse {
            guard let dense = try? HyperLogLog.toDense(bytes) else { call.error(hllCorrupt); return }
            bytes = dense
            ks.replace(call.db, index, with: .string(.bytes(bytes, raw: true)))
            ks.dirty += 1
        }
        if name == "todense" {
            call.integer(sparse ? 1 : 0)
            return
        }
        guard let regs = try? HyperLogLog.registers(bytes) else { call.error(hllCorrupt); return }
        call.array(regs.count)
        for r in regs { call.integer(Int64(r)) }
    case "decode":
        guard sparse else { call.error("ERR HLL encoding is not sparse"); return }
        var parts: [String] = []
        do {
            try HyperLogLog.forEachSparseRun(bytes) { run in
                if run.value != 0 {
                    parts.append("v:\(run.value),\(run.length)")
                } else {
                    parts.append("\(run.xzero ? "Z" : "z"):\(run.length)")
                }
                return true
            }
        } catch {
            call.error(hllCorrupt)
            return
        }
        call.bulk(Bytes(parts.joined(separator: " ")))
    default:
        call.status(sparse ? "sparse" : "dense")
    }
}
