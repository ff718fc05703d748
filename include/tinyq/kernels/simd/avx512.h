// AVX-512 F+BW+VL+DQ primitives (32 int16 / 16 int32 lanes, masked tails), and the VNNI
// level on top (madd_acc as one vpdpwssd), for the kernel families written once over a
// SIMD level (x86/avx512_variant.h, simd/depthwise3x3.h, simd/pointwise_dot.h); the same
// interface as simd/sse2.h. Each struct is compiled
// for its own target (x86/config.h); Avx512Vnni inherits the rest, which inlines into VNNI
// code (a subset of its target). Raw intrinsics, not xsimd (docs/kernels.md).
#pragma once
#include "../x86/config.h"
#if TINYQ_HAVE_AVX512
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

// GCC 12 reports its own _mm512_undefined_* placeholders as uninitialized (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX512)
namespace tinyq {
namespace simd {

struct Avx512 {
  using V = __m512i;
  static constexpr int kLanes = 32;          // int16 lanes = channels per vector (int32: kLanes / 2)
  static constexpr bool kMaskedTail = true;  // the last block of channels is masked
  static constexpr bool kPairedTaps = true;   // the 9-tap dot pairs taps for pmaddwd (simd/depthwise3x3.h)
  using Mask = __mmask32;
  static Mask tail_mask(int n) { return n >= 32 ? ~__mmask32(0) : static_cast<__mmask32>((uint32_t(1) << n) - 1); }

  static V zero() { return _mm512_setzero_si512(); }
  static V load32(const int32_t* aligned) { return _mm512_load_si512(aligned); }
  // masked-off lanes read as 0 (and are not touched in memory)
  static V load_i16(const int16_t* p, Mask m) { return _mm512_maskz_loadu_epi16(m, p); }
  static V load_i16(const int8_t* p, Mask m) { return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p)); }
  static V load_i16(const int16_t* p) { return _mm512_loadu_si512(p); }
  static V load_i16(const int8_t* p) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  template <typename T>
  static V load_i16_tail(const T* p, int n) { return load_i16(p, tail_mask(n)); }  // the first n values

  // per 128-bit lane, like SSE2: int32 lane i of half h holds channel (i / 4) * 8 + 4 h + i % 4
  static V unpacklo16(V a, V b) { return _mm512_unpacklo_epi16(a, b); }
  static V unpackhi16(V a, V b) { return _mm512_unpackhi_epi16(a, b); }
  static V madd_acc(V acc, V a, V b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }
  static V add32(V a, V b) { return _mm512_add_epi32(a, b); }
  static V min32(V a, V b) { return _mm512_min_epi32(a, b); }
  static V max32(V a, V b) { return _mm512_max_epi32(a, b); }
  static V high8(V v) { return _mm512_srai_epi16(v, 8); }
  static V low8(V v) { return _mm512_and_si512(v, _mm512_set1_epi16(0xFF)); }
  static V sra32_8(V v) { return _mm512_srai_epi32(v, 8); }

  using Shift = V;  // per-lane counts (vpsravd)
  static Shift make_shift(const int32_t* counts) { return load32(counts); }
  static V shift_right(V v, Shift s) { return _mm512_srav_epi32(v, s); }

  // int64 sums of int32 lanes (the pointwise dot family's flush): 16 lanes sign-extended
  // into two vectors of 8 int64.
  struct Wide {
    V lo, hi;
  };
  static Wide wide_zero() { return {zero(), zero()}; }
  static Wide wide_add(Wide w, V acc) {
    return {_mm512_add_epi64(w.lo, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc))),
            _mm512_add_epi64(w.hi, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1)))};
  }
  static int64_t wide_sum(Wide w) { return _mm512_reduce_add_epi64(_mm512_add_epi64(w.lo, w.hi)); }
  // t[i] = the horizontal sum of acc[i], i < N (a multiple of 8), in an int32 tree: the two
  // 256-bit halves added, then 8 vectors of 8 lanes reduced together.
  template <int N>
  static void reduce_sums(const V* acc, int64_t* t) {
    for (int g = 0; g < N; g += 8) {
      __m256i h[8];
      for (int i = 0; i < 8; ++i) h[i] = _mm256_add_epi32(_mm512_castsi512_si256(acc[g + i]), _mm512_extracti64x4_epi64(acc[g + i], 1));
      const __m256i h01 = _mm256_hadd_epi32(h[0], h[1]), h23 = _mm256_hadd_epi32(h[2], h[3]);
      const __m256i h45 = _mm256_hadd_epi32(h[4], h[5]), h67 = _mm256_hadd_epi32(h[6], h[7]);
      const __m256i s0 = _mm256_hadd_epi32(h01, h23), s1 = _mm256_hadd_epi32(h45, h67);
      const __m256i r = _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20), _mm256_permute2x128_si256(s0, s1, 0x31));
      _mm512_storeu_si512(t + g, _mm512_cvtepi32_epi64(r));
    }
  }

  // lo, hi in unpack order; vpackssdw restores channel order per 128-bit lane
  static void store_sat(int16_t* o, Mask m, V lo, V hi) { _mm512_mask_storeu_epi16(o, m, _mm512_packs_epi32(lo, hi)); }
  static void store_sat(int8_t* o, Mask m, V lo, V hi) {
    _mm256_mask_storeu_epi8(o, m, _mm512_cvtsepi16_epi8(_mm512_packs_epi32(lo, hi)));
  }

  template <typename T>
  static uint32_t max_abs(const T* v, size_t n) {
    __m512i mx = zero(), mn = zero();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      const __m512i x = load_i16(v + i);
      mx = _mm512_max_epi16(mx, x);
      mn = _mm512_min_epi16(mn, x);
    }
    if (i < n) {
      const __m512i x = load_i16(v + i, tail_mask(static_cast<int>(n - i)));  // zeros outside: harmless for max |x|
      mx = _mm512_max_epi16(mx, x);
      mn = _mm512_min_epi16(mn, x);
    }
    // widen to int32 before the horizontal reductions
    const int32_t hi = _mm512_reduce_max_epi32(_mm512_max_epi32(_mm512_cvtepi16_epi32(_mm512_castsi512_si256(mx)),
                                                                _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(mx, 1))));
    const int32_t lo = _mm512_reduce_min_epi32(_mm512_min_epi32(_mm512_cvtepi16_epi32(_mm512_castsi512_si256(mn)),
                                                                _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(mn, 1))));
    return static_cast<uint32_t>(-lo > hi ? -lo : hi);
  }
};

}  // namespace simd
}  // namespace tinyq
TINYQ_TARGET_END

#if TINYQ_HAVE_AVX512_VNNI
TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX512_VNNI)
namespace tinyq {
namespace simd {
struct Avx512Vnni : Avx512 {
  // one vpdpwssd: wrapping int32 adds, equal to vpmaddwd + vpaddd wherever the bounds hold
  static V madd_acc(V acc, V a, V b) { return _mm512_dpwssd_epi32(acc, a, b); }
};
}  // namespace simd
}  // namespace tinyq
TINYQ_TARGET_END
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif  // TINYQ_HAVE_AVX512
