// SSE2 variants: pointwise_conv_sse2 (simd/pointwise_dot.h over simd/sse2.h: pmaddwd, 2
// pixels x 4 channels) and depthwise_conv3x3_sse2 / _row_sse2 (simd/depthwise3x3.h: 8
// channels per vector). SSE2 has no variable shifts or 64-bit lanes to clamp in, so the
// pointwise epilogue is scalar (the exact requantize_output on int64 sums).
#pragma once
#include "config.h"
#include "../scalar.h"
#if TINYQ_HAVE_SSE2
#include <emmintrin.h>

#include "../simd/sse2.h"
#include "../simd/common.h"

namespace tinyq {
namespace detail {
namespace sse2 {

constexpr int kDotPixels = 2;               // pixels per block of the dot form
constexpr size_t kDotTileBytes = 16384;     // activations of a pixel tile (L1)

// The dot form's epilogue in scalar code: the exact requantize_output on the int64 sums, for
// every shift.
template <typename TA>
inline bool dot_epilogue_ok(const ConvQuant&, int) {
  return true;
}
struct DotParams {
  int64_t bias[4];
  int shift[4];
  int32_t lo, hi;
};
template <typename TA>
inline DotParams dot_params(const int32_t* bias, const ConvQuant& q, int c0, int nc) {
  DotParams p;
  for (int c = 0; c < 4; ++c) {
    const int cc = c0 + (c < nc ? c : nc - 1);
    p.bias[c] = aligned_bias(bias, q, cc);
    p.shift[c] = output_shift(q, cc);
  }
  p.lo = output_min<TA>(q);
  p.hi = output_max<TA>(q);
  return p;
}
template <typename TA>
inline void dot_store(const int64_t* t, const DotParams& p, TA* o, size_t stride, int np, int nc) {
  for (int i = 0; i < np; ++i)
    for (int c = 0; c < nc; ++c) o[i * stride + c] = requantize_output<TA>(t[4 * i + c] + p.bias[c], p.shift[c], p.lo, p.hi);
}

}  // namespace sse2
}  // namespace detail
}  // namespace tinyq

// Pointwise: pointwise_conv_dot_sse2 (simd/pointwise_dot.h); sums no int32 form holds run
// the scalar kernel (int64).
#define TINYQ_PW_NS sse2
#define TINYQ_PW_SIMD simd::Sse2
#define TINYQ_PW_FALLBACK pointwise_conv_scalar
#include "../simd/pointwise_dot.h"
#undef TINYQ_PW_NS
#undef TINYQ_PW_SIMD
#undef TINYQ_PW_FALLBACK

namespace tinyq {
template <typename TA, typename TW>
void pointwise_conv_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  pointwise_conv_dot_sse2(in, weights, bias, q, out);
}
}  // namespace tinyq

// Depthwise 3x3: depthwise_conv3x3_row_sse2, depthwise_conv3x3_sse2 (simd/depthwise3x3.h).
#define TINYQ_DW_NS sse2
#define TINYQ_DW_SIMD simd::Sse2
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
#endif  // TINYQ_HAVE_SSE2
