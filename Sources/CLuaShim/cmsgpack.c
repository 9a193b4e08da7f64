// cmsgpack.c: the `cmsgpack` library Redis 4.0 gives scripts (its lua-cmsgpack 0.4.0),
// written here because Debian has no Lua 5.1 package of it.
//
// cmsgpack.pack(v1, v2, ...) -> the MessagePack encodings of the values, concatenated.
// cmsgpack.unpack(s) -> every value encoded in s; unpack_one(s [, offset]) and
// unpack_limit(s, limit [, offset]) -> the offset after what they decoded (-1 at the
// end) followed by the values. The encoding choices are Redis's, so packed bytes match:
// a number equal to an int64 is the smallest integer form, else a float when the
// float holds it exactly, else a double; strings use fixraw/0xd9/0xda/0xdb; a table
// whose keys are exactly 1..n is an array, any other a map (in lua_next's order);
// tables nested 16 deep, functions and the like encode as nil.
#include "cluashim.h"
#include "bytebuf.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 16

// MARK: encoding (into a bytebuf: see bytebuf.h)

typedef bytebuf packbuf;

static void add_bytes(lua_State *L, packbuf *b, const void *s, size_t n) { bytebuf_add(L, b, s, n); }

static void add_byte(lua_State *L, packbuf *b, unsigned char c) { add_bytes(L, b, &c, 1); }

static void put_tagged(lua_State *L, packbuf *b, unsigned char tag, uint64_t v, int bytes) {
    unsigned char out[9];
    out[0] = tag;
    for (int i = 0; i < bytes; i++) out[1 + i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    add_bytes(L, b, out, 1 + (size_t)bytes);
}

static void pack_integer(lua_State *L, packbuf *b, int64_t n) {
    if (n >= 0) {
        if (n <= 127) add_byte(L, b, (char)n);
        else if (n <= 0xff) put_tagged(L, b, 0xcc, (uint64_t)n, 1);
        else if (n <= 0xffff) put_tagged(L, b, 0xcd, (uint64_t)n, 2);
        else if (n <= 0xffffffffLL) put_tagged(L, b, 0xce, (uint64_t)n, 4);
        else put_tagged(L, b, 0xcf, (uint64_t)n, 8);
    } else {
        if (n >= -32) add_byte(L, b, (char)(signed char)n);
        else if (n >= -128) put_tagged(L, b, 0xd0, (uint64_t)n, 1);
        else if (n >= -32768) put_tagged(L, b, 0xd1, (uint64_t)n, 2);
        else if (n >= -2147483648LL) put_tagged(L, b, 0xd2, (uint64_t)n, 4);
        else put_tagged(L, b, 0xd3, (uint64_t)n, 8);
    }
}

static void pack_number(lua_State *L, packbuf *b, lua_Number n) {
    if (!isinf(n) && !isnan(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 && (lua_Number)(int64_t)n == n) {
        pack_integer(L, b, (int64_t)n);
        return;
    }
    float f = (float)n;
    if ((double)f == n) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        put_tagged(L, b, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &n, 8);
        put_tagged(L, b, 0xcb, bits, 8);
    }
}

static void pack_length(lua_State *L, packbuf *b, size_t n, unsigned char fix, unsigned char fixmax,
                        int has8, unsigned char tag8, unsigned char tag16, unsigned char tag32) {
    if (n <= fixmax) add_byte(L, b, (char)(fix | n));
    else if (has8 && n <= 0xff) put_tagged(L, b, tag8, n, 1);
    else if (n <= 0xffff) put_tagged(L, b, tag16, n, 2);
    else put_tagged(L, b, tag32, n, 4);
}

/// Is the table at `index` keyed exactly by 1..n?
static int is_array(lua_State *L, int index) {
    long count = 0;
    lua_Number max = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) { lua_pop(L, 1); return 0; }
        lua_Number k = lua_tonumber(L, -1);
        if (k <= 0 || k > INT_MAX || (lua_Number)(int)k != k) { lua_pop(L, 1); return 0; }
        if (k > max) max = k;
        count++;
    }
    return max == (lua_Number)count;
}

static void pack_value(lua_State *L, packbuf *b, int level);

/// Packs the value on top of the stack and pops it.
static void pack_top(lua_State *L, packbuf *b, int level) { pack_value(L, b, level); }

