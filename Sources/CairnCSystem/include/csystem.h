// csystem: the few C library facts Swift cannot reach through Glibc's module
// map (allocator statistics live in <malloc.h>, which it does not include;
// pthread_setname_np needs _GNU_SOURCE, which the module map does not define).
#ifndef CAIRN_CSYSTEM_H
#define CAIRN_CSYSTEM_H
#include <stddef.h>
#include "watchdog.h"

/// Bytes currently handed out by the allocator and not yet freed.
size_t cairn_heap_allocated_bytes(void);

/// Names the calling thread (Linux keeps the first 15 bytes); 0 or an errno.
int cairn_set_thread_name(const char *name);

#endif
