// csystem: the few C library facts Swift cannot reach through Glibc's module
// map (allocator statistics live in <malloc.h>, which it does not include).
#ifndef CAIRN_CSYSTEM_H
#define CAIRN_CSYSTEM_H
#include <stddef.h>

/// Bytes currently handed out by the allocator and not yet freed.
size_t cairn_heap_allocated_bytes(void);

#endif
