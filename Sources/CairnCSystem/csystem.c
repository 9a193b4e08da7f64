// csystem: see include/csystem.h.
#define _GNU_SOURCE
#include "csystem.h"
#include <malloc.h>
#include <pthread.h>
#include <string.h>

size_t cairn_heap_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

int cairn_set_thread_name(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    return pthread_setname_np(pthread_self(), cut);
}