static void pack_table(lua_State *L, packbuf *b, int level) {
    int t = lua_gettop(L);
    luaL_checkstack(L, 4, "in function cmsgpack.pack");
    if (is_array(L, t)) {
        size_t n = lua_objlen(L, t);
        pack_length(L, b, n, 0x90, 15, 0, 0, 0xdc, 0xdd);
        for (size_t i = 1; i <= n; i++) {
            lua_pushnumber(L, (lua_Number)i);
            lua_gettable(L, t);
            pack_top(L, b, level + 1);
        }
        return;
    }
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        n++;
    }
    pack_length(L, b, n, 0x80, 15, 0, 0, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pushvalue(L, -2);
        pack_top(L, b, level + 1);  // the key
        pack_top(L, b, level + 1);  // the value
    }
}

static void pack_value(lua_State *L, packbuf *b, int level) {
    int type = lua_type(L, -1);
    if (type == LUA_TTABLE && level == MAX_NESTING) type = LUA_TNIL;
    switch (type) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        pack_length(L, b, len, 0xa0, 31, 1, 0xd9, 0xda, 0xdb);
        add_bytes(L, b, s, len);
        break;
    }
    case LUA_TBOOLEAN: add_byte(L, b, lua_toboolean(L, -1) ? (char)0xc3 : (char)0xc2); break;
    case LUA_TNUMBER: pack_number(L, b, lua_tonumber(L, -1)); break;
    case LUA_TTABLE: pack_table(L, b, level); break;
    default: add_byte(L, b, (char)0xc0); break;
    }
    lua_pop(L, 1);
}

static int cmsgpack_pack(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, n)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    packbuf b = {NULL, 0, 0};
    for (int i = 1; i <= n; i++) {
        luaL_checkstack(L, 8, "in function cmsgpack.pack");
        lua_pushvalue(L, i);
        pack_value(L, &b, 0);
    }
    bytebuf_push(L, &b);
    return 1;
}

// MARK: decoding

enum { DECODE_OK, DECODE_EOF, DECODE_BADFMT };
/// Nesting the decoder follows before calling the input bad (Redis's has no bound and
/// runs out of C stack).
#define MAX_DECODE_DEPTH 1000

typedef struct {
    const unsigned char *p;
    size_t left;
    int err;
} cursor;

static int need(cursor *c, size_t n) {
    if (c->left < n) {
        c->err = DECODE_EOF;
        return 0;
    }
    return 1;
}

static uint64_t read_be(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
    return v;
}

static void decode_value(lua_State *L, cursor *c, int depth);

static void decode_container(lua_State *L, cursor *c, size_t count, int is_map, int depth) {
    if (depth >= MAX_DECODE_DEPTH) {
        c->err = DECODE_BADFMT;
        return;
    }
    lua_newtable(L);
    luaL_checkstack(L, 3, "in function cmsgpack.unpack");
    for (size_t i = 1; i <= count; i++) {
        if (is_map) {
            decode_value(L, c, depth + 1);
            if (c->err) return;
        } else {
            lua_pushnumber(L, (lua_Number)i);
        }
        decode_value(L, c, depth + 1);
        if (c->err) return;
        lua_settable(L, -3);
    }
}

static void decode_string(lua_State *L, cursor *c, int header) {
    if (!need(c, (size_t)header)) return;
    size_t len = header == 1 ? (c->p[0] & 0x1f) : (size_t)read_be(c->p + 1, header - 1);
    if (!need(c, header + len)) return;
    lua_pushlstring(L, (const char *)c->p + header, len);
    c->p += header + len;
    c->left -= header + len;
}

