// Support: helpers shared by the AOF tests: fixture paths, a source that
// hands out bytes a few at a time, reading helpers, random arguments (the
// seeded generator is CairnTestSupport's SplitMix64).
import Foundation
import XCTest
import Engine
import RDB
@testable import AOF

let aofFixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/aof")

/// Hands out at most `step` bytes per read (cycling 1...step), to exercise chunk boundaries.
struct DribbleSource: ByteSource {
    let bytes: [UInt8]
    var position = 0
    let step: Int
    var turn = 0
    init(_ bytes: [UInt8], step: Int) { self.bytes = bytes; self.step = step }
    mutating func read(max: Int) throws -> [UInt8] {
        turn += 1
        let n = Swift.min(Swift.min(max, 1 + turn % step), bytes.count - position)
        if n <= 0 { return [] }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
}

/// The outcome of reading a whole stream: the items, and the error if any.
struct ReadOutcome {
    var items: [AOFItem] = []
    var error: AOFReadError?
    var commands: [AOFCommand] { items.compactMap { if case .command(let c) = $0 { return c } else { return nil } } }
}

func readOutcome<S: ByteSource>(_ source: S) -> ReadOutcome {
    var r = AOFReader(source)
    var out = ReadOutcome()
    do {
        while let item = try r.next() { out.items.append(item) }
    } catch let e as AOFReadError {
        out.error = e
    } catch {
        XCTFail("unexpected error type \(error)")
    }
    return out
}

func readOutcome(_ bytes: [UInt8]) -> ReadOutcome { readOutcome(MemorySource(bytes)) }

/// A random argument: often short text, sometimes binary with CR/LF, sometimes empty.
func randomArgument<G: RandomNumberGenerator>(_ g: inout G) -> Bytes {
    switch Int.random(in: 0..<10, using: &g) {
    case 0: return []
    case 1: return (0..<Int.random(in: 1...40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
    case 2: return Bytes("\r\n*1\r\n$3\r\n")
    default: return Bytes("v\(Int.random(in: 0...100_000, using: &g))")
    }
}

func fixtureBytes(_ relative: String) throws -> [UInt8] {
    Array(try Data(contentsOf: aofFixturesDir.appendingPathComponent(relative)))
}

extension Array where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
