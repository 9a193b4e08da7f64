// StringsRangeCommands: APPEND, GETRANGE (and its 4.0 alias SUBSTR), SETRANGE.
//
// Contract: Redis 4.0's replies. A string these commands modify in place keeps its
// TTL and becomes "raw" (OBJECT ENCODING), as Redis unshares and grows it; APPEND
// to a missing key stores the argument as SET would (int/embstr).
//
// The tricky bit: the 512 MB limit is checked before anything is touched, and the
// no-op cases (SETRANGE with an empty value) must neither create a key nor count
// as a change, so they are not propagated.
import Engine

let stringRangeCommands: [Command] = [
    Command("append", arity: 3, flags: "wm", keys: (1, 1, 1)) { call in
        let ks = call.ks
        let tail = call.argv[2]
        switch call.writeStringIndex(call.argv[1]) {
        case .wrongType:
            call.wrongType()
        case .missing:
            let value = StringValue(encoding: tail)
            ks.add(call.db, call.argv[1], .string(value))
            ks.dirty += 1
            call.notify(.string, "append", call.argv[1])
            call.integer(value.length)
        case .found(let i):
            guard call.storedStringLength(i) + tail.count <= maxStringLength else { call.stringTooLong(); return }
            var bytes = call.takeStringBytes(i)
            bytes.append(contentsOf: tail)
            let length = bytes.count
            call.storeRaw(i, bytes)
            ks.dirty += 1
            call.notify(.string, "append", call.argv[1])
            call.integer(length)
        }
    },
    Command("getrange", arity: 4, flags: "r", keys: (1, 1, 1), run: getRange),
    Command("substr", arity: 4, flags: "r", keys: (1, 1, 1), run: getRange),
    Command("setrange", arity: 4, flags: "wm", keys: (1, 1, 1)) { call in
        let ks = call.ks
        let patch = call.argv[3]
        guard let offset = call.int64(2) else { return }
        guard offset >= 0 else { call.error("ERR offset is out of range"); return }
        // offset + patch.count, checked without overflowing.
        let tooLong = offset > Int64(maxStringLength) || Int(offset) + patch.count > maxStringLength
        switch call.writeStringIndex(call.argv[1]) {
        case .wrongType:
            call.wrongType()
        case .missing:
            if patch.isEmpty { call.integer(0); return }
            if tooLong { call.stringTooLong(); return }
            var bytes = Bytes()
            bytes.overwrite(at: Int(offset), with: patch)
            ks.add(call.db, call.argv[1], .string(.bytes(bytes, raw: true)))
            ks.dirty += 1
            call.notify(.string, "setrange", call.argv[1])
            call.integer(bytes.count)
        case .found(let i):
            if patch.isEmpty { call.integer(call.storedStringLength(i)); return }
            if tooLong { call.stringTooLong(); return }
            var bytes = call.takeStringBytes(i)
            bytes.overwrite(at: Int(offset), with: patch)
            let length = bytes.count
            call.storeRaw(i, bytes)
            ks.dirty += 1
            call.notify(.string, "setrange", call.argv[1])
            call.integer(length)
        }
    },
]

/// GETRANGE / SUBSTR: both indexes parsed first, a missing key reads as "".
private func getRange(_ call: Call) {
    guard let start = call.int64(2), let end = call.int64(3) else { return }
    switch call.readString(call.argv[1]) {
    case .missing:
        call.bulk(Bytes())
    case .wrongType:
        call.wrongType()
    case .found(let s):
        let bytes = s.bytes
        if let range = inclusiveByteRange(start: start, end: end, length: bytes.count) {
            call.client.output.writeBulk(bytes[range])
        } else {
            call.bulk(Bytes())
        }
    }
}
