// CRC-32 by carry-less multiplication (x86-64 PCLMULQDQ): the same function as the
// slicing-by-8 loop in crc32.h, bit for bit, at memory speed on long buffers (the weights
// file is verified once per open: 0.1-3 MB).
//
// The math (reflected CRC, as the format's): stream bit s of an N-bit message is the
// coefficient of x^(N-1-s), and bit i of a little-endian load of the bytes at bit position p
// is stream bit p+i. A carry-less product of two such integers adds bit indices, i.e.
// multiplies polynomials whose integer bit j stands for x^(-j) relative to the load's
// position. To move a 64-bit lane found at position q forward by D bits (so it lines up with
// data D bits later) multiply it by K(D), the integer with Sum_j K_j x^(-j) == x^D (mod P):
// with R = x^(D+32) mod P (degree <= 31), K_j = coefficient of x^(32-j) in R, j = 1..32, a
// 33-bit constant; the product (<= 95 bits) is XORed into the 128-bit block at q+D. Folding
// a 128-bit block forward by F bits uses K(F) on its low lane and K(F-64) on its high lane.
// Folding keeps the message's residue mod P, so after folding everything into the last full
// 16-byte block, the CRC register is that block's 16 bytes run through the byte table from
// state 0 (the initial register is XORed into the first 4 bytes before folding, as the
// table loop does), then the tail bytes. tests/model/test_weights_file.cpp computes the
// constants from this definition and compares both paths at every length and offset.
#pragma once
#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <wmmintrin.h>
// Included by crc32.h only (after kCrc32Tables and crc32_register).

namespace tinyq {
namespace model {
namespace detail {

// K(D) for the two fold distances used: 4 blocks (512 bits) and 1 block (128 bits).
constexpr uint64_t kCrcFold512Lo = 0x154442bd4u;  // K(512)
constexpr uint64_t kCrcFold512Hi = 0x1c6e41596u;  // K(448)
constexpr uint64_t kCrcFold128Lo = 0x1751997d0u;  // K(128)
constexpr uint64_t kCrcFold128Hi = 0x0ccaa009eu;  // K(64)

// One block folded forward onto `next`: lo * K_lo ^ hi * K_hi ^ next.
__attribute__((target("pclmul"))) inline __m128i crc_fold(__m128i x, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);  // x.lo * k.lo
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);  // x.hi * k.hi
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// Folds the whole 16-byte blocks of data (size >= 64) into one block and returns, through
// *consumed, how many bytes it took; reg is the raw CRC register (not inverted). The return
// value is the register after those bytes.
__attribute__((target("pclmul"))) inline uint32_t crc32_fold_pclmul(uint32_t reg, const uint8_t* data, size_t size,
                                                                     size_t* consumed) {
  auto load = [](const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  __m128i x0 = _mm_xor_si128(load(data), _mm_cvtsi32_si128(static_cast<int>(reg)));
  __m128i x1 = load(data + 16), x2 = load(data + 32), x3 = load(data + 48);
  size_t n = 64;
  const __m128i k4 = _mm_set_epi64x(static_cast<long long>(kCrcFold512Hi), static_cast<long long>(kCrcFold512Lo));
  for (; size - n >= 64; n += 64) {
    x0 = crc_fold(x0, k4, load(data + n));
    x1 = crc_fold(x1, k4, load(data + n + 16));
    x2 = crc_fold(x2, k4, load(data + n + 32));
    x3 = crc_fold(x3, k4, load(data + n + 48));
  }
  const __m128i k1 = _mm_set_epi64x(static_cast<long long>(kCrcFold128Hi), static_cast<long long>(kCrcFold128Lo));
  x0 = crc_fold(x0, k1, x1);
  x0 = crc_fold(x0, k1, x2);
  x0 = crc_fold(x0, k1, x3);
  for (; size - n >= 16; n += 16) x0 = crc_fold(x0, k1, load(data + n));
  alignas(16) uint8_t block[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(block), x0);
  *consumed = n;
  return crc32_register(0, block, 16);
}

inline bool cpu_has_pclmul() { return __builtin_cpu_supports("pclmul"); }

}  // namespace detail
}  // namespace model
}  // namespace tinyq
