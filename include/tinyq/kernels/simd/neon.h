// NEON (aarch64) primitives, 8 int16 / 4 int32 lanes, for the kernel families written once
// over a SIMD level (simd/depthwise3x3.h); the same interface as simd/sse2.h. One vector
// type (int16x8_t) carries both lane widths, as __m128i does on x86; the vreinterpretq casts
// below are free. NEON has what SSE2 emulates: 32-bit min/max, per-lane shifts (vshlq_s32
// by a negative count is an arithmetic shift right), saturating narrows (vqmovn). Its
// widening multiply-accumulate (vmlal_s16) does one tap per half vector, so the dot takes
// the taps unpaired (kPairedTaps = false): 18 vmlal per 9-tap block, no pairing shuffles.
// Advanced SIMD is part of the armv8-a baseline: no target region.
#pragma once
#include "../arm/config.h"
#if TINYQ_HAVE_NEON
#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

namespace tinyq {
namespace simd {

struct Neon {
  using V = int16x8_t;
  static constexpr int kLanes = 8;             // int16 lanes = channels per vector (int32: kLanes / 2)
  static constexpr bool kMaskedTail = false;   // channel tails go to scalar code
  static constexpr bool kPairedTaps = false;   // one widening multiply-accumulate per tap
  struct Mask {};
  static Mask tail_mask(int) { return {}; }

  static int32x4_t s32(V v) { return vreinterpretq_s32_s16(v); }
  static V s16(int32x4_t v) { return vreinterpretq_s16_s32(v); }

  static V zero() { return vdupq_n_s16(0); }
  static V load32(const int32_t* p) { return s16(vld1q_s32(p)); }
  static V load_i16(const int16_t* p, Mask = {}) { return vld1q_s16(p); }
  static V load_i16(const int8_t* p, Mask = {}) { return vmovl_s8(vld1_s8(p)); }

  // acc (int32 lanes) + x * w over int16 lanes 0..3 (lo) or 4..7 (hi), products exact
  // (|x w| <= 2^30); the int32 adds wrap only past the bounds the kernels check.
  static V mac_lo(V acc, V x, V w) { return s16(vmlal_s16(s32(acc), vget_low_s16(x), vget_low_s16(w))); }
  static V mac_hi(V acc, V x, V w) { return s16(vmlal_high_s16(s32(acc), x, w)); }
  static V add32(V a, V b) { return s16(vaddq_s32(s32(a), s32(b))); }
  static V min32(V a, V b) { return s16(vminq_s32(s32(a), s32(b))); }
  static V max32(V a, V b) { return s16(vmaxq_s32(s32(a), s32(b))); }
  // int16 lanes split as v = 256 h + l: h = v >> 8 (arithmetic), l = v & 255
  static V high8(V v) { return vshrq_n_s16(v, 8); }
  static V low8(V v) { return vandq_s16(v, vdupq_n_s16(0xFF)); }
  static V sra32_8(V v) { return s16(vshrq_n_s32(s32(v), 8)); }

  using Shift = int32x4_t;  // the negated counts (vshlq_s32 shifts right by -count)
  static Shift make_shift(const int32_t* counts) { return vnegq_s32(vld1q_s32(counts)); }
  static V shift_right(V v, Shift s) { return s16(vshlq_s32(s32(v), s)); }

  // Saturate the int32 lanes of lo (channels 0..3) and hi (4..7) to kLanes values.
  static void store_sat(int16_t* o, Mask, V lo, V hi) { vst1q_s16(o, vcombine_s16(vqmovn_s32(s32(lo)), vqmovn_s32(s32(hi)))); }
  static void store_sat(int8_t* o, Mask, V lo, V hi) {
    vst1_s8(o, vqmovn_s16(vcombine_s16(vqmovn_s32(s32(lo)), vqmovn_s32(s32(hi)))));
  }

  // max |v| over n values (min and max kept apart: |INT16_MIN| does not fit int16)
  template <typename T>
  static uint32_t max_abs(const T* v, size_t n) {
    size_t i = 0;
    int16x8_t mx = zero(), mn = zero();
    for (; i + 8 <= n; i += 8) {
      const int16x8_t x = load_i16(v + i);
      mx = vmaxq_s16(mx, x);
      mn = vminq_s16(mn, x);
    }
    return detail::max_abs_finish(v, i, n, vmaxvq_s16(mx), vminvq_s16(mn));
  }
};

}  // namespace simd
}  // namespace tinyq
#endif  // TINYQ_HAVE_NEON
