// LazyFree: the background thread that frees what UNLINK, FLUSHDB/FLUSHALL
// ASYNC and the lazyfree-lazy-* directives give up (Redis 4.0's BIO_LAZY_FREE).
//
// Contract: the keyspace collects big values and detached tables in its outbox
// (Engine/LazyFree.swift); `Server.handOffLazyFree` moves them to this thread's
// queue after every command (deliverChanges), and the thread named
// cairn-lazyfree drops them. `pendingObjects` counts what is queued and not yet
// freed (INFO's lazyfree_pending_objects: 1 per value, a table's key count).
// Tricky bits: the free must happen here, so the keyspace thread must never
// hold the last reference: the outbox is moved into the queue under the queue's
// lock (the owner's references go while the queue holds its own, and the thread
// cannot take them before the lock is released). After each batch the thread
// flushes its jemalloc cache, so used_memory (stats.allocated) shows the free.
import Synchronization
import CairnCSystem
import Engine

package final class LazyFreeThread: Sendable {
    /// One per process, as Redis's one BIO_LAZY_FREE thread (tests run many servers in one).
    package static let shared = LazyFreeThread()

    private let queue = Monitor<[LazyFreeItem]>([])
    private let pending = Atomic<Int>(0)
    private let started = Atomic<Bool>(false)
    /// Set after each batch freed, cleared by `freedSinceAsked` (the eviction check's refresh).
    private let freedSinceCheck = Atomic<Bool>(false)

    private init() {}

    /// Objects queued and not yet freed.
    package var pendingObjects: Int { pending.load(ordering: .relaxed) }

    /// Moves the keyspace's outbox into the queue (on the keyspace thread).
    func take(from keyspace: Keyspace) {
        startIfNeeded()
        queue.update { items in
            let objects = keyspace.lazyFreeOutbox.reduce(0) { $0 + $1.objects }
            pending.add(objects, ordering: .relaxed)
            keyspace.moveLazyFree(into: &items)
        }
    }

    /// True once after this thread freed something since the last call: the keyspace
    /// thread's memory estimate (MemoryAccounting.swift) does not see other threads' frees.
    func freedSinceAsked() -> Bool {
        freedSinceCheck.load(ordering: .relaxed) && freedSinceCheck.exchange(false, ordering: .relaxed)
    }

    private func startIfNeeded() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        BackgroundThread.start(name: "cairn-lazyfree") { [self] in run() }
    }

    private func run() {
        while true {
            var batch = queue.wait(until: { !$0.isEmpty }) { items in
                var taken: [LazyFreeItem] = []
                swap(&taken, &items)
                return taken
            }!
            while !batch.isEmpty {
                let objects: Int
                do {
                    let item = batch.removeLast()
                    objects = item.objects
                }  // the item's last reference, and so the free, goes here
                pending.subtract(objects, ordering: .relaxed)
            }
            _ = cairn_thread_cache_flush()
            freedSinceCheck.store(true, ordering: .relaxed)
        }
    }
}

extension Server {
    /// Gives the keyspace's lazily freed values and tables to the free thread.
    package func handOffLazyFree() {
        lazyFree.take(from: keyspace)
    }
}
