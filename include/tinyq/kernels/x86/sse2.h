// SSE2 variants: pointwise_conv_sse2 (dot form, pmaddwd, 2 pixels x 4 channels) and
// depthwise_conv3x3_sse2 / _row_sse2 (8 channels per vector, paired taps). SSE2 has no
// variable shifts, 32-bit min/max or horizontal adds, so the pointwise epilogue is scalar
// (the exact requantize_output on int64 sums) and the depthwise vector path needs one
// shift for all channels (per-tensor weight format); per-channel formats use the portable
// scalar depthwise. Exactness: the same bounds as avx2.h.
#pragma once
#include "config.h"
#include "../scalar.h"
#if TINYQ_HAVE_SSE2
#include <emmintrin.h>

#include "common.h"

namespace tinyq {
namespace detail {
namespace sse2 {

template <typename T> inline __m128i load8(const T* p);
template <> inline __m128i load8<int16_t>(const int16_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
template <> inline __m128i load8<int8_t>(const int8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);  // sign-extend 8 bytes to 8 int16
}
template <typename T>
inline __m128i load8_partial(const T* p, int n) {
  alignas(16) T tmp[16] = {};
  for (int i = 0; i < n; ++i) tmp[i] = p[i];
  return load8(tmp);
}

// 4 vectors of 4 int32 -> their 4 horizontal sums (exact when every partial sum fits).
inline __m128i reduce4(__m128i a, __m128i b, __m128i c, __m128i d) {
  const __m128i ab_lo = _mm_unpacklo_epi32(a, b), ab_hi = _mm_unpackhi_epi32(a, b);
  const __m128i cd_lo = _mm_unpacklo_epi32(c, d), cd_hi = _mm_unpackhi_epi32(c, d);
  const __m128i ab = _mm_add_epi32(ab_lo, ab_hi);  // a0+a2 b0+b2 a1+a3 b1+b3
  const __m128i cd = _mm_add_epi32(cd_lo, cd_hi);
  return _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));  // a b c d
}

// Sums of 2 pixels x 4 channels into t[8] (index pixel * 4 + channel), int64.
template <typename TA, typename TW>
inline void pointwise_block(const TA* x0, const TA* x1, const TW* const w[4], int cin, int chunk, int64_t t[8]) {
  __m128i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm_setzero_si128();
  for (int i = 0; i < 8; ++i) t[i] = 0;
  const int full = cin / 8, rem = cin % 8;
  const int steps = full + (rem != 0);
  int next_flush = chunk != 0 ? chunk : steps + 1;
  for (int s = 0; s < steps; ++s) {
    __m128i a0, a1, b[4];
    const int k = s * 8;
    if (s < full) {
      a0 = load8(x0 + k);
      a1 = load8(x1 + k);
      for (int c = 0; c < 4; ++c) b[c] = load8(w[c] + k);
    } else {
      a0 = load8_partial(x0 + k, rem);
      a1 = load8_partial(x1 + k, rem);
      for (int c = 0; c < 4; ++c) b[c] = load8_partial(w[c] + k, rem);
    }
    for (int c = 0; c < 4; ++c) {
      acc[c] = _mm_add_epi32(acc[c], _mm_madd_epi16(a0, b[c]));
      acc[4 + c] = _mm_add_epi32(acc[4 + c], _mm_madd_epi16(a1, b[c]));
    }
    if (s + 1 == next_flush) {  // int32 lanes -> int64 sums
      for (int i = 0; i < 8; ++i) {
        alignas(16) int32_t l[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(l), acc[i]);
        t[i] += int64_t(l[0]) + l[1] + l[2] + l[3];
        acc[i] = _mm_setzero_si128();
      }
      next_flush += chunk;
    }
  }
  if (chunk == 0) {  // one pass: the reduction tree stays in int32
    alignas(16) int32_t r[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(r), reduce4(acc[0], acc[1], acc[2], acc[3]));
    _mm_store_si128(reinterpret_cast<__m128i*>(r + 4), reduce4(acc[4], acc[5], acc[6], acc[7]));
    for (int i = 0; i < 8; ++i) t[i] = r[i];
    return;
  }
  for (int i = 0; i < 8; ++i) {
    alignas(16) int32_t l[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(l), acc[i]);
    t[i] += int64_t(l[0]) + l[1] + l[2] + l[3];
  }
}

template <typename T>
inline uint32_t max_abs(const T* v, size_t n) {
  return tinyq::max_abs(v, n);
}

}  // namespace sse2
}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (pixels == 0 || cout == 0) return;
  const uint64_t prod = uint64_t(max_abs(in.data, pixels * cin)) * max_abs(weights, static_cast<size_t>(cout) * cin);
  if (!fits_int32(2 * prod)) {
    pointwise_conv_scalar(in, weights, bias, q, out);  // exact in int64
    return;
  }
  const int chunk = fits_int32(accumulator_bound(cin, prod, 1)) ? 0 : static_cast<int>(INT32_MAX / (2 * prod));
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  size_t tile = 16384 / (static_cast<size_t>(cin) * sizeof(TA) + 1);
  tile = tile < 2 ? 2 : (tile > 64 ? 64 : tile & ~size_t(1));
  for (size_t t0 = 0; t0 < pixels; t0 += tile) {
    const size_t t1 = t0 + tile < pixels ? t0 + tile : pixels;
    for (int c0 = 0; c0 < cout; c0 += 4) {
      const int nc = cout - c0 < 4 ? cout - c0 : 4;
      const TW* w[4];
      int64_t b[4];
      int s[4];
      for (int c = 0; c < 4; ++c) {
        const int cc = c0 + (c < nc ? c : nc - 1);
        w[c] = weights + static_cast<size_t>(cc) * cin;
        b[c] = aligned_bias(bias, q, cc);
        s[c] = output_shift(q, cc);
      }
      for (size_t p = t0; p < t1; p += 2) {
        const int np = t1 - p < 2 ? 1 : 2;
        const TA* x0 = in.data + p * cin;
        const TA* x1 = np > 1 ? x0 + cin : x0;
        int64_t t[8];
        detail::sse2::pointwise_block(x0, x1, w, cin, chunk, t);
        for (int i = 0; i < np; ++i) {
          TA* o = out.data + (p + i) * cout + c0;
          for (int c = 0; c < nc; ++c) o[c] = requantize_output<TA>(t[4 * i + c] + b[c], s[c], lo, hi);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Depthwise 3x3
// ---------------------------------------------------------------------------
namespace detail {
namespace sse2 {

constexpr int kDwGroup = 512;

struct DwBlock {
  __m128i w[10];
  __m128i bias[2];  // unpack-lo order (channels 0..3), unpack-hi order (4..7)
};

inline __m128i max32(__m128i a, __m128i b) {
  const __m128i gt = _mm_cmpgt_epi32(a, b);
  return _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
}
inline __m128i min32(__m128i a, __m128i b) {
  const __m128i gt = _mm_cmpgt_epi32(a, b);
  return _mm_or_si128(_mm_and_si128(gt, b), _mm_andnot_si128(gt, a));
}

template <typename TA, typename TW>
inline uint64_t dw_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                        DwBlock* plan) {
  uint64_t max_bias = 0;
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + 8 * b;
    __m128i t[9];
    for (int k = 0; k < 9; ++k) t[k] = load8(weights + k * channels + c0);
    const __m128i z = _mm_setzero_si128();
    for (int j = 0; j < 4; ++j) {
      plan[b].w[2 * j] = _mm_unpacklo_epi16(t[2 * j], t[2 * j + 1]);
      plan[b].w[2 * j + 1] = _mm_unpackhi_epi16(t[2 * j], t[2 * j + 1]);
    }
    plan[b].w[8] = _mm_unpacklo_epi16(t[8], z);
    plan[b].w[9] = _mm_unpackhi_epi16(t[8], z);
    alignas(16) int32_t e[8];
    for (int c = 0; c < 8; ++c) {
      const int64_t bb = aligned_bias(bias, q, c0 + c);
      const uint64_t ab = static_cast<uint64_t>(bb < 0 ? -bb : bb);
      max_bias = ab > max_bias ? ab : max_bias;
      e[c] = static_cast<int32_t>(bb);  // used only once the bound holds
    }
    plan[b].bias[0] = _mm_load_si128(reinterpret_cast<const __m128i*>(e));
    plan[b].bias[1] = _mm_load_si128(reinterpret_cast<const __m128i*>(e + 4));
  }
  return max_bias;
}

struct DwEpilogue {
  __m128i lo, hi, round, shift;  // one shift for every channel
};

template <typename TA>
inline void dw_store(TA* o, __m128i lo, __m128i hi);
template <>
inline void dw_store<int16_t>(int16_t* o, __m128i lo, __m128i hi) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_packs_epi32(lo, hi));
}
template <>
inline void dw_store<int8_t>(int8_t* o, __m128i lo, __m128i hi) {
  const __m128i w16 = _mm_packs_epi32(lo, hi);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_packs_epi16(w16, w16));
}

template <typename TA>
inline void dw_pixel_block(const TA* const tap[9], int c, const DwBlock& p, const DwEpilogue& e, TA* o) {
  __m128i x[9];
  for (int k = 0; k < 9; ++k) x[k] = load8(tap[k] + c);
  const __m128i z = _mm_setzero_si128();
  __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
  for (int j = 0; j < 4; ++j) {
    lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(x[2 * j], x[2 * j + 1]), p.w[2 * j]));
    hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(x[2 * j], x[2 * j + 1]), p.w[2 * j + 1]));
  }
  lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(x[8], z), p.w[8]));
  hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(x[8], z), p.w[9]));
  lo = min32(max32(_mm_add_epi32(lo, p.bias[0]), e.lo), e.hi);
  hi = min32(max32(_mm_add_epi32(hi, p.bias[1]), e.lo), e.hi);
  lo = _mm_sra_epi32(_mm_add_epi32(lo, e.round), e.shift);
  hi = _mm_sra_epi32(_mm_add_epi32(hi, e.round), e.shift);
  dw_store<TA>(o, lo, hi);
}

