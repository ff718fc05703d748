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

// One step of the 2 pixel x 4 channel blocks: 8 input channels from k (n < 8: the zero-padded tail).
template <typename TA, typename TW>
inline void load_step(const TA* x0, const TA* x1, const TW* const w[4], int k, int n, __m128i& a0, __m128i& a1,
                      __m128i b[4]) {
  if (n == 8) {
    a0 = load8(x0 + k);
    a1 = load8(x1 + k);
    for (int c = 0; c < 4; ++c) b[c] = load8(w[c] + k);
  } else {
    a0 = load8_partial(x0 + k, n);
    a1 = load8_partial(x1 + k, n);
    for (int c = 0; c < 4; ++c) b[c] = load8_partial(w[c] + k, n);
  }
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
    load_step(x0, x1, w, s * 8, s < full ? 8 : rem, a0, a1, b);
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

// The same sums for full-range 16-bit data, where 2 * max|x| * max|w| leaves int32 room for
// only a step or two between int64 flushes. Each activation is split x = 256 xh + xl with
// xh = x >> 8 in [-128, 127] and xl = x & 255, and
//   sum x w = 256 sum xh w + sum xl w,
// where a lane's step adds at most 2 * 255 * max|w| < 2^24: up to 128 steps (1024 input
// channels) before a flush. Twice the pmaddwd of pointwise_block, no per-step flush.
template <typename TA, typename TW>
inline void pointwise_block_split(const TA* x0, const TA* x1, const TW* const w[4], int cin, int chunk, int64_t t[8]) {
  __m128i hi[8], lo[8];
  for (int i = 0; i < 8; ++i) hi[i] = lo[i] = _mm_setzero_si128();
  for (int i = 0; i < 8; ++i) t[i] = 0;
  auto flush = [&]() {
    for (int i = 0; i < 8; ++i) {
      alignas(16) int32_t h[4], l[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(h), hi[i]);
      _mm_store_si128(reinterpret_cast<__m128i*>(l), lo[i]);
      t[i] += 256 * (int64_t(h[0]) + h[1] + h[2] + h[3]) + (int64_t(l[0]) + l[1] + l[2] + l[3]);
      hi[i] = lo[i] = _mm_setzero_si128();
    }
  };
  const __m128i low8 = _mm_set1_epi16(0xFF);
  const int full = cin / 8, rem = cin % 8;
  const int steps = full + (rem != 0);
  for (int s = 0; s < steps; ++s) {
    __m128i a0, a1, b[4];
    load_step(x0, x1, w, s * 8, s < full ? 8 : rem, a0, a1, b);
    const __m128i a0h = _mm_srai_epi16(a0, 8), a0l = _mm_and_si128(a0, low8);
    const __m128i a1h = _mm_srai_epi16(a1, 8), a1l = _mm_and_si128(a1, low8);
    for (int c = 0; c < 4; ++c) {
      hi[c] = _mm_add_epi32(hi[c], _mm_madd_epi16(a0h, b[c]));
      lo[c] = _mm_add_epi32(lo[c], _mm_madd_epi16(a0l, b[c]));
      hi[4 + c] = _mm_add_epi32(hi[4 + c], _mm_madd_epi16(a1h, b[c]));
      lo[4 + c] = _mm_add_epi32(lo[4 + c], _mm_madd_epi16(a1l, b[c]));
    }
    if ((s + 1) % chunk == 0) flush();
  }
  if (steps % chunk != 0) flush();
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
  const uint64_t wmax = given_or_scanned(q.weight_max_abs, [&] { return max_abs(weights, static_cast<size_t>(cout) * cin); });
  const uint64_t xmax = given_or_scanned(q.input_max_abs, [&] { return max_abs(in.data, pixels * cin); });
  const uint64_t prod = xmax * wmax;
  const bool single = fits_int32(pointwise_sum_bound(q, cin, prod, xmax));
  if (!single && !fits_int32(2 * prod)) {
    pointwise_conv_scalar(in, weights, bias, q, out);  // exact in int64
    return;
  }
  const int chunk = single ? 0 : static_cast<int>(INT32_MAX / (2 * prod));
  // Flushing to int64 more often than every 8 steps costs more than splitting the activations.
  const int split_chunk = static_cast<int>(INT32_MAX / (2 * 255 * (wmax == 0 ? 1 : wmax)));
  const bool split = sizeof(TA) == 2 && chunk != 0 && chunk < 8 && split_chunk > chunk;
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
        if (split) detail::sse2::pointwise_block_split(x0, x1, w, cin, split_chunk, t);
        else detail::sse2::pointwise_block(x0, x1, w, cin, chunk, t);
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

// The 9 taps of 8 channels as 5 int16 pairs in unpack order (taps 2j, 2j+1; tap 8 with 0), the
// operand layout of pmaddwd: w[2j] channels 0..3, w[2j+1] channels 4..7.
inline void pair_taps(const __m128i t[9], __m128i w[10]) {
  const __m128i z = _mm_setzero_si128();
  for (int j = 0; j < 5; ++j) {
    const __m128i b = j < 4 ? t[2 * j + 1] : z;
    w[2 * j] = _mm_unpacklo_epi16(t[2 * j], b);
    w[2 * j + 1] = _mm_unpackhi_epi16(t[2 * j], b);
  }
}

template <typename TA, typename TW>
inline uint64_t dw_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                        DwBlock* plan) {
  uint64_t max_bias = 0;
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + 8 * b;
    __m128i t[9];
    for (int k = 0; k < 9; ++k) t[k] = load8(weights + k * channels + c0);
    pair_taps(t, plan[b].w);
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
  const uint64_t wmax =
      given_or_scanned(q.weight_max_abs, [&] { return tinyq::max_abs(weights, static_cast<size_t>(9) * channels); });
  bound = accumulator_bound(9, wmax, max_abs_input);
  if (!fits_int32(bound) || !fits_int32(2 * wmax * max_abs_input)) return false;
  e.lo = _mm_set1_epi32(static_cast<int32_t>(int64_t(output_min<TA>(q)) * (int64_t(1) << s)));
  e.hi = _mm_set1_epi32(static_cast<int32_t>(int64_t(output_max<TA>(q)) * (int64_t(1) << s)));
  e.round = _mm_set1_epi32(s > 0 ? int32_t(1) << (s - 1) : 0);
  e.shift = _mm_cvtsi32_si128(s);
  return true;
}

// ---- Wide path: any |w| |x| (the int32 bound above fails for full-range 16-bit data) ----
// Each weight is split w = 256 h + l with h = w >> 8 in [-128, 127] and l = w & 255, and
// the bias' likewise, so the sum v = sum x w + bias' = 256 (S_h + b_h) + (S_l + b_l) with
//   |S_h| <= 9 * 128 * max|x|,  0 <= l, |S_l| <= 9 * 255 * max|x|:
// both int32 for any 16-bit x. floor(v / 256) = S_h + b_h + ((S_l + b_l) >> 8) exactly, and
// the epilogue's pre-shift identity (common.h, consumed = 8) turns that into
// rounding_shift_right(v, s) for every s > 8. Twice the multiplies of the int32 path, no
// int64 lane.
struct DwWideBlock {
  __m128i wh[10], wl[10];
  __m128i bias_h[2], bias_l[2];  // unpack-lo order (channels 0..3), unpack-hi order (4..7)
};

struct DwWideEpilogue {
  __m128i lo, hi, round;  // after the pre-shift
  __m128i pre, shift;     // shift counts (one for every channel)
};

template <typename TW>
inline void dw_wide_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                         DwWideBlock* plan) {
  const __m128i low8 = _mm_set1_epi16(0xFF);
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + 8 * b;
    __m128i th[9], tl[9];
    for (int k = 0; k < 9; ++k) {
      const __m128i t = load8(weights + k * channels + c0);
      th[k] = _mm_srai_epi16(t, 8);
      tl[k] = _mm_and_si128(t, low8);
    }
    pair_taps(th, plan[b].wh);
    pair_taps(tl, plan[b].wl);
    alignas(16) int32_t eh[8], el[8];
    for (int c = 0; c < 8; ++c) {
      const int64_t bb = aligned_bias(bias, q, c0 + c);  // |bb| < 2^38: checked by split_weights_fit
      eh[c] = bias_high(bb);
      el[c] = bias_low(bb);
    }
    plan[b].bias_h[0] = _mm_load_si128(reinterpret_cast<const __m128i*>(eh));
    plan[b].bias_h[1] = _mm_load_si128(reinterpret_cast<const __m128i*>(eh + 4));
    plan[b].bias_l[0] = _mm_load_si128(reinterpret_cast<const __m128i*>(el));
    plan[b].bias_l[1] = _mm_load_si128(reinterpret_cast<const __m128i*>(el + 4));
  }
}

