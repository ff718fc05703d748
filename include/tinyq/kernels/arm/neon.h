// NEON (aarch64) variants: pointwise_conv_neon below; depthwise_conv3x3_neon and
// depthwise_conv3x3_row_neon (simd/depthwise3x3.h over simd/neon.h, at the end).
// Pointwise: every sum is exact in int64, as in the
// reference, so the result equals pointwise_conv_reference bit for bit for any K:
//   x and w are widened to int16 lanes (int8 by sign extension); vmull_s16 / vmull_high_s16
//   give 4 int32 products each, exact since |x * w| <= 2^15 * 2^15 = 2^30 < 2^31;
//   vpadalq_s32 widens adjacent product pairs to int64 and adds them to 2 int64 lanes, so
//   nothing is ever rounded or wrapped (|partial sum| <= K * 2^30, the reference's bound).
// Integer addition of exact values is associative, so the lane order does not matter. The
// epilogue is the shared requantize_output on the int64 sums.
// Layout: blocks of 4 output channels outside (their 4 weight rows, biases and shifts set up
// once), pixels inside; per 8 input channels one x load feeds 4 weight rows: 5 loads,
// 8 multiplies, 8 pairwise accumulates for 32 MACs.
#pragma once
#include "config.h"
#if TINYQ_HAVE_NEON
#include <arm_neon.h>

#include "../../tensor/quant.h"
#include "../../tensor/tensor.h"
#include "../scalar.h"
#include "../simd/common.h"
#include "../simd/neon.h"

namespace tinyq {
namespace detail {
namespace neon {

inline int16x8_t load8(const int16_t* p) { return vld1q_s16(p); }
inline int16x8_t load8(const int8_t* p) { return vmovl_s8(vld1_s8(p)); }

// acc += x[0..8) . w[0..8), exact (two int64 lanes).
inline int64x2_t dot8(int64x2_t acc, int16x8_t x, int16x8_t w) {
  acc = vpadalq_s32(acc, vmull_s16(vget_low_s16(x), vget_low_s16(w)));
  return vpadalq_s32(acc, vmull_high_s16(x, w));
}

// sums[c] = x[0..cin) . w_c[0..cin) for 4 weight rows, exact. The 4 accumulators are
// named (not an array) so that they stay in registers.
template <typename TA, typename TW>
inline void dot_4rows(const TA* x, const TW* w0, const TW* w1, const TW* w2, const TW* w3, int cin, int64_t sums[4]) {
  const int cin8 = cin & ~7;
  int64x2_t a0 = vdupq_n_s64(0), a1 = a0, a2 = a0, a3 = a0;
  for (int k = 0; k < cin8; k += 8) {
    const int16x8_t xv = load8(x + k);
    a0 = dot8(a0, xv, load8(w0 + k));
    a1 = dot8(a1, xv, load8(w1 + k));
    a2 = dot8(a2, xv, load8(w2 + k));
    a3 = dot8(a3, xv, load8(w3 + k));
  }
  int64_t s0 = vaddvq_s64(a0), s1 = vaddvq_s64(a1), s2 = vaddvq_s64(a2), s3 = vaddvq_s64(a3);
  for (int k = cin8; k < cin; ++k) {  // the last cin % 8 channels
    const int64_t xk = x[k];
    s0 += xk * w0[k];
    s1 += xk * w1[k];
    s2 += xk * w2[k];
    s3 += xk * w3[k];
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

// x[0..cin) . w[0..cin) for one weight row, exact.
template <typename TA, typename TW>
inline int64_t dot_1row(const TA* x, const TW* w, int cin) {
  const int cin8 = cin & ~7;
  int64x2_t a = vdupq_n_s64(0);
  for (int k = 0; k < cin8; k += 8) a = dot8(a, load8(x + k), load8(w + k));
  int64_t s = vaddvq_s64(a);
  for (int k = cin8; k < cin; ++k) s += int64_t(x[k]) * int64_t(w[k]);
  return s;
}

// Output channels [c0, c0 + NC) of every pixel, NC = 4 or 1.
template <int NC, typename TA, typename TW>
inline void pointwise_channels(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                               const Tensor<TA>& out, int c0, int32_t lo, int32_t hi) {
  static_assert(NC == 4 || NC == 1, "blocks of 4 output channels or 1");
  const int cin = in.channels, cout = out.channels;
  const TW* w = weights + static_cast<size_t>(c0) * cin;  // NC consecutive rows
  int64_t b[NC];
  int shift[NC];
  for (int c = 0; c < NC; ++c) {
    b[c] = aligned_bias(bias, q, c0 + c);
    shift[c] = output_shift(q, c0 + c);
  }
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  for (size_t p = 0; p < pixels; ++p) {
    const TA* x = in.data + p * cin;
    int64_t sums[NC];
    if constexpr (NC == 4) {
      dot_4rows(x, w, w + cin, w + 2 * static_cast<size_t>(cin), w + 3 * static_cast<size_t>(cin), cin, sums);
    } else {
      sums[0] = dot_1row(x, w, cin);
    }
    TA* o = out.data + p * cout + c0;
    for (int c = 0; c < NC; ++c) o[c] = requantize_output<TA>(sums[c] + b[c], shift[c], lo, hi);
  }
}

}  // namespace neon
}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_neon(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  int c0 = 0;
  for (; c0 + 4 <= out.channels; c0 += 4) detail::neon::pointwise_channels<4>(in, weights, bias, q, out, c0, lo, hi);
  for (; c0 < out.channels; ++c0) detail::neon::pointwise_channels<1>(in, weights, bias, q, out, c0, lo, hi);
}

}  // namespace tinyq

// Depthwise 3x3: depthwise_conv3x3_row_neon, depthwise_conv3x3_neon (simd/depthwise3x3.h).
#define TINYQ_DW_NS neon
#define TINYQ_DW_SIMD simd::Neon
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
#endif  // TINYQ_HAVE_NEON
