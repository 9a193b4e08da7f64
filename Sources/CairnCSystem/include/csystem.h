// csystem: the few C library facts Swift cannot reach through Glibc's module
// map: the allocator's statistics (jemalloc's mallctl; Debian's libjemalloc
// exports unprefixed malloc/free, so linking it makes it the process
// allocator), and pthread_setname_np, which needs _GNU_SOURCE.
#ifndef CAIRN_CSYSTEM_H
#define CAIRN_CSYSTEM_H
#include <stddef.h>
#include <stdint.h>
#include "watchdog.h"

/// What jemalloc reports for the whole process after refreshing its statistics.
struct cairn_allocator_stats {
    /// Bytes handed to the program and not freed (stats.allocated).
    size_t allocated;
    /// Bytes in pages holding allocations (stats.active).
    size_t active;
    /// Bytes in physically resident allocator pages (stats.resident).
    size_t resident;
};

/// Refreshes jemalloc's statistics ("epoch") and reads them; 0 or an errno.
int cairn_allocator_stats(struct cairn_allocator_stats *out);

/// jemalloc's version string ("5.3.0-0-g..."), or NULL.
const char *cairn_allocator_version(void);

/// Bytes the calling thread allocated minus bytes it freed, since it started
/// (jemalloc's per-thread counters: no refresh, a couple of loads).
int64_t cairn_thread_allocated_net(void);

/// jemalloc's malloc_stats_print report as one NUL-terminated string the caller
/// frees (its length in *length), or NULL.
char *cairn_allocator_report(size_t *length);

/// Returns the calling thread's cached free blocks to their arenas ("thread.tcache.flush"),
/// so stats.allocated stops counting them; 0 or an errno.
int cairn_thread_cache_flush(void);

/// Returns every arena's unused dirty pages to the system (MEMORY PURGE); 0 or an errno.
int cairn_allocator_purge(void);

/// The size jemalloc really hands out for a request of `size` bytes (nallocx).
size_t cairn_allocator_size_class(size_t size);

/// How full the slab holding an allocation is, and the average of its size class's
/// slabs in the same arena (jemalloc's "experimental.utilization.query").
struct cairn_slab_use {
    /// Free and total regions of the allocation's slab (0 and 1 for an allocation
    /// too big for a slab).
    size_t nfree, nregs;
    /// The same counts summed over the arena's slabs of that size class.
    size_t bin_nfree, bin_nregs;
    /// 1 when the slab is the one the arena fills next (moving out of it gains nothing).
    int is_current;
};

/// Reads the slab use of the heap block holding `ptr`; 0, ENOENT for an address
/// outside the heap (inside a loaded image: static data), or an errno.
int cairn_allocator_slab_use(const void *ptr, struct cairn_slab_use *out);

/// Turns the calling thread's cache of freed blocks on or off (off flushes it); returns
/// whether it was on (1 or 0), or -1. Defrag runs without it, so a new block is not one
/// just freed from a sparse slab.
int cairn_thread_cache_swap(int enabled);

/// Names the calling thread (Linux keeps the first 15 bytes); 0 or an errno.
int cairn_set_thread_name(const char *name);

/// The processor's time-stamp counter (x86-64 RDTSC), or 0 elsewhere. Inline, so a read
/// costs a few cycles instead of a call into the vDSO (TickClock.swift scales it).
static inline uint64_t cairn_ticks(void) {
#if defined(__x86_64__)
    uint32_t low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((uint64_t)high << 32) | low;
#else
    return 0;
#endif
}

#endif
