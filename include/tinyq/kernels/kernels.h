// Dispatching entry points: the best variant this CPU runs (x86-64: AVX-512 VNNI > AVX-512 >
// AVX2 > SSE2, chosen at every call from the CPU's features, or fixed at compile time under
// TINYQ_SIMD_PIN: x86/config.h; aarch64: NEON for the pointwise and depthwise
// convolutions and the stem (im2col + NEON pointwise); else the portable scalar kernels). Every variant equals the reference bit for bit, so the choice
// only changes speed. The variants are callable by name too:
//   conv3x3_reference / _scalar / _im2col,
//   depthwise_conv3x3_reference / _scalar / _sse2 / _avx2 / _avx512 / _avx512vnni / _neon (and the
//   row forms: depthwise_conv3x3_row_* per level, depthwise_conv3x3_row_group_scalar),
//   pointwise_conv_reference / _scalar / _sse2 / _avx2 / _avx512 / _avx512vnni / _neon,
//   add_reference / _scalar, concat_channels_reference, upsample_bilinear_2x_reference.
// (The SIMD ones may only be called where cpu_has_*() says the CPU has the level.)
#pragma once
#include "reference.h"
#include "scalar.h"
#include "elementwise.h"
#include "x86/sse2.h"
#include "x86/avx2.h"
#include "x86/avx512.h"
#include "arm/neon.h"

