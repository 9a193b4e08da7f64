// BitsCommands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (BITFIELD has its own file).
//
// Contract: Redis 4.0's replies, errors and argument order. The bit work itself is
// in Engine/BitOps.swift; these handlers parse, look up and reply. An int-encoded
// value is read as its decimal text; a modified one becomes "raw" and keeps its TTL.
//
// The tricky bit: 4.0 looks the key up before parsing BITCOUNT's and BITPOS's range
// arguments, so a missing key answers 0 (or BITPOS's default) even when the range
// is malformed; keep that order. SETBIT counts as a change even when the bit
// already had the value, as Redis does.
import Engine

/// Every bit command, joined into the table by CommandTable.standard.
let bitCommands: [Command] = bitAccessCommands + [bitfieldCommand]

private let bitOffsetError = "ERR bit offset is not an integer or out of range"

private let bitAccessCommands: [Command] = [
    Command("setbit", arity: 4, flags: "wm", keys: (1, 1, 1)) { call in
        let ks = call.ks
        guard let offset = parseBitOffset(call.argv[2]) else { call.error(bitOffsetError); return }
        guard let on = call.argv[3].parseInt64(), on == 0 || on == 1 else {
            call.error("ERR bit is not an integer or out of range")
            return
        }
        let old: Int
        switch call.writeStringIndex(call.argv[1]) {
        case .wrongType:
            call.wrongType()
            return
        case .missing:
            var bytes = Bytes()
            old = bytes.setBit(at: offset, to: on == 1)
            ks.add(call.db, call.argv[1], .string(.bytes(bytes, raw: true)))
        case .found(let i):
            var bytes = call.takeStringBytes(i)
            old = bytes.setBit(at: offset, to: on == 1)
            call.storeRaw(i, bytes)
        }
        ks.dirty += 1
        call.notify(.string, "setbit", call.argv[1])
        call.integer(old)
    },
    Command("getbit", arity: 3, flags: "rF", keys: (1, 1, 1)) { call in
        guard let offset = parseBitOffset(call.argv[2]) else { call.error(bitOffsetError); return }
        switch call.readString(call.argv[1]) {
        case .missing: call.integer(0)
        case .wrongType: call.wrongType()
        case .found(let s): call.integer(bit(at: offset, in: s.bytes))
        }
    },
    Command("bitcount", arity: -2, flags: "r", keys: (1, 1, 1)) { call in
        let bytes: Bytes
        switch call.readString(call.argv[1]) {
        case .missing: call.integer(0); return
        case .wrongType: call.wrongType(); return
        case .found(let s): bytes = s.bytes
        }
        let range: Range<Int>?
        switch call.argv.count {
        case 2:
            range = bytes.isEmpty ? nil : 0..<bytes.count
        case 4:
            guard let start = call.int64(2), let end = call.int64(3) else { return }
            range = inclusiveByteRange(start: start, end: end, length: bytes.count)
        default:
            call.syntaxError()
            return
        }
        call.integer(range.map { popcount(bytes, $0) } ?? 0)
    },
    Command("bitpos", arity: -3, flags: "r", keys: (1, 1, 1)) { call in
        guard let wanted = call.int64(2) else { return }
        guard wanted == 0 || wanted == 1 else { call.error("ERR The bit argument must be 1 or 0."); return }
        let bytes: Bytes
        switch call.readString(call.argv[1]) {
        case .missing: call.integer(wanted == 1 ? -1 : 0); return
        case .wrongType: call.wrongType(); return
        case .found(let s): bytes = s.bytes
        }
        var start: Int64 = 0
        var end = Int64(bytes.count) - 1
        let endGiven = call.argv.count == 5
        switch call.argv.count {
        case 3:
            break
        case 4, 5:
            guard let s = call.int64(3) else { return }
            start = s
            if endGiven {
                guard let e = call.int64(4) else { return }
                end = e
            }
        default:
            call.syntaxError()
            return
        }
        guard let range = inclusiveByteRange(start: start, end: end, length: bytes.count,
                                             reversedNegativesEmpty: false) else {
            call.integer(-1)
            return
        }
        let pos = firstBit(wanted == 1, in: bytes, range)
        // With an explicit end, the bits right of the range are not zero padding.
        if endGiven && wanted == 0 && pos == range.count * 8 { call.integer(-1); return }
        call.integer(pos == -1 ? -1 : pos + range.lowerBound * 8)
    },
    Command("bitop", arity: -4, flags: "wm", keys: (2, -1, 1)) { call in
        let ks = call.ks
        let db = call.db
        guard let op = BitOperation(name: call.argv[1]) else { call.syntaxError(); return }
        if op == .not && call.argv.count != 4 {
            call.error("ERR BITOP NOT must be called with a single source key.")
            return
        }
        var sources: [Bytes] = []
        sources.reserveCapacity(call.argv.count - 3)
        for key in call.argv[3...] {
            switch call.readString(key) {
            case .missing: sources.append([])
            case .wrongType: call.wrongType(); return
            case .found(let s): sources.append(s.bytes)
            }
        }
        let result = bitOperation(op, sources)
        let target = call.argv[2]
        if result.isEmpty {
            if ks.serverDelete(db, target) { call.notify(.generic, "del", target) }
        } else {
            ks.set(db, target, .string(.bytes(result, raw: true)))
            call.notify(.string, "set", target)
        }
        ks.dirty += 1
        call.integer(result.count)
    },
]