// One shift for every channel, and the split path's bounds (common.h split_weights_fit).
template <typename TA>
inline bool dw_wide_setup(const int32_t* bias, const ConvQuant& q, int channels, uint32_t max_abs_input,
                          DwWideEpilogue& e) {
  if (q.weight_frac_per_channel != nullptr || channels < 8 || !split_weights_fit<TA>(bias, q, channels, max_abs_input))
    return false;
  const ChannelEpilogue ce = channel_epilogue<TA>(bias, q, 0, 8);
  e.lo = _mm_set1_epi32(ce.lo_pre);
  e.hi = _mm_set1_epi32(ce.hi_pre);
  e.round = _mm_set1_epi32(ce.round);
  e.pre = _mm_cvtsi32_si128(ce.pre);
  e.shift = _mm_cvtsi32_si128(ce.shift);
  return true;
}

template <typename TA>
inline void dw_wide_pixel_block(const TA* const tap[9], int c, const DwWideBlock& p, const DwWideEpilogue& e, TA* o) {
  __m128i x[9];
  for (int k = 0; k < 9; ++k) x[k] = load8(tap[k] + c);
  const __m128i z = _mm_setzero_si128();
  __m128i hl = _mm_setzero_si128(), hh = _mm_setzero_si128(), ll = _mm_setzero_si128(), lh = _mm_setzero_si128();
  for (int j = 0; j < 5; ++j) {
    const __m128i a = _mm_unpacklo_epi16(x[2 * j], j < 4 ? x[2 * j + 1] : z);
    const __m128i b = _mm_unpackhi_epi16(x[2 * j], j < 4 ? x[2 * j + 1] : z);
    hl = _mm_add_epi32(hl, _mm_madd_epi16(a, p.wh[2 * j]));
    hh = _mm_add_epi32(hh, _mm_madd_epi16(b, p.wh[2 * j + 1]));
    ll = _mm_add_epi32(ll, _mm_madd_epi16(a, p.wl[2 * j]));
    lh = _mm_add_epi32(lh, _mm_madd_epi16(b, p.wl[2 * j + 1]));
  }
  // floor(v / 256), then the pre-shift, clamp and rounding shift
  __m128i lo = _mm_add_epi32(_mm_add_epi32(hl, p.bias_h[0]), _mm_srai_epi32(_mm_add_epi32(ll, p.bias_l[0]), 8));
  __m128i hi = _mm_add_epi32(_mm_add_epi32(hh, p.bias_h[1]), _mm_srai_epi32(_mm_add_epi32(lh, p.bias_l[1]), 8));
  lo = min32(max32(_mm_sra_epi32(lo, e.pre), e.lo), e.hi);
  hi = min32(max32(_mm_sra_epi32(hi, e.pre), e.lo), e.hi);
  lo = _mm_sra_epi32(_mm_add_epi32(lo, e.round), e.shift);
  hi = _mm_sra_epi32(_mm_add_epi32(hi, e.round), e.shift);
  dw_store<TA>(o, lo, hi);
}

