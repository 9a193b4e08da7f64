// EventQueue: the simulator's agenda, events ordered by virtual time.
//
// Job: hold closures to run at a virtual millisecond. Contract: events run in
// (time, insertion) order, so two events due at the same millisecond run in
// the order they were scheduled: this is what keeps a pipe's pieces in order
// and a run replayable. Bounded by the simulation itself (every event is
// scheduled by a step, a cron or another event; `SimWorld` caps a run's
// virtual time).

/// A binary min-heap of events by (time, sequence number).
struct EventQueue {
    struct Event {
        let time: Int64
        let seq: UInt64
        let run: () -> Void

        func before(_ other: Event) -> Bool { time != other.time ? time < other.time : seq < other.seq }
    }

    private var heap: [Event] = []
    private var nextSeq: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    /// When the earliest event is due; nil when none is.
    var nextTime: Int64? { heap.first?.time }

    mutating func push(at time: Int64, _ run: @escaping () -> Void) {
        heap.append(Event(time: time, seq: nextSeq, run: run))
        nextSeq += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Event? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].before(heap[m]) { m = l }
            if r < heap.count && heap[r].before(heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }

    mutating func removeAll() { heap.removeAll() }
}
