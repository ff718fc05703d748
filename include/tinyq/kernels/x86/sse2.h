// SSE2 level: no SSE2-specific kernels yet. The entry points exist (so the dispatch and
// the per-level test programs are uniform) and forward to the portable scalar pointwise
// and the reference depthwise.
#pragma once
#include "config.h"
#if TINYQ_HAVE_SSE2
#include "../scalar.h"
namespace tinyq {
template <typename TA, typename TW>
void pointwise_conv_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, const Tensor<TA>& out) {
  pointwise_conv_scalar(in, weights, bias, q, out);
}
template <typename TA, typename TW>
void depthwise_conv3x3_row_sse2(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                           const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width, uint32_t = 0) {
  depthwise_conv3x3_row_scalar(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width);
}
template <typename TA, typename TW>
void depthwise_conv3x3_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                            int stride, Padding pad, const Tensor<TA>& out) {
  depthwise_conv3x3_scalar(in, weights, bias, q, stride, pad, out);
}
}  // namespace tinyq
#endif
