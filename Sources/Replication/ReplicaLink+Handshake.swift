// ReplicaLink+Handshake: the replica's half of the replication handshake,
// from the connection to the PSYNC reply (Redis 4.0's syncWithMaster and
// slaveTryPartialResynchronization).
//
// Contract: the link sends one command and waits for its one-line reply:
// PING (`+...`, `-NOAUTH` or the old "-ERR operation not permitted" let it
// go on; any other reply ends the attempt), AUTH when `masterauth` is set
// (an error ends the attempt), `REPLCONF listening-port`, `REPLCONF
// ip-address` only when an announce IP is set, `REPLCONF capa eof capa
// psync2` (errors to REPLCONF are logged and ignored), then PSYNC. Its reply
// picks the path: `+FULLRESYNC <id> <offset>` leads to a payload transfer,
// `+CONTINUE [<id>]` straight to the command stream, `-NOMASTERLINK` or
// `-LOADING` to a retry later, and anything else to the SYNC fallback.
// Tricky bit: bytes after the PSYNC reply in the same read already belong to
// the payload or the stream, and are handed on, not dropped.

extension ReplicaLink {
    /// The connection is up: send PING and wait for the reply.
    mutating func beginHandshake() -> [ReplicaLinkAction] {
        state = .receivePong
        return [.send(ReplicationWire.command(["PING"]))]
    }

    /// Bytes from the master in any state.
    mutating func received(_ bytes: [UInt8], nowMs: Int64) -> [ReplicaLinkAction] {
        switch state {
        case .none, .connect, .connecting:
            // No connection is expected to deliver bytes now; ignore them.
            return []
        case .transfer:
            lastIOMs = nowMs
            return receivePayload(bytes)
        case .connected:
            lastIOMs = nowMs
            stream.writeBytes(bytes)
            return consumeStream()
        default:
            lastIOMs = nowMs
            replies.append(bytes)
            return readReplies()
        }
    }

    /// Handles whole reply lines while the link waits for one.
    private mutating func readReplies() -> [ReplicaLinkAction] {
        var actions: [ReplicaLinkAction] = []
        while state.isHandshake {
            switch replies.nextLine() {
            case .needMore:
                return actions
            case .tooLong:
                return actions + fail("Master sent a reply longer than \(LineReader.maxLineLength) bytes "
                    + "during the replication handshake")
            case .line(let line):
                actions += handleReply(String(decoding: line, as: UTF8.self))
            }
        }
        // The PSYNC reply was read: what follows belongs to the payload or the stream.
        let rest = replies.takeRest()
        switch state {
        case .transfer where !rest.isEmpty:
            actions += receivePayload(rest)
        case .connected where !rest.isEmpty:
            stream.writeBytes(rest)
            actions += consumeStream()
        default:
            break
        }
        return actions
    }

    private mutating func handleReply(_ reply: String) -> [ReplicaLinkAction] {
        switch state {
        case .receivePong:
            guard reply.hasPrefix("+") || reply.hasPrefix("-NOAUTH")
                    || reply.hasPrefix("-ERR operation not permitted") else {
                return fail("Error reply to PING from master: '\(reply)'")
            }
            return [.log(.notice, "Master replied to PING, replication can continue...")] + sendAuth()
        case .receiveAuth:
            if reply.hasPrefix("-") { return fail("Unable to AUTH to MASTER: \(reply)") }
            return sendPort()
        case .receivePort:
            return nonCritical(reply, "listening-port") + sendIP()
        case .receiveIP:
            return nonCritical(reply, "ip-address") + sendCapa()
        case .receiveCapa:
            return nonCritical(reply, "capa") + sendPsync()
        case .receivePsync:
            return psyncReplied(reply)
        default:
            return []
        }
    }

    private func nonCritical(_ reply: String, _ option: String) -> [ReplicaLinkAction] {
        guard reply.hasPrefix("-") else { return [] }
        return [.log(.notice, "(Non critical) Master does not understand REPLCONF \(option): \(reply)")]
    }

    private mutating func sendAuth() -> [ReplicaLinkAction] {
        state = .sendAuth
        guard let password = config.masterAuth else { return sendPort() }
        state = .receiveAuth
        return [.send(ReplicationWire.command(["AUTH", password]))]
    }

    private mutating func sendPort() -> [ReplicaLinkAction] {
        state = .receivePort
        return [.send(ReplicationWire.command(["REPLCONF", "listening-port", String(config.listeningPort)]))]
    }

