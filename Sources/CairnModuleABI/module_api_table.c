// module_api_table.c: RedisModule_GetApi and the table it answers from.
//
// Job: a module's RedisModule_Init (inlined from Redis 4.0's redismodule.h)
// reads the lookup function from the first word of the context and asks it for
// every API function by name ("RedisModule_ReplyWithLongLong", ...). This file
// holds the one table of names Cairn answers, sorted so a lookup is a binary
// search, each pointing at a function with the exact C signature the header
// declares: Swift entry points (cairn_rm_<Name>, Modules/*.swift) for most,
// the variadic ones in module_variadic.c.
// Contract: an unknown name leaves the module's pointer untouched, returns
// REDISMODULE_ERR (1), and is reported to Swift (cairn_rm_unknown_api) so the
// load in progress fails with that name in the error and the log.
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "cairn_module_abi.h"
#include "module_entries.h"

typedef struct api_entry {
    const char *name;
    void *fn;
} api_entry;

#define SWIFT_API(Name) {"RedisModule_" #Name, (void *)cairn_rm_##Name},
#define C_API(Name) {"RedisModule_" #Name, (void *)cairn_c_##Name},

static api_entry api_table[] = {
    CAIRN_SWIFT_API_LIST(SWIFT_API)
    CAIRN_C_API_LIST(C_API)
};

static const int api_count = (int)(sizeof(api_table) / sizeof(api_table[0]));
static int api_sorted = 0;

static int compare_entries(const void *a, const void *b) {
    return strcmp(((const api_entry *)a)->name, ((const api_entry *)b)->name);
}

/* Sorted once, before the first module loads (modules load on the keyspace thread). */
static void sort_table(void) {
    if (api_sorted) return;
    qsort(api_table, (size_t)api_count, sizeof(api_entry), compare_entries);
    api_sorted = 1;
}

static const api_entry *find_entry(const char *name) {
    sort_table();
    api_entry probe = {name, NULL};
    return bsearch(&probe, api_table, (size_t)api_count, sizeof(api_entry), compare_entries);
}

int cairn_c_GetApi(const char *name, void *target) {
    if (name == NULL || target == NULL) return 1;
    const api_entry *e = find_entry(name);
    if (e == NULL) {
        cairn_rm_unknown_api(name);
        return 1;
    }
    *(void **)target = e->fn;
    return 0;
}

void *cairn_module_get_api_address(void) { return (void *)cairn_c_GetApi; }

int cairn_module_api_known(const char *name) { return find_entry(name) != NULL; }

int cairn_module_api_count(void) { return api_count; }

const char *cairn_module_api_name(int i) {
    sort_table();
    return (i >= 0 && i < api_count) ? api_table[i].name : NULL;
}

int cairn_module_format_double(double value, char *buf, size_t size) {
    return snprintf(buf, size, "%.17g", value);
}
