// Scalar reference kernels: the specification. Readable loops, int64 accumulation
// (exact for any realistic K), the one requantization step of tensor/quant.h.
// Every optimized variant (kernels/scalar.h, kernels/x86/*.h) equals these bit for bit.
#pragma once
#include "../core/fixed_point.h"
#include "../tensor/quant.h"
#include "../tensor/tensor.h"

namespace tinyq {

// ---------------------------------------------------------------------------
// 3x3 convolution, any stride (the stem). weights OHWI: [cout][3][3][cin].
// ---------------------------------------------------------------------------
template <typename TA, typename TW>
void conv3x3_reference(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                       int stride, Padding pad, const Tensor<TA>& out) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  for (int oy = 0; oy < out.height; ++oy) {
    for (int ox = 0; ox < out.width; ++ox) {
      TA* o = out.pixel(oy, ox);
      for (int co = 0; co < out.channels; ++co) {
        int64_t acc = 0;
        for (int ky = 0; ky < 3; ++ky) {
          const int iy = oy * stride - pad_top + ky;
          if (iy < 0 || iy >= in.height) continue;  // zero padding
          for (int kx = 0; kx < 3; ++kx) {
            const int ix = ox * stride - pad_left + kx;
            if (ix < 0 || ix >= in.width) continue;
            const TA* x = in.pixel(iy, ix);
            const TW* w = weights + ((static_cast<size_t>(co) * 3 + ky) * 3 + kx) * in.channels;
            for (int ci = 0; ci < in.channels; ++ci) acc += int64_t(x[ci]) * int64_t(w[ci]);
          }
        }
        o[co] = requantize_output<TA>(acc + aligned_bias(bias, q, co), output_shift(q, co), lo, hi);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Depthwise 3x3, stride 1 or 2. weights [3][3][C]. Padding rows are passed as nullptr
// row pointers, so the same row kernel serves the whole tensor and the fused block.
// ---------------------------------------------------------------------------

namespace detail {
// Channels [c_begin, c_end) of one output row (the reference arithmetic; optimized
// variants use it for channel tails they do not vectorise).
template <typename TA, typename TW>
void depthwise_row_channels(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                            const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width, int c_begin,
                            int c_end) {
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  for (int ox = 0; ox < out_width; ++ox) {
    for (int c = c_begin; c < c_end; ++c) {
      int64_t acc = 0;
      for (int ky = 0; ky < 3; ++ky) {
        if (rows[ky] == nullptr) continue;
        for (int kx = 0; kx < 3; ++kx) {
          const int ix = ox * stride - pad_left + kx;
          if (ix < 0 || ix >= in_width) continue;
          acc += int64_t(rows[ky][static_cast<size_t>(ix) * channels + c]) * int64_t(weights[(ky * 3 + kx) * channels + c]);
        }
      }
      out_row[static_cast<size_t>(ox) * channels + c] =
          requantize_output<TA>(acc + aligned_bias(bias, q, c), output_shift(q, c), lo, hi);
    }
  }
}
}  // namespace detail

// One output row: rows[ky] is input row (oy * stride - pad_top + ky), nullptr where that
// row is padding; pad_left zeros before column 0. max_abs_input (an upper bound of |x|
// over the rows, 0 = unknown) lets optimized variants prove int32 accumulation safe; the
// reference ignores it.
template <typename TA, typename TW>
void depthwise_conv3x3_row_reference(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                     const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                     int out_width, uint32_t max_abs_input = kScanBound) {
  (void)max_abs_input;
  detail::depthwise_row_channels(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, 0,
                                 channels);
}

// The three input-row pointers of output row oy (nullptr for padding rows).
template <typename TA>
inline void depthwise_input_rows(const Tensor<const TA>& in, int oy, int stride, int pad_top, const TA* rows[3]) {
  for (int ky = 0; ky < 3; ++ky) {
    const int iy = oy * stride - pad_top + ky;
    rows[ky] = (iy >= 0 && iy < in.height) ? in.row(iy) : nullptr;
  }
}

template <typename TA, typename TW>
void depthwise_conv3x3_reference(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                                 int stride, Padding pad, const Tensor<TA>& out) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row_reference(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy),
                                    out.width);
  }
}

// ---------------------------------------------------------------------------
// Pointwise 1x1 (the hot one). weights [cout][cin].
// ---------------------------------------------------------------------------
template <typename TA, typename TW>
void pointwise_conv_reference(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                              const Tensor<TA>& out) {
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  for (size_t p = 0; p < pixels; ++p) {
    const TA* x = in.data + p * in.channels;
    TA* o = out.data + p * out.channels;
    for (int co = 0; co < out.channels; ++co) {
      const TW* w = weights + static_cast<size_t>(co) * in.channels;
      int64_t acc = 0;
      for (int ci = 0; ci < in.channels; ++ci) acc += int64_t(x[ci]) * int64_t(w[ci]);
      o[co] = requantize_output<TA>(acc + aligned_bias(bias, q, co), output_shift(q, co), lo, hi);
    }
  }
}

// ---------------------------------------------------------------------------
// Residual add, channel concat, bilinear 2x upsample.
// ---------------------------------------------------------------------------

// One value from `frac` to `out_frac` fractional bits: the rounding rule, saturated to TA.
template <typename TA>
constexpr TA requantize_value(int64_t v, int frac, int out_frac) {
  return static_cast<TA>(shift_round_saturate(v, frac - out_frac, int_limits<TA>::bits));
}

// out = a + b with a single rounding: both aligned exactly to f = max(a_frac, b_frac),
// summed in int64, then shifted to out_frac with the rounding rule and saturated.
template <typename TA>
constexpr TA add_value(int32_t a, int a_frac, int32_t b, int b_frac, int out_frac) {
  const int f = a_frac > b_frac ? a_frac : b_frac;
  const int64_t sum = a * (int64_t(1) << (f - a_frac)) + b * (int64_t(1) << (f - b_frac));
  return static_cast<TA>(shift_round_saturate(sum, f - out_frac, int_limits<TA>::bits));
}

template <typename TA>
void add_reference(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac, const Tensor<TA>& out,
                   int out_frac) {
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) out.data[i] = add_value<TA>(a.data[i], a_frac, b.data[i], b_frac, out_frac);
}

