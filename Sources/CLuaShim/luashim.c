// luashim.c: trampolines, libraries, Redis's math.random and the script runner
// (see include/cluashim.h for the contract of each).
#define _GNU_SOURCE
#include "cluashim.h"
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

// MARK: trampolines

static cairn_lua_callback swift_callback = NULL;

void cairn_lua_set_callback(cairn_lua_callback callback) { swift_callback = callback; }

static int trampoline(lua_State *L) {
    void *owner = lua_touserdata(L, lua_upvalueindex(1));
    int which = (int)lua_tointeger(L, lua_upvalueindex(2));
    int results = swift_callback(owner, L, which);
    if (results < 0) return lua_error(L);  // raised here, after the Swift frames are gone
    return results;
}

void cairn_lua_push_function(lua_State *L, void *owner, int which) {
    lua_pushlightuserdata(L, owner);
    lua_pushinteger(L, which);
    lua_pushcclosure(L, trampoline, 2);
}

// MARK: libraries

static void open_builtin(lua_State *L, const char *name, lua_CFunction open) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/// Opens a Debian Lua module (a shared library exporting luaopen_<name>), or notes it missing.
static void open_shared(lua_State *L, const char *name, const char *file, char *missing, size_t size) {
    char symbol[64];
    snprintf(symbol, sizeof symbol, "luaopen_%s", name);
    void *handle = dlopen(file, RTLD_NOW | RTLD_GLOBAL);
    lua_CFunction open = handle ? (lua_CFunction)dlsym(handle, symbol) : NULL;
    if (open == NULL) {
        size_t used = strlen(missing);
        snprintf(missing + used, size - used, "%s%s", used ? ", " : "", name);
        return;
    }
    // Debian builds lua-cjson without its global: the module's table is returned, and set here.
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_type(L, -1) == LUA_TTABLE) lua_setfield(L, LUA_GLOBALSINDEX, name);
    else lua_pop(L, 1);
}

void cairn_lua_open_libraries(lua_State *L, char *missing, size_t missing_size) {
    if (missing_size > 0) missing[0] = 0;
    open_builtin(L, "", luaopen_base);
    open_builtin(L, LUA_TABLIBNAME, luaopen_table);
    open_builtin(L, LUA_STRLIBNAME, luaopen_string);
    open_builtin(L, LUA_MATHLIBNAME, luaopen_math);
    open_builtin(L, LUA_DBLIBNAME, luaopen_debug);
    open_shared(L, "cjson", "liblua5.1-cjson.so.0", missing, missing_size);
    open_shared(L, "bit", "liblua5.1-bitop.so.0", missing, missing_size);
    lua_settop(L, 0);  // the modules leave their tables behind
}

// MARK: math.random (the drand48 generator: x = (a*x + c) mod 2^48, seeded as Redis seeds it)

static __thread uint64_t rand48_state = 0x1234ABCD330EULL;

void cairn_lua_seed_random(int32_t seed) {
    uint32_t s = (uint32_t)seed;
    rand48_state = ((uint64_t)(s >> 16) << 32) | ((uint64_t)(s & 0xFFFF) << 16) | 0x330E;
}

