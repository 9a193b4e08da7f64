// CRC64 (Jones, reflected) by carry-less multiplication: the method of Intel's
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
// (Gopal et al., 2009), written for this polynomial.
//
// Contract: see include/cairn_crc.h. The result equals the table path's
// (Tests/RDBTests/CRC64Tests.swift compares them over every length to 4096).
// Tricky bit: bytes load little-endian, so a 128-bit register holds the
// polynomial reflected (the first message bit, the highest degree, in bit 0),
// and a reflected 64x64 multiply yields the product times x. Hence the folding
// constants are x^(D+63) and x^(D-1) mod P, not x^(D+64) and x^D.
//
// The shape: four 128-bit lanes fold 64 bytes per step (D = 512 bits); the
// lanes are folded into one (D = 384, 256, 128), then each further 16 bytes
// (D = 128); then the 128-bit state V = H*x^64 + L becomes H*x^128 + L*x^64
// (the CRC is V*x^64 mod P), and a Barrett reduction takes that to 64 bits.
#include "cairn_crc.h"

#if defined(__x86_64__)

#include <immintrin.h>

// Polynomials here are over GF(2); P = x^64 + 0xAD93D23594C935A9 (bit i is the
// coefficient of x^i). Each constant below is stored reflected (the
// coefficient of x^i in bit 63 - i). tools/crc64_constants.py derives them and
// checks a bit-exact model of this file against a bitwise CRC.
//
// Folding a lane across D bits: its first qword H becomes H*x^(D+64) and its
// second qword L becomes L*x^D (mod P); with the multiply's extra x, the
// multipliers are x^(D+63) mod P (low qword of the pair) and x^(D-1) mod P
// (high qword).
#define FOLD512_LO 0xaf86efb16d9ab4fbULL // x^575 mod P
#define FOLD512_HI 0xf49784a634f014e4ULL // x^511 mod P
#define FOLD384_LO 0xa062b2319d66692fULL // x^447 mod P
#define FOLD384_HI 0x7b3211a760160db8ULL // x^383 mod P
#define FOLD256_LO 0x6ba4d760ab38201eULL // x^319 mod P
#define FOLD256_HI 0xef3d1d18ed889ed2ULL // x^255 mod P
#define FOLD128_LO 0xd9d7be7d505da32cULL // x^191 mod P
#define FOLD128_HI 0x381d0015c96f4444ULL // x^127 mod P (also the 128 -> 128 step)
// Barrett reduction of Y = Yh*x^64 + Yl: q = floor(Yh*mu / x^64), and
// Y mod P = Yl + (q*P mod x^64). mu = floor(x^128 / P) and P have degree 64;
// both are stored as the 65-bit reflected form minus its last bit (bit j is
// the coefficient of x^(64-j), j < 64). For mu the dropped x^0 term cannot
// reach the quotient; for P it is 1, and the code adds q*1 itself.
#define BARRETT_MU 0x3e6cfa329aef9f77ULL  // floor(x^128 / P)
#define BARRETT_POLY 0x2b5926535897936bULL // P

int cairn_crc64_clmul_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

#define CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

/// `x` folded across D bits, for the constant pair `k` of that D (lo, hi).
static inline CLMUL_TARGET __m128i fold(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

static inline CLMUL_TARGET __m128i load(const unsigned char *p) {
    return _mm_loadu_si128((const __m128i *)p);
}

CLMUL_TARGET uint64_t cairn_crc64_clmul(uint64_t crc, const void *data, size_t length) {
    const unsigned char *p = data;
    const unsigned char *end = p + (length & ~(size_t)15);
    const __m128i k128 = _mm_set_epi64x((long long)FOLD128_HI, (long long)FOLD128_LO);
    // The running CRC joins the first 8 bytes: crc*x^(8n) = (crc*x^(8n-64))*x^64.
    __m128i v = _mm_xor_si128(load(p), _mm_cvtsi64_si128((long long)crc));
    p += 16;
    if (end - p >= 48) {
        const __m128i k512 = _mm_set_epi64x((long long)FOLD512_HI, (long long)FOLD512_LO);
        __m128i x0 = v, x1 = load(p), x2 = load(p + 16), x3 = load(p + 32);
        p += 48;
        while (end - p >= 64) {
            x0 = _mm_xor_si128(fold(x0, k512), load(p));
            x1 = _mm_xor_si128(fold(x1, k512), load(p + 16));
            x2 = _mm_xor_si128(fold(x2, k512), load(p + 32));
            x3 = _mm_xor_si128(fold(x3, k512), load(p + 48));
            p += 64;
        }
        const __m128i k384 = _mm_set_epi64x((long long)FOLD384_HI, (long long)FOLD384_LO);
        const __m128i k256 = _mm_set_epi64x((long long)FOLD256_HI, (long long)FOLD256_LO);
        v = _mm_xor_si128(_mm_xor_si128(fold(x0, k384), fold(x1, k256)), _mm_xor_si128(fold(x2, k128), x3));
    }
    while (p < end) {
        v = _mm_xor_si128(fold(v, k128), load(p));
        p += 16;
    }
    // Y = H*x^128 + L*x^64 (congruent to V*x^64): H times x^127 mod P, plus L.
    __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(v, k128, 0x10), _mm_srli_si128(v, 8));
    const __m128i kb = _mm_set_epi64x((long long)BARRETT_POLY, (long long)BARRETT_MU);
    __m128i q = _mm_clmulepi64_si128(y, kb, 0x00);  // low qword: q = floor(Yh*mu / x^64)
    __m128i qp = _mm_clmulepi64_si128(q, kb, 0x10); // high qword: q*(P - 1) mod x^64
    return (uint64_t)_mm_extract_epi64(y, 1) ^ (uint64_t)_mm_extract_epi64(qp, 1) ^ (uint64_t)_mm_cvtsi128_si64(q);
}

#else

int cairn_crc64_clmul_available(void) { return 0; }

// Never called: CRC64.swift takes the table path when the above is 0.
uint64_t cairn_crc64_clmul(uint64_t crc, const void *data, size_t length) {
    (void)data;
    (void)length;
    return crc;
}

#endif
