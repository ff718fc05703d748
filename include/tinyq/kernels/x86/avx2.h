// AVX2 variants: pointwise_conv_avx2, depthwise_conv3x3_row_avx2 (+ the whole-tensor
// depthwise_conv3x3_avx2). Bit-identical to the reference (see common.h and
// docs/kernels.md for why each int32 step is exact); inputs outside the proven-safe
// range go to the reference.
//
// pointwise: dot products along cin with vpmaddwd (16 int16 per vector, pairs summed
// into 8 int32 lanes), a block of 2 pixels x 4 output channels = 8 accumulators,
// reduced together by a transposed hadd tree into one vector of 8 sums, requantized in
// vector registers. Exactness: each lane holds at most 2 products per step; with
// P = max|x| * max|w|:
//   cin * P <= INT32_MAX           -> one int32 pass, int32 reduction tree (every partial
//                                     sum is a sum of <= cin products);
//   otherwise                       -> int32 lanes flushed to int64 lanes every
//                                     floor(INT32_MAX / (2P)) steps, reduced in int64;
//   2P > INT32_MAX (both -32768)    -> reference.
// depthwise: 16 channels per vector; taps paired with vpunpck{l,h}wd so one vpmaddwd
// does two taps; int32 accumulation exact when 9 * P + max|bias'| <= INT32_MAX (always
// true after ReLU6 in Q7..Q9), else the reference.
#pragma once
#include "config.h"
#if TINYQ_HAVE_AVX2
#include <immintrin.h>

#include "../reference.h"
#include "common.h"
#include "sse2.h"

// Every function below is compiled for AVX2 (config.h), whatever the translation unit's flags.
TINYQ_TARGET_BEGIN(TINYQ_TARGET_AVX2)
namespace tinyq {
namespace detail {
namespace avx2 {

template <typename T> inline __m256i load16(const T* p);
template <> inline __m256i load16<int16_t>(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
template <> inline __m256i load16<int8_t>(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <typename T>
inline __m256i load16_partial(const T* p, int n) {
  alignas(32) T tmp[16] = {};
  for (int i = 0; i < n; ++i) tmp[i] = p[i];
  return load16(tmp);
}

// max |v| over n values, vectorised (min and max separately: |INT16_MIN| does not fit).
template <typename T>
inline uint32_t max_abs(const T* v, size_t n) {
  size_t i = 0;
  __m256i mx = _mm256_setzero_si256(), mn = _mm256_setzero_si256();
  for (; i + 16 <= n; i += 16) {
    const __m256i x = load16(v + i);
    mx = _mm256_max_epi16(mx, x);
    mn = _mm256_min_epi16(mn, x);
  }
  alignas(32) int16_t a[16], b[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), mx);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b), mn);
  int32_t hi = 0, lo = 0;
  for (int k = 0; k < 16; ++k) {
    hi = a[k] > hi ? a[k] : hi;
    lo = b[k] < lo ? b[k] : lo;
  }
  for (; i < n; ++i) {
    hi = v[i] > hi ? v[i] : hi;
    lo = v[i] < lo ? v[i] : lo;
  }
  return static_cast<uint32_t>(-lo > hi ? -lo : hi);
}

// 8 vectors of 8 int32 -> one vector of their 8 horizontal sums (exact when every partial
// sum fits int32).
inline __m256i reduce8(const __m256i a[8]) {
  const __m256i h01 = _mm256_hadd_epi32(a[0], a[1]), h23 = _mm256_hadd_epi32(a[2], a[3]);
  const __m256i h45 = _mm256_hadd_epi32(a[4], a[5]), h67 = _mm256_hadd_epi32(a[6], a[7]);
  const __m256i s0 = _mm256_hadd_epi32(h01, h23), s1 = _mm256_hadd_epi32(h45, h67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20), _mm256_permute2x128_si256(s0, s1, 0x31));
}

inline __m256i max64(__m256i a, __m256i b) { return _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b)); }
inline __m256i min64(__m256i a, __m256i b) { return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b)); }

inline int64_t hsum64(__m256i v) {
  __m128i t = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
  return _mm_cvtsi128_si64(t);
}

// Per output-channel block (4 channels) epilogue constants, in lane order.
struct PointwiseParams {
  __m256i bias, lo, hi;  // int64 x 4 (co 0..3)
  __m256i round, shift;  // int32 x 8 (co 0..3, twice)
};