// out channels = a.channels + b.channels (a first), each requantized to out_frac.
template <typename TA>
void concat_channels_reference(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac,
                               const Tensor<TA>& out, int out_frac) {
  const size_t pixels = static_cast<size_t>(out.height) * out.width;
  for (size_t p = 0; p < pixels; ++p) {
    TA* o = out.data + p * out.channels;
    const TA* pa = a.data + p * a.channels;
    const TA* pb = b.data + p * b.channels;
    for (int c = 0; c < a.channels; ++c) o[c] = requantize_value<TA>(pa[c], a_frac, out_frac);
    for (int c = 0; c < b.channels; ++c) o[a.channels + c] = requantize_value<TA>(pb[c], b_frac, out_frac);
  }
}

// TF2 tf.image.resize(method="bilinear") 2x, half-pixel centres: output row 2i takes
// 0.75 * in[i] + 0.25 * in[i-1], row 2i+1 0.75 * in[i] + 0.25 * in[i+1], indices clamped
// to the image; the same along columns. In integers: (9a + 3b + 3c + d) / 16 exactly,
// then the one rounding rule (rounding_shift_right by 4). Same format in and out.
inline int upsample_neighbour(int o, int n) {
  const int i = o >> 1;
  const int j = (o & 1) ? i + 1 : i - 1;
  return j < 0 ? 0 : (j >= n ? n - 1 : j);
}

template <typename TA>
void upsample_bilinear_2x_reference(const Tensor<const TA>& in, const Tensor<TA>& out) {
  const int C = in.channels;
  for (int oy = 0; oy < out.height; ++oy) {
    const int y0 = oy >> 1, y1 = upsample_neighbour(oy, in.height);
    for (int ox = 0; ox < out.width; ++ox) {
      const int x0 = ox >> 1, x1 = upsample_neighbour(ox, in.width);
      const TA* a = in.pixel(y0, x0);  // weight 9
      const TA* b = in.pixel(y0, x1);  // 3
      const TA* c = in.pixel(y1, x0);  // 3
      const TA* d = in.pixel(y1, x1);  // 1
      TA* o = out.pixel(oy, ox);
      for (int ch = 0; ch < C; ++ch) {
        const int32_t sum = 9 * int32_t(a[ch]) + 3 * int32_t(b[ch]) + 3 * int32_t(c[ch]) + int32_t(d[ch]);
        o[ch] = static_cast<TA>(rounding_shift_right(sum, 4));  // within [min, max] of TA: a convex combination
      }
    }
  }
}

}  // namespace tinyq
