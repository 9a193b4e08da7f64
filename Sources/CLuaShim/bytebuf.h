// bytebuf.h: a growable byte buffer for the C libraries that build strings while
// walking Lua values (luaL_Buffer keeps its pieces on the Lua stack, which those
// walks use too). A Lua error in the middle leaves it unfreed: the cost of an
// error, never of a success.
#ifndef CAIRN_BYTEBUF_H
#define CAIRN_BYTEBUF_H
#include <stdlib.h>
#include <string.h>
#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>

typedef struct {
    unsigned char *p;
    size_t len, cap;
} bytebuf;

static inline void bytebuf_add(lua_State *L, bytebuf *b, const void *s, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL) luaL_error(L, "not enough memory");
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
}

/// Pushes the bytes as a Lua string and frees the buffer.
static inline void bytebuf_push(lua_State *L, bytebuf *b) {
    lua_pushlstring(L, b->p ? (const char *)b->p : "", b->len);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
#endif
