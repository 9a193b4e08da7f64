// struct.c: the `struct` library Redis 4.0 gives scripts (Roberto Ierusalimschy's
// struct 0.2 as Redis ships it), written here because Debian has no Lua 5.1 package.
//
// struct.pack(fmt, ...) -> bytes; struct.unpack(fmt, s [, pos]) -> values, then the
// position after them; struct.size(fmt) -> bytes a format takes. Format options:
// '<' '>' little/big endian (native by default), '!n' align to n (a power of 2;
// alone: the platform's maximum, 8), 'x' one zero byte, 'b' 'B' 'h' 'H' 'l' 'L' 'T'
// 'in' 'In' signed/unsigned integers of the C sizes (n bytes for i/I, at most 32),
// 'f' 'd' float and double, 'cn' n bytes (c0: all of the string; unpacking, the
// length is the number read just before), 's' a zero-terminated string, ' ' nothing.
// Alignment is off until '!' sets it; a field aligns to min(its size, the alignment).
// Error texts are the library's (checked against 4.0.14 by tools/tests/test_scripting.py).
#include "cluashim.h"
#include "bytebuf.h"
#include <ctype.h>
#include <stdint.h>

#define INT_BYTES_MAX 32
#define ALIGN_MAX 8

typedef struct {
    int little;  // byte order of the fields that follow
    int align;   // 1: packed
} layout;

/// Digits at *fmt as a number, or `fallback` when none.
static int read_count(const char **fmt, int fallback) {
    if (!isdigit((unsigned char)**fmt)) return fallback;
    int n = 0;
    while (isdigit((unsigned char)**fmt)) n = n * 10 + (*(*fmt)++ - '0');
    return n;
}

/// The size of option `opt` (0 for options without one), reading its count digits.
static size_t field_size(lua_State *L, int opt, const char **fmt) {
    switch (opt) {
    case 'b': case 'B': return sizeof(char);
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return (size_t)read_count(fmt, 1);
    case 'i': case 'I': {
        int n = read_count(fmt, sizeof(int));
        if (n > INT_BYTES_MAX) luaL_error(L, "integral size %d is larger than limit of %d", n, INT_BYTES_MAX);
        return (size_t)n;
    }
    default: return 0;
    }
}

/// Padding before a field of `size` at offset `at`.
static size_t padding(size_t at, const layout *lay, int opt, size_t size) {
    if (size == 0 || opt == 'c') return 0;
    size_t a = size > (size_t)lay->align ? (size_t)lay->align : size;
    return (a - (at & (a - 1))) & (a - 1);
}

