// TransferReceiverTests: the full-sync payload reader fed every split of
// small transfers in both framings, with keepalives, trailing stream bytes,
// a payload that holds a near-copy of the mark, and garbage headers.
import XCTest
@testable import Replication

final class TransferReceiverTests: XCTestCase {
    let mark = bytes(String(repeating: "m", count: 30) + "0123456789")

    /// What a receiver makes of `chunks`: the payload, whether it started and
    /// completed (and with what trailing bytes), or the failure.
    private struct Outcome: Equatable {
        var size: Int?? = nil
        var payload: [UInt8] = []
        var trailing: [UInt8]?
        var failure: String?
        var keepalives = 0
    }

    private func run(_ chunks: [[UInt8]]) -> Outcome {
        var receiver = TransferReceiver()
        var outcome = Outcome()
        for chunk in chunks {
            // Once the payload is over, later bytes are the stream's, as for the link.
            if receiver.isFinished, outcome.trailing != nil {
                outcome.trailing! += chunk
                continue
            }
            for event in receiver.feed(chunk) {
                switch event {
                case .keepalive: outcome.keepalives += 1
                case .started(let size): outcome.size = .some(size)
                case .chunk(let bytes):
                    XCTAssertFalse(bytes.isEmpty, "no empty chunks")
                    outcome.payload += bytes
                case .complete(let trailing): outcome.trailing = trailing
                case .failed(let message): outcome.failure = message
                }
            }
        }
        return outcome
    }

    /// Checks that every split of `wire` in two, and one byte at a time, gives `expected`.
    private func checkEverySplit(_ wire: [UInt8], _ expected: Outcome, file: StaticString = #filePath, line: UInt = #line) {
        for cut in 0...wire.count {
            XCTAssertEqual(run([Array(wire[..<cut]), Array(wire[cut...])]), expected, "cut at \(cut)", file: file, line: line)
        }
        XCTAssertEqual(run(wire.map { [$0] }), expected, "byte at a time", file: file, line: line)
    }

    func testCountedPayloadEverySplit() {
        let payload = bytes("REDIS0008 payload\r\n$EOF: not a header")
        let wire = bytes("\n\n$\(payload.count)\r\n") + payload + bytes("*1\r\n$4\r\nPING\r\n")
        checkEverySplit(wire, Outcome(size: .some(payload.count), payload: payload,
                                      trailing: bytes("*1\r\n$4\r\nPING\r\n"), keepalives: 2))
    }

    func testEmptyCountedPayload() {
        checkEverySplit(bytes("$0\r\nrest"), Outcome(size: .some(0), payload: [], trailing: bytes("rest")))
    }

    func testMarkedPayloadEverySplit() {
        // The payload holds a copy of the mark less its last byte: the receiver must not stop there.
        let payload = bytes("REDIS0008") + Array(mark.dropLast()) + bytes("end")
        let wire = bytes("\n$EOF:") + mark + bytes("\r\n") + payload + mark + bytes("*1\r\n")
        checkEverySplit(wire, Outcome(size: .some(nil), payload: payload, trailing: bytes("*1\r\n"), keepalives: 1))
    }

    func testMarkedPayloadShorterThanTheMark() {
        for length in 0...45 {
            let payload = (0..<length).map { UInt8($0 % 26) + 97 }
            let wire = bytes("$EOF:") + mark + bytes("\r\n") + payload + mark
            checkEverySplit(wire, Outcome(size: .some(nil), payload: payload, trailing: []))
        }
    }

    func testMarkIsNeverHandedOutBeforeTheEnd() {
        var receiver = TransferReceiver()
        var handedOut: [UInt8] = []
        let payload = [UInt8](repeating: 7, count: 100)
        for event in receiver.feed(bytes("$EOF:") + mark + bytes("\r\n") + payload) {
            if case .chunk(let chunk) = event { handedOut += chunk }
        }
        XCTAssertEqual(handedOut.count, 100 - TransferReceiver.markLength, "the newest 40 bytes are held back")
        XCTAssertFalse(receiver.isFinished)
    }

    func testErrorAndGarbageHeaders() {
        XCTAssertEqual(run([bytes("-ERR no way\r\n")]).failure, "MASTER aborted replication with an error: ERR no way")
        XCTAssertEqual(run([bytes("+OK\r\n")]).failure,
                       "Bad protocol from MASTER, the first byte is not '$' (we received '+OK'), are you sure the host and port are right?")
        XCTAssertEqual(run([bytes("$abc\r\n")]).failure, "Bad bulk length from MASTER: '$abc'")
        XCTAssertEqual(run([bytes("$-5\r\n")]).failure, "Bad bulk length from MASTER: '$-5'")
        // A too-short mark is read as a length, and fails as one.
        XCTAssertEqual(run([bytes("$EOF:abc\r\n")]).failure, "Bad bulk length from MASTER: '$EOF:abc'")
        XCTAssertNotNil(run([[UInt8](repeating: 65, count: TransferReceiver.maxHeaderLength + 1)]).failure)
    }

    func testNothingIsReadAfterTheEnd() {
        var receiver = TransferReceiver()
        _ = receiver.feed(bytes("$1\r\nx"))
        XCTAssertTrue(receiver.isFinished)
        XCTAssertEqual(receiver.feed(bytes("more")), [])
        XCTAssertEqual(receiver.payloadBytes, 1)
        XCTAssertEqual(receiver.size, 1)
    }
}
