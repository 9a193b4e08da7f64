// CLua: Debian's Lua 5.1 (liblua5.1-0-dev), the interpreter Redis 4.0 embeds.
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