template <typename TA>
inline PointwiseParams pointwise_params(const int32_t* bias, const ConvQuant& q, int c0, int nc) {
  ChannelEpilogue e[4];
  for (int c = 0; c < 4; ++c) e[c] = channel_epilogue<TA>(bias, q, c0 + (c < nc ? c : nc - 1));
  PointwiseParams p;
  p.bias = _mm256_setr_epi64x(e[0].bias, e[1].bias, e[2].bias, e[3].bias);
  p.lo = _mm256_setr_epi64x(e[0].lo, e[1].lo, e[2].lo, e[3].lo);
  p.hi = _mm256_setr_epi64x(e[0].hi, e[1].hi, e[2].hi, e[3].hi);
  p.round = _mm256_setr_epi32(e[0].round, e[1].round, e[2].round, e[3].round, e[0].round, e[1].round, e[2].round, e[3].round);
  p.shift = _mm256_setr_epi32(e[0].shift, e[1].shift, e[2].shift, e[3].shift, e[0].shift, e[1].shift, e[2].shift, e[3].shift);
  return p;
}

// v0, v1: int64 sums of pixels 0 and 1 for channels 0..3. Requantize and store nc
// channels of np pixels.
template <typename TA>
inline void pointwise_epilogue(__m256i v0, __m256i v1, const PointwiseParams& p, TA* o0, TA* o1, int np, int nc) {
  v0 = min64(max64(_mm256_add_epi64(v0, p.bias), p.lo), p.hi);
  v1 = min64(max64(_mm256_add_epi64(v1, p.bias), p.lo), p.hi);
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m128i n0 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v0, even));
  const __m128i n1 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v1, even));
  __m256i r = _mm256_inserti128_si256(_mm256_castsi128_si256(n0), n1, 1);
  r = _mm256_srav_epi32(_mm256_add_epi32(r, p.round), p.shift);
  const __m256i w16 = _mm256_packs_epi32(r, r);  // lane 0: pixel 0 x4 (twice), lane 1: pixel 1
  alignas(32) TA tmp[2][16];
  if (sizeof(TA) == 2) {
    if (nc == 4) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o0), _mm256_castsi256_si128(w16));
      if (np > 1) _mm_storel_epi64(reinterpret_cast<__m128i*>(o1), _mm256_extracti128_si256(w16, 1));
      return;
    }
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp[0]), _mm256_castsi256_si128(w16));
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp[1]), _mm256_extracti128_si256(w16, 1));
  } else {
    const __m256i w8 = _mm256_packs_epi16(w16, w16);
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp[0]), _mm256_castsi256_si128(w8));
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp[1]), _mm256_extracti128_si256(w8, 1));
  }
  for (int c = 0; c < nc; ++c) o0[c] = tmp[0][c];
  if (np > 1)
    for (int c = 0; c < nc; ++c) o1[c] = tmp[1][c];
}

