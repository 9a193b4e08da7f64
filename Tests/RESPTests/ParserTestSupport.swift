// ParserTestSupport: drives a RequestParser the way ConnectionHandler does
// (bytes appended to one input buffer, every complete command taken out), so
// tests can feed the same bytes whole, in chunks, or one byte at a time.
//
// The tricky bit: an outcome is the commands produced, the error if one was
// thrown, and whether the parser still waits for bytes; a split of the input
// must never change any of the three.
import NIOCore
@testable import RESP

struct ParseOutcome: Equatable, CustomStringConvertible {
    var commands: [[[UInt8]]] = []
    var error: String?
    /// Bytes left unconsumed when the input ran out (nil after an error).
    var leftover: Int?

    var description: String {
        let shown = commands.map { "[" + $0.map { String(decoding: $0, as: UTF8.self).debugDescription }.joined(separator: " ") + "]" }
        return "commands: \(shown.joined(separator: ", ")) error: \(error ?? "none") leftover: \(leftover.map(String.init) ?? "-")"
    }
}

/// Feeds `chunks` one after another and collects every command (empty ones included).
func parse(chunks: [[UInt8]], limits: RequestLimits = RequestLimits()) -> ParseOutcome {
    var parser = RequestParser(limits: limits)
    var buffer = ByteBufferAllocator().buffer(capacity: 64)
    var outcome = ParseOutcome()
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while true {
            do {
                guard var command = try parser.next(from: &buffer) else { break }
                outcome.commands.append(command)
                parser.recycle(&command)  // as ConnectionHandler does: the storage goes back
            } catch let error as ProtocolError {
                outcome.error = error.message
                return outcome
            } catch {
                outcome.error = "unexpected \(error)"
                return outcome
            }
        }
    }
    outcome.leftover = buffer.readableBytes
    return outcome
}

func parse(_ bytes: [UInt8], limits: RequestLimits = RequestLimits()) -> ParseOutcome {
    parse(chunks: [bytes], limits: limits)
}

func parse(_ text: String, limits: RequestLimits = RequestLimits()) -> ParseOutcome {
    parse(Array(text.utf8), limits: limits)
}

func multibulk(_ argv: String...) -> [UInt8] { multibulk(argv.map { Array($0.utf8) }) }

func words(_ argv: String...) -> [[UInt8]] { argv.map { Array($0.utf8) } }
