// TransferReceiver: the replica's reader of the full-sync payload (an RDB
// file) that follows `+FULLRESYNC`, fed the master's bytes in chunks split
// anywhere.
//
// Contract: before the payload the master may send bare "\n" keepalives;
// they are reported and otherwise ignored. Then comes one header line:
// `$<len>\r\n` (exactly len payload bytes follow) or `$EOF:<40-byte mark>\r\n`
// (diskless: the payload, then the same 40-byte mark). `feed` returns what
// each chunk completed: `started`, payload `chunk`s, then `complete` with the
// bytes that followed the payload (the start of the command stream), or
// `failed` with a message in Redis's words. After `complete` or `failed` the
// receiver takes no more input (feeding it returns nothing).
// Tricky bit: with the EOF-mark framing the receiver cannot know whether the
// newest 40 bytes it has seen are payload or the mark, so it always holds
// them back until more bytes arrive; the mark is never handed out as payload.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `$<len>` or `$EOF:<mark>` framed payloads for a replica's full sync.
public struct TransferReceiver {
    /// What a fed chunk completed.
    public enum Event: Equatable, Sendable {
        /// A bare newline before the header: the master is alive.
        case keepalive
        /// The header was read; `size` is nil for the EOF-mark framing.
        case started(size: Int?)
        /// Payload bytes, in order.
        case chunk([UInt8])
        /// The payload ended; `trailing` are the bytes that followed it.
        case complete(trailing: [UInt8])
        /// Bad input; `message` is the line to log. The transfer is over.
        case failed(String)
    }

    /// The length of the EOF mark (a run ID's length).
    public static let markLength = 40
    /// The longest header line accepted before its newline.
    public static let maxHeaderLength = 1024

    private enum Phase {
        case header([UInt8])
        case counted(remaining: Int)
        case marked(mark: [UInt8], heldBack: [UInt8])
        case finished
    }

    private var phase: Phase = .header([])

    /// The payload size announced by `$<len>`; nil before the header and for the EOF-mark framing.
    public private(set) var size: Int?
    /// Payload bytes handed out so far.
    public private(set) var payloadBytes = 0

    public init() {}

    /// True once the payload has ended or the transfer failed.
    public var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// Takes the next bytes from the master; returns what they completed, in order.
    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        var input = bytes[...]
        while true {
            switch phase {
            case .finished:
                return events
            case .header(var line):
                guard let newline = input.firstIndex(of: UInt8(ascii: "\n")) else {
                    line.append(contentsOf: input)
                    if line.count > Self.maxHeaderLength {
                        return finish(events + [.failed("Bad protocol from MASTER: a bulk header longer than "
                            + "\(Self.maxHeaderLength) bytes, are you sure the host and port are right?")])
                    }
                    phase = .header(line)
                    return events
                }
                line.append(contentsOf: input[..<newline])
                input = input[(newline + 1)...]
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                phase = .header([])
                let event = readHeader(line)
                events.append(event)
                if case .failed = event { return finish(events) }
            case .counted(let remaining):
                let run = min(remaining, input.count)
                if run > 0 {
                    events.append(.chunk(Array(input.prefix(run))))
                    payloadBytes += run
                    input = input.dropFirst(run)
                }
                if remaining - run > 0 {
                    phase = .counted(remaining: remaining - run)
                    return events
                }
                return finish(events + [.complete(trailing: Array(input))])
            case .marked(let mark, let heldBack):
                return events + readMarked(input, mark: mark, heldBack: heldBack)
            }
        }
    }

    /// Payload bytes in the EOF-mark framing: hands out all but the newest
    /// 40 bytes seen, unless the mark ends the payload. Each byte is copied
    /// once, into the chunk that hands it out.
    private mutating func readMarked(_ input: ArraySlice<UInt8>, mark: [UInt8], heldBack: [UInt8]) -> [Event] {
        // A mark that starts in the held-back bytes ends within the first 40 new ones.
        let seam = heldBack + input.prefix(Self.markLength)
        if let start = Self.find(mark, in: seam[...]) {
            return finishMarked(payload: Array(seam[..<start]),
                                trailing: Array(seam[(start + mark.count)...]) + input.dropFirst(Self.markLength))
        }
        if let hit = Self.find(mark, in: input) {
            return finishMarked(payload: heldBack + input[..<hit], trailing: Array(input[(hit + mark.count)...]))
        }
        let total = heldBack.count + input.count
        let releasable = max(0, total - Self.markLength)
        guard releasable > 0 else {
            phase = .marked(mark: mark, heldBack: heldBack + input)
            return []
        }
        // The released bytes: held-back ones first, then the front of the input.
        let fromHeld = min(releasable, heldBack.count)
        let fromInput = releasable - fromHeld
        let chunk = Array(heldBack[..<fromHeld]) + input.prefix(fromInput)
        let kept = Array(heldBack[fromHeld...]) + input.dropFirst(fromInput)
        payloadBytes += releasable
        phase = .marked(mark: mark, heldBack: kept)
        return [.chunk(chunk)]
    }

    /// Ends an EOF-mark transfer: the last payload bytes, then what followed the mark.
    private mutating func finishMarked(payload: [UInt8], trailing: [UInt8]) -> [Event] {
        payloadBytes += payload.count
        phase = .finished
        return (payload.isEmpty ? [] : [.chunk(payload)]) + [.complete(trailing: trailing)]
    }

    /// Judges one header line (its ending removed): a keepalive, the start
    /// of a payload (moving to the matching phase), or a failure.
    private mutating func readHeader(_ line: [UInt8]) -> Event {
        guard let first = line.first else { return .keepalive }
        let text = String(decoding: line, as: UTF8.self)
        if first == UInt8(ascii: "-") {
            return .failed("MASTER aborted replication with an error: \(text.dropFirst())")
        }
        guard first == UInt8(ascii: "$") else {
            return .failed("Bad protocol from MASTER, the first byte is not '$' (we received '\(text)'), "
                + "are you sure the host and port are right?")
        }
        let eofPrefix = Array("$EOF:".utf8)
        if line.starts(with: eofPrefix) && line.count >= eofPrefix.count + Self.markLength {
            let mark = Array(line[eofPrefix.count..<(eofPrefix.count + Self.markLength)])
            phase = .marked(mark: mark, heldBack: [])
            return .started(size: nil)
        }
        guard let length = Int(text.dropFirst()), length >= 0 else {
            return .failed("Bad bulk length from MASTER: '\(text)'")
        }
        size = length
        phase = .counted(remaining: length)
        return .started(size: length)
    }

    private mutating func finish(_ events: [Event]) -> [Event] {
        phase = .finished
        return events
    }

    /// The index (in the slice's own indices) of the first occurrence of
    /// `needle` in `haystack`, or nil.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin -> Int? in
                guard let hayBase = hay.baseAddress, let pinBase = pin.baseAddress else { return nil }
                var start = 0
                let lastStart = hay.count - pin.count
                // memchr finds each candidate first byte; memcmp checks the rest.
                while start <= lastStart,
                      let hit = memchr(hayBase + start, Int32(first), lastStart - start + 1) {
                    let index = UnsafeRawPointer(hit) - hayBase
                    if memcmp(hit, pinBase, pin.count) == 0 { return haystack.startIndex + index }
                    start = index + 1
                }
                return nil
            }
        }
    }
}
