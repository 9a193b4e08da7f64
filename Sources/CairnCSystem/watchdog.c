// watchdog: see include/watchdog.h. Everything the handler calls is
// async-signal-safe: write, getpid, time, and backtrace/backtrace_symbols_fd
// (glibc's backtrace is safe once libgcc is loaded, which install does by
// calling it once outside the handler).
#define _GNU_SOURCE
#include "watchdog.h"
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int watchdog_fd = -1;
static pthread_t marked_thread;
static volatile int thread_marked = 0;

// Decimal digits of v at the end of buf (no allocation); returns where they start.
static char *digits(long long v, char *end) {
    char *p = end;
    int negative = v < 0;
    unsigned long long u = negative ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (negative) *--p = '-';
    return p;
}

static void put(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

// "<pid>:signal-handler (<unix time>) <message>\n", the shape of Redis's handler lines.
static void handler_line(int fd, const char *message) {
    char buf[32];
    char *end = buf + sizeof buf;
    char *p = digits(getpid(), end);
    put(fd, p, (size_t)(end - p));
    put(fd, ":signal-handler (", 17);
    p = digits((long long)time(NULL), end);
    put(fd, p, (size_t)(end - p));
    put(fd, ") ", 2);
    put(fd, message, strlen(message));
    put(fd, "\n", 1);
}

static void on_alarm(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)info; (void)context;
    int saved = errno;
    int fd = watchdog_fd;
    if (fd >= 0) {
        void *frames[100];
        handler_line(fd, "\n--- WATCHDOG TIMER EXPIRED ---");
        int n = backtrace(frames, 100);
        put(fd, "\nBacktrace:\n", 12);
        backtrace_symbols_fd(frames, n, fd);
        handler_line(fd, "--------\n");
    }
    errno = saved;
}

void cairn_watchdog_install(int log_fd) {
    void *warm[1];
    backtrace(warm, 1);
    watchdog_fd = log_fd;
    struct sigaction act;
    memset(&act, 0, sizeof act);
    sigemptyset(&act.sa_mask);
    act.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    act.sa_sigaction = on_alarm;
    sigaction(SIGALRM, &act, NULL);
}

void cairn_watchdog_uninstall(void) {
    struct sigaction act;
    memset(&act, 0, sizeof act);
    sigemptyset(&act.sa_mask);
    act.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &act, NULL);
    watchdog_fd = -1;
}

void cairn_watchdog_mark_thread(void) {
    marked_thread = pthread_self();
    thread_marked = 1;
}

int cairn_watchdog_signal_marked_thread(void) {
    if (!thread_marked) return ESRCH;
    return pthread_kill(marked_thread, SIGALRM);
}
