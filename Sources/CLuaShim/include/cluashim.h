// cluashim: what Swift cannot reach in Lua 5.1 by itself.
//
// 1. Lua's API macros (lua_pop, lua_newtable, ...) as functions.
// 2. Trampolines: Lua calls a C closure here, which calls the one Swift
//    callback; a Swift callback never raises a Lua error itself (a longjmp
//    through Swift frames would skip their cleanup), it returns -1 with the
//    message on the stack and the trampoline raises it once Swift returned.
// 3. The script runner: a script runs on a stack of its own (ucontext), so the
//    count hook can hand the thread back to the event loop in the middle of
//    a long script (lua-time-limit) and the loop can later switch back in
//    (a few instructions on x86-64, ucontext elsewhere).
//    See docs/design-notes.md, "Scripting".
// 4. Redis's math.random (the drand48 sequence, seeded per script) and the
//    libraries Redis loads (cjson and bit from Debian, opened with dlopen;
//    struct and cmsgpack written here, struct.c and cmsgpack.c).
#ifndef CAIRN_LUASHIM_H
#define CAIRN_LUASHIM_H
#include <stddef.h>
#include <stdint.h>
#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>
#include <lua5.1/lualib.h>

// MARK: macros as functions
static inline void cl_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void cl_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *cl_tolstring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline void cl_getglobal(lua_State *L, const char *name) { lua_getfield(L, LUA_GLOBALSINDEX, name); }
static inline int cl_isnil(lua_State *L, int i) { return lua_type(L, i) == LUA_TNIL; }
static inline int cl_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int cl_globalsindex(void) { return LUA_GLOBALSINDEX; }
/// A number as redis.call passes it to a command ("%.17g"); returns the length.
int cl_format_number(double value, char *out, size_t size);
static inline int cl_gccount_bytes(lua_State *L) { return lua_gc(L, LUA_GCCOUNT, 0) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0); }

/// The one Swift entry point: `owner` is the engine the closure was made for, `which` the function.
/// Returns the number of results, or -1 to raise the error message on top of the stack.
typedef int (*cairn_lua_callback)(void *owner, lua_State *L, int which);
void cairn_lua_set_callback(cairn_lua_callback callback);
/// Pushes a C closure that calls the callback with (owner, which).
void cairn_lua_push_function(lua_State *L, void *owner, int which);

/// Opens the libraries Redis 4.0 loads that this machine has: base, table, string, math,
/// debug, struct and cmsgpack (struct.c, cmsgpack.c), and (from Debian's lua-cjson and lua-bitop) cjson and bit. Writes the names of
/// those it could not load into `missing` (comma separated; empty when all loaded).
void cairn_lua_open_libraries(lua_State *L, char *missing, size_t missing_size);

/// Installs math.random / math.randomseed on Redis's drand48 sequence.
void cairn_lua_install_random(lua_State *L);
/// Seeds that sequence (Redis's redisSrand48): every script starts from seed 0.
void cairn_lua_seed_random(int32_t seed);

// MARK: the runner
enum { CAIRN_RUN_DONE = 0, CAIRN_RUN_SUSPENDED = 1 };
typedef struct cairn_script_run cairn_script_run;
cairn_script_run *cairn_run_create(void);
void cairn_run_destroy(cairn_script_run *r);
/// Calls the function on top of the stack (no arguments, one result) with the message
/// handler at `errfunc`, as lua_pcall. With `limit_ms` > 0 a count hook watches the time;
/// with `may_suspend`, past the limit the hook hands the thread back (CAIRN_RUN_SUSPENDED)
/// and cairn_run_resume continues. Otherwise the call runs to its end (CAIRN_RUN_DONE).
int cairn_run_start(cairn_script_run *r, lua_State *L, int errfunc, long long limit_ms, int may_suspend);
/// Runs a suspended script for about `slice_ms` more.
int cairn_run_resume(cairn_script_run *r, long long slice_ms);
/// lua_pcall's status of the finished run.
int cairn_run_status(const cairn_script_run *r);
/// Has the run gone past its time limit?
int cairn_run_timed_out(const cairn_script_run *r);
/// SCRIPT KILL: the script raises an error at its next hook.
void cairn_run_kill(cairn_script_run *r);
/// Brackets host (Swift) work inside the script: the hook never switches stacks there.
void cairn_run_host_enter(cairn_script_run *r);
void cairn_run_host_leave(cairn_script_run *r);
#endif
