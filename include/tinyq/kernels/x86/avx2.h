// AVX2 variants: pointwise_conv_avx2 (simd/pointwise_dot.h over simd/avx2.h: vpmaddwd on 16
// int16 per vector, 2 pixels x 4 output channels, the 8 sums reduced by one transposed
// hadd tree and requantized in vector registers), depthwise_conv3x3_row_avx2 and the
// whole-tensor depthwise_conv3x3_avx2 (simd/depthwise3x3.h: 16 channels per vector).
// Bit-identical to the reference (simd/pointwise_dot.h, simd/depthwise3x3.h and
// docs/kernels.md say why each int32 step is exact); what no int32 form holds goes to the
// narrower level.
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

inline __m256i max64(__m256i a, __m256i b) { return _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b)); }
inline __m256i min64(__m256i a, __m256i b) { return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b)); }

// The dot form's epilogue (simd/pointwise_dot.h), in vector registers: int64 clamp, then
// vpsravd; every shift in [0, max_fast_shift].
template <typename TA>
inline bool dot_epilogue_ok(const ConvQuant& q, int cout) {
  return fast_shifts<TA>(q, cout);
}

// Per output-channel block (4 channels) epilogue constants, in lane order.
struct DotParams {
  __m256i bias, lo, hi;  // int64 x 4 (co 0..3)
  __m256i round, shift;  // int32 x 8 (co 0..3, twice)
};

template <typename TA>
inline DotParams dot_params(const int32_t* bias, const ConvQuant& q, int c0, int nc) {
  ChannelEpilogue e[4];
  for (int c = 0; c < 4; ++c) e[c] = channel_epilogue<TA>(bias, q, c0 + (c < nc ? c : nc - 1));
  DotParams p;
  p.bias = _mm256_setr_epi64x(e[0].bias, e[1].bias, e[2].bias, e[3].bias);
  p.lo = _mm256_setr_epi64x(e[0].lo, e[1].lo, e[2].lo, e[3].lo);
  p.hi = _mm256_setr_epi64x(e[0].hi, e[1].hi, e[2].hi, e[3].hi);
  p.round = _mm256_setr_epi32(e[0].round, e[1].round, e[2].round, e[3].round, e[0].round, e[1].round, e[2].round, e[3].round);
  p.shift = _mm256_setr_epi32(e[0].shift, e[1].shift, e[2].shift, e[3].shift, e[0].shift, e[1].shift, e[2].shift, e[3].shift);
  return p;
}

// t: int64 sums of pixels 0 and 1 for channels 0..3. Requantize and store nc channels of
// np pixels, the second `stride` values after the first.
template <typename TA>
inline void dot_store(const int64_t* t, const DotParams& p, TA* o0, size_t stride, int np, int nc) {
  TA* o1 = o0 + stride;
  __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t));
  __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t + 4));
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

constexpr int kDotPixels = 2;            // pixels per block of the dot form
constexpr size_t kDotTileBytes = 16384;  // activations of a pixel tile (L1)

}  // namespace avx2
}  // namespace detail
}  // namespace tinyq

// Pointwise: pointwise_conv_dot_avx2 (simd/pointwise_dot.h); shifts the vector epilogue cannot
// take, and sums no int32 form holds, go to SSE2 (scalar epilogue, then int64).
#define TINYQ_PW_NS avx2
#define TINYQ_PW_SIMD simd::Avx2
#define TINYQ_PW_FALLBACK pointwise_conv_sse2
#include "../simd/pointwise_dot.h"
#undef TINYQ_PW_NS
#undef TINYQ_PW_SIMD
#undef TINYQ_PW_FALLBACK

namespace tinyq {
template <typename TA, typename TW>
void pointwise_conv_avx2(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  pointwise_conv_dot_avx2(in, weights, bias, q, out);
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
