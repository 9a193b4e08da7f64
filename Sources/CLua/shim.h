// CLua: Debian's Lua 5.1 (liblua5.1-0-dev), the interpreter Redis 4.0 embeds. Included as
// <lua5.1/...> so the build needs no -I from pkg-config (Debian puts the headers there).
#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>
#include <lua5.1/lualib.h>
