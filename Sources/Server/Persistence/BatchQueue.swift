// BatchQueue: batches handed from one thread to another, in order: captured
// keys from the owner thread to the snapshot writer, decoded keys (and AOF
// commands) from a reader thread to the owner thread, fsync jobs to the AOF's
// fsync thread.
//
// Contract: `push` appends a batch; with `maxQueued` set, a producer waits
// while that many elements are queued (backpressure for a producer that may
// block; the owner thread never does, it checks `backlog` instead). `pop`
// waits for a batch, up to a timeout if given; it says `.finished` once the
// queue is closed and drained, or cancelled. `cancel` wakes everyone and makes
// further pushes no-ops, so an abandoned producer ends quickly.
// Tricky bit: every wait and wake-up goes through one Monitor (Threads.swift):
// any change to the queue wakes both sides, and each re-checks its own condition.

final class BatchQueue<Element>: @unchecked Sendable {
    enum Popped {
        case batch([Element])
        case timedOut
        case finished
    }

    /// What both threads share, under the monitor's lock.
    private struct Queue {
        var batches: [[Element]] = []
        var head = 0
        var queued = 0
        var closed = false
        var cancelled = false

        var hasBatch: Bool { head < batches.count }

        /// Removes and returns the oldest batch (there is one).
        mutating func takeBatch() -> Popped {
            let batch = batches[head]
            batches[head] = []
            head += 1
            if head == batches.count {
                batches.removeAll(keepingCapacity: true)
                head = 0
            }
            queued -= batch.count
            return .batch(batch)
        }
    }

    private let monitor = Monitor(Queue())
    let maxQueued: Int?

    init(maxQueued: Int? = nil) {
        self.maxQueued = maxQueued
    }

    /// Elements queued and not yet popped.
    var backlog: Int { monitor.read { $0.queued } }

    var isCancelled: Bool { monitor.read { $0.cancelled } }

    func push(_ batch: [Element]) {
        let limit = maxQueued ?? Int.max
        _ = monitor.wait(until: { $0.queued <= limit || $0.cancelled }) { q in
            guard !q.cancelled else { return }
            q.batches.append(batch)
            q.queued += batch.count
        }
    }

    /// No more batches will come.
    func close() {
        monitor.update { $0.closed = true }
    }

    /// Drops what is queued; pops finish and pushes are ignored from now on.
    func cancel() {
        monitor.update { q in
            q.cancelled = true
            q.batches.removeAll()
            q.head = 0
            q.queued = 0
        }
    }

    /// The next batch if one is queued, without waiting (`.timedOut` when none is yet): for the
    /// owner thread, which must never sleep on a condition.
    func tryPop() -> Popped {
        monitor.update { q -> Popped in
            guard !q.cancelled else { return .finished }
            guard q.hasBatch else { return q.closed ? .finished : .timedOut }
            return q.takeBatch()
        }
    }

    /// The next batch; waits at most `timeoutNs` when given.
    func pop(timeoutNs: UInt64? = nil) -> Popped {
        let popped = monitor.wait(until: { $0.hasBatch || $0.closed || $0.cancelled }, timeoutNs: timeoutNs) { q -> Popped in
            guard !q.cancelled, q.hasBatch else { return .finished }
            return q.takeBatch()
        }
        return popped ?? .timedOut
    }
}

extension BatchQueue {
    /// Hands queued elements to `apply` until about `budget` have gone (false) or
    /// the queue has finished (true); waits at most `timeoutNs` for a batch.
    /// An error from `apply` cancels the queue, so the producer stops too.
    /// `prepare` sees each batch first (a loader warms the cache for the whole batch).
    func drain(budget: Int, timeoutNs: UInt64 = 5_000_000, prepare: ([Element]) -> Void = { _ in },
               _ apply: (Element) throws -> Void) throws -> Bool {
        var left = budget
        while left > 0 {
            switch pop(timeoutNs: timeoutNs) {
            case .timedOut:
                return false
            case .finished:
                return true
            case .batch(let items):
                left -= items.count
                prepare(items)
                do {
                    for item in items { try apply(item) }
                } catch {
                    cancel()
                    throw error
                }
            }
        }
        return false
    }
}