static void decode_value(lua_State *L, cursor *c, int depth) {
    if (!need(c, 1)) return;
    luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
    unsigned char tag = c->p[0];
    int size = 0;  // bytes after the tag of a fixed-size value
    if (tag <= 0x7f) {
        lua_pushnumber(L, tag);
    } else if (tag >= 0xe0) {
        lua_pushnumber(L, (signed char)tag);
    } else if (tag >= 0xa0 && tag <= 0xbf) {
        decode_string(L, c, 1);
        return;
    } else if (tag >= 0x90 && tag <= 0x9f) {
        c->p++, c->left--;
        decode_container(L, c, tag & 0x0f, 0, depth);
        return;
    } else if (tag >= 0x80 && tag <= 0x8f) {
        c->p++, c->left--;
        decode_container(L, c, tag & 0x0f, 1, depth);
        return;
    } else {
        switch (tag) {
        case 0xc0: lua_pushnil(L); break;
        case 0xc2: lua_pushboolean(L, 0); break;
        case 0xc3: lua_pushboolean(L, 1); break;
        case 0xcc: case 0xd0: size = 1; break;
        case 0xcd: case 0xd1: size = 2; break;
        case 0xce: case 0xd2: case 0xca: size = 4; break;
        case 0xcf: case 0xd3: case 0xcb: size = 8; break;
        case 0xd9: decode_string(L, c, 2); return;
        case 0xda: decode_string(L, c, 3); return;
        case 0xdb: decode_string(L, c, 5); return;
        case 0xdc: case 0xdd: case 0xde: case 0xdf: {
            int header = (tag == 0xdc || tag == 0xde) ? 3 : 5;
            if (!need(c, (size_t)header)) return;
            size_t count = (size_t)read_be(c->p + 1, header - 1);
            c->p += header, c->left -= header;
            decode_container(L, c, count, tag >= 0xde, depth);
            return;
        }
        default:
            c->err = DECODE_BADFMT;
            return;
        }
        if (size > 0) {
            if (!need(c, 1 + (size_t)size)) return;
            uint64_t v = read_be(c->p + 1, size);
            switch (tag) {
            case 0xcc: case 0xcd: case 0xce: case 0xcf: lua_pushnumber(L, (lua_Number)v); break;
            case 0xd0: lua_pushnumber(L, (int8_t)v); break;
            case 0xd1: lua_pushnumber(L, (int16_t)v); break;
            case 0xd2: lua_pushnumber(L, (int32_t)v); break;
            case 0xd3: lua_pushnumber(L, (lua_Number)(int64_t)v); break;
            case 0xca: {
                uint32_t bits = (uint32_t)v;
                float f;
                memcpy(&f, &bits, 4);
                lua_pushnumber(L, f);
                break;
            }
            default: {
                double d;
                memcpy(&d, &v, 8);
                lua_pushnumber(L, d);
                break;
            }
            }
        }
    }
    c->p += 1 + (size_t)size;
    c->left -= 1 + (size_t)size;
}

/// unpack (limit 0: everything), unpack_one, unpack_limit.
static int unpack_from(lua_State *L, int limit, int offset) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset, (int)len);
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", offset, (int)len);
    int all = limit == 0;
    if (all) limit = INT_MAX;
    cursor c = {(const unsigned char *)s + offset, len - (size_t)offset, DECODE_OK};
    int count = 0;
    while (c.left > 0 && count < limit) {
        decode_value(L, &c, 0);
        if (c.err == DECODE_EOF) return luaL_error(L, "Missing bytes in input.");
        if (c.err == DECODE_BADFMT) return luaL_error(L, "Bad data format in input.");
        count++;
    }
    if (all) return count;
    luaL_checkstack(L, 1, "in function cmsgpack.unpack");
    lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
    lua_insert(L, 2);  // the offset comes first, then the values
    return count + 1;
}

static int cmsgpack_unpack(lua_State *L) { return unpack_from(L, 0, 0); }

static int cmsgpack_unpack_one(lua_State *L) {
    int offset = (int)luaL_optinteger(L, 2, 0);
    lua_settop(L, 1);
    return unpack_from(L, 1, offset);
}

static int cmsgpack_unpack_limit(lua_State *L) {
    int limit = (int)luaL_checkinteger(L, 2);
    int offset = (int)luaL_optinteger(L, 3, 0);
    lua_settop(L, 1);
    return unpack_from(L, limit, offset);
}

int cairn_luaopen_cmsgpack(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"pack", cmsgpack_pack},
        {"unpack", cmsgpack_unpack},
        {"unpack_one", cmsgpack_unpack_one},
        {"unpack_limit", cmsgpack_unpack_limit},
        {NULL, NULL},
    };
    lua_newtable(L);
    for (const luaL_Reg *f = functions; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    lua_pushliteral(L, "cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "lua-cmsgpack 0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_GLOBALSINDEX, "cmsgpack");
    return 1;
}
