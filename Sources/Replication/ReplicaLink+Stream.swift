// ReplicaLink+Stream: the replica's reading of the full-sync payload and of
// the master's command stream.
//
// Contract: payload bytes go through a TransferReceiver and come out as
// transferStarted / transferChunk / transferComplete; the link then waits
// for `.loadFinished`, keeping (not parsing) any stream bytes that arrive
// meanwhile. In `.connected` the stream is parsed with RESP's RequestParser
// and each command comes out as `.apply(argv, raw)` with its exact bytes,
// `offset` advanced by them first. `REPLCONF GETACK` is answered here with
// `REPLCONF ACK <offset>` and still applied (forwarded and counted).
// Tricky bit: the GETACK answer carries the offset from BEFORE the GETACK
// command, as Redis 4.0 (which updates reploff after running a command)
// does; and bare newlines between commands (empty inline commands) are not
// lost: their bytes travel with the next command's raw bytes, so that
// sub-replicas and the backlog see every byte at the master's offsets.
// A MULTI block is held until its EXEC and only then applied, forwarded and
// counted (as Redis 6 moves reploff only outside MULTI): a link that drops
// inside a block leaves the offset before its MULTI, so the partial resync
// sends the whole block again instead of continuing in its middle, where the
// new master client would have lost the commands queued before the drop.
import NIOCore
import RESP

extension ReplicaLink {
    /// Payload bytes (and whatever follows the payload).
    mutating func receivePayload(_ bytes: [UInt8]) -> [ReplicaLinkAction] {
        if awaitingLoad {
            // The start of the command stream, held until the payload is loaded.
            stream.writeBytes(bytes)
            return []
        }
        var actions: [ReplicaLinkAction] = []
        for event in receiver.feed(bytes) {
            switch event {
            case .keepalive:
                break
            case .started(let size):
                let what = size.map { "receiving \($0) bytes from master" } ?? "receiving streamed RDB from master"
                actions += [.log(.notice, "MASTER <-> SLAVE sync: \(what)"), .transferStarted(size: size)]
            case .chunk(let chunk):
                actions.append(.transferChunk(chunk))
            case .complete(let trailing):
                awaitingLoad = true
                stream.writeBytes(trailing)
                actions += [
                    .log(.notice, "MASTER <-> SLAVE sync: Flushing old data"),
                    .log(.notice, "MASTER <-> SLAVE sync: Loading DB in memory"),
                    .transferComplete,
                ]
            case .failed(let message):
                return actions + fail(message)
            }
        }
        return actions
    }

    /// Parses and applies every whole command in the stream buffer.
    mutating func consumeStream() -> [ReplicaLinkAction] {
        var actions: [ReplicaLinkAction] = []
        while true {
            let command: [[UInt8]]?
            do {
                command = try streamParser.next(from: &stream)
            } catch let error as ProtocolError {
                discardCachedMaster()
                return actions + fail("Protocol error from MASTER: \(error.message)")
            } catch {
                discardCachedMaster()
                return actions + fail("Protocol error from MASTER: \(error)")
            }
            guard let argv = command else { break }
            // The command's bytes lie behind the reader index; step back to read them.
            let commandEnd = stream.readerIndex
            stream.moveReaderIndex(to: commandStart)
            let raw = stream.readBytes(length: commandEnd - commandStart) ?? []
            commandStart = commandEnd
            guard !argv.isEmpty else {
                pendingRaw += raw
                continue
            }
            let bytes = pendingRaw.isEmpty ? raw : pendingRaw + raw
            pendingRaw = []
            if Self.isGetAck(argv) {
                actions.append(.send(ReplicationWire.ack(offset: offset)))
            }
            if transaction == nil && Self.equalsIgnoringCase(argv[0], "multi") { transaction = [] }
            if transaction != nil {
                // Held until EXEC: the block is applied, forwarded and counted whole, or not at all.
                transaction!.append((argv, bytes))
                guard Self.equalsIgnoringCase(argv[0], "exec") || Self.equalsIgnoringCase(argv[0], "discard") else { continue }
                for (heldArgv, heldRaw) in transaction! {
                    offset += Int64(heldRaw.count)
                    actions.append(.apply(argv: heldArgv, raw: heldRaw))
                }
                transaction = nil
                continue
            }
            offset += Int64(bytes.count)
            actions.append(.apply(argv: argv, raw: bytes))
        }
        if !streamParser.isMidCommand {
            stream.discardReadBytes()
            commandStart = stream.readerIndex
        }
        return actions
    }

    /// True for `REPLCONF GETACK ...` (any case).
    static func isGetAck(_ argv: [[UInt8]]) -> Bool {
        argv.count >= 2 && equalsIgnoringCase(argv[0], "replconf") && equalsIgnoringCase(argv[1], "getack")
    }

    private static func equalsIgnoringCase(_ bytes: [UInt8], _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { a, b in (a | 0x20) == b }
        }
    }
}
