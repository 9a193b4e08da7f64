// module_entries.h (private to the C target): the names of the module API and
// the Swift entry points behind them.
//
// CAIRN_SWIFT_API_LIST names every API function implemented in Swift as
// @_cdecl("cairn_rm_<Name>") with the exact signature redismodule.h (Redis
// 4.0) gives RedisModule_<Name>; the table only takes their addresses, so they
// are declared here without parameters. CAIRN_C_API_LIST names the ones
// written in C (module_variadic.c, module_api_table.c).
#ifndef CAIRN_MODULE_ENTRIES_H
#define CAIRN_MODULE_ENTRIES_H

#include <stddef.h>
#include "cairn_module_abi.h"

#define CAIRN_SWIFT_API_LIST(X) \
    X(Alloc) X(Calloc) X(Realloc) X(Free) X(Strdup) X(PoolAlloc) \
    X(CreateCommand) X(SetModuleAttribs) X(IsModuleNameBusy) X(WrongArity) \
    X(ReplyWithLongLong) X(ReplyWithError) X(ReplyWithSimpleString) X(ReplyWithArray) \
    X(ReplySetArrayLength) X(ReplyWithStringBuffer) X(ReplyWithString) X(ReplyWithNull) \
    X(ReplyWithCallReply) X(ReplyWithDouble) \
    X(GetSelectedDb) X(SelectDb) X(GetClientId) X(GetContextFlags) X(Milliseconds) \
    X(IsKeysPositionRequest) X(KeyAtPos) \
    X(OpenKey) X(CloseKey) X(KeyType) X(ValueLength) X(DeleteKey) X(UnlinkKey) \
    X(GetExpire) X(SetExpire) X(StringSet) X(StringDMA) X(StringTruncate) \
    X(ListPush) X(ListPop) \
    X(ZsetAdd) X(ZsetIncrby) X(ZsetScore) X(ZsetRem) X(ZsetRangeStop) \
    X(ZsetFirstInScoreRange) X(ZsetLastInScoreRange) X(ZsetFirstInLexRange) X(ZsetLastInLexRange) \
    X(ZsetRangeCurrentElement) X(ZsetRangeNext) X(ZsetRangePrev) X(ZsetRangeEndReached) \
    X(StringToLongLong) X(StringToDouble) X(CreateString) X(CreateStringFromLongLong) \
    X(CreateStringFromString) X(CreateStringFromCallReply) X(FreeString) X(StringPtrLen) \
    X(StringAppendBuffer) X(RetainString) X(StringCompare) X(AutoMemory) \
    X(CallReplyProto) X(FreeCallReply) X(CallReplyType) X(CallReplyInteger) X(CallReplyLength) \
    X(CallReplyArrayElement) X(CallReplyStringPtr) X(ReplicateVerbatim) \
    X(CreateDataType) X(ModuleTypeSetValue) X(ModuleTypeGetType) X(ModuleTypeGetValue) \
    X(SaveUnsigned) X(LoadUnsigned) X(SaveSigned) X(LoadSigned) X(SaveString) X(SaveStringBuffer) \
    X(LoadString) X(LoadStringBuffer) X(SaveDouble) X(LoadDouble) X(SaveFloat) X(LoadFloat) \
    X(GetContextFromIO) X(DigestAddStringBuffer) X(DigestAddLongLong) X(DigestEndSequence) \
    X(BlockClient) X(UnblockClient) X(IsBlockedReplyRequest) X(IsBlockedTimeoutRequest) \
    X(GetBlockedClientPrivateData) X(AbortBlock) X(GetThreadSafeContext) X(FreeThreadSafeContext) \
    X(ThreadSafeContextLock) X(ThreadSafeContextUnlock) X(SubscribeToKeyspaceEvents)

#define CAIRN_C_API_LIST(X) \
    X(GetApi) X(Call) X(Replicate) X(CreateStringPrintf) X(Log) X(LogIOError) X(EmitAOF) \
    X(HashSet) X(HashGet)

#define CAIRN_DECLARE_SWIFT(Name) void cairn_rm_##Name(void);
CAIRN_SWIFT_API_LIST(CAIRN_DECLARE_SWIFT)
#undef CAIRN_DECLARE_SWIFT

/* The C-side functions of the table (exact redismodule.h signatures). */
int cairn_c_GetApi(const char *name, void *target);
void *cairn_c_Call(void *ctx, const char *cmdname, const char *fmt, ...);
int cairn_c_Replicate(void *ctx, const char *cmdname, const char *fmt, ...);
void *cairn_c_CreateStringPrintf(void *ctx, const char *fmt, ...);
void cairn_c_Log(void *ctx, const char *level, const char *fmt, ...);
void cairn_c_LogIOError(void *io, const char *level, const char *fmt, ...);
void cairn_c_EmitAOF(void *io, const char *cmdname, const char *fmt, ...);
int cairn_c_HashSet(void *key, int flags, ...);
int cairn_c_HashGet(void *key, int flags, ...);

/* Swift entry points the C side calls with real arguments (Modules/ABIEntries*.swift). */
void cairn_rm_unknown_api(const char *name);
const char *cairn_rm_string_bytes(const void *str, size_t *len);
void *cairn_rm_call_argv(void *ctx, const char *cmdname, const cairn_module_arg *args, int argc, int replicate);
int cairn_rm_replicate_argv(void *ctx, const char *cmdname, const cairn_module_arg *args, int argc);
void cairn_rm_emit_aof_argv(void *io, const char *cmdname, const cairn_module_arg *args, int argc);
void *cairn_rm_create_string(void *ctx, const char *ptr, size_t len);
void cairn_rm_log(void *ctx, const char *level, const char *message);
void cairn_rm_log_io(void *io, const char *level, const char *message);
/* Hash API, one field at a time: -1 when the key refuses (not writable / wrong type). */
int cairn_rm_hash_set_begin(void *key);
int cairn_rm_hash_set_one(void *key, int flags, const char *field, size_t flen, const void *value);
void cairn_rm_hash_set_end(void *key);
int cairn_rm_hash_get_begin(void *key);
void cairn_rm_hash_get_one(void *key, int flags, const char *field, size_t flen, void *out);

#endif
