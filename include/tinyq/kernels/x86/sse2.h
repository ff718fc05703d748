// SSE2 variants: pointwise_conv_sse2 (dot form, pmaddwd, 2 pixels x 4 channels) and
// depthwise_conv3x3_sse2 / _row_sse2 (simd/depthwise3x3.h over simd/sse2.h: 8 channels
// per vector). SSE2 has no variable shifts, 32-bit min/max or horizontal adds, so the
// pointwise epilogue is scalar (the exact requantize_output on int64 sums). Exactness: the
// same bounds as avx2.h.
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

}  // namespace sse2
}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_sse2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (pixels == 0 || cout == 0) return;
  const detail::MaxAbs m = detail::input_weight_max_abs(q, in.data, pixels * cin, weights, static_cast<size_t>(cout) * cin,
                                                        [](const auto* p, size_t n) { return simd::Sse2::max_abs(p, n); });
  const uint64_t wmax = m.w, xmax = m.x, prod = m.product();
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

}  // namespace tinyq

// Depthwise 3x3: depthwise_conv3x3_row_sse2, depthwise_conv3x3_sse2 (simd/depthwise3x3.h).
#define TINYQ_DW_NS sse2
#define TINYQ_DW_SIMD simd::Sse2
#include "../simd/depthwise3x3.h"
#undef TINYQ_DW_NS
#undef TINYQ_DW_SIMD
#endif  // TINYQ_HAVE_SSE2
