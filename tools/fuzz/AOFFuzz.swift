// AOFFuzz: a libFuzzer target for the AOF reader (commands and RDB preamble).
//
// Contract: for any bytes, (1) AOFReader never traps or hangs and fails only
// with an AOFReadError whose offset and validUpTo lie within the input
// (validUpTo <= offset); (2) reading in chunks of 1...5 bytes gives the same
// items and error as reading at once; (3) the prefix up to validUpTo reads
// without error and yields the same commands that came before the damage;
// (4) a file that reads cleanly, re-encoded by CommandEncoder, reads back to the
// same arguments. A broken property calls fatalError, which libFuzzer
// reports as a crash with the input saved.
// The tricky bit: most random inputs fail at byte 0, so the harness also
// reads the input behind a valid command, and as the tail of a tiny preamble.
import AOF
import Engine
import ChangeStream
import RDB

private struct Dribble: ByteSource {
    let bytes: [UInt8]
    var position = 0, turn = 0
    mutating func read(max: Int) throws -> [UInt8] {
        turn += 1
        let n = Swift.min(Swift.min(max, 1 + turn % 5), bytes.count - position)
        if n <= 0 { return [] }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
}

private func readAll<S: ByteSource>(_ s: S) -> (items: [AOFItem], error: AOFReadError?) {
    var r = AOFReader(s)
    var items: [AOFItem] = []
    do {
        while let i = try r.next() { items.append(i) }
        return (items, nil)
    } catch let e as AOFReadError {
        return (items, e)
    } catch {
        fatalError("unexpected error type \(error)")
    }
}

private func commands(_ items: [AOFItem]) -> [AOFCommand] {
    items.compactMap { if case .command(let c) = $0 { return c } else { return nil } }
}

private func check(_ input: [UInt8]) {
    let whole = readAll(MemorySource(input))
    let dribbled = readAll(Dribble(bytes: input))
    guard whole.items == dribbled.items, whole.error == dribbled.error else { fatalError("chunking changed the outcome") }
    if let e = whole.error {
        guard e.offset >= 0, e.offset <= input.count, e.validUpTo >= 0, e.validUpTo <= e.offset else {
            fatalError("error outside the input: \(e) for \(input.count) bytes")
        }
        let prefix = readAll(MemorySource(Array(input[0..<e.validUpTo])))
        guard prefix.error == nil else { fatalError("the prefix to validUpTo does not read: \(prefix.error!)") }
        let before = commands(whole.items).filter { $0.end <= e.validUpTo }
        guard commands(prefix.items) == before else { fatalError("the prefix reads different commands") }
    } else {
        var enc = CommandEncoder()
        for c in commands(whole.items) { enc.appendCommand(c.argv) }
        var back = AOFReader(MemorySource(enc.buffer))
        back.checkTransactions = false
        var again: [[Bytes]] = []
        do { while let i = try back.next() { if case .command(let c) = i { again.append(c.argv) } } } catch {
            fatalError("re-encoded commands do not read: \(error)")
        }
        guard again == commands(whole.items).map({ $0.argv }) else { fatalError("re-encoding changed the commands") }
    }
}

private let preamble: [UInt8] = {
    var w = RDBWriter(MemorySink())
    try! w.header()
    try! w.finish()
    return w.sink.bytes
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    check(input)
    check(encodeCommand([Bytes("SET"), Bytes("k"), Bytes("v")]) + input)
    check(preamble + input)
    return 0
}