/// ' ', '<', '>', '!n'; anything else is an invalid option (argument 1).
static void layout_option(lua_State *L, int opt, const char **fmt, layout *lay) {
    switch (opt) {
    case ' ': return;
    case '<': lay->little = 1; return;
    case '>': lay->little = 0; return;
    case '!': {
        int a = read_count(fmt, ALIGN_MAX);
        if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
        lay->align = a;
        return;
    }
    default:
        luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

static int is_integer_option(int opt) { return opt && strchr("bBhHlLTiI", opt) != NULL; }

static void native_layout(layout *lay) {
    const uint16_t probe = 1;
    lay->little = *(const unsigned char *)&probe == 1;
    lay->align = 1;
}

/// `bytes` bytes of `value` in the layout's order.
static void add_integer(lua_State *L, bytebuf *b, uint64_t value, size_t bytes, int little) {
    unsigned char out[INT_BYTES_MAX];
    for (size_t i = 0; i < bytes; i++) {
        out[little ? i : bytes - 1 - i] = (unsigned char)(value & 0xff);
        value = i < 7 ? value >> 8 : 0;
    }
    bytebuf_add(L, b, out, bytes);
}

/// A float or double's bytes in the layout's order.
static void add_real(lua_State *L, bytebuf *b, const void *native, size_t size, int little, int host_little) {
    unsigned char out[8];
    for (size_t i = 0; i < size; i++) out[i] = ((const unsigned char *)native)[little == host_little ? i : size - 1 - i];
    bytebuf_add(L, b, out, size);
}

static int struct_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    // The library Redis ships keeps a nil above the arguments while packing, so a missing
    // argument right after the last one reads "got nil", not "got no value".
    lua_pushnil(L);
    layout lay;
    native_layout(&lay);
    const int host_little = lay.little;
    int arg = 2;
    size_t total = 0;
    bytebuf b = {NULL, 0, 0};
    static const unsigned char zeros[ALIGN_MAX * 4];
    while (*fmt) {
        int opt = *fmt++;
        size_t size = field_size(L, opt, &fmt);
        size_t pad = padding(total, &lay, opt, size);
        total += pad;
        while (pad > 0) {  // '!n' may ask for any power of 2
            size_t n = pad < sizeof zeros ? pad : sizeof zeros;
            bytebuf_add(L, &b, zeros, n);
            pad -= n;
        }
        if (is_integer_option(opt)) {
            lua_Number n = luaL_checknumber(L, arg++);
            uint64_t v = n < 0 ? (uint64_t)(int64_t)n : (uint64_t)n;
            add_integer(L, &b, v, size, lay.little);
        } else if (opt == 'x') {
            bytebuf_add(L, &b, zeros, 1);
        } else if (opt == 'f') {
            float f = (float)luaL_checknumber(L, arg++);
            add_real(L, &b, &f, size, lay.little, host_little);
        } else if (opt == 'd') {
            double d = luaL_checknumber(L, arg++);
            add_real(L, &b, &d, size, lay.little, host_little);
        } else if (opt == 'c' || opt == 's') {
            size_t len;
            const char *s = luaL_checklstring(L, arg++, &len);
            if (size == 0) size = len;
            luaL_argcheck(L, len >= size, arg, "string too short");
            bytebuf_add(L, &b, s, size);
            if (opt == 's') {
                bytebuf_add(L, &b, zeros, 1);
                size++;
            }
        } else {
            layout_option(L, opt, &fmt, &lay);
        }
        total += size;
    }
    bytebuf_push(L, &b);
    return 1;
}

/// The integer of `size` bytes at p, sign-extended when `is_signed`.
static lua_Number read_integer(const unsigned char *p, size_t size, int little, int is_signed) {
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) v = (v << 8) | p[little ? size - 1 - i : i];
    if (is_signed && size > 0 && size < 8) {
        uint64_t sign = (uint64_t)1 << (size * 8 - 1);
        if (v & sign) v |= ~((sign << 1) - 1);
    }
    return is_signed ? (lua_Number)(int64_t)v : (lua_Number)v;
}

static int struct_unpack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    layout lay;
    native_layout(&lay);
    const int host_little = lay.little;
    int results = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = field_size(L, opt, &fmt);
        pos += padding(pos, &lay, opt, size);
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        const unsigned char *at = (const unsigned char *)data + pos;
        if (is_integer_option(opt)) {
            lua_pushnumber(L, read_integer(at, size, lay.little, islower(opt)));
            results++;
        } else if (opt == 'x') {
            // skipped
        } else if (opt == 'f' || opt == 'd') {
            unsigned char native[8];
            for (size_t i = 0; i < size; i++) native[i] = at[lay.little == host_little ? i : size - 1 - i];
            if (opt == 'f') {
                float f;
                memcpy(&f, native, sizeof f);
                lua_pushnumber(L, f);
            } else {
                double d;
                memcpy(&d, native, sizeof d);
                lua_pushnumber(L, d);
            }
            results++;
        } else if (opt == 'c') {
            if (size == 0) {
                if (results == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)lua_tonumber(L, -1);
                lua_pop(L, 1);
                results--;
                luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)at, size);
            results++;
        } else if (opt == 's') {
            const char *end = memchr(at, '\0', len - pos);
            if (end == NULL) luaL_error(L, "unfinished string in data");
            size = (size_t)(end - (const char *)at) + 1;
            lua_pushlstring(L, (const char *)at, size - 1);
            results++;
        } else {
            layout_option(L, opt, &fmt, &lay);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return results + 1;
}

static int struct_size(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    layout lay;
    native_layout(&lay);
    size_t pos = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = field_size(L, opt, &fmt);
        pos += padding(pos, &lay, opt, size);
        if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!isalnum(opt)) layout_option(L, opt, &fmt, &lay);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int cairn_luaopen_struct(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"pack", struct_pack},
        {"unpack", struct_unpack},
        {"size", struct_size},
        {NULL, NULL},
    };
    luaL_register(L, "struct", functions);
    return 1;
}
