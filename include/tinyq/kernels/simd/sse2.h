// SSE2 primitives for the kernel families written once over a SIMD level (simd/depthwise3x3.h,
// simd/pointwise_dot.h):
// 8 int16 / 4 int32 lanes. Raw intrinsics, not xsimd (docs/kernels.md "Run-time
// dispatch"). SSE2 is the x86-64 baseline, so no target region. What SSE2 lacks is
// emulated here: 32-bit min/max (compare + select) and per-lane shifts (one count for the
// whole vector when its lanes agree, the common case of per-tensor formats, else lane by
// lane).
#pragma once
#include "../x86/config.h"
#if TINYQ_HAVE_SSE2
#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "../../tensor/quant.h"

namespace tinyq {
namespace simd {

struct Sse2 {
  using V = __m128i;
  static constexpr int kLanes = 8;           // int16 lanes = channels per vector (int32: kLanes / 2)
  static constexpr bool kMaskedTail = false;  // no masked loads: channel tails go to scalar code
  static constexpr bool kPairedTaps = true;   // the 9-tap dot pairs taps for pmaddwd (simd/depthwise3x3.h)
  struct Mask {};                             // full vectors only
  static Mask tail_mask(int) { return {}; }

  static V zero() { return _mm_setzero_si128(); }
  static V load32(const int32_t* aligned) { return _mm_load_si128(reinterpret_cast<const __m128i*>(aligned)); }
  // kLanes values widened to int16 lanes (int8: sign-extended)
  static V load_i16(const int16_t* p, Mask = {}) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static V load_i16(const int8_t* p, Mask = {}) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);
  }

  // the first n < kLanes values, zero-filled
  template <typename T>
  static V load_i16_tail(const T* p, int n) {
    alignas(16) T tmp[kLanes] = {};
    for (int i = 0; i < n; ++i) tmp[i] = p[i];
    return load_i16(tmp);
  }

  // int16 pairs (a_i, b_i) of the low / high half of each 128-bit lane: the pmaddwd operands
  static V unpacklo16(V a, V b) { return _mm_unpacklo_epi16(a, b); }
  static V unpackhi16(V a, V b) { return _mm_unpackhi_epi16(a, b); }
  // acc + a0 b0 + a1 b1 per int32 lane (pmaddwd; exact unless both pairs are -32768^2)
  static V madd_acc(V acc, V a, V b) { return _mm_add_epi32(acc, _mm_madd_epi16(a, b)); }
  static V add32(V a, V b) { return _mm_add_epi32(a, b); }
  static V min32(V a, V b) {
    const __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(gt, b), _mm_andnot_si128(gt, a));
  }
  static V max32(V a, V b) {
    const __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
  }
  // int16 lanes split as v = 256 h + l: h = v >> 8 (arithmetic), l = v & 255
  static V high8(V v) { return _mm_srai_epi16(v, 8); }
  static V low8(V v) { return _mm_and_si128(v, _mm_set1_epi16(0xFF)); }
  static V sra32_8(V v) { return _mm_srai_epi32(v, 8); }

  // int64 sums of int32 lanes (the pointwise dot family's flush): the 4 lanes sign-extended
  // (SSE2 has no pmovsxdq: unpack with the sign words) into two vectors of 2 int64.
  struct Wide {
    V lo, hi;
  };
  static Wide wide_zero() { return {zero(), zero()}; }
  static Wide wide_add(Wide w, V acc) {
    const V sign = _mm_srai_epi32(acc, 31);
    return {_mm_add_epi64(w.lo, _mm_unpacklo_epi32(acc, sign)), _mm_add_epi64(w.hi, _mm_unpackhi_epi32(acc, sign))};
  }
  static int64_t wide_sum(Wide w) {
    const V v = _mm_add_epi64(w.lo, w.hi);
    return _mm_cvtsi128_si64(_mm_add_epi64(v, _mm_unpackhi_epi64(v, v)));
  }
  // t[i] = the horizontal sum of acc[i], i < N (a multiple of 4), in an int32 tree: exact
  // when every partial sum fits int32.
  template <int N>
  static void reduce_sums(const V* acc, int64_t* t) {
    for (int g = 0; g < N; g += 4) {
      const V ab_lo = _mm_unpacklo_epi32(acc[g], acc[g + 1]), ab_hi = _mm_unpackhi_epi32(acc[g], acc[g + 1]);
      const V cd_lo = _mm_unpacklo_epi32(acc[g + 2], acc[g + 3]), cd_hi = _mm_unpackhi_epi32(acc[g + 2], acc[g + 3]);
      const V ab = _mm_add_epi32(ab_lo, ab_hi);  // a0+a2 b0+b2 a1+a3 b1+b3
      const V cd = _mm_add_epi32(cd_lo, cd_hi);
      alignas(16) int32_t r[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(r), _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd)));
      for (int i = 0; i < 4; ++i) t[g + i] = r[i];
    }
  }

  // Per-lane arithmetic shift counts in [0, 31].
  struct Shift {
    __m128i lanes;    // the counts
    __m128i uniform;  // the one count of every lane (psrad's operand), valid if is_uniform
    bool is_uniform;
  };
  static Shift make_shift(const int32_t* counts) {
    Shift s;
    s.lanes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(counts));
    s.is_uniform = counts[1] == counts[0] && counts[2] == counts[0] && counts[3] == counts[0];
    s.uniform = _mm_cvtsi32_si128(counts[0]);
    return s;
  }
  static V shift_right(V v, const Shift& s) {
    if (s.is_uniform) return _mm_sra_epi32(v, s.uniform);
    alignas(16) int32_t x[4], n[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(x), v);
    _mm_store_si128(reinterpret_cast<__m128i*>(n), s.lanes);
    for (int i = 0; i < 4; ++i) x[i] >>= n[i];  // arithmetic (GCC, Clang)
    return _mm_load_si128(reinterpret_cast<const __m128i*>(x));
  }

  // Saturate the int32 lanes of lo, hi (unpack order: lo = channels 0..3, hi = 4..7) to
  // kLanes values in channel order.
  static void store_sat(int16_t* o, Mask, V lo, V hi) { _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_packs_epi32(lo, hi)); }
  static void store_sat(int8_t* o, Mask, V lo, V hi) {
    const __m128i w16 = _mm_packs_epi32(lo, hi);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_packs_epi16(w16, w16));
  }

  template <typename T>
  static uint32_t max_abs(const T* v, size_t n) { return tinyq::max_abs(v, n); }
};

}  // namespace simd
}  // namespace tinyq
#endif  // TINYQ_HAVE_SSE2
