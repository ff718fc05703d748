// Independent naive oracle for the kernel tests: materialises the zero-padded input,
// sums in int64 over every tap without bounds checks, applies the quantization math
// written out longhand with the core rounding/saturation rules. Plus random data helpers.
#pragma once
#include <stdint.h>

#include <vector>

#include "common/rng.h"
#include "tinyq/core/fixed_point.h"
#include "tinyq/tensor/quant.h"
#include "tinyq/tensor/tensor.h"

namespace oracle {

struct Shape {
  int h, w, c;
};

template <typename T>
std::vector<T> random_values(tinyq_test::Rng& rng, size_t n, int64_t lo, int64_t hi) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

// Values drawn mostly from the extremes of T (saturation-heavy) or uniform.
template <typename T>
std::vector<T> random_tensor(tinyq_test::Rng& rng, size_t n, bool extremes, int64_t lo, int64_t hi) {
  std::vector<T> v(n);
  for (auto& x : v) {
    const int64_t r = rng.uniform(0, 9);
    if (extremes && r < 3) x = static_cast<T>(r == 0 ? lo : (r == 1 ? hi : 0));
    else x = static_cast<T>(rng.uniform(lo, hi));
  }
  return v;
}

inline int pad_before(int in, int out, int stride, tinyq::Padding pad) {
  if (pad == tinyq::Padding::symmetric) return 1;
  int total = (out - 1) * stride + 3 - in;
  return total < 0 ? 0 : total / 2;
}

// Longhand requantization (same rules as the spec, written independently).
template <typename TA>
TA requant(int64_t acc, int32_t bias, bool has_bias, const tinyq::ConvQuant& q, int c) {
  const int wf = q.weight_frac_per_channel ? q.weight_frac_per_channel[c] : q.weight_frac;
  const int acc_frac = q.input_frac + wf;
  int64_t b = 0;
  if (has_bias) {
    const int d = acc_frac - q.bias_frac;
    if (d >= 0) {
      const __int128 wide = __int128(bias) * (__int128(1) << (d > 80 ? 80 : d));
      const __int128 hi = (__int128(1) << 47) - 1, lo = -hi - 1;
      b = static_cast<int64_t>(wide > hi ? hi : (wide < lo ? lo : wide));
    } else {
      b = tinyq::rounding_shift_right(int64_t(bias), -d);
    }
  }
  const int64_t total = acc + b;
  const int s = acc_frac - q.output_frac;
  const int bits = sizeof(TA) * 8;
  int64_t v;
  if (s >= 0) {
    v = tinyq::saturate_to_bits(tinyq::rounding_shift_right(total, s), bits);
  } else {
    const __int128 w = __int128(total) * (__int128(1) << (-s > 80 ? 80 : -s));
    const __int128 hi = (__int128(1) << (bits - 1)) - 1, lo = -hi - 1;
    v = static_cast<int64_t>(w > hi ? hi : (w < lo ? lo : w));
  }
  if (q.relu6) {
    const __int128 six = q.output_frac >= 0 ? __int128(6) * (__int128(1) << q.output_frac) : (6 >> -q.output_frac) + ((6 >> (-q.output_frac - 1)) & 1);
    const int64_t max = (int64_t(1) << (bits - 1)) - 1;
    const int64_t six_c = six > max ? max : static_cast<int64_t>(six);
    v = v < 0 ? 0 : (v > six_c ? six_c : v);
  }
  return static_cast<TA>(v);
}

// Grouped 3x3 convolution over a materialised padded input: groups == 1 is the dense
// conv3x3 (weights [cout][3][3][cin]), groups == C the depthwise one (weights [3][3][C]).
template <typename TA, typename TW>
std::vector<TA> conv3x3(const std::vector<TA>& x, Shape in, const std::vector<TW>& w, const int32_t* bias,
                        const tinyq::ConvQuant& q, int stride, tinyq::Padding pad, int cout, bool depthwise) {
  const int oh = (in.h + stride - 1) / stride, ow = (in.w + stride - 1) / stride;
  const int pt = pad_before(in.h, oh, stride, pad), pl = pad_before(in.w, ow, stride, pad);
  const int ph = in.h + 4, pw = in.w + 4;  // generous zero border
  std::vector<int64_t> padded(static_cast<size_t>(ph) * pw * in.c, 0);
  for (int y = 0; y < in.h; ++y)
    for (int xx = 0; xx < in.w; ++xx)
      for (int c = 0; c < in.c; ++c)
        padded[((static_cast<size_t>(y + pt)) * pw + (xx + pl)) * in.c + c] = x[(static_cast<size_t>(y) * in.w + xx) * in.c + c];
  std::vector<TA> out(static_cast<size_t>(oh) * ow * cout);
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int co = 0; co < cout; ++co) {
        int64_t acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            const int64_t* px = &padded[((static_cast<size_t>(oy * stride + ky)) * pw + (ox * stride + kx)) * in.c];
            if (depthwise) {
              acc += px[co] * int64_t(w[(ky * 3 + kx) * cout + co]);
            } else {
              for (int ci = 0; ci < in.c; ++ci) acc += px[ci] * int64_t(w[((static_cast<size_t>(co) * 3 + ky) * 3 + kx) * in.c + ci]);
            }
          }
        out[(static_cast<size_t>(oy) * ow + ox) * cout + co] = requant<TA>(acc, bias ? bias[co] : 0, bias != nullptr, q, co);
      }
  return out;
}

template <typename TA, typename TW>
std::vector<TA> pointwise(const std::vector<TA>& x, Shape in, const std::vector<TW>& w, const int32_t* bias,
                          const tinyq::ConvQuant& q, int cout) {
  std::vector<TA> out(static_cast<size_t>(in.h) * in.w * cout);
  for (size_t p = 0; p < static_cast<size_t>(in.h) * in.w; ++p)
    for (int co = 0; co < cout; ++co) {
      int64_t acc = 0;
      for (int ci = 0; ci < in.c; ++ci) acc += int64_t(x[p * in.c + ci]) * w[static_cast<size_t>(co) * in.c + ci];
      out[p * cout + co] = requant<TA>(acc, bias ? bias[co] : 0, bias != nullptr, q, co);
    }
  return out;
}

}  // namespace oracle
