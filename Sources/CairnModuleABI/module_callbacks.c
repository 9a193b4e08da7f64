// module_callbacks.c: calls into module code through the function pointers a
// module handed over (OnLoad, command functions, event callbacks, the
// free_privdata of a blocked client), so Swift never casts C function types.
#include "cairn_module_abi.h"

int cairn_module_call_onload(void *onload, void *ctx, void **argv, int argc) {
    int (*fn)(void *, void **, int) = (int (*)(void *, void **, int))onload;
    return fn(ctx, argv, argc);
}

int cairn_module_call_command(void *fn, void *ctx, void **argv, int argc) {
    int (*cmd)(void *, void **, int) = (int (*)(void *, void **, int))fn;
    return cmd(ctx, argv, argc);
}

int cairn_module_call_notify(void *fn, void *ctx, int type, const char *event, void *key) {
    int (*cb)(void *, int, const char *, void *) = (int (*)(void *, int, const char *, void *))fn;
    return cb(ctx, type, event, key);
}

void cairn_module_call_free(void *fn, void *data) {
    void (*f)(void *) = (void (*)(void *))fn;
    f(data);
}

/* Module data type callbacks (RedisModuleTypeMethods, Redis 4.0). */
void *cairn_module_call_rdb_load(void *fn, void *io, int encver) {
    void *(*cb)(void *, int) = (void *(*)(void *, int))fn;
    return cb(io, encver);
}

void cairn_module_call_rdb_save(void *fn, void *io, void *value) {
    void (*cb)(void *, void *) = (void (*)(void *, void *))fn;
    cb(io, value);
}

void cairn_module_call_aof_rewrite(void *fn, void *io, void *key, void *value) {
    void (*cb)(void *, void *, void *) = (void (*)(void *, void *, void *))fn;
    cb(io, key, value);
}

size_t cairn_module_call_mem_usage(void *fn, const void *value) {
    size_t (*cb)(const void *) = (size_t (*)(const void *))fn;
    return cb(value);
}