template <typename T>
inline const T* zeros() {
  alignas(64) static const T z[kDwGroup + 64] = {};
  return z;
}

template <typename TA>
inline void dw_row_group(const TA* const rows[3], int in_width, int channels, int stride, int pad_left, TA* out_row,
                         int out_width, int g0, int nblocks, const DwBlock* plan, const DwEpilogue& e) {
  depthwise_row_columns(rows, in_width, channels, stride, pad_left, out_width, g0, zeros<TA>(),
                        [&](int ox, const TA* const tap[9]) {
                          TA* o = out_row + static_cast<size_t>(ox) * channels + g0;
                          for (int b = 0; b < nblocks; ++b) dw_pixel_block<TA>(tap, 8 * b, plan[b], e, o + 8 * b);
                        });
}

// Vector path possible at all: one shift for all channels within range, |w| |x| bound.
template <typename TA, typename TW>
inline bool dw_setup(const TW* weights, const ConvQuant& q, int channels, uint32_t max_abs_input, uint64_t& bound,
                     DwEpilogue& e) {
  if (q.weight_frac_per_channel != nullptr || channels < 8) return false;
  const int s = output_shift(q, 0);
  if (s < 0 || s > max_fast_shift<TA>()) return false;
  const uint64_t wmax = tinyq::max_abs(weights, static_cast<size_t>(9) * channels);
  bound = accumulator_bound(9, wmax, max_abs_input);
  if (!fits_int32(bound) || !fits_int32(2 * wmax * max_abs_input)) return false;
  e.lo = _mm_set1_epi32(static_cast<int32_t>(int64_t(output_min<TA>(q)) * (int64_t(1) << s)));
  e.hi = _mm_set1_epi32(static_cast<int32_t>(int64_t(output_max<TA>(q)) * (int64_t(1) << s)));
  e.round = _mm_set1_epi32(s > 0 ? int32_t(1) << (s - 1) : 0);
  e.shift = _mm_cvtsi32_si128(s);
  return true;
}

}  // namespace sse2
}  // namespace detail

