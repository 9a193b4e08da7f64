#!/usr/bin/env python3
"""The constants of Sources/CairnCRC/crc64_clmul.c (CRC-64 Jones, reflected), derived
from the polynomial, and a bit-exact model of the C code checked against a bitwise CRC.

Polynomials are ints, bit i = coefficient of x^i. P = x^64 + 0xAD93D23594C935A9.
rev64(a) is the reflected form of a polynomial of degree < 64 (coefficient of x^i at
bit 63 - i), which is how a reflected CRC's bytes load into a register.
Run: python3 tools/crc64_constants.py   (prints the constants, then checks the model)
"""
import random

P = (1 << 64) | 0xAD93D23594C935A9


def pmod(a, m):
    """a mod m over GF(2)."""
    dm = m.bit_length() - 1
    while a.bit_length() - 1 >= dm:
        a ^= m << (a.bit_length() - 1 - dm)
    return a


def pdiv(a, m):
    """floor(a / m) over GF(2)."""
    q, dm = 0, m.bit_length() - 1
    while a.bit_length() - 1 >= dm:
        s = a.bit_length() - 1 - dm
        q |= 1 << s
        a ^= m << s
    return q


def rev(a, n):
    return int(format(a, f"0{n}b")[::-1], 2)


def xpow_mod(k):
    return pmod(1 << k, P)


def constants():
    # Folding 128 bits of state across D more bits: the state's first 64 bits (low qword,
    # high-degree half H) become H * x^(D+64), its last 64 (L) become L * x^D. A reflected
    # carry-less multiply of two 64-bit values yields the product times x, so the constants
    # are x^(D+63) mod P and x^(D-1) mod P.
    c = {}
    for d in (512, 384, 256, 128):
        c[f"fold{d}_lo"] = (rev(xpow_mod(d + 63), 64), f"x^{d + 63} mod P")
        c[f"fold{d}_hi"] = (rev(xpow_mod(d - 1), 64), f"x^{d - 1} mod P")
    # Barrett: mu = floor(x^128 / P) (degree 64). Both mu and P are kept as their reflected
    # 65-bit forms without the x^0 coefficient: bit j = coefficient of x^(64 - j), j < 64.
    mu = pdiv(1 << 128, P)
    c["mu"] = (rev(mu, 65) & (2**64 - 1), "floor(x^128 / P), x^64..x^1, reflected")
    c["poly"] = (rev(P, 65) & (2**64 - 1), "P, x^64..x^1, reflected")
    # mu's x^0 coefficient cannot reach floor(Yh * mu / x^64); P's is 1, and the
    # reduction adds q * 1 itself.
    assert P & 1
    return c


# --- A model of the C code: 128-bit registers are ints, qwords are 64-bit halves. ---
M64 = 2**64 - 1


def clmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def lo(x): return x & M64
def hi(x): return x >> 64


def fold(x, klo, khi):
    return clmul(lo(x), klo) ^ clmul(hi(x), khi)


def load(buf, i):
    return int.from_bytes(buf[i:i + 16], "little")


def model(crc, buf, c):
    """CRC of buf[:n & ~15] continuing from crc, as the C code computes it (n >= 16)."""
    k = {name: v for name, (v, _) in c.items()}
    n, i = len(buf) & ~15, 0
    if n >= 64:
        x = [load(buf, 0) ^ crc, load(buf, 16), load(buf, 32), load(buf, 48)]
        i = 64
        while n - i >= 64:
            x = [fold(x[j], k["fold512_lo"], k["fold512_hi"]) ^ load(buf, i + 16 * j) for j in range(4)]
            i += 64
        v = (fold(x[0], k["fold384_lo"], k["fold384_hi"]) ^ fold(x[1], k["fold256_lo"], k["fold256_hi"])
             ^ fold(x[2], k["fold128_lo"], k["fold128_hi"]) ^ x[3])
    else:
        v, i = load(buf, 0) ^ crc, 16
    while n - i >= 16:
        v = fold(v, k["fold128_lo"], k["fold128_hi"]) ^ load(buf, i)
        i += 16
    # 128 -> 128 bits whose value mod P is the CRC: H*x^128 + L*x^64.
    y = clmul(lo(v), k["fold128_hi"]) ^ hi(v)
    # Barrett: q = floor(Yh * mu / x^64); crc = Yl + (q * P mod x^64).
    q = lo(clmul(lo(y), k["mu"]))
    return hi(y) ^ hi(clmul(q, k["poly"])) ^ q


def bitwise(crc, data):
    rp = rev(P & M64, 64)
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ rp if crc & 1 else crc >> 1
    return crc


if __name__ == "__main__":
    c = constants()
    for name, (v, what) in c.items():
        print(f"{name:12} 0x{v:016x}  {what}")
    assert bitwise(0, b"123456789") == 0xE9C6D914C4B8D9CA
    rng = random.Random(7)
    for n in list(range(16, 300)) + [1000, 4096]:
        buf = bytes(rng.randrange(256) for _ in range(n))
        crc = rng.randrange(2**64) if n % 3 else 0
        assert model(crc, buf, c) == bitwise(crc, buf[:n & ~15]), n
    print("model matches the bitwise CRC")
