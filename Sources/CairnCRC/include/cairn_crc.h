// cairn_crc: the carry-less multiply (PCLMULQDQ) path of RDB's CRC64 (Jones,
// reflected, init 0, no final xor). Sources/RDB/CRC64.swift is the only caller:
// it asks once whether the CPU has the instructions, keeps short inputs and the
// last length % 16 bytes on its table path, and falls back to the table entirely.
#ifndef CAIRN_CRC_H
#define CAIRN_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this is x86_64 and the CPU has PCLMULQDQ and SSE4.1, else 0.
int cairn_crc64_clmul_available(void);

/// Folds the first `length & ~15` bytes at `data` into `crc` and returns the
/// result; the caller folds the remaining `length % 16` bytes. Requires
/// `length >= 16` and `cairn_crc64_clmul_available()`; any alignment.
uint64_t cairn_crc64_clmul(uint64_t crc, const void *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
