// module_variadic.c: the variadic functions of the module API, which Swift
// cannot define.
//
// Job: RedisModule_Call, Replicate and EmitAOF take a format ("c" C string, "s"
// RedisModuleString, "l" long long, "b" buffer + length, "v" vector of
// RedisModuleString + count, "!" replicate) followed by arguments; Log,
// LogIOError and CreateStringPrintf take a printf format; HashSet and HashGet
// take NULL-terminated field/value lists. Each function here reads its
// arguments into plain arrays and hands them to one Swift entry point.
// Contract: a bad format specifier makes Call return NULL (errno untouched, as
// in Redis 4.0) and Replicate return REDISMODULE_ERR; nothing is executed then.
// Log lines are cut at 1024 bytes as Redis's are (LOG_MAX_LEN).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "module_entries.h"

#define HASH_NX (1 << 0)
#define HASH_XX (1 << 1)
#define HASH_CFIELDS (1 << 2)
#define HASH_EXISTS (1 << 3)
#define LOG_MAX_LEN 1024

/* Arguments built from a format: the array, and the text of "l" numbers it points into. */
typedef struct built_args {
    cairn_module_arg *args;
    int count;
    int capacity;
    char *numbers;  /* 24 bytes per "l" specifier */
    int replicate;
} built_args;

static int push_arg(built_args *b, const char *ptr, size_t len) {
    if (b->count == b->capacity) {
        int cap = b->capacity ? b->capacity * 2 : 8;
        cairn_module_arg *grown = realloc(b->args, sizeof(cairn_module_arg) * (size_t)cap);
        if (grown == NULL) return -1;
        b->args = grown;
        b->capacity = cap;
    }
    b->args[b->count].ptr = ptr;
    b->args[b->count].len = len;
    b->count++;
    return 0;
}

static void free_args(built_args *b) {
    free(b->args);
    free(b->numbers);
}

/* Reads `ap` as `fmt` says; -1 on an unknown specifier (or no memory). */
static int build_args(built_args *b, const char *fmt, va_list ap) {
    memset(b, 0, sizeof(*b));
    size_t numbers = 0;
    for (const char *p = fmt; *p; p++) if (*p == 'l') numbers++;
    if (numbers) {
        b->numbers = malloc(numbers * 24);
        if (b->numbers == NULL) return -1;
    }
    size_t used = 0;
    for (const char *p = fmt; *p; p++) {
        int r = 0;
        switch (*p) {
        case 'c': {
            const char *s = va_arg(ap, const char *);
            r = push_arg(b, s ? s : "", s ? strlen(s) : 0);
            break;
        }
        case 's': {
            size_t len = 0;
            const char *s = cairn_rm_string_bytes(va_arg(ap, void *), &len);
            r = push_arg(b, s, len);
            break;
        }
        case 'b': {
            const char *s = va_arg(ap, const char *);
            size_t len = va_arg(ap, size_t);
            r = push_arg(b, s, len);
            break;
        }
        case 'l': {
            long long v = va_arg(ap, long long);
            char *text = b->numbers + used * 24;
            used++;
            int n = snprintf(text, 24, "%lld", v);
            r = push_arg(b, text, (size_t)n);
            break;
        }
        case 'v': {
            void **v = va_arg(ap, void **);
            size_t n = va_arg(ap, size_t);
            for (size_t i = 0; i < n && r == 0; i++) {
                size_t len = 0;
                const char *s = cairn_rm_string_bytes(v[i], &len);
                r = push_arg(b, s, len);
            }
            break;
        }
        case '!':
            b->replicate = 1;
            break;
        default:
            return -1;
        }
        if (r != 0) return -1;
    }
    return 0;
}

/* Reads the arguments after `fmt`; 0 when they are unusable (the arrays are freed either way by free_args). */
static int read_args(built_args *b, const char *cmdname, const char *fmt, va_list ap) {
    int r = build_args(b, fmt ? fmt : "", ap);
    return r == 0 && cmdname != NULL;
}

void *cairn_c_Call(void *ctx, const char *cmdname, const char *fmt, ...) {
    built_args b;
    va_list ap;
    va_start(ap, fmt);
    int ok = read_args(&b, cmdname, fmt, ap);
    va_end(ap);
    /* Redis 4.0 leaves errno alone on a bad format (its EINVAL is for unknown commands and arity). */
    void *reply = ok ? cairn_rm_call_argv(ctx, cmdname, b.args, b.count, b.replicate) : NULL;
    free_args(&b);
    return reply;
}

int cairn_c_Replicate(void *ctx, const char *cmdname, const char *fmt, ...) {
    built_args b;
    va_list ap;
    va_start(ap, fmt);
    int ok = read_args(&b, cmdname, fmt, ap);
    va_end(ap);
    int result = ok ? cairn_rm_replicate_argv(ctx, cmdname, b.args, b.count) : 1;
    free_args(&b);
    return result;
}

void cairn_c_EmitAOF(void *io, const char *cmdname, const char *fmt, ...) {
    built_args b;
    va_list ap;
    va_start(ap, fmt);
    int ok = read_args(&b, cmdname, fmt, ap);
    va_end(ap);
    /* On a bad format the Swift side logs the misuse and marks the rewrite failed. */
    if (ok) cairn_rm_emit_aof_argv(io, cmdname, b.args, b.count);
    else cairn_rm_emit_aof_argv(io, NULL, NULL, -1);
    free_args(&b);
}

void *cairn_c_CreateStringPrintf(void *ctx, const char *fmt, ...) {
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(again);
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL) {
        va_end(again);
        return NULL;
    }
    vsnprintf(buf, (size_t)n + 1, fmt, again);
    va_end(again);
    void *str = cairn_rm_create_string(ctx, buf, (size_t)n);
    free(buf);
    return str;
}

void cairn_c_Log(void *ctx, const char *level, const char *fmt, ...) {
    char msg[LOG_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cairn_rm_log(ctx, level, msg);
}

void cairn_c_LogIOError(void *io, const char *level, const char *fmt, ...) {
    char msg[LOG_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cairn_rm_log_io(io, level, msg);
}

/* Reads the next field of a HashSet/HashGet list; 0 at the terminating NULL. */
static int next_field(int flags, va_list *ap, const char **ptr, size_t *len) {
    if (flags & HASH_CFIELDS) {
        const char *f = va_arg(*ap, const char *);
        if (f == NULL) return 0;
        *ptr = f;
        *len = strlen(f);
    } else {
        void *f = va_arg(*ap, void *);
        if (f == NULL) return 0;
        *ptr = cairn_rm_string_bytes(f, len);
    }
    return 1;
}

int cairn_c_HashSet(void *key, int flags, ...) {
    if (cairn_rm_hash_set_begin(key) != 0) return 0;
    int updated = 0;
    va_list ap;
    va_start(ap, flags);
    const char *field;
    size_t flen;
    while (next_field(flags, &ap, &field, &flen)) {
        const void *value = va_arg(ap, const void *);
        updated += cairn_rm_hash_set_one(key, flags, field, flen, value);
    }
    va_end(ap);
    cairn_rm_hash_set_end(key);
    return updated;
}

int cairn_c_HashGet(void *key, int flags, ...) {
    if (cairn_rm_hash_get_begin(key) != 0) return 1;
    va_list ap;
    va_start(ap, flags);
    const char *field;
    size_t flen;
    while (next_field(flags, &ap, &field, &flen)) {
        void *out = va_arg(ap, void *);
        cairn_rm_hash_get_one(key, flags, field, flen, out);
    }
    va_end(ap);
    return 0;
}
