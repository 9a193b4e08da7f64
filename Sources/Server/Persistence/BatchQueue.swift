// BatchQueue: batches handed from one thread to another, in order: captured
// keys from the owner thread to the snapshot writer, decoded keys from the
// RDB reader thread to the owner thread.
//
// Contract: `push` appends a batch; with `maxQueued` set, a producer waits
// while that many elements are queued (backpressure for a producer that may
// block; the owner thread never does, it checks `backlog` instead). `pop`
// waits for a batch, up to a timeout if given; it says `.finished` once the
// queue is closed and drained, or cancelled. `cancel` wakes everyone and makes
// further pushes no-ops, so an abandoned producer ends quickly.
#if canImport(Glibc)
import Glibc
#endif

final class BatchQueue<Element>: @unchecked Sendable {
    enum Popped {
        case batch([Element])
        case timedOut
        case finished
    }

    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var batches: [[Element]] = []
    private var head = 0
    private var queued = 0
    private var closed = false
    private(set) var cancelled = false
    let maxQueued: Int?

    init(maxQueued: Int? = nil) {
        self.maxQueued = maxQueued
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Elements queued and not yet popped.
    var backlog: Int { locked { queued } }

    var isCancelled: Bool { locked { cancelled } }

    func push(_ batch: [Element]) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if let limit = maxQueued {
            while queued > limit && !cancelled { pthread_cond_wait(&changed, &mutex) }
        }
        guard !cancelled else { return }
        batches.append(batch)
        queued += batch.count
        pthread_cond_broadcast(&changed)
    }

    /// No more batches will come.
    func close() {
        locked {
            closed = true
            pthread_cond_broadcast(&changed)
        }
    }

    /// Drops what is queued; pops finish and pushes are ignored from now on.
    func cancel() {
        locked {
            cancelled = true
            batches.removeAll()
            head = 0
            queued = 0
            pthread_cond_broadcast(&changed)
        }
    }

    /// The next batch; waits at most `timeoutNs` when given.
    func pop(timeoutNs: UInt64? = nil) -> Popped {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        var deadline = timespec()
        if let timeoutNs {
            clock_gettime(CLOCK_REALTIME, &deadline)
            let ns = UInt64(deadline.tv_nsec) + timeoutNs
            deadline.tv_sec += Int(ns / 1_000_000_000)
            deadline.tv_nsec = Int(ns % 1_000_000_000)
        }
        while head == batches.count && !closed && !cancelled {
            if timeoutNs != nil {
                if pthread_cond_timedwait(&changed, &mutex, &deadline) == ETIMEDOUT { return .timedOut }
            } else {
                pthread_cond_wait(&changed, &mutex)
            }
        }
        guard !cancelled, head < batches.count else { return .finished }
        let batch = batches[head]
        batches[head] = []
        head += 1
        if head == batches.count {
            batches.removeAll(keepingCapacity: true)
            head = 0
        }
        queued -= batch.count
        pthread_cond_broadcast(&changed)
        return .batch(batch)
    }
}

extension BatchQueue {
    /// Hands queued elements to `apply` until about `budget` have gone (false) or
    /// the queue has finished (true); waits at most `timeoutNs` for a batch.
    /// An error from `apply` cancels the queue, so the producer stops too.
    func drain(budget: Int, timeoutNs: UInt64 = 5_000_000, _ apply: (Element) throws -> Void) throws -> Bool {
        var left = budget
        while left > 0 {
            switch pop(timeoutNs: timeoutNs) {
            case .timedOut:
                return false
            case .finished:
                return true
            case .batch(let items):
                left -= items.count
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