// Sums of 2 pixels x 4 channels: int64 vectors (pixel 0, pixel 1) of channels 0..3.
// chunk: steps per int32 pass (0: the whole cin in one int32 pass).
template <typename TA, typename TW>
inline void pointwise_block(const TA* x0, const TA* x1, const TW* const w[4], int cin, int chunk, __m256i& out0,
                            __m256i& out1) {
  __m256i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_si256();
  const int full = cin / 16, rem = cin % 16;
  const int steps = full + (rem != 0);
  __m256i wide[8][2];  // int64 lanes, multi-pass only
  for (int i = 0; i < 8; ++i) wide[i][0] = wide[i][1] = _mm256_setzero_si256();
  int next_flush = chunk != 0 ? chunk : steps + 1;
  for (int s = 0; s < steps; ++s) {
    __m256i a0, a1, b[4];
    if (s < full) {
      const int k = s * 16;
      a0 = load16(x0 + k);
      a1 = load16(x1 + k);
      for (int c = 0; c < 4; ++c) b[c] = load16(w[c] + k);
    } else {
      const int k = full * 16;
      a0 = load16_partial(x0 + k, rem);
      a1 = load16_partial(x1 + k, rem);
      for (int c = 0; c < 4; ++c) b[c] = load16_partial(w[c] + k, rem);
    }
    for (int c = 0; c < 4; ++c) {
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(a0, b[c]));
      acc[4 + c] = _mm256_add_epi32(acc[4 + c], _mm256_madd_epi16(a1, b[c]));
    }
    if (s + 1 == next_flush) {
      for (int i = 0; i < 8; ++i) {
        wide[i][0] = _mm256_add_epi64(wide[i][0], _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc[i])));
        wide[i][1] = _mm256_add_epi64(wide[i][1], _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc[i], 1)));
        acc[i] = _mm256_setzero_si256();
      }
      next_flush += chunk;
    }
  }
  if (chunk == 0) {
    const __m256i r = reduce8(acc);
    out0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(r));
    out1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(r, 1));
    return;
  }
  int64_t t[8];
  for (int i = 0; i < 8; ++i) {
    wide[i][0] = _mm256_add_epi64(wide[i][0], _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc[i])));
    wide[i][1] = _mm256_add_epi64(wide[i][1], _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc[i], 1)));
    t[i] = hsum64(_mm256_add_epi64(wide[i][0], wide[i][1]));
  }
  out0 = _mm256_setr_epi64x(t[0], t[1], t[2], t[3]);
  out1 = _mm256_setr_epi64x(t[4], t[5], t[6], t[7]);
}

}  // namespace avx2
}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_avx2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (pixels == 0 || cout == 0) return;
  const uint64_t xmax = given_or_scanned(q.input_max_abs, [&] { return detail::avx2::max_abs(in.data, pixels * cin); });
  const uint64_t prod =
      xmax * given_or_scanned(q.weight_max_abs, [&] { return detail::avx2::max_abs(weights, static_cast<size_t>(cout) * cin); });
  const bool single = fits_int32(pointwise_sum_bound(q, cin, prod, xmax));
  if (!detail::fast_shifts<TA>(q, cout) || (!single && !fits_int32(2 * prod))) {
    pointwise_conv_sse2(in, weights, bias, q, out);  // exact for every shift (int64 epilogue)
    return;
  }
  const int chunk = single ? 0 : static_cast<int>(INT32_MAX / (2 * prod));
  // Pixel tiles small enough for their activations to stay in L1 while every output
  // channel block passes over them.
  size_t tile = 16384 / (static_cast<size_t>(cin) * sizeof(TA) + 1);
  tile = tile < 2 ? 2 : (tile > 64 ? 64 : tile & ~size_t(1));
  for (size_t t0 = 0; t0 < pixels; t0 += tile) {
    const size_t t1 = t0 + tile < pixels ? t0 + tile : pixels;
    for (int c0 = 0; c0 < cout; c0 += 4) {
      const int nc = cout - c0 < 4 ? cout - c0 : 4;
      const TW* w[4];
      for (int c = 0; c < 4; ++c) w[c] = weights + static_cast<size_t>(c0 + (c < nc ? c : nc - 1)) * cin;
      const detail::avx2::PointwiseParams params = detail::avx2::pointwise_params<TA>(bias, q, c0, nc);
      for (size_t p = t0; p < t1; p += 2) {
        const int np = t1 - p < 2 ? 1 : 2;
        const TA* x0 = in.data + p * cin;
        const TA* x1 = np > 1 ? x0 + cin : x0;
        __m256i s0, s1;
        detail::avx2::pointwise_block(x0, x1, w, cin, chunk, s0, s1);
        TA* o0 = out.data + p * cout + c0;
        detail::avx2::pointwise_epilogue<TA>(s0, s1, params, o0, o0 + cout, np, nc);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Depthwise 3x3
// ---------------------------------------------------------------------------
namespace detail {
namespace avx2 {

constexpr int kDwGroup = 512;  // channels per plan (stack: 32 blocks x 20 vectors x 32 bytes = 20 KiB)

// Weights paired for vpmaddwd (taps 0/1, 2/3, 4/5, 6/7, 8/zero; unpack-lo and unpack-hi
// halves) and epilogue constants in the same lane order, per block of 16 channels.
struct DwBlock {
  __m256i w[10];
  __m256i bias[2], lo[2], hi[2], round[2], shift[2];
};

// The 9 taps of 16 channels as 5 int16 pairs in unpack order (taps 2j, 2j+1; tap 8 with 0),
// the operand layout of vpmaddwd.
inline void pair_taps(const __m256i t[9], __m256i w[10]) {
  const __m256i z = _mm256_setzero_si256();
  for (int j = 0; j < 5; ++j) {
    const __m256i b = j < 4 ? t[2 * j + 1] : z;
    w[2 * j] = _mm256_unpacklo_epi16(t[2 * j], b);
    w[2 * j + 1] = _mm256_unpackhi_epi16(t[2 * j], b);
  }
}

template <typename TA, typename TW>
inline void dw_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                    DwBlock* plan) {
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + 16 * b;
    __m256i t[9];
    for (int k = 0; k < 9; ++k) t[k] = load16(weights + k * channels + c0);
    pair_taps(t, plan[b].w);
    alignas(32) int32_t e[5][16];
    for (int c = 0; c < 16; ++c) {
      const ChannelEpilogue ce = channel_epilogue<TA>(bias, q, c0 + c);
      e[0][c] = static_cast<int32_t>(ce.bias);  // fits: checked by the caller
      e[1][c] = static_cast<int32_t>(ce.lo);
      e[2][c] = static_cast<int32_t>(ce.hi);
      e[3][c] = ce.round;
      e[4][c] = ce.shift;
    }
    __m256i* dst[5] = {plan[b].bias, plan[b].lo, plan[b].hi, plan[b].round, plan[b].shift};
    for (int k = 0; k < 5; ++k) {
      const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(e[k]));      // channels 0..7
      const __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(e[k] + 8));  // 8..15
      dst[k][0] = _mm256_permute2x128_si256(a, c, 0x20);  // unpack-lo order: 0..3, 8..11
      dst[k][1] = _mm256_permute2x128_si256(a, c, 0x31);  // unpack-hi order: 4..7, 12..15
    }
  }
}

template <typename TA>
inline void dw_store(TA* o, __m256i lo, __m256i hi);
template <>
inline void dw_store<int16_t>(int16_t* o, __m256i lo, __m256i hi) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_packs_epi32(lo, hi));
}
template <>
inline void dw_store<int8_t>(int8_t* o, __m256i lo, __m256i hi) {
  const __m256i w16 = _mm256_packs_epi32(lo, hi);
  const __m256i w8 = _mm256_permute4x64_epi64(_mm256_packs_epi16(w16, w16), 0x08);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(w8));
}