template <typename TA, typename TW>
void depthwise_conv3x3_row_sse2(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                int out_width, uint32_t max_abs_input = 0) {
  if (max_abs_input == 0)
    for (int ky = 0; ky < 3; ++ky)
      if (rows[ky] != nullptr) {
        const uint32_t m = max_abs(rows[ky], static_cast<size_t>(in_width) * channels);
        max_abs_input = m > max_abs_input ? m : max_abs_input;
      }
  uint64_t bound = 0;
  detail::sse2::DwEpilogue e;
  bool ok = detail::sse2::dw_setup<TA>(weights, q, channels, max_abs_input, bound, e);
  const int vec_channels = channels / 8 * 8;
  detail::sse2::DwBlock plan[detail::sse2::kDwGroup / 8];
  for (int g0 = 0; ok && g0 < vec_channels; g0 += detail::sse2::kDwGroup) {
    const int nblocks = (vec_channels - g0 < detail::sse2::kDwGroup ? vec_channels - g0 : detail::sse2::kDwGroup) / 8;
    ok = fits_int32(bound + detail::sse2::dw_plan<TA>(weights, bias, q, channels, g0, nblocks, plan));
    if (ok) detail::sse2::dw_row_group(rows, in_width, channels, stride, pad_left, out_row, out_width, g0, nblocks, plan, e);
  }
  if (!ok) {
    depthwise_conv3x3_row_scalar(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width);
    return;
  }
  detail::depthwise_row_channels(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width,
                                 vec_channels, channels);
}

template <typename TA, typename TW>
void depthwise_conv3x3_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                            int stride, Padding pad, const Tensor<TA>& out) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const uint32_t xmax = max_abs(in.data, in.size());
  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row_sse2(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy), out.width,
                               xmax == 0 ? 1 : xmax);
  }
}

}  // namespace tinyq
#endif  // TINYQ_HAVE_SSE2
