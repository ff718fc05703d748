// AVX2 variants: pointwise_conv_avx2, depthwise_conv3x3_row_avx2 (+ the whole-tensor
// depthwise_conv3x3_avx2). Bit-identical to the reference (see simd/common.h and
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
// depthwise: simd/depthwise3x3.h over simd/avx2.h (16 channels per vector).
#pragma once
#include "config.h"
#if TINYQ_HAVE_AVX2
#include <immintrin.h>

#include "../reference.h"
#include "../simd/avx2.h"
#include "../simd/common.h"
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
  const detail::MaxAbs m = detail::input_weight_max_abs(q, in.data, pixels * cin, weights, static_cast<size_t>(cout) * cin,
                                                        [](const auto* p, size_t n) { return simd::Avx2::max_abs(p, n); });
  const uint64_t xmax = m.x, prod = m.product();
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

}  // namespace tinyq

// Depthwise 3x3: depthwise_conv3x3_row_avx2, depthwise_conv3x3_avx2 (simd/depthwise3x3.h);
// fewer than 16 channels fill no vector: SSE2 runs them.
#define TINYQ_DW_NS avx2
#define TINYQ_DW_SIMD simd::Avx2
#define TINYQ_DW_NARROWER sse2
#define TINYQ_DW_USE_NARROWER(channels) ((channels) < 16)
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
#undef TINYQ_DW_NARROWER
#undef TINYQ_DW_USE_NARROWER
TINYQ_TARGET_END
#endif  // TINYQ_HAVE_AVX2
