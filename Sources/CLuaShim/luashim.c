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

int cairn_luaopen_cmsgpack(lua_State *L);  // cmsgpack.c
int cairn_luaopen_struct(lua_State *L);    // struct.c

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
    open_builtin(L, "struct", cairn_luaopen_struct);
    open_builtin(L, "cmsgpack", cairn_luaopen_cmsgpack);
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

// Switching stacks. The script's stack runs one loop for its whole life (script_main):
// run the pcall asked for, switch back, wait for the next. On x86-64 a switch is a few
// instructions here (callee-saved registers, MXCSR and the x87 control word, as the ABI
// asks); elsewhere ucontext's swapcontext does it (one sigprocmask call per switch).
#if defined(__x86_64__)
#define CAIRN_FAST_SWITCH 1
/// Saves the current stack pointer into *from and continues on the stack `to` saved.
void cairn_stack_switch(void **from, void *to);
__asm__(
    ".text\n"
    ".globl cairn_stack_switch\n"
    ".type cairn_stack_switch,@function\n"
    "cairn_stack_switch:\n"
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %r12\n"
    "    pushq %r13\n"
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    subq $8, %rsp\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    movq %rsp, (%rdi)\n"
    "    movq %rsi, %rsp\n"
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    addq $8, %rsp\n"
    "    popq %r15\n"
    "    popq %r14\n"
    "    popq %r13\n"
    "    popq %r12\n"
    "    popq %rbx\n"
    "    popq %rbp\n"
    "    ret\n"
    ".size cairn_stack_switch, .-cairn_stack_switch\n");
#else
#include <ucontext.h>
#endif

struct cairn_script_run {
#if CAIRN_FAST_SWITCH
    void *caller_sp;
    void *script_sp;
#else
    ucontext_t caller;
    ucontext_t script;
#endif
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
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // ms granularity is all lua-time-limit needs
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

/// From the script's stack back to the loop's.
static void switch_out(cairn_script_run *r) {
#if CAIRN_FAST_SWITCH
    cairn_stack_switch(&r->script_sp, r->caller_sp);
#else
    swapcontext(&r->script, &r->caller);
#endif
}

/// From the loop's stack into the script's; returns when the script finished or paused.
static int switch_in(cairn_script_run *r) {
    running = r;
#if CAIRN_FAST_SWITCH
    cairn_stack_switch(&r->caller_sp, r->script_sp);
#else
    swapcontext(&r->caller, &r->script);
#endif
    running = NULL;
    return r->done ? CAIRN_RUN_DONE : CAIRN_RUN_SUSPENDED;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    cairn_script_run *r = running;
    if (r == NULL) return;
    long long now = monotonic_ms();
    if (!r->timed_out && now - r->started_ms >= r->limit_ms) r->timed_out = 1;
    if (r->timed_out && r->may_suspend && r->host_depth == 0 && now >= r->switch_at_ms) {
        running = NULL;
        switch_out(r);  // back in the event loop until resumed
        running = r;
    }
    if (r->kill) {
        lua_pushstring(L, "Script killed by user with SCRIPT KILL...");
        lua_error(L);
    }
}

/// The script stack's whole life: one pcall per start, then back to the loop.
static void script_main(void) {
    for (;;) {
        cairn_script_run *r = running;
        r->status = lua_pcall(r->L, 0, 1, r->errfunc);
        r->done = 1;
        switch_out(r);
    }
}

/// Maps the stack and prepares the first switch into script_main; 0 when no memory.
static int make_stack(cairn_script_run *r) {
    void *p = mmap(NULL, SCRIPT_STACK_BYTES + GUARD_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return 0;
    mprotect(p, GUARD_BYTES, PROT_NONE);
    r->stack = p;
#if CAIRN_FAST_SWITCH
    // The frame cairn_stack_switch pops: MXCSR/x87 word, six registers, then the return
    // address script_main; after that `ret` the stack is as a call would leave it.
    uint64_t *top = (uint64_t *)(r->stack + GUARD_BYTES + SCRIPT_STACK_BYTES);
    top -= 1;                    // script_main starts with rsp = end - 8, as after a call
    top[0] = 0;
    *--top = (uint64_t)(uintptr_t)script_main;
    for (int i = 0; i < 6; i++) *--top = 0;
    --top;
    uint32_t mxcsr;
    uint16_t fpucw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpucw));
    memcpy((char *)top, &mxcsr, 4);
    memcpy((char *)top + 4, &fpucw, 2);
    r->script_sp = top;
#else
    getcontext(&r->script);
    r->script.uc_stack.ss_sp = r->stack + GUARD_BYTES;
    r->script.uc_stack.ss_size = SCRIPT_STACK_BYTES;
    r->script.uc_link = NULL;
    makecontext(&r->script, script_main, 0);
#endif
    return 1;
}

/// lua_pcall on the loop's own stack (no pause possible).
static int run_in_place(cairn_script_run *r, lua_State *L, int errfunc, long long limit_ms) {
    running = r;
    r->status = lua_pcall(L, 0, 1, errfunc);
    running = NULL;
    r->done = 1;
    if (limit_ms > 0) lua_sethook(L, NULL, 0, 0);
    return CAIRN_RUN_DONE;
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
    r->started_ms = limit_ms > 0 ? monotonic_ms() : 0;
    r->limit_ms = limit_ms;
    r->switch_at_ms = r->started_ms + limit_ms;
    if (limit_ms > 0) lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    if (!may_suspend || limit_ms <= 0) return run_in_place(r, L, errfunc, limit_ms);
    if (r->stack == NULL && !make_stack(r)) {  // no room for a stack: run in place
        r->may_suspend = 0;
        return run_in_place(r, L, errfunc, limit_ms);
    }
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
