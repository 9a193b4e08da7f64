// Watchdog: Redis's software watchdog (CONFIG SET watchdog-period <ms>).
//
// Redis re-arms a one-shot SIGALRM timer from every cron run, so the signal
// fires only when the event loop has not come back to its cron for a whole
// period (a slow command, a stuck step); the handler logs "--- WATCHDOG TIMER
// EXPIRED ---" and the stack of the stuck thread. Here the cron records a
// heartbeat, and a timer on a Dispatch thread sends SIGALRM to the keyspace
// thread (pthread_kill) once per stall: the handler (CairnCSystem/watchdog.c,
// signal-safe C) then writes that thread's stack to the log. A heartbeat costs
// one atomic store per cron, nothing per command. As in Redis, a period under
// two cron intervals is raised to two.
import Dispatch
import Synchronization
import Engine
import CairnCSystem
#if canImport(Glibc)
import Glibc
#endif

final class Watchdog: @unchecked Sendable {
    let periodMs: Int
    private let lastBeat = Atomic<UInt64>(0)
    /// The heartbeat a signal was already sent for: one report per stall.
    private let reportedBeat = Atomic<UInt64>(0)
    private let timer: DispatchSourceTimer
    private let logFD: Int32

    /// Starts watching the calling thread, which must be the keyspace thread.
    init(periodMs: Int, logDescriptor: Int32) {
        self.periodMs = periodMs
        logFD = dup(logDescriptor)
        cairn_watchdog_mark_thread()
        cairn_watchdog_install(logFD)
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        lastBeat.store(monotonicNanoseconds(), ordering: .relaxed)
        let tick = max(periodMs / 4, 5)
        timer.schedule(deadline: .now() + .milliseconds(tick), repeating: .milliseconds(tick))
        timer.setEventHandler { [weak self] in self?.check() }
        timer.resume()
    }

    /// The period Redis would use for `requested` ms at `hz` (at least two cron intervals).
    static func effectivePeriod(_ requested: Int, hz: Int) -> Int {
        max(requested, (1000 / max(min(hz, 500), 1)) * 2)
    }

    /// The event loop is alive (called from the cron).
    func beat() { lastBeat.store(monotonicNanoseconds(), ordering: .relaxed) }

    private func check() {
        let beat = lastBeat.load(ordering: .relaxed)
        let stalled = monotonicNanoseconds() &- beat
        guard stalled > UInt64(periodMs) * 1_000_000, reportedBeat.load(ordering: .relaxed) != beat else { return }
        reportedBeat.store(beat, ordering: .relaxed)
        _ = cairn_watchdog_signal_marked_thread()
    }

    /// Stops the timer and ignores SIGALRM again (Redis's disableWatchdog).
    func stop() {
        timer.cancel()
        cairn_watchdog_uninstall()
        close(logFD)
    }
}

extension Server {
    /// CONFIG SET watchdog-period's effect: 0 stops the watchdog, any other value (re)starts it.
    func applyWatchdogPeriod() {
        watchdog?.stop()
        watchdog = nil
        guard config.watchdogPeriod > 0 else { return }
        config.watchdogPeriod = Watchdog.effectivePeriod(config.watchdogPeriod, hz: config.hz)
        watchdog = Watchdog(periodMs: config.watchdogPeriod, logDescriptor: log.output.descriptor)
    }
}
