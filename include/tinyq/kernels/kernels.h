// Dispatching entry points: the best variant compiled in (AVX-512 > AVX2 > SSE2 >
// portable scalar > reference). Every variant equals the reference bit for bit, so the
// choice only changes speed. The variants are callable by name too:
//   conv3x3_reference, depthwise_conv3x3_reference / _scalar / _sse2 / _avx2 / _avx512,
//   pointwise_conv_reference / _scalar / _sse2 / _avx2 / _avx512, add_reference,
//   concat_channels_reference, upsample_bilinear_2x_reference.
#pragma once
#include "reference.h"
#include "scalar.h"
#include "x86/sse2.h"
#include "x86/avx2.h"
#include "x86/avx512.h"

namespace tinyq {

template <typename TA, typename TW>
void conv3x3(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
             Padding pad, const Tensor<TA>& out) {
  conv3x3_reference(in, weights, bias, q, stride, pad, out);  // the stem (3 input channels): scalar everywhere
}

// One output row of the depthwise convolution (used by the fused inverted-residual block).
// rows[ky]: input row oy * stride - pad_top + ky, nullptr for padding rows.
// max_abs_input: an upper bound of |x| over the rows (0: unknown, scanned); see
// docs/kernels.md.
template <typename TA, typename TW>
void depthwise_conv3x3_row(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                           const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width,
                           uint32_t max_abs_input = 0) {
#if TINYQ_HAVE_AVX512
  depthwise_conv3x3_row_avx512(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#elif TINYQ_HAVE_AVX2
  depthwise_conv3x3_row_avx2(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#elif TINYQ_HAVE_SSE2
  depthwise_conv3x3_row_sse2(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#else
  depthwise_conv3x3_row_scalar(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#endif
}

template <typename TA, typename TW>
void depthwise_conv3x3(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                       int stride, Padding pad, const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512
  depthwise_conv3x3_avx512(in, weights, bias, q, stride, pad, out);
#elif TINYQ_HAVE_AVX2
  depthwise_conv3x3_avx2(in, weights, bias, q, stride, pad, out);
#elif TINYQ_HAVE_SSE2
  depthwise_conv3x3_sse2(in, weights, bias, q, stride, pad, out);
#else
  depthwise_conv3x3_scalar(in, weights, bias, q, stride, pad, out);
#endif
}

template <typename TA, typename TW>
void pointwise_conv(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                    const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512
  pointwise_conv_avx512(in, weights, bias, q, out);
#elif TINYQ_HAVE_AVX2
  pointwise_conv_avx2(in, weights, bias, q, out);
#elif TINYQ_HAVE_SSE2
  pointwise_conv_sse2(in, weights, bias, q, out);
#else
  pointwise_conv_scalar(in, weights, bias, q, out);
#endif
}

template <typename TA>
void add(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac, const Tensor<TA>& out,
         int out_frac) {
  add_reference(a, a_frac, b, b_frac, out, out_frac);
}

template <typename TA>
void concat_channels(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac,
                     const Tensor<TA>& out, int out_frac) {
  concat_channels_reference(a, a_frac, b, b_frac, out, out_frac);
}

template <typename TA>
void upsample_bilinear_2x(const Tensor<const TA>& in, const Tensor<TA>& out) {
  upsample_bilinear_2x_reference(in, out);
}

}  // namespace tinyq
