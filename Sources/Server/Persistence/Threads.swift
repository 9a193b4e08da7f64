// Threads: the two threading primitives the persistence code builds on, and
// the only place in the server that touches pthreads directly.
//
// Contract: `BackgroundThread.start(name:_:)` runs a closure on a new detached
// thread named `name` (as ps, top and gdb show it; set through CairnCSystem,
// since Glibc's module map hides pthread_setname_np). `Monitor<State>` is
// state behind a lock plus a condition: `update` changes the state and wakes every
// waiter, `read` looks without waking anyone, `wait(until:timeoutNs:_:)`
// sleeps until a predicate on the state holds (or the timeout passes) and
// then runs its body under the same lock. Plain locks elsewhere use
// Synchronization's `Mutex`; waiting needs a condition variable, which Swift's
// standard library does not have (NIO's `ConditionLock` only waits for an
// integer to equal a value), so this is the one wrapper around pthread_cond_t.
// Tricky bits: a pthread mutex and condition must not move in memory once
// initialised, so they live in their own allocations; the timed wait uses
// CLOCK_MONOTONIC, so a change of the wall clock cannot stretch or cut it.
#if canImport(Glibc)
import Glibc
#endif
import CairnCSystem

/// Detached, named threads for background work (snapshot writer, dataset readers, AOF fsyncs).
enum BackgroundThread {
    /// Runs `body` on a new thread called `name` (Linux keeps the first 15 bytes).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Job {
            let name: String
            let body: @Sendable () -> Void
            init(_ name: String, _ body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
        }
        let job = Unmanaged.passRetained(Job(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let job = Unmanaged<Job>.fromOpaque(arg!).takeRetainedValue()
            _ = cairn_set_thread_name(job.name)
            job.body()
            return nil
        }, job)
        precondition(rc == 0, "cannot start the \(name) thread: \(String(cString: strerror(rc)))")
        pthread_detach(thread)
    }
}

/// State shared between threads, with a way to wait for it to change.
final class Monitor<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Only touched with `mutex` held.
    private var state: State

    init(_ initial: State) {
        state = initial
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` on the state without waking waiters (for reads).
    func read<R>(_ body: (State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(state)
    }

    /// Changes the state and wakes every waiter to re-check its predicate.
    func update<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }
        return body(&state)
    }

    /// Waits until `ready(state)`, then runs `body` (which may change the state; waiters are
    /// woken). With `timeoutNs`, gives up after that long and returns nil without running `body`.
    func wait<R>(until ready: (State) -> Bool, timeoutNs: UInt64? = nil, _ body: (inout State) -> R) -> R? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let timeoutNs {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let ns = UInt64(deadline.tv_nsec) + timeoutNs
            deadline.tv_sec += Int(ns / 1_000_000_000)
            deadline.tv_nsec = Int(ns % 1_000_000_000)
            while !ready(state) {
                if pthread_cond_timedwait(changed, mutex, &deadline) == ETIMEDOUT && !ready(state) { return nil }
            }
        } else {
            while !ready(state) { pthread_cond_wait(changed, mutex) }
        }
        defer { pthread_cond_broadcast(changed) }
        return body(&state)
    }
}