template <typename TA>
inline void dw_pixel_block(const TA* const tap[9], int c, const DwBlock& p, TA* o) {
  __m256i x[9];
  for (int k = 0; k < 9; ++k) x[k] = load16(tap[k] + c);
  const __m256i z = _mm256_setzero_si256();
  __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(x[0], x[1]), p.w[0]);
  __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(x[0], x[1]), p.w[1]);
  lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x[2], x[3]), p.w[2]));
  hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x[2], x[3]), p.w[3]));
  lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x[4], x[5]), p.w[4]));
  hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x[4], x[5]), p.w[5]));
  lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x[6], x[7]), p.w[6]));
  hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x[6], x[7]), p.w[7]));
  lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x[8], z), p.w[8]));
  hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x[8], z), p.w[9]));
  lo = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(lo, p.bias[0]), p.lo[0]), p.hi[0]);
  hi = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(hi, p.bias[1]), p.lo[1]), p.hi[1]);
  lo = _mm256_srav_epi32(_mm256_add_epi32(lo, p.round[0]), p.shift[0]);
  hi = _mm256_srav_epi32(_mm256_add_epi32(hi, p.round[1]), p.shift[1]);
  dw_store<TA>(o, lo, hi);
}

template <typename T>
inline const T* zeros() {
  alignas(64) static const T z[kDwGroup + 64] = {};
  return z;
}

}  // namespace avx2
}  // namespace detail

// One output row (see depthwise_conv3x3_row_reference). max_abs_input: a bound of |x|
// over the rows (0: unknown, the rows are scanned).
template <typename TA, typename TW>
void depthwise_conv3x3_row_avx2(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                int out_width, uint32_t max_abs_input = 0);

