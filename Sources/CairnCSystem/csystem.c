// csystem: see include/csystem.h.
#include "csystem.h"
#include <malloc.h>

size_t cairn_heap_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