    private mutating func sendIP() -> [ReplicaLinkAction] {
        state = .sendIP
        guard let ip = config.announceIP else { return sendCapa() }
        state = .receiveIP
        return [.send(ReplicationWire.command(["REPLCONF", "ip-address", ip]))]
    }

    private mutating func sendCapa() -> [ReplicaLinkAction] {
        state = .receiveCapa
        return [.send(ReplicationWire.command(["REPLCONF", "capa", "eof", "capa", "psync2"]))]
    }

    private mutating func sendPsync() -> [ReplicaLinkAction] {
        state = .receivePsync
        let log: ReplicaLinkAction = cachedMaster == nil
            ? .log(.notice, "Partial resynchronization not possible (no cached master)")
            : .log(.notice, "Trying a partial resynchronization (request \(psyncID):\(psyncOffset)).")
        let (id, requestOffset) = cachedMaster == nil ? ("?", Int64(-1)) : (psyncID, psyncOffset)
        return [log, .send(ReplicationWire.command(["PSYNC", id, String(requestOffset)]))]
    }

    /// The reply to PSYNC (Redis's slaveTryPartialResynchronization, reading half).
    private mutating func psyncReplied(_ reply: String) -> [ReplicaLinkAction] {
        // The master may send bare newlines before its reply to keep the link alive.
        if reply.isEmpty { return [] }
        if reply.hasPrefix("+FULLRESYNC") {
            let words = reply.split(separator: " ", omittingEmptySubsequences: false)
            guard words.count >= 3, let replid = ReplicationID(String(words[1])),
                  let masterOffset = Int64(words[2]) else {
                return fail("Master replied with wrong +FULLRESYNC syntax.")
            }
            discardCachedMaster()
            return startTransfer(replid: replid, offset: masterOffset, log: [
                .log(.notice, "Full resync from master: \(replid):\(masterOffset)"),
            ])
        }
        if reply.hasPrefix("+CONTINUE") {
            return partialResyncAccepted(reply)
        }
        if reply.hasPrefix("-NOMASTERLINK") || reply.hasPrefix("-LOADING") {
            return fail("Master is currently unable to PSYNC but should be in the future: \(reply)", level: .notice)
        }
        let log: ReplicaLinkAction = reply.hasPrefix("-ERR")
            ? .log(.notice, "Master does not support PSYNC or is in error state (reply: \(reply))")
            : .log(.warning, "Unexpected reply to PSYNC from master: \(reply)")
        discardCachedMaster()
        return startTransfer(replid: .none, offset: -1, log: [
            log, .log(.notice, "Retrying with SYNC..."), .send(ReplicationWire.command(["SYNC"])),
        ])
    }

    /// A full resync was agreed (by +FULLRESYNC, or by falling back to SYNC).
    private mutating func startTransfer(replid: ReplicationID, offset masterOffset: Int64,
                                        log: [ReplicaLinkAction]) -> [ReplicaLinkAction] {
        masterReplid = replid == .none ? nil : replid
        masterSupportsPsync = replid != .none
        fullSyncOffset = masterOffset
        receiver = TransferReceiver()
        state = .transfer
        return log + [.fullResync(replid: replid, offset: masterOffset)]
    }

    /// `+CONTINUE` or `+CONTINUE <newid>`: the data is kept, the stream resumes.
    private mutating func partialResyncAccepted(_ reply: String) -> [ReplicaLinkAction] {
        guard let cached = cachedMaster else {
            return fail("Master accepted a partial resynchronization that was not asked for: \(reply)")
        }
        var actions: [ReplicaLinkAction] = [.log(.notice, "Successful partial resynchronization with master.")]
        // As Redis: an ID is whatever 40 characters follow "+CONTINUE ".
        let announced = reply.utf8.count == 10 + ReplicationID.length ? ReplicationID(String(reply.dropFirst(10))) : nil
        var newReplid: ReplicationID?
        if let id = announced, id != cached.replid {
            actions.append(.log(.warning, "Master replication ID changed to \(id)"))
            newReplid = id
        }
        masterReplid = newReplid ?? cached.replid
        offset = cached.offset
        masterSupportsPsync = true
        state = .connected
        lastAckMs = lastIOMs
        return actions + [
            .partialResync(newReplid: newReplid),
            .log(.notice, "MASTER <-> SLAVE sync: Master accepted a Partial Resynchronization."),
        ]
    }
}
