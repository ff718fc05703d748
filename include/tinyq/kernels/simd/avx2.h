// AVX2 primitives (16 int16 / 8 int32 lanes) for the kernel families written once over a
// SIMD level (x86/avx512_variant.h, simd/depthwise3x3.h, simd/pointwise_dot.h); the same
// interface as simd/sse2.h. Compiled for AVX2 in
// every translation unit (x86/config.h target region). Raw intrinsics, not xsimd
// (docs/kernels.md "Run-time dispatch").
#pragma once
#include "../x86/config.h"
#if TINYQ_HAVE_AVX2
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX2)
namespace tinyq {
namespace simd {

struct Avx2 {
  using V = __m256i;
  static constexpr int kLanes = 16;           // int16 lanes = channels per vector (int32: kLanes / 2)
  static constexpr bool kMaskedTail = false;  // channel tails go to scalar code
  static constexpr bool kPairedTaps = true;   // the 9-tap dot pairs taps for pmaddwd (simd/depthwise3x3.h)
  struct Mask {};
  static Mask tail_mask(int) { return {}; }

  static V zero() { return _mm256_setzero_si256(); }
  static V load32(const int32_t* aligned) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(aligned)); }
  static V load_i16(const int16_t* p, Mask = {}) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static V load_i16(const int8_t* p, Mask = {}) { return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

  template <typename T>
  static V load_i16_tail(const T* p, int n) {  // the first n < kLanes values, zero-filled
    alignas(32) T tmp[kLanes] = {};
    for (int i = 0; i < n; ++i) tmp[i] = p[i];
    return load_i16(tmp);
  }

  // per 128-bit lane, like SSE2: int32 lane i of half h holds channel (i / 4) * 8 + 4 h + i % 4
  static V unpacklo16(V a, V b) { return _mm256_unpacklo_epi16(a, b); }
  static V unpackhi16(V a, V b) { return _mm256_unpackhi_epi16(a, b); }
  static V madd_acc(V acc, V a, V b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
  static V add32(V a, V b) { return _mm256_add_epi32(a, b); }
  static V min32(V a, V b) { return _mm256_min_epi32(a, b); }
  static V max32(V a, V b) { return _mm256_max_epi32(a, b); }
  static V high8(V v) { return _mm256_srai_epi16(v, 8); }
  static V low8(V v) { return _mm256_and_si256(v, _mm256_set1_epi16(0xFF)); }
  static V sra32_8(V v) { return _mm256_srai_epi32(v, 8); }

  using Shift = V;  // per-lane counts (vpsravd)
  static Shift make_shift(const int32_t* counts) { return load32(counts); }
  static V shift_right(V v, Shift s) { return _mm256_srav_epi32(v, s); }

  // int64 sums of int32 lanes (the pointwise dot family's flush): 8 lanes sign-extended
  // into two vectors of 4 int64.
  struct Wide {
    V lo, hi;
  };
  static Wide wide_zero() { return {zero(), zero()}; }
  static Wide wide_add(Wide w, V acc) {
    return {_mm256_add_epi64(w.lo, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc))),
            _mm256_add_epi64(w.hi, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)))};
  }
  static int64_t wide_sum(Wide w) {
    const V v = _mm256_add_epi64(w.lo, w.hi);
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
    return _mm_cvtsi128_si64(t);
  }
  // 8 vectors of 8 int32 -> one vector of their 8 horizontal sums (exact when every partial
  // sum fits int32).
  static V reduce8(const V a[8]) {
    const V h01 = _mm256_hadd_epi32(a[0], a[1]), h23 = _mm256_hadd_epi32(a[2], a[3]);
    const V h45 = _mm256_hadd_epi32(a[4], a[5]), h67 = _mm256_hadd_epi32(a[6], a[7]);
    const V s0 = _mm256_hadd_epi32(h01, h23), s1 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20), _mm256_permute2x128_si256(s0, s1, 0x31));
  }
  // t[i] = the horizontal sum of acc[i], i < N (a multiple of 8), in an int32 tree.
  template <int N>
  static void reduce_sums(const V* acc, int64_t* t) {
    for (int g = 0; g < N; g += 8) {
      const V r = reduce8(acc + g);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(t + g), _mm256_cvtepi32_epi64(_mm256_castsi256_si128(r)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(t + g + 4), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(r, 1)));
    }
  }

  static void store_sat(int16_t* o, Mask, V lo, V hi) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_packs_epi32(lo, hi));
  }
  static void store_sat(int8_t* o, Mask, V lo, V hi) {
    const __m256i w16 = _mm256_packs_epi32(lo, hi);
    const __m256i w8 = _mm256_permute4x64_epi64(_mm256_packs_epi16(w16, w16), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(w8));
  }

  // max |v| over n values (min and max kept apart: |INT16_MIN| does not fit int16)
  template <typename T>
  static uint32_t max_abs(const T* v, size_t n) {
    size_t i = 0;
    __m256i mx = zero(), mn = zero();
    for (; i + 16 <= n; i += 16) {
      const __m256i x = load_i16(v + i);
      mx = _mm256_max_epi16(mx, x);
      mn = _mm256_min_epi16(mn, x);
    }
    alignas(32) int16_t a[16], b[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(a), mx);
    _mm256_store_si256(reinterpret_cast<__m256i*>(b), mn);
    int32_t hi = 0, lo = 0;
    for (int k = 0; k < 16; ++k) {
      hi = a[k] > hi ? a[k] : hi;
      lo = b[k] < lo ? b[k] : lo;
    }
    return detail::max_abs_finish(v, i, n, hi, lo);
  }
};

}  // namespace simd
}  // namespace tinyq
TINYQ_TARGET_END
#endif  // TINYQ_HAVE_AVX2