template <typename TA>
inline void dw_wide_row_group(const TA* const rows[3], int in_width, int channels, int stride, int pad_left,
                              TA* out_row, int out_width, int g0, int nblocks, const DwWideBlock* plan,
                              const DwWideEpilogue& e) {
  depthwise_row_columns(rows, in_width, channels, stride, pad_left, out_width, g0, zeros<TA>(),
                        [&](int ox, const TA* const tap[9]) {
                          TA* o = out_row + static_cast<size_t>(ox) * channels + g0;
                          for (int b = 0; b < nblocks; ++b) dw_wide_pixel_block<TA>(tap, 8 * b, plan[b], e, o + 8 * b);
                        });
}

// The wide path over one row (vector channels, then the channel tail); false if it does not apply.
template <typename TA, typename TW>
inline bool dw_wide_row(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                        const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width, uint32_t max_abs_input) {
  DwWideEpilogue e;
  if (!dw_wide_setup<TA>(bias, q, channels, max_abs_input, e)) return false;
  const int vec_channels = channels / 8 * 8;
  constexpr int kWideGroup = kDwGroup / 2;  // 22 vectors a block: the same stack as the int32 plan
  DwWideBlock plan[kWideGroup / 8];
  for (int g0 = 0; g0 < vec_channels; g0 += kWideGroup) {
    const int nblocks = (vec_channels - g0 < kWideGroup ? vec_channels - g0 : kWideGroup) / 8;
    dw_wide_plan(weights, bias, q, channels, g0, nblocks, plan);
    dw_wide_row_group(rows, in_width, channels, stride, pad_left, out_row, out_width, g0, nblocks, plan, e);
  }
  depthwise_row_channels(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width,
                         vec_channels, channels);
  return true;
}

}  // namespace sse2
}  // namespace detail

template <typename TA, typename TW>
void depthwise_conv3x3_row_sse2(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                int out_width, uint32_t max_abs_input = 0) {
  if (max_abs_input == 0 && q.input_max_abs != kScanBound) max_abs_input = q.input_max_abs;  // a proven bound
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
    if (!detail::sse2::dw_wide_row(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width,
                                   max_abs_input))
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
  const uint32_t xmax = given_or_scanned(q.input_max_abs, [&] { return max_abs(in.data, in.size()); });
  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row_sse2(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy), out.width,
                               xmax == 0 ? 1 : xmax);
  }
}

}  // namespace tinyq
#endif  // TINYQ_HAVE_SSE2
