// RequestParserSplitTests: the same bytes, cut anywhere, give the same commands.
//
// As SwiftNIO's decoder tests do, every input is fed whole, at every single cut
// position, at every pair of cut positions, and one byte at a time; plus a
// randomized round trip of encoded commands split into random chunks.
//
// The tricky bit: the 64 KiB "too big" errors legitimately depend on how much
// arrived at once (in Redis too), so inputs here stay far below that limit.
import XCTest
import NIOCore
import CairnTestSupport
@testable import RESP

final class RequestParserSplitTests: XCTestCase {
    static let inputs: [[UInt8]] = {
        var out: [[UInt8]] = []
        out.append(multibulk("SET", "key", "value"))
        out.append(multibulk("PING") + Array("PING\r\nECHO \"a b\\x41\" 'c\\'d'\n\r\n".utf8) + multibulk("GET", "k"))
        out.append(multibulk([[0], [13, 10], [], Array("$5\r\n".utf8)]) + Array("*0\r\n*-1\r\n".utf8))
        out.append(Array("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\n\r\n\r\n".utf8))
        out.append(Array("*1\r\n$4\r\nPINGxyPING\r\n".utf8))
        // Inputs ending in errors: the commands before the error must still come out.
        out.append(multibulk("PING") + Array("*1\r\n$-1\r\n".utf8))
        out.append(multibulk("PING") + Array("*01\r\n".utf8))
        out.append(multibulk("PING") + Array("*2\r\n$3\r\nGET\r\nx1\r\nk\r\n".utf8))
        out.append(Array("PING\r\nECHO \"open\r\nPING\r\n".utf8))
        // Incomplete tails: the outcome must also agree on the bytes still waiting.
        out.append(multibulk("PING") + Array("*2\r\n$3\r\nGET\r\n$1".utf8))
        out.append(Array("ECHO x\r\nECHO y".utf8))
        return out
    }()

    func testEverySingleCut() {
        for input in Self.inputs {
            let whole = parse(input)
            for cut in 0...input.count {
                let outcome = parse(chunks: [Array(input[0..<cut]), Array(input[cut...])])
                XCTAssertEqual(outcome, whole, "cut at \(cut) of \(String(decoding: input, as: UTF8.self).debugDescription)")
            }
        }
    }

    func testEveryPairOfCuts() {
        for input in Self.inputs {
            let whole = parse(input)
            for a in 0...input.count {
                for b in a...input.count {
                    let outcome = parse(chunks: [Array(input[0..<a]), Array(input[a..<b]), Array(input[b...])])
                    if outcome != whole {
                        XCTFail("cuts at \(a), \(b) of \(String(decoding: input, as: UTF8.self).debugDescription): \(outcome) vs \(whole)")
                        return
                    }
                }
            }
        }
    }

    func testOneByteAtATime() {
        for input in Self.inputs {
            XCTAssertEqual(parse(chunks: input.map { [$0] }), parse(input))
        }
    }

    func testExpectedOutcomesOfTheInputs() {
        // The unsplit outcomes themselves, so the split tests compare against the right thing.
        XCTAssertEqual(parse(Self.inputs[1]).commands,
                       [words("PING"), words("PING"), words("ECHO", "a bA", "c'd"), [], words("GET", "k")])
        XCTAssertEqual(parse(Self.inputs[5]).error, "ERR Protocol error: invalid bulk length")
        XCTAssertEqual(parse(Self.inputs[7]), ParseOutcome(commands: [words("PING")], error: "ERR Protocol error: expected '$', got 'x'"))
        XCTAssertEqual(parse(Self.inputs[8]), ParseOutcome(commands: [words("PING")], error: "ERR Protocol error: unbalanced quotes in request"))
        XCTAssertEqual(parse(Self.inputs[9]), ParseOutcome(commands: [words("PING")], leftover: 2))
        XCTAssertEqual(parse(Self.inputs[10]), ParseOutcome(commands: [words("ECHO", "x")], leftover: 6))
    }

    // MARK: randomized round trip

    /// A random argument, biased towards the bytes the protocol gives meaning to.
    static func randomArgument(_ g: inout SplitMix64) -> [UInt8] {
        let special: [UInt8] = [0, 13, 10, 32, 34, 39, 92, UInt8(ascii: "$"), UInt8(ascii: "*"), 9, 11, 255]
        let length = Int.random(in: 0...(Bool.random(using: &g) ? 8 : 300), using: &g)
        return (0..<length).map { _ in
            Int.random(in: 0..<4, using: &g) == 0 ? special.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
        }
    }

    /// Inline form of argv: every argument double-quoted with \xHH escapes, so any bytes survive.
    static func inline(_ argv: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (n, arg) in argv.enumerated() {
            if n > 0 { out.append(32) }
            out.append(34)
            for byte in arg {
                let hex = Array("0123456789abcdef".utf8)
                out += [92, UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
            out.append(34)
        }
        return out + [13, 10]
    }

    func testRandomCommandsRandomlySplit() {
        for seed in TestSeed.seeds(0..<300 as Range<UInt64>) {
            var g = SplitMix64(seed: seed)
            var stream: [UInt8] = []
            var expected: [[[UInt8]]] = []
            for _ in 0..<Int.random(in: 1...20, using: &g) {
                switch Int.random(in: 0..<10, using: &g) {
                case 0:
                    stream += Array("*0\r\n".utf8)
                    expected.append([])
                case 1:
                    stream += Array("\r\n".utf8)
                    expected.append([])
                case 2, 3:
                    let argv = (0..<Int.random(in: 1...4, using: &g)).map { _ in Self.randomArgument(&g) }
                    stream += Self.inline(argv)
                    expected.append(argv)
                default:
                    let argv = (0..<Int.random(in: 1...6, using: &g)).map { _ in Self.randomArgument(&g) }
                    stream += multibulk(argv)
                    expected.append(argv)
                }
            }
            var chunks: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let size = Int.random(in: 0...min(stream.count - start, Bool.random(using: &g) ? 5 : 500), using: &g)
                chunks.append(Array(stream[start..<(start + size)]))
                start += size
            }
            let outcome = parse(chunks: chunks)
            XCTAssertEqual(outcome, ParseOutcome(commands: expected, leftover: 0), "seed \(seed)")
            if outcome.commands != expected { return }
        }
    }
}
