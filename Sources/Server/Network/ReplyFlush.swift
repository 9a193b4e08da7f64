// ReplyFlush: replies leave at the end of the event loop's turn, all together.
//
// Redis writes its clients' replies in beforeSleep, after every readable client
// of the turn has been served. Writing each client's replies as soon as its read
// is processed instead costs a wake-up of the peer per write: a client that has
// just read one reply is often asleep again when the next arrives, and on a
// virtual machine each wake-up is an expensive interrupt (perf, redis-benchmark
// -c 50 -P 16: the kernel's share of the server fell from 22% to 16%, its
// wake-up spin lock from 7% to 2%). With the AOF on, the turn's one AOF write
// (and fsync under appendfsync always) also goes out before any of the replies.
import NIOCore

extension Server {
    /// Flushes `connection` at the end of the current loop turn, after the AOF write.
    func deferFlush(_ connection: ClientConnection, on loop: EventLoop) {
        deferredFlushes.append(connection)
        guard deferredFlushes.count == 1 else { return }
        // One closure made once, not one per turn: the loop keeps only a reference to it. Weak:
        // a task still queued when a server is dropped (tests start many) must find nothing to do.
        if flushDeferredTask == nil { flushDeferredTask = { [weak self] in self?.flushDeferred() } }
        loop.execute(flushDeferredTask!)
    }

    private func flushDeferred() {
        persistence.flushBeforeReplies()
        // Swapped out, not copied: a flush may defer again (the list then starts afresh).
        var due: [ClientConnection] = []
        swap(&due, &deferredFlushes)
        for connection in due { connection.flushOutput() }
        if deferredFlushes.isEmpty {
            due.removeAll(keepingCapacity: true)
            swap(&due, &deferredFlushes)
        }
    }
}