namespace tinyq {

// 3x3 convolution as im2col + pointwise: the zero-padded 3x3xcin patches of a run of
// output columns are laid out as a one-row tensor with 9 * cin channels (OHWI weights
// are then exactly pointwise weights [cout][9 * cin]) and go through the best
// pointwise_conv. Exact sums, so bit-identical to the reference. Stack: 16K elements.
template <typename TA, typename TW>
void conv3x3_im2col(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
                    Padding pad, const Tensor<TA>& out, int oy_begin = 0, int oy_end = -1);

template <typename TA, typename TW>
void conv3x3(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
             Padding pad, const Tensor<TA>& out) {
#if TINYQ_HAVE_SSE2 || TINYQ_HAVE_NEON
  conv3x3_im2col(in, weights, bias, q, stride, pad, out);  // SIMD pointwise on patches
#else
  conv3x3_scalar(in, weights, bias, q, stride, pad, out);  // the stem (3 input channels) on riscv64
#endif
}

// Output rows [oy_begin, oy_end) of conv3x3 (a part of a parallel layer), for inputs with
// conv3x3_rows_supported(cin) (the stem: 3 channels); bit-identical to those rows of conv3x3.
constexpr bool conv3x3_rows_supported(int cin) { return 9 * cin <= 72; }
template <typename TA, typename TW>
void conv3x3_rows(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
                  Padding pad, const Tensor<TA>& out, int oy_begin, int oy_end) {
#if TINYQ_HAVE_SSE2 || TINYQ_HAVE_NEON
  conv3x3_im2col(in, weights, bias, q, stride, pad, out, oy_begin, oy_end);
#else
  conv3x3_scalar(in, weights, bias, q, stride, pad, out, oy_begin, oy_end);
#endif
}

// One output row of the depthwise convolution (used by the fused inverted-residual block).
// rows[ky]: input row oy * stride - pad_top + ky, nullptr for padding rows.
// max_abs_input: an upper bound of |x| over the rows (kScanBound: not given; then
// ConvQuant::input_max_abs, else a scan of the rows); see
// docs/kernels.md.
template <typename TA, typename TW>
void depthwise_conv3x3_row(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                           const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width,
                           uint32_t max_abs_input = kScanBound) {
#if TINYQ_HAVE_AVX512_VNNI
  if (cpu_has_avx512_vnni()) return depthwise_conv3x3_row_avx512vnni(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#endif
#if TINYQ_HAVE_AVX512
  if (cpu_has_avx512()) return depthwise_conv3x3_row_avx512(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#endif
#if TINYQ_HAVE_AVX2
  if (cpu_has_avx2()) return depthwise_conv3x3_row_avx2(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#endif
#if TINYQ_HAVE_SSE2
  return depthwise_conv3x3_row_sse2(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#elif TINYQ_HAVE_NEON
  depthwise_conv3x3_row_neon(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#else
  depthwise_conv3x3_row_scalar(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, max_abs_input);
#endif
}

// n_rows output rows of the depthwise convolution whose input rows are all real and lie
// row_step values apart (negative allowed): output row i reads first + (stride i + ky) row_step,
// ky = 0..2, and goes to out_first + i out_step (the fused block's stride-2 row groups). The
// portable build takes them in one call (each channel set up once for all rows); the SIMD
// levels (x86, NEON) row by row. Bit-identical to n_rows depthwise_conv3x3_row calls.
template <typename TA, typename TW>
void depthwise_conv3x3_row_group(const TA* first, ptrdiff_t row_step, int n_rows, int in_width, int channels,
                                 const TW* weights, const int32_t* bias, const ConvQuant& q, int stride, int pad_left,
                                 TA* out_first, ptrdiff_t out_step, int out_width, uint32_t max_abs_input = kScanBound) {
#if TINYQ_HAVE_SSE2 || TINYQ_HAVE_NEON
  for (int i = 0; i < n_rows; ++i) {
    const TA* rows[3];
    detail::depthwise_group_rows(first, row_step, stride, i, rows);
    depthwise_conv3x3_row<TA, TW>(rows, in_width, channels, weights, bias, q, stride, pad_left, out_first + i * out_step,
                                  out_width, max_abs_input);
  }
#else
  (void)max_abs_input;
  depthwise_conv3x3_row_group_scalar(first, row_step, n_rows, in_width, channels, weights, bias, q, stride, pad_left,
                                     out_first, out_step, out_width);
#endif
}

// Output rows [r0, r1) of the depthwise convolution of a whole tensor (a band of a layer).
// The portable build takes them in one call (each channel's setup shared by the rows,
// kernels/scalar.h); the SIMD levels (x86, NEON) row by row, as depthwise_conv3x3_row.
template <typename TA, typename TW>
void depthwise_conv3x3_rows(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                            int stride, Padding pad, const Tensor<TA>& out, int r0, int r1) {
#if TINYQ_HAVE_SSE2 || TINYQ_HAVE_NEON
  const int pad_top = padding_before(in.height, stride, pad), pad_left = padding_before(in.width, stride, pad);
  for (int oy = r0; oy < r1; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row<TA, TW>(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy), out.width);
  }
#else
  depthwise_conv3x3_rows_scalar(in, weights, bias, q, stride, pad, out, r0, r1);
#endif
}

template <typename TA, typename TW>
void depthwise_conv3x3(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                       int stride, Padding pad, const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512_VNNI
  if (cpu_has_avx512_vnni()) return depthwise_conv3x3_avx512vnni(in, weights, bias, q, stride, pad, out);
#endif
#if TINYQ_HAVE_AVX512
  if (cpu_has_avx512()) return depthwise_conv3x3_avx512(in, weights, bias, q, stride, pad, out);
#endif
#if TINYQ_HAVE_AVX2
  if (cpu_has_avx2()) return depthwise_conv3x3_avx2(in, weights, bias, q, stride, pad, out);
#endif
#if TINYQ_HAVE_SSE2
  return depthwise_conv3x3_sse2(in, weights, bias, q, stride, pad, out);
#elif TINYQ_HAVE_NEON
  depthwise_conv3x3_neon(in, weights, bias, q, stride, pad, out);
#else
  depthwise_conv3x3_scalar(in, weights, bias, q, stride, pad, out);
#endif
}

template <typename TA, typename TW>
void pointwise_conv(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                    const Tensor<TA>& out) {
#if TINYQ_HAVE_AVX512_VNNI
  if (cpu_has_avx512_vnni()) return pointwise_conv_avx512vnni(in, weights, bias, q, out);
#endif
#if TINYQ_HAVE_AVX512
  if (cpu_has_avx512()) return pointwise_conv_avx512(in, weights, bias, q, out);
#endif
#if TINYQ_HAVE_AVX2
  if (cpu_has_avx2()) return pointwise_conv_avx2(in, weights, bias, q, out);
#endif
#if TINYQ_HAVE_SSE2
  return pointwise_conv_sse2(in, weights, bias, q, out);
#elif TINYQ_HAVE_NEON
  pointwise_conv_neon(in, weights, bias, q, out);
#else
  pointwise_conv_scalar(in, weights, bias, q, out);
#endif
}

template <typename TA, typename TW>
void conv3x3_im2col(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
                    Padding pad, const Tensor<TA>& out, int oy_begin, int oy_end) {
  constexpr int kBuffer = 16384;
  if (oy_end < 0) oy_end = out.height;
  const int cin = in.channels, K = 9 * cin;
  if (K > kBuffer) {
    conv3x3_reference(in, weights, bias, q, stride, pad, out);
    return;
  }
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const int cols = kBuffer / K;  // output columns per pointwise call
  TA patches[kBuffer];
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox0 = 0; ox0 < out.width; ox0 += cols) {
      const int n = out.width - ox0 < cols ? out.width - ox0 : cols;
      for (int j = 0; j < n; ++j) {
        const int ix0 = (ox0 + j) * stride - pad_left;  // the patch's first input column
        for (int ky = 0; ky < 3; ++ky) {
          const int iy = oy * stride - pad_top + ky;
          TA* dst = patches + static_cast<size_t>(j) * K + ky * 3 * cin;  // kernel row ky: 3 * cin values
          if (iy < 0 || iy >= in.height) {
            for (int i = 0; i < 3 * cin; ++i) dst[i] = TA(0);
          } else if (ix0 >= 0 && ix0 + 3 <= in.width) {
            // HWC: the three pixels of the row are 3 * cin consecutive values
            const TA* src = in.pixel(iy, ix0);
            for (int i = 0; i < 3 * cin; ++i) dst[i] = src[i];
          } else {  // the image's left or right edge: padding columns are zeros
            for (int kx = 0; kx < 3; ++kx) {
              const int ix = ix0 + kx;
              const bool inside = ix >= 0 && ix < in.width;
              const TA* src = inside ? in.pixel(iy, ix) : nullptr;
              for (int ci = 0; ci < cin; ++ci) dst[kx * cin + ci] = inside ? src[ci] : TA(0);
            }
          }
        }
      }
      pointwise_conv(Tensor<const TA>{patches, 1, n, K}, weights, bias, q, Tensor<TA>{out.pixel(oy, ox0), 1, n, out.channels});
    }
  }
}

template <typename TA>
void add(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac, const Tensor<TA>& out,
         int out_frac) {
  add_scalar(a, a_frac, b, b_frac, out, out_frac);  // exact int32 form where it applies, else the reference
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
