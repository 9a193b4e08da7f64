// watchdog: the software watchdog's signal handler, in C because a handler must
// only make async-signal-safe calls, which Swift code cannot promise (it may
// allocate or take the runtime's locks).
#ifndef CAIRN_WATCHDOG_H
#define CAIRN_WATCHDOG_H

/// Installs the SIGALRM handler that writes, to `log_fd`, a "--- WATCHDOG TIMER EXPIRED ---"
/// line in Redis's signal-handler log format, the stack of the thread it interrupts, and a
/// closing line. `log_fd` stays the caller's to close.
void cairn_watchdog_install(int log_fd);

/// Ignores SIGALRM again (a signal still on its way is dropped).
void cairn_watchdog_uninstall(void);

/// Sends SIGALRM to the thread the last cairn_watchdog_mark_thread call ran on; 0 or an errno.
int cairn_watchdog_signal_marked_thread(void);

/// Remembers the calling thread as the one to interrupt (the keyspace thread).
void cairn_watchdog_mark_thread(void);

#endif
