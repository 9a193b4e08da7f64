// cairn_module_abi.h: what the Modules target (Swift) sees of the C side of the
// module ABI.
//
// Swift cannot define C-variadic functions, and a module built against Redis
// 4.0's redismodule.h finds every API function through one lookup function
// whose address is the first word of the context it is given. The C side holds
// that lookup table (name -> function pointer) and the variadic functions; each
// variadic function turns its arguments into plain arrays and calls a Swift
// entry point (@_cdecl "cairn_rm_*"). Nothing here includes redismodule.h:
// module handles are opaque pointers on both sides.
#ifndef CAIRN_MODULE_ABI_H
#define CAIRN_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

/// One argument built from a RedisModule_Call / Replicate / EmitAOF format.
typedef struct cairn_module_arg {
    const char *ptr;
    size_t len;
} cairn_module_arg;

/// The address modules read from the first word of a context (RedisModule_GetApi).
void *cairn_module_get_api_address(void);

/// 1 when `name` (e.g. "RedisModule_Call") is in the table, else 0.
int cairn_module_api_known(const char *name);

/// Number of names in the table, and the i-th one (for the log and the tests).
int cairn_module_api_count(void);
const char *cairn_module_api_name(int i);

/// printf's "%.17g" (what Redis replies for doubles); returns the length written.
int cairn_module_format_double(double value, char *buf, size_t size);

/// Calls a module's RedisModule_OnLoad(ctx, argv, argc).
int cairn_module_call_onload(void *onload, void *ctx, void **argv, int argc);

/// Calls a module command function (ctx, argv, argc); also the reply/timeout callbacks.
int cairn_module_call_command(void *fn, void *ctx, void **argv, int argc);

/// Calls a keyspace-event callback (ctx, type, event, key).
int cairn_module_call_notify(void *fn, void *ctx, int type, const char *event, void *key);

/// Calls a void (*)(void *) a module gave (a blocked client's free_privdata).
void cairn_module_call_free(void *fn, void *data);

/// The data type callbacks: rdb_load(io, encver), rdb_save(io, value),
/// aof_rewrite(io, key, value), mem_usage(value); digest(md, value) is rdb_save's shape.
void *cairn_module_call_rdb_load(void *fn, void *io, int encver);
void cairn_module_call_rdb_save(void *fn, void *io, void *value);
void cairn_module_call_aof_rewrite(void *fn, void *io, void *key, void *value);
size_t cairn_module_call_mem_usage(void *fn, const void *value);

#endif
