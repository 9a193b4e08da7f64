// RESPFuzz: a libFuzzer target for the RESP request parser and reply decoder.
//
// Contract: for any bytes, (1) RequestParser never traps, and a failure is a
// ProtocolError with one of Redis's messages; (2) the outcome does not depend on
// how the bytes are split into reads (cut where the first byte says); (3) every
// command parsed, encoded again as multibulk, parses back to itself; (4)
// RESPValue.decode never traps. A broken property calls fatalError, which
// libFuzzer reports as a crash with the input saved.
//
// The tricky bit: the "too big ... " errors depend on how much arrived at once,
// so inputs are kept under 64 KiB (run with -max_len well below it).
import NIOCore
import RESP

private let knownErrors: Set<String> = [
    "ERR Protocol error: invalid multibulk length",
    "ERR Protocol error: invalid bulk length",
    "ERR Protocol error: unbalanced quotes in request",
    "ERR Protocol error: too big inline request",
    "ERR Protocol error: too big mbulk count string",
    "ERR Protocol error: too big bulk count string",
]

private struct Outcome: Equatable {
    var commands: [[[UInt8]]] = []
    var error: String?
    var leftover = 0
}

private func run(_ chunks: [ArraySlice<UInt8>]) -> Outcome {
    var limits = RequestLimits()
    limits.maxBulkLength = 1 << 20
    var parser = RequestParser(limits: limits)
    var buffer = ByteBufferAllocator().buffer(capacity: 256)
    var outcome = Outcome()
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while true {
            do {
                guard var command = try parser.next(from: &buffer) else { break }
                outcome.commands.append(command.map { $0.withUnsafeBufferPointer { Array($0) } })  // copies: the storage is reused
                parser.recycle(&command)  // as ConnectionHandler does, so argument reuse is fuzzed too
            } catch let error as ProtocolError {
                if !knownErrors.contains(error.message) && !error.message.hasPrefix("ERR Protocol error: expected '$', got '") {
                    fatalError("unexpected protocol error text: \(error.message)")
                }
                outcome.error = error.message
                return outcome
            } catch {
                fatalError("unexpected error type: \(error)")
            }
        }
    }
    outcome.leftover = buffer.readableBytes
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count < 60_000 else { return 0 }
    let whole = run([bytes[...]])

    if !bytes.isEmpty {
        let a = Int(bytes[0]) * bytes.count / 256
        let b = a + (bytes.count - a) * Int(bytes[bytes.count - 1]) / 256
        let split = run([bytes[..<a], bytes[a..<b], bytes[b...]])
        if split != whole { fatalError("split at \(a), \(b) changed the outcome") }
    }

    for command in whole.commands where !command.isEmpty {
        var encoded = ByteBufferAllocator().buffer(capacity: 64)
        encoded.writeCommand(command)
        let again = run([Array(encoded.readableBytesView)[...]])
        if again.commands != [command] || again.error != nil || again.leftover != 0 {
            fatalError("re-encoded command did not parse back")
        }
    }

    var replies = ByteBufferAllocator().buffer(capacity: size)
    replies.writeBytes(bytes)
    while (try? RESPValue.decode(from: &replies)).flatMap({ $0 }) != nil {}
    return 0
}
