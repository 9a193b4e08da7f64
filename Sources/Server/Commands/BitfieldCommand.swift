// BitfieldCommand: BITFIELD key [GET type offset] [SET type offset value]
// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
//
// Contract: Redis 4.0's behaviour. Every subcommand is parsed and validated before
// anything runs, so a bad argument anywhere leaves the key untouched. Only GETs:
// the key is read (a missing key reads as zeros, nothing is created). Any SET or
// INCRBY: the string is created or grown with zeros to the furthest bit written,
// even if OVERFLOW FAIL then refuses every write (Redis does the same), and each
// SET/INCRBY counts as one change. The reply has one entry per GET/SET/INCRBY:
// the value read, the old value (SET), the new value (INCRBY), or nil on FAIL.
//
// The tricky bit: OVERFLOW applies to the operations after it, in order, so each
// parsed operation carries the overflow mode in force where it appeared.
import Engine

private struct BitfieldOp {
    enum Kind { case get, set, incrBy }
    var kind: Kind
    var type: BitfieldType
    var offset: Int
    var operand: Int64
    var overflow: BitfieldOverflow
}

let bitfieldCommand = Command("bitfield", arity: -2, flags: "wm", keys: (1, 1, 1)) { call in
    let argv = call.argv
    var ops: [BitfieldOp] = []
    var overflow = BitfieldOverflow.wrap
    var writes = false
    var bytesNeeded = 0
    var j = 2
    while j < argv.count {
        let remaining = argv.count - j - 1
        let sub = argv[j]
        let kind: BitfieldOp.Kind
        if sub.isOption("get") && remaining >= 2 {
            kind = .get
        } else if sub.isOption("set") && remaining >= 3 {
            kind = .set
        } else if sub.isOption("incrby") && remaining >= 3 {
            kind = .incrBy
        } else if sub.isOption("overflow") && remaining >= 1 {
            guard let mode = BitfieldOverflow(name: argv[j + 1]) else {
                call.error("ERR Invalid OVERFLOW type specified")
                return
            }
            overflow = mode
            j += 2
            continue
        } else {
            call.syntaxError()
            return
        }
        guard let type = BitfieldType(parsing: argv[j + 1]) else {
            call.error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
            return
        }
        guard let offset = parseBitOffset(argv[j + 2], unitBits: type.bits) else {
            call.error("ERR bit offset is not an integer or out of range")
            return
        }
        var operand: Int64 = 0
        if kind != .get {
            writes = true
            bytesNeeded = max(bytesNeeded, (offset + type.bits - 1) / 8 + 1)
            guard let v = call.int64(j + 3) else { return }
            operand = v
        }
        ops.append(BitfieldOp(kind: kind, type: type, offset: offset, operand: operand, overflow: overflow))
        j += kind == .get ? 3 : 4
    }

    if !writes {
        var bytes = Bytes()
        switch call.readString(argv[1]) {
        case .wrongType: call.wrongType(); return
        case .missing: break
        case .found(let s): bytes = s.bytes
        }
        call.array(ops.count)
        for op in ops { call.integer(readBitfield(bytes, offset: op.offset, type: op.type)) }
        return
    }

    let ks = call.ks
    var bytes: Bytes
    let index: Int?
    switch call.writeStringIndex(argv[1]) {
    case .wrongType:
        call.wrongType()
        return
    case .missing:
        bytes = []
        index = nil
    case .found(let i):
        bytes = call.takeStringBytes(i)
        index = i
    }
    bytes.growZeroed(to: bytesNeeded)
    call.array(ops.count)
    var changes: Int64 = 0
    for op in ops {
        let old = readBitfield(bytes, offset: op.offset, type: op.type)
        switch op.kind {
        case .get:
            call.integer(old)
        case .set, .incrBy:
            changes += 1
            let new = op.kind == .set
                ? bitfieldSetValue(op.operand, type: op.type, overflow: op.overflow)
                : bitfieldIncrement(old, by: op.operand, type: op.type, overflow: op.overflow)
            guard let new else { call.null(); continue }
            bytes.writeBitfield(new, offset: op.offset, type: op.type)
            call.integer(op.kind == .set ? old : new)
        }
    }
    if let index { call.storeRaw(index, bytes) } else { ks.add(call.db, argv[1], .string(.bytes(bytes, raw: true))) }
    ks.dirty += changes
    if changes > 0 { call.notify(.string, "setbit", argv[1]) }
}
