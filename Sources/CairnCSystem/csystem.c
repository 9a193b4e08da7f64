// csystem: see include/csystem.h.
#define _GNU_SOURCE
#include "csystem.h"
#include <jemalloc/jemalloc.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cairn_allocator_stats(struct cairn_allocator_stats *out) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    int rc = mallctl("epoch", &epoch, &len, &epoch, len);
    if (rc != 0) return rc;
    size_t sz = sizeof(size_t);
    if ((rc = mallctl("stats.allocated", &out->allocated, &sz, NULL, 0)) != 0) return rc;
    if ((rc = mallctl("stats.active", &out->active, &sz, NULL, 0)) != 0) return rc;
    return mallctl("stats.resident", &out->resident, &sz, NULL, 0);
}

const char *cairn_allocator_version(void) {
    const char *version = NULL;
    size_t len = sizeof version;
    return mallctl("version", &version, &len, NULL, 0) == 0 ? version : NULL;
}

// The addresses of this thread's counters, looked up once per thread.
static __thread uint64_t *allocated_counter;
static __thread uint64_t *deallocated_counter;

int64_t cairn_thread_allocated_net(void) {
    if (allocated_counter == NULL) {
        size_t len = sizeof allocated_counter;
        if (mallctl("thread.allocatedp", &allocated_counter, &len, NULL, 0) != 0) return 0;
        len = sizeof deallocated_counter;
        if (mallctl("thread.deallocatedp", &deallocated_counter, &len, NULL, 0) != 0) {
            allocated_counter = NULL;
            return 0;
        }
    }
    return (int64_t)(*allocated_counter - *deallocated_counter);
}

int cairn_set_thread_name(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    return pthread_setname_np(pthread_self(), cut);
}

// malloc_stats_print hands its report over in pieces; they are gathered here.
struct text_sink { char *bytes; size_t length, capacity; };

static void append_piece(void *opaque, const char *piece) {
    struct text_sink *sink = opaque;
    size_t n = strlen(piece);
    if (sink->length + n + 1 > sink->capacity) {
        size_t capacity = (sink->capacity ? sink->capacity * 2 : 16384);
        while (capacity < sink->length + n + 1) capacity *= 2;
        char *grown = realloc(sink->bytes, capacity);
        if (grown == NULL) return;  // the report is cut short rather than lost
        sink->bytes = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->bytes + sink->length, piece, n + 1);
    sink->length += n;
}

char *cairn_allocator_report(size_t *length) {
    struct text_sink sink = {NULL, 0, 0};
    malloc_stats_print(append_piece, &sink, NULL);
    *length = sink.length;
    return sink.bytes;
}

int cairn_thread_cache_flush(void) { return mallctl("thread.tcache.flush", NULL, NULL, NULL, 0); }

int cairn_allocator_purge(void) {
    char name[64];
    snprintf(name, sizeof name, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    return mallctl(name, NULL, NULL, NULL, 0);
}

size_t cairn_allocator_size_class(size_t size) { return size == 0 ? 0 : nallocx(size, 0); }

// jemalloc 5.3's reply to "experimental.utilization.query" (its
// inspect_extent_util_stats_verbose_t; the header does not export it).
struct utilization_reply {
    void *slabcur_addr;
    size_t nfree, nregs, size, bin_nfree, bin_nregs;
};

int cairn_allocator_slab_use(const void *ptr, struct cairn_slab_use *out) {
    // jemalloc looks the address up in its page map assuming it is its own: an
    // address in an image's data (a statically built array) must not reach it.
    Dl_info info;
    if (ptr == NULL || dladdr(ptr, &info) != 0) return ENOENT;
    struct utilization_reply reply;
    size_t len = sizeof reply;
    int rc = mallctl("experimental.utilization.query", &reply, &len, (void *)&ptr, sizeof ptr);
    if (rc != 0) return rc;
    if (reply.size == 0) return ENOENT;
    out->nfree = reply.nfree;
    out->nregs = reply.nregs;
    out->bin_nfree = reply.bin_nfree;
    out->bin_nregs = reply.bin_nregs;
    // slabcur_addr is the start of the current slab; ptr lies inside some slab of `size` bytes.
    uintptr_t slab = (uintptr_t)reply.slabcur_addr;
    out->is_current = slab != 0 && (uintptr_t)ptr >= slab && (uintptr_t)ptr < slab + reply.size;
    return 0;
}

int cairn_thread_cache_swap(int enabled) {
    bool value = enabled != 0, was = false;
    size_t len = sizeof was;
    if (mallctl("thread.tcache.enabled", &was, &len, &value, sizeof value) != 0) return -1;
    return was ? 1 : 0;
}