namespace detail {
namespace avx2 {

// Is the int32 path exact for these weights/bias and |x| <= max_abs_input?
template <typename TA, typename TW>
inline bool dw_fast(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, uint32_t max_abs_input) {
  if (!fast_shifts<TA>(q, channels)) return false;
  const uint64_t wmax = given_or_scanned(q.weight_max_abs, [&] { return max_abs(weights, static_cast<size_t>(9) * channels); });
  const uint64_t bound = accumulator_bound(9, wmax, max_abs_input) + max_abs_aligned_bias(bias, q, channels);
  return fits_int32(bound) && fits_int32(2 * wmax * max_abs_input);
}

// Rows of a plan's channel group [g0, g0 + 16 * nblocks).
template <typename TA>
inline void dw_row_group(const TA* const rows[3], int in_width, int channels, int stride, int pad_left, TA* out_row,
                         int out_width, int g0, int nblocks, const DwBlock* plan) {
  constexpr int kSub = 16;  // blocks per pass: their plan stays in L1 across the row
  for (int b0 = 0; b0 < nblocks; b0 += kSub) {
    const int b1 = b0 + kSub < nblocks ? b0 + kSub : nblocks;
    depthwise_row_columns(rows, in_width, channels, stride, pad_left, out_width, g0, zeros<TA>(),
                          [&](int ox, const TA* const tap[9]) {
                            TA* o = out_row + static_cast<size_t>(ox) * channels + g0;
                            for (int b = b0; b < b1; ++b) dw_pixel_block<TA>(tap, 16 * b, plan[b], o + 16 * b);
                          });
  }
}

}  // namespace avx2
}  // namespace detail

template <typename TA, typename TW>
void depthwise_conv3x3_row_avx2(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                int out_width, uint32_t max_abs_input) {
  if (max_abs_input == 0 && q.input_max_abs != kScanBound) max_abs_input = q.input_max_abs;  // a proven bound
  if (max_abs_input == 0)
    for (int ky = 0; ky < 3; ++ky)
      if (rows[ky] != nullptr) {
        const uint32_t m = detail::avx2::max_abs(rows[ky], static_cast<size_t>(in_width) * channels);
        max_abs_input = m > max_abs_input ? m : max_abs_input;
      }
  const int vec_channels = channels / 16 * 16;
  if (vec_channels == 0 || !detail::avx2::dw_fast<TA>(weights, bias, q, channels, max_abs_input)) {
    // outside the int32 bound: SSE2's split-weight (wide) path, else its scalar fallback
    depthwise_conv3x3_row_sse2(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width,
                               max_abs_input == 0 ? 1 : max_abs_input);
    return;
  }
  detail::avx2::DwBlock plan[detail::avx2::kDwGroup / 16];
  for (int g0 = 0; g0 < vec_channels; g0 += detail::avx2::kDwGroup) {
    const int nblocks = (vec_channels - g0 < detail::avx2::kDwGroup ? vec_channels - g0 : detail::avx2::kDwGroup) / 16;
    detail::avx2::dw_plan<TA>(weights, bias, q, channels, g0, nblocks, plan);
    detail::avx2::dw_row_group(rows, in_width, channels, stride, pad_left, out_row, out_width, g0, nblocks, plan);
  }
  detail::depthwise_row_channels(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width,
                                 vec_channels, channels);
}

// Whole tensor: one plan per channel group for all rows, the input scanned once for |x|.
template <typename TA, typename TW>
void depthwise_conv3x3_avx2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                            int stride, Padding pad, const Tensor<TA>& out) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const int channels = in.channels;
  const int vec_channels = channels / 16 * 16;
  const uint32_t xmax = given_or_scanned(q.input_max_abs, [&] { return detail::avx2::max_abs(in.data, in.size()); });
  if (vec_channels == 0 || !detail::avx2::dw_fast<TA>(weights, bias, q, channels, xmax)) {
    depthwise_conv3x3_sse2(in, weights, bias, q, stride, pad, out);
    return;
  }
  detail::avx2::DwBlock plan[detail::avx2::kDwGroup / 16];
  for (int g0 = 0; g0 < vec_channels; g0 += detail::avx2::kDwGroup) {
    const int nblocks = (vec_channels - g0 < detail::avx2::kDwGroup ? vec_channels - g0 : detail::avx2::kDwGroup) / 16;
    detail::avx2::dw_plan<TA>(weights, bias, q, channels, g0, nblocks, plan);
    for (int oy = 0; oy < out.height; ++oy) {
      const TA* rows[3];
      depthwise_input_rows(in, oy, stride, pad_top, rows);
      detail::avx2::dw_row_group(rows, in.width, channels, stride, pad_left, out.row(oy), out.width, g0, nblocks, plan);
    }
  }
  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    detail::depthwise_row_channels(rows, in.width, channels, weights, bias, q, stride, pad_left, out.row(oy), out.width,
                                   vec_channels, channels);
  }
}

}  // namespace tinyq
TINYQ_TARGET_END
#endif  // TINYQ_HAVE_AVX2
