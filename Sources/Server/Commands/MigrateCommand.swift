// MigrateCommand: MIGRATE, moving keys to another server as DUMP payloads.
//
// Atomic for the source as in Redis: the keyspace thread blocks while it talks to
// the target (MigrateSocket, bounded by the timeout). One write carries AUTH (when
// given, on every call as 4.0 does), SELECT (when the cached connection's database
// differs) and one RESTORE per key with its remaining TTL; then the replies are
// read in order. A key whose RESTORE succeeded is deleted here unless COPY, and
// the command propagates as DEL of exactly those keys. The first error from the
// target is reported, prefixed; a failed connection is closed, and retried once on
// a fresh one when it was not a timeout and no reply had come (the cached
// connection may simply have been closed by the target).
import Engine
import RDB
import RESP

let migrateCommands: [Command] = [
    Command("migrate", arity: -6, flags: "w", keyFinder: MigrateRequest.keyPositions) { call in migrate(call) },
]

private struct MigratingKey {
    let key: Bytes
    let payload: Bytes
    /// Remaining time to live in ms, 0 for none (RESTORE's convention).
    let ttl: Int64
}

private func migrate(_ call: Call) {
    let request: MigrateRequest
    switch MigrateRequest.parse(call.argv) {
    case .failure(let problem): return call.error(problem.message)
    case .success(let r): request = r
    }
    let ks = call.ks
    // Keys that exist now (the lookup expires stale ones); absent keys are skipped, as in Redis.
    var items: [MigratingKey] = []
    for key in request.keys {
        guard let i = ks.lookupRead(call.db, key) else { continue }
        let ttl = ks.expireAt(call.db, i).map { max($0 - ks.now, 1) } ?? 0
        let payload: [UInt8]
        do { payload = try DumpPayload.make(ks.value(call.db, i), compression: call.server.config.rdbCompression) } catch {
            return call.error("ERR \(error)")
        }
        items.append(MigratingKey(key: key, payload: payload, ttl: ttl))
    }
    guard !items.isEmpty else { return call.status("NOKEY") }

    var mayRetry = true
    while true {
        switch attempt(call, request, items) {
        case .done:
            return
        case .retryable where mayRetry:
            mayRetry = false
        case .retryable(let message), .failed(let message):
            return call.error(message)
        }
    }
}

private enum AttemptOutcome {
    /// Replied (OK or the target's error).
    case done
    /// The connection failed before any RESTORE was answered, and not by timeout: worth one
    /// retry; the error to give when no retry is left.
    case retryable(String)
    /// Failed for good with this error.
    case failed(String)
}

private let writeFailure = "IOERR error or timeout writing to target instance"
private let readFailure = "IOERR error or timeout reading to target instance"

private func attempt(_ call: Call, _ request: MigrateRequest, _ items: [MigratingKey]) -> AttemptOutcome {
    let cache = call.server.migrateLinks
    let now = wallClockMilliseconds() / 1000
    let cached: MigrateCachedLink<MigrateSocket>
    if let hit = cache.lookup(request.target, now: now) {
        cached = hit
    } else {
        do {
            let link = try MigrateSocket.connect(host: request.host, port: request.port, timeoutMs: request.timeoutMs)
            cached = cache.add(request.target, link, now: now)
        } catch .cannotConnect(let why) {
            return .failed("ERR Can't connect to target node: " + why)
        } catch {
            return .failed("IOERR error or timeout connecting to the client")
        }
    }

    let select = cached.selectedDB != request.db
    var out: [UInt8] = []
    if let password = request.password { out += multibulk([Bytes("AUTH"), password]) }
    if select { out += multibulk([Bytes("SELECT"), bytesOf(request.db)]) }
    for item in items {
        out += multibulk([Bytes("RESTORE"), item.key, bytesOf(item.ttl), item.payload]
                         + (request.replace ? [Bytes("REPLACE")] : []))
    }

    let socket = cached.link
    let timeout = request.timeoutMs
    do {
        try socket.write(out, timeoutMs: timeout)
    } catch {
        cache.drop(request.target)
        return error == .timedOut ? .failed(writeFailure) : .retryable(writeFailure)
    }

    // The AUTH and SELECT replies come first; an error there fails every key.
    var setupError: [UInt8]? = nil
    do {
        if request.password != nil { setupError = errorText(try socket.readLine(timeoutMs: timeout)) }
        if select {
            let reply = try socket.readLine(timeoutMs: timeout)
            if setupError == nil { setupError = errorText(reply) }
        }
    } catch {
        cache.drop(request.target)
        return error == .timedOut ? .failed(readFailure) : .retryable(readFailure)
    }

    var targetError: [UInt8]? = nil
    var moved: [Bytes] = []
    var failure: MigrateSocket.Failure? = nil
    var answered = 0
    for item in items {
        let reply: [UInt8]
        do {
            reply = try socket.readLine(timeoutMs: timeout)
        } catch {
            failure = error
            break
        }
        answered += 1
        if let problem = setupError ?? errorText(reply) {
            if targetError == nil { targetError = problem }
        } else if !request.copy {
            _ = call.ks.delete(call.db, item.key)
            call.ks.dirty += 1
            moved.append(item.key)
        }
    }
    if failure != nil { cache.drop(request.target) }
    if !moved.isEmpty { call.propagate(as: [[Bytes("DEL")] + moved]) }

    if let targetError {
        cached.selectedDB = nil  // after an error the target's database is unknown
        call.error("ERR Target instance replied with error: " + String(decoding: targetError, as: UTF8.self))
        return .done
    }
    if let failure {
        // Nothing answered and not a timeout: the cached connection may just have been stale.
        return answered == 0 && failure != .timedOut ? .retryable(readFailure) : .failed(readFailure)
    }
    cached.selectedDB = request.db
    call.ok()
    return .done
}

/// The text of an error reply (after its '-'), or nil for any other reply.
private func errorText(_ line: [UInt8]) -> [UInt8]? {
    line.first == UInt8(ascii: "-") ? Array(line.dropFirst()) : nil
}
