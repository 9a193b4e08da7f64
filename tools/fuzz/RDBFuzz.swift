// RDBFuzz: a libFuzzer target for the RDB reader (and, through round trips, the writer).
//
// Contract: for any bytes, (1) RDBReader never traps or hangs and fails only
// with an RDBError whose offset lies within the input; (2) when the input
// reads, writing its entries as RDB 8 and reading that back gives the same
// entries (empty collections and unsupported types aside); (3) the reader's
// engine mode (a server load) gives the values, or the error (offset and
// message), that the neutral model converted with engineValue(limits:) gives.
// A broken property calls fatalError, which libFuzzer reports as a crash with
// the input saved.
//
// The tricky bit: inputs mostly fail the header or checksum, so the harness
// also tries the input as a body behind a fixed "REDIS0009" header (version 9
// has a checksum, which the harness zeroes: a zero checksum means none).
import Engine
import RDB

private func read(_ bytes: [UInt8]) -> [RDBEntry]? {
    var r = RDBReader(MemorySource(bytes))
    var out: [RDBEntry] = []
    do {
        while let ev = try r.next() { if case .entry(let e) = ev { out.append(e) } }
        return out
    } catch let e as RDBError {
        if e.offset < 0 || e.offset > bytes.count { fatalError("error offset \(e.offset) outside input of \(bytes.count): \(e)") }
        return nil
    } catch {
        fatalError("unexpected error type: \(error)")
    }
}

private func roundTrip(_ entries: [RDBEntry]) {
    let keep = entries.filter { e in
        if case .unsupported = e.value { return false }
        return e.value.count > 0
    }
    var w = RDBWriter(MemorySink())
    do {
        try w.header()
        var db = -1
        for e in keep {
            if e.db != db { try w.selectDB(e.db); db = e.db }
            try w.entry(e)
        }
        try w.finish()
    } catch { fatalError("writer failed: \(error)") }
    guard let back = read(w.sink.bytes) else { fatalError("writer output does not read back") }
    guard back.count == keep.count else { fatalError("round trip changed the key count") }
    for (a, b) in zip(keep, back) {
        guard a.db == b.db, a.key == b.key, a.expireMs == b.expireMs, same(a.value, b.value) else {
            fatalError("round trip changed key \(printableKey(a.key))")
        }
    }
}

private func same(_ a: RDBValue, _ b: RDBValue) -> Bool {
    switch (a, b) {
    case (.set(let x), .set(let y)): return x.sorted { $0.lexicographicallyPrecedes($1) } == y.sorted { $0.lexicographicallyPrecedes($1) }
    case (.zset(let x), .zset(let y)):
        func norm(_ z: [ZMember]) -> [ZMember] { z.sorted { $0.member.lexicographicallyPrecedes($1.member) } }
        return norm(x) == norm(y) || x.count == y.count && Set(x.map { $0.member }) == Set(y.map { $0.member }) && Set(x.map { $0.member }).count < x.count
    default: return a == b
    }
}

/// Every key's engine value, or the first error, in one mode.
private func load(_ bytes: [UInt8], engine: Bool) -> Result<[Value], RDBError> {
    let limits = EncodingLimits()
    var r = RDBReader(MemorySource(bytes))
    if engine { r.engineLimits = limits }
    var out: [Value] = []
    do {
        while let ev = try r.next() {
            guard case .entry(let e) = ev else { continue }
            if case .unsupported = e.value { continue }
            out.append(try e.engineValue(limits: limits))
        }
        return .success(out)
    } catch let e as RDBError {
        return .failure(e)
    } catch {
        fatalError("unexpected error type: \(error)")
    }
}

private func engineAgrees(_ bytes: [UInt8]) {
    switch (load(bytes, engine: false), load(bytes, engine: true)) {
    case (.success(let a), .success(let b)):
        guard a == b, a.map(\.encodingName) == b.map(\.encodingName) else { fatalError("engine mode loaded other values") }
    case (.failure(let a), .failure(let b)):
        guard a.offset == b.offset, a.message == b.message else { fatalError("engine mode failed otherwise: \(a) / \(b)") }
    case (.success, .failure(let b)): fatalError("engine mode refused what loads: \(b)")
    case (.failure(let a), .success): fatalError("engine mode loaded what is refused: \(a)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if let entries = read(input) { roundTrip(entries) }
    engineAgrees(input)
    var framed = Array("REDIS0009".utf8) + input
    if framed.last != 0xFF { framed += [0xFF] }
    framed += [UInt8](repeating: 0, count: 8)
    if let entries = read(framed) { roundTrip(entries) }
    engineAgrees(framed)
    return 0
}