static int32_t next_rand48(void) {
    rand48_state = (rand48_state * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
    return (int32_t)(rand48_state >> 17);
}

static int math_random(lua_State *L) {
    const lua_Number max = 2147483647.0;
    lua_Number r = (lua_Number)(next_rand48() % 2147483647) / max;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    cairn_lua_seed_random(luaL_checkint(L, 1));
    return 0;
}

void cairn_lua_install_random(lua_State *L) {
    lua_getfield(L, LUA_GLOBALSINDEX, "math");
    lua_pushcfunction(L, math_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, math_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
}

// MARK: the runner

/// The script's own stack: big enough for the commands a script calls (Swift frames of
/// debug builds are large); pages are touched only as used. One guard page below it.
#define SCRIPT_STACK_BYTES (16u << 20)
#define GUARD_BYTES 4096u
/// Lua instructions between two looks at the clock (Redis's figure).
#define HOOK_INSTRUCTIONS 100000

struct cairn_script_run {
    ucontext_t caller;
    ucontext_t script;
    char *stack;
    lua_State *L;
    int errfunc;
    int status;
    int done;
    int may_suspend;
    int timed_out;
    volatile int kill;
    int host_depth;
    long long started_ms;
    long long limit_ms;
    long long switch_at_ms;
};

static __thread cairn_script_run *running = NULL;

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cairn_script_run *cairn_run_create(void) {
    cairn_script_run *r = calloc(1, sizeof *r);
    return r;
}

void cairn_run_destroy(cairn_script_run *r) {
    if (r == NULL) return;
    if (r->stack) munmap(r->stack, SCRIPT_STACK_BYTES + GUARD_BYTES);
    free(r);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    cairn_script_run *r = running;
    if (r == NULL) return;
    long long now = monotonic_ms();
    if (!r->timed_out && now - r->started_ms >= r->limit_ms) r->timed_out = 1;
    if (r->timed_out && r->may_suspend && r->host_depth == 0 && now >= r->switch_at_ms) {
        running = NULL;
        swapcontext(&r->script, &r->caller);  // back in the event loop until resumed
        running = r;
    }
    if (r->kill) {
        lua_pushstring(L, "Script killed by user with SCRIPT KILL...");
        lua_error(L);
    }
}

static void script_entry(void) {
    cairn_script_run *r = running;
    r->status = lua_pcall(r->L, 0, 1, r->errfunc);
    r->done = 1;
    running = NULL;
    // returning resumes r->caller (uc_link)
}

static int switch_in(cairn_script_run *r) {
    running = r;
    swapcontext(&r->caller, &r->script);
    running = NULL;
    return r->done ? CAIRN_RUN_DONE : CAIRN_RUN_SUSPENDED;
}

int cairn_run_start(cairn_script_run *r, lua_State *L, int errfunc, long long limit_ms, int may_suspend) {
    r->L = L;
    r->errfunc = errfunc;
    r->status = 0;
    r->done = 0;
    r->timed_out = 0;
    r->kill = 0;
    r->host_depth = 0;
    r->may_suspend = may_suspend;
    r->started_ms = monotonic_ms();
    r->limit_ms = limit_ms;
    r->switch_at_ms = r->started_ms + limit_ms;
    if (limit_ms > 0) lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    if (!may_suspend || limit_ms <= 0) {
        running = r;
        r->status = lua_pcall(L, 0, 1, errfunc);
        running = NULL;
        r->done = 1;
        if (limit_ms > 0) lua_sethook(L, NULL, 0, 0);
        return CAIRN_RUN_DONE;
    }
    if (r->stack == NULL) {
        void *p = mmap(NULL, SCRIPT_STACK_BYTES + GUARD_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (p == MAP_FAILED) {  // no room for a stack: run in place, without suspension
            r->may_suspend = 0;
            running = r;
            r->status = lua_pcall(L, 0, 1, errfunc);
            running = NULL;
            r->done = 1;
            lua_sethook(L, NULL, 0, 0);
            return CAIRN_RUN_DONE;
        }
        mprotect(p, GUARD_BYTES, PROT_NONE);
        r->stack = p;
    }
    getcontext(&r->script);
    r->script.uc_stack.ss_sp = r->stack + GUARD_BYTES;
    r->script.uc_stack.ss_size = SCRIPT_STACK_BYTES;
    r->script.uc_link = &r->caller;
    makecontext(&r->script, script_entry, 0);
    int state = switch_in(r);
    if (state == CAIRN_RUN_DONE) lua_sethook(L, NULL, 0, 0);
    return state;
}

int cairn_run_resume(cairn_script_run *r, long long slice_ms) {
    if (r->done) return CAIRN_RUN_DONE;
    r->switch_at_ms = monotonic_ms() + slice_ms;
    int state = switch_in(r);
    if (state == CAIRN_RUN_DONE) lua_sethook(r->L, NULL, 0, 0);
    return state;
}

int cairn_run_status(const cairn_script_run *r) { return r->status; }
int cairn_run_timed_out(const cairn_script_run *r) { return r->timed_out; }
void cairn_run_kill(cairn_script_run *r) { r->kill = 1; }
void cairn_run_host_enter(cairn_script_run *r) { r->host_depth++; }
void cairn_run_host_leave(cairn_script_run *r) { r->host_depth--; }

int cl_format_number(double value, char *out, size_t size) {
    return snprintf(out, size, "%.17g", value);
}
