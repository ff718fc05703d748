// The AVX-512 variants' code, compiled twice by avx512.h: once for AVX-512 F+BW+VL+DQ
// (functions *_avx512, helpers in detail::avx512) and once with VNNI as well (*_avx512vnni,
// detail::avx512vnni), each time inside its own target region. No include guard: only
// avx512.h includes it, with TINYQ_AVX512_NS, TINYQ_AVX512_FN and TINYQ_AVX512_WITH_VNNI set.
// The differences between the two: madd_acc is vpdpwssd with VNNI, vpmaddwd + vpaddd
// without; and the VNNI variant alone has the int8 x int8 pointwise form with vpdpbusd
// (pointwise_quads, pointwise_conv_quads_avx512vnni).
namespace tinyq {
namespace detail {
namespace TINYQ_AVX512_NS {

using Simd = TINYQ_AVX512_SIMD;  // simd/avx512.h

template <typename T> inline __m512i load32(const T* p, __mmask32 m);
template <> inline __m512i load32<int16_t>(const int16_t* p, __mmask32 m) { return _mm512_maskz_loadu_epi16(m, p); }
template <> inline __m512i load32<int8_t>(const int8_t* p, __mmask32 m) { return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p)); }
template <typename T> inline __m512i load32(const T* p);
template <> inline __m512i load32<int16_t>(const int16_t* p) { return _mm512_loadu_si512(p); }
template <> inline __m512i load32<int8_t>(const int8_t* p) {
  return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __mmask32 tail_mask(int n) { return n >= 32 ? ~__mmask32(0) : static_cast<__mmask32>((uint32_t(1) << n) - 1); }

// acc + a.b pairwise (int16 pairs -> int32 lanes): vpdpwssd with VNNI, vpmaddwd + vpaddd without
inline __m512i madd_acc(__m512i acc, __m512i a, __m512i b) { return Simd::madd_acc(acc, a, b); }

// The dot form's epilogue (simd/pointwise_dot.h), in vector registers: int64 clamp, then
// vpsravd; every shift in [0, max_fast_shift].
template <typename TA>
inline bool dot_epilogue_ok(const ConvQuant& q, int cout) {
  return fast_shifts<TA>(q, cout);
}

struct DotParams {
  __m512i bias, lo, hi;  // int64 x 8 (co 0..3, twice)
  __m512i round, shift;  // int32 x 16 (co 0..3, four times)
};

template <typename TA>
inline DotParams dot_params(const int32_t* bias, const ConvQuant& q, int c0, int nc) {
  ChannelEpilogue e[4];
  for (int c = 0; c < 4; ++c) e[c] = channel_epilogue<TA>(bias, q, c0 + (c < nc ? c : nc - 1));
  DotParams p;
  p.bias = _mm512_setr_epi64(e[0].bias, e[1].bias, e[2].bias, e[3].bias, e[0].bias, e[1].bias, e[2].bias, e[3].bias);
  p.lo = _mm512_setr_epi64(e[0].lo, e[1].lo, e[2].lo, e[3].lo, e[0].lo, e[1].lo, e[2].lo, e[3].lo);
  p.hi = _mm512_setr_epi64(e[0].hi, e[1].hi, e[2].hi, e[3].hi, e[0].hi, e[1].hi, e[2].hi, e[3].hi);
  p.round = _mm512_broadcast_i32x4(_mm_setr_epi32(e[0].round, e[1].round, e[2].round, e[3].round));
  p.shift = _mm512_broadcast_i32x4(_mm_setr_epi32(e[0].shift, e[1].shift, e[2].shift, e[3].shift));
  return p;
}

// t: int64 sums [pixel 0 co 0..3, pixel 1 co 0..3, pixel 2 ..., pixel 3 ...]; np pixels
// `out_stride` values apart.
template <typename TA>
inline void dot_store(const int64_t* t, const DotParams& p, TA* o, size_t out_stride, int np, int nc) {
  __m512i v01 = _mm512_loadu_si512(t), v23 = _mm512_loadu_si512(t + 8);
  v01 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(v01, p.bias), p.lo), p.hi);
  v23 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(v23, p.bias), p.lo), p.hi);
  __m512i r = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(v01)), _mm512_cvtepi64_epi32(v23), 1);
  r = _mm512_srav_epi32(_mm512_add_epi32(r, p.round), p.shift);
  alignas(64) TA tmp[16];
  if (sizeof(TA) == 2) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), _mm512_cvtsepi32_epi16(r));
  } else {
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), _mm512_cvtsepi32_epi8(r));
  }
  if (nc == 4) {
    for (int i = 0; i < np; ++i) __builtin_memcpy(o + i * out_stride, tmp + 4 * i, 4 * sizeof(TA));
  } else {
    for (int i = 0; i < np; ++i)
      for (int c = 0; c < nc; ++c) o[i * out_stride + c] = tmp[4 * i + c];
  }
}

constexpr int kDotPixels = 4;            // pixels per block of the dot form
constexpr size_t kDotTileBytes = 24576;  // activations of a pixel tile (L1)

}  // namespace TINYQ_AVX512_NS
}  // namespace detail
}  // namespace tinyq

// The dot form: pointwise_conv_dot_avx512 / _avx512vnni (simd/pointwise_dot.h); shifts the
// vector epilogue cannot take, and sums no int32 form holds, go to SSE2.
#define TINYQ_PW_NS TINYQ_AVX512_NS
#define TINYQ_PW_SIMD TINYQ_AVX512_SIMD
#define TINYQ_PW_FALLBACK pointwise_conv_sse2
#include "../simd/pointwise_dot.h"
#undef TINYQ_PW_NS
#undef TINYQ_PW_SIMD
#undef TINYQ_PW_FALLBACK

namespace tinyq {

// Outer-product pointwise for int16 activations and many pixels: weights of 32 output
// channels packed as int16 pairs [cin/2][32] (per call, on the stack), each activation
// pair broadcast (vpbroadcastd) and multiplied into 2 vectors of 16 output channels, a
// block of 8 pixels x 32 channels = 16 accumulators; no horizontal reduction, every lane
// is one output. Exactness: lane sums of cin products, int32 when cin * P + max|bias'| <=
// INT32_MAX, else int32 passes of `chunk` pair-steps flushed to int64 lanes.
namespace detail {
namespace TINYQ_AVX512_NS {

constexpr int kPackMaxCin = 1024;  // 32 channels x 1024 x 2 bytes = 64 KiB of stack
template <typename TW>
constexpr int prepacked_stack_ints() { return kPackMaxCin / 2 * 32; }

template <typename TW>
inline void pack_weights_scalar(const TW* weights, int cin, int c0, int nc, int32_t* packed, int k2_begin) {
  const int k2n = (cin + 1) / 2;
  for (int j = 0; j < 32; ++j) {
    const TW* row = weights + static_cast<size_t>(c0 + (j < nc ? j : 0)) * cin;
    for (int k2 = k2_begin; k2 < k2n; ++k2) {
      uint32_t a = 0, b = 0;
      if (j < nc) {
        a = static_cast<uint16_t>(static_cast<int16_t>(row[2 * k2]));
        b = 2 * k2 + 1 < cin ? static_cast<uint16_t>(static_cast<int16_t>(row[2 * k2 + 1])) : 0u;
      }
      packed[k2 * 32 + j] = static_cast<int32_t>(a | (b << 16));
    }
  }
}

// int16 weights: each packed vector of 16 pairs is one vpgatherdd (16 rows, the same pair).
inline void pack_weights(const int16_t* weights, int cin, int c0, int nc, int32_t* packed) {
  const int full_pairs = cin / 2;  // pairs that lie inside their row
  for (int h = 0; h < 2; ++h) {
    const int rows = nc - 16 * h;
    if (rows <= 0) {
      for (int k2 = 0; k2 < (cin + 1) / 2; ++k2) _mm512_store_si512(packed + k2 * 32 + 16 * h, _mm512_setzero_si512());
      continue;
    }
    const __mmask16 m = rows >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << rows) - 1);
    const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(cin * 2));  // bytes between rows
    const int16_t* base = weights + static_cast<size_t>(c0 + 16 * h) * cin;
    for (int k2 = 0; k2 < full_pairs; ++k2)
      _mm512_store_si512(packed + k2 * 32 + 16 * h,
                         _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, offsets, base + 2 * k2, 1));
  }
  if (cin & 1) pack_weights_scalar(weights, cin, c0, nc, packed, full_pairs);  // the last, half-filled pair
}
inline void pack_weights(const int8_t* weights, int cin, int c0, int nc, int32_t* packed) {
  pack_weights_scalar(weights, cin, c0, nc, packed, 0);
}

// Epilogue constants of 32 output channels. Output shifts past 16 take the pre-shift
// (common.h): int32 sums are shifted right by `pre32` before the clamp, int64 sums are
// clamped at full scale, then brought into int32 as ((t - lo) >> pre) + (lo >> pre).
// Folded (`fold`: int32 single-pass sums, no pre-shift in the block, room for the rounding
// half): the accumulators start at bias' + 2^(s-1), and since
//   clamp(v + b, L, H) + r == clamp(v + b + r, L + r, H + r)
// the epilogue is a clamp to [L + r, H + r] and the shift: no bias or rounding adds left.
struct PackedParams {
  __m512i bias32[2], pre32[2], lo32[2], hi32[2], round[2], shift[2];
  __m512i start[2], lo_round[2], hi_round[2];  // the folded form's bias' + r, L + r, H + r
  __m512i bias64[4], lo64[4], hi64[4], pre64[4], lo64_pre[4];
  __mmask16 mask[2];
  bool fold;
};

// fold_allowed: the caller proved |sum| + |bias'| + 2^(max_fast_shift - 1) <= INT32_MAX for
// single-pass sums.
template <typename TA>
inline void packed_params(const int32_t* bias, const ConvQuant& q, int c0, int nc, PackedParams& pp, bool fold_allowed = false) {
  alignas(64) int32_t b32[32], pre32[32], lo32[32], hi32[32], rnd[32], sh[32];
  alignas(64) int64_t b64[32], lo64[32], hi64[32], pre64[32], lop64[32];
  pp.fold = fold_allowed;
  for (int j = 0; j < 32; ++j) {
    const ChannelEpilogue e = channel_epilogue<TA>(bias, q, c0 + (j < nc ? j : 0));
    b64[j] = e.bias;
    lo64[j] = e.lo;
    hi64[j] = e.hi;
    pre64[j] = e.pre;
    lop64[j] = e.lo_pre;
    b32[j] = static_cast<int32_t>(e.bias);  // used only when the int32 epilogue is proven exact
    pre32[j] = e.pre;
    lo32[j] = e.lo_pre;
    hi32[j] = e.hi_pre;
    rnd[j] = e.round;
    sh[j] = e.shift;
    if (e.pre != 0) pp.fold = false;
  }
  for (int v = 0; v < 2; ++v) {
    pp.bias32[v] = _mm512_load_si512(b32 + 16 * v);
    pp.pre32[v] = _mm512_load_si512(pre32 + 16 * v);
    pp.lo32[v] = _mm512_load_si512(lo32 + 16 * v);
    pp.hi32[v] = _mm512_load_si512(hi32 + 16 * v);
    pp.round[v] = _mm512_load_si512(rnd + 16 * v);
    pp.shift[v] = _mm512_load_si512(sh + 16 * v);
    pp.start[v] = _mm512_add_epi32(pp.bias32[v], pp.round[v]);
    pp.lo_round[v] = _mm512_add_epi32(pp.lo32[v], pp.round[v]);
    pp.hi_round[v] = _mm512_add_epi32(pp.hi32[v], pp.round[v]);
    const int n = nc - 16 * v;
    pp.mask[v] = n >= 16 ? __mmask16(0xFFFF) : (n <= 0 ? __mmask16(0) : static_cast<__mmask16>((1u << n) - 1));
  }
  for (int h = 0; h < 4; ++h) {
    pp.bias64[h] = _mm512_load_si512(b64 + 8 * h);
    pp.lo64[h] = _mm512_load_si512(lo64 + 8 * h);
    pp.hi64[h] = _mm512_load_si512(hi64 + 8 * h);
    pp.pre64[h] = _mm512_load_si512(pre64 + 8 * h);
    pp.lo64_pre[h] = _mm512_load_si512(lop64 + 8 * h);
  }
}

inline void store16(int16_t* o, __mmask16 m, __m512i r) { _mm256_mask_storeu_epi16(o, m, _mm512_cvtsepi32_epi16(r)); }
inline void store16(int8_t* o, __mmask16 m, __m512i r) { _mm_mask_storeu_epi8(o, m, _mm512_cvtsepi32_epi8(r)); }

// int8 activations: the block's rows widened to int16 once (vpmovsxbw), so the inner
// loop is the int16 one.
inline void widen_rows(const int8_t* x, int cin, int rows, int16_t* dst) {
  const size_t n = static_cast<size_t>(rows) * cin;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) _mm512_storeu_si512(dst + i, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i))));
  if (i < n) {
    const __mmask32 m = tail_mask(static_cast<int>(n - i));
    _mm512_mask_storeu_epi16(dst + i, m, _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, x + i)));
  }
}

// MR pixels (rows x, x + cin, ...) x 32 channels; o: output of the first pixel at channel c0.
// SPLIT (full-range int16 activations, see sse2::pointwise_block_split): each activation
// pair is split x = 256 xh + xl, two accumulators per output, and the int64 flush every
// `chunk` pairs adds 256 * acc + acc_lo.
// Half `half` (0: lanes 0-7, 1: lanes 8-15) of 16 int32 lanes, sign-extended to 8 int64 lanes.
inline __m512i widen_half(__m512i a, int half) {
  return _mm512_cvtepi32_epi64(half == 0 ? _mm512_castsi512_si256(a) : _mm512_extracti64x4_epi64(a, 1));
}

// The epilogue of output vector v (16 channels) of a block: int64 sums t0 (lanes 0-7) and
// t1 (lanes 8-15) clamped at full scale, pre-shifted into int32, rounded, shifted, stored.
template <typename TO>
inline void packed_store64(__m512i t0, __m512i t1, int v, const PackedParams& pp, TO* o) {
  if (pp.mask[v] == 0) return;
  t0 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(t0, pp.bias64[2 * v]), pp.lo64[2 * v]), pp.hi64[2 * v]);
  t1 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(t1, pp.bias64[2 * v + 1]), pp.lo64[2 * v + 1]), pp.hi64[2 * v + 1]);
  t0 = _mm512_add_epi64(_mm512_srlv_epi64(_mm512_sub_epi64(t0, pp.lo64[2 * v]), pp.pre64[2 * v]), pp.lo64_pre[2 * v]);
  t1 = _mm512_add_epi64(_mm512_srlv_epi64(_mm512_sub_epi64(t1, pp.lo64[2 * v + 1]), pp.pre64[2 * v + 1]), pp.lo64_pre[2 * v + 1]);
  __m512i r = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(t0)), _mm512_cvtepi64_epi32(t1), 1);
  r = _mm512_srav_epi32(_mm512_add_epi32(r, pp.round[v]), pp.shift[v]);
  store16(o, pp.mask[v], r);
}

// The same for exact int32 lane sums: in int32 when int32_epilogue (sum + bias' proven to
// fit int32), else widened to int64 first.
template <typename TO>
inline void packed_store(__m512i acc, int v, bool int32_epilogue, const PackedParams& pp, TO* o) {
  if (pp.mask[v] == 0) return;
  if (pp.fold) {  // acc = sum + bias' + r already
    const __m512i r = _mm512_min_epi32(_mm512_max_epi32(acc, pp.lo_round[v]), pp.hi_round[v]);
    return store16(o, pp.mask[v], _mm512_srav_epi32(r, pp.shift[v]));
  }
  if (!int32_epilogue) return packed_store64(widen_half(acc, 0), widen_half(acc, 1), v, pp, o);
  __m512i r = _mm512_srav_epi32(_mm512_add_epi32(acc, pp.bias32[v]), pp.pre32[v]);
  r = _mm512_min_epi32(_mm512_max_epi32(r, pp.lo32[v]), pp.hi32[v]);
  r = _mm512_srav_epi32(_mm512_add_epi32(r, pp.round[v]), pp.shift[v]);
  store16(o, pp.mask[v], r);
}

template <int MR, int NV, typename TO, bool SPLIT = false>
inline void packed_block(const int16_t* x, int cin, const int32_t* packed, int chunk, bool int32_epilogue,
                         const PackedParams& pp, TO* o, int cout) {
  __m512i acc[MR][NV], acc_lo[SPLIT ? MR : 1][NV];
  const bool fold = !SPLIT && chunk == 0 && pp.fold;
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = fold ? pp.start[v] : _mm512_setzero_si512();
  if (SPLIT)
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) acc_lo[SPLIT ? i : 0][v] = _mm512_setzero_si512();
  const int k2full = cin / 2;
  const int steps = k2full + (cin & 1);
  __m512i wide[MR][NV][2];
  if (chunk != 0)
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) wide[i][v][0] = wide[i][v][1] = _mm512_setzero_si512();
  auto flush = [&]() {
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) {
        for (int h = 0; h < 2; ++h) {
          __m512i t = widen_half(acc[i][v], h);
          if (SPLIT) t = _mm512_add_epi64(_mm512_slli_epi64(t, 8), widen_half(acc_lo[SPLIT ? i : 0][v], h));
          wide[i][v][h] = _mm512_add_epi64(wide[i][v][h], t);
        }
        acc[i][v] = _mm512_setzero_si512();
        if (SPLIT) acc_lo[SPLIT ? i : 0][v] = _mm512_setzero_si512();
      }
  };
  const __m512i low8 = _mm512_set1_epi16(0xFF);
  auto step = [&](int i, __m512i xb, __m512i w0, __m512i w1) {
    if (SPLIT) {
      const __m512i xh = _mm512_srai_epi16(xb, 8), xl = _mm512_and_si512(xb, low8);
      acc[i][0] = madd_acc(acc[i][0], xh, w0);
      acc_lo[SPLIT ? i : 0][0] = madd_acc(acc_lo[SPLIT ? i : 0][0], xl, w0);
      if (NV == 2) {
        acc[i][NV - 1] = madd_acc(acc[i][NV - 1], xh, w1);
        acc_lo[SPLIT ? i : 0][NV - 1] = madd_acc(acc_lo[SPLIT ? i : 0][NV - 1], xl, w1);
      }
    } else {
      acc[i][0] = madd_acc(acc[i][0], xb, w0);
      if (NV == 2) acc[i][NV - 1] = madd_acc(acc[i][NV - 1], xb, w1);
    }
  };
  int k2 = 0;
  const int pass = chunk != 0 ? chunk : steps;
  while (k2 < k2full) {
    const int end = k2 + pass < k2full ? k2 + pass : k2full;
    for (; k2 < end; ++k2) {
      const __m512i w0 = _mm512_load_si512(packed + k2 * 32);
      const __m512i w1 = NV == 2 ? _mm512_load_si512(packed + k2 * 32 + 16) : w0;
      for (int i = 0; i < MR; ++i) {
        int32_t xv;
        __builtin_memcpy(&xv, x + static_cast<size_t>(i) * cin + 2 * k2, 4);
        step(i, _mm512_set1_epi32(xv), w0, w1);
      }
    }
    if (chunk != 0) flush();
  }
  if (cin & 1) {  // last activation alone (its pair partner would be past the row)
    const __m512i w0 = _mm512_load_si512(packed + k2 * 32);
    const __m512i w1 = NV == 2 ? _mm512_load_si512(packed + k2 * 32 + 16) : w0;
    for (int i = 0; i < MR; ++i)
      step(i, _mm512_set1_epi32(static_cast<uint16_t>(x[static_cast<size_t>(i) * cin + cin - 1])), w0, w1);
    if (chunk != 0) flush();
  }
  for (int i = 0; i < MR; ++i) {
    TO* oi = o + static_cast<size_t>(i) * cout;
    for (int v = 0; v < NV; ++v) {
      if (chunk == 0) packed_store(acc[i][v], v, int32_epilogue, pp, oi + 16 * v);
      else packed_store64(wide[i][v][0], wide[i][v][1], v, pp, oi + 16 * v);
    }
  }
}

// Pixels [p0, p1) for one block of 32 output channels (nc valid): blocks of 8 pixels x 32
// channels, or 16 pixels x 16 channels when at most 16 are valid.
template <typename TA>
inline void packed_pixels(const Tensor<const TA>& in, const int32_t* packed, int chunk, bool int32_epilogue, bool split,
                          const PackedParams& pp, int nc, int c0, size_t p0, size_t p1, const Tensor<TA>& out,
                          int16_t* wide_x) {
  const int cin = in.channels, cout = out.channels;
  auto rows = [&](size_t p, int n) -> const int16_t* {
    if (sizeof(TA) == 2) return reinterpret_cast<const int16_t*>(in.data + p * cin);
    widen_rows(reinterpret_cast<const int8_t*>(in.data + p * cin), cin, n, wide_x);
    return wide_x;
  };
  size_t p = p0;
  if (split) {  // two accumulators per output: half the pixel rows of the plain blocks
    if (nc <= 16) {
      for (; p + 8 <= p1; p += 8) packed_block<8, 1, TA, true>(rows(p, 8), cin, packed, chunk, false, pp, out.data + p * cout + c0, cout);
      for (; p < p1; ++p) packed_block<1, 1, TA, true>(rows(p, 1), cin, packed, chunk, false, pp, out.data + p * cout + c0, cout);
    } else {
      for (; p + 4 <= p1; p += 4) packed_block<4, 2, TA, true>(rows(p, 4), cin, packed, chunk, false, pp, out.data + p * cout + c0, cout);
      for (; p < p1; ++p) packed_block<1, 2, TA, true>(rows(p, 1), cin, packed, chunk, false, pp, out.data + p * cout + c0, cout);
    }
    return;
  }
  if (nc <= 16) {
    for (; p + 16 <= p1; p += 16)
      packed_block<16, 1>(rows(p, 16), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
    if (p + 8 <= p1) {
      packed_block<8, 1>(rows(p, 8), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
      p += 8;
    }
    if (p + 4 <= p1) {
      packed_block<4, 1>(rows(p, 4), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
      p += 4;
    }
    for (; p < p1; ++p) packed_block<1, 1>(rows(p, 1), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
    return;
  }
  for (; p + 8 <= p1; p += 8)
    packed_block<8, 2>(rows(p, 8), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
  if (p + 4 <= p1) {
    packed_block<4, 2>(rows(p, 4), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
    p += 4;
  }
  if (p + 2 <= p1) {
    packed_block<2, 2>(rows(p, 2), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
    p += 2;
  }
  if (p < p1) packed_block<1, 2>(rows(p, 1), cin, packed, chunk, int32_epilogue, pp, out.data + p * cout + c0, cout);
}

// Preconditions (checked by the callers): shifts in [0, 47], 2P <= INT32_MAX or the whole sum
// bound (pointwise_sum_bound) <= INT32_MAX, cin <= kPackMaxCin
// for int8 activations. prepacked: the output of pack_pointwise_weights (all channel
// blocks), or nullptr to pack here (cin <= kPackMaxCin).
template <typename TA, typename TW>
inline void pointwise_packed(const Tensor<const TA>& in, const TW* weights, const int32_t* prepacked,
                             const int32_t* bias, const ConvQuant& q, const Tensor<TA>& out, uint64_t prod,
                             uint64_t wmax) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  const uint64_t sum_bound = pointwise_sum_bound(q, cin, prod, wmax == 0 ? 0 : prod / wmax);  // prod = max|x| max|w|
  const bool single = fits_int32(sum_bound);
  int chunk = single ? 0 : static_cast<int>(INT32_MAX / (2 * prod));
  const uint64_t bias_bound = max_abs_aligned_bias(bias, q, cout);
  const bool int32_epilogue = single && fits_int32(sum_bound + bias_bound);
  // the rounding half r = 2^(s' - 1) <= 2^(max_fast_shift - 1)
  const bool fold = int32_epilogue && fits_int32(sum_bound + bias_bound + (uint64_t(1) << (max_fast_shift<TA>() - 1)));
  // Flushing to int64 every few pairs costs more than splitting int16 activations (a pair
  // step then adds at most 2 * 255 * max|w| < 2^24 to a lane).
  const int split_chunk = static_cast<int>(INT32_MAX / (2 * 255 * (wmax == 0 ? 1 : wmax)));
  const bool split = sizeof(TA) == 2 && chunk != 0 && chunk < 16 && split_chunk > chunk;
  if (split) chunk = split_chunk;
  constexpr size_t kLocalInts = static_cast<size_t>(prepacked_stack_ints<TW>());
  alignas(64) int32_t local[kLocalInts];
  alignas(64) int16_t wide_x[sizeof(TA) == 1 ? 16 * kPackMaxCin : 1];
  const size_t block_ints = static_cast<size_t>((cin + 1) / 2) * 32;
  const int nblocks = (cout + 31) / 32;
  // Few, small channel blocks: pack them all, then walk pixel tiles outside and channel
  // blocks inside, so each tile of activations is read from L1 by every block.
  constexpr int kTiledBlocks = 8;
  if (nblocks <= kTiledBlocks && block_ints * nblocks <= 8192) {
    const int32_t* base = prepacked;
    if (base == nullptr) {
      for (int b = 0; b < nblocks; ++b)
        pack_weights(weights, cin, 32 * b, cout - 32 * b < 32 ? cout - 32 * b : 32, local + b * block_ints);
      base = local;
    }
    PackedParams pp[kTiledBlocks];
    for (int b = 0; b < nblocks; ++b) packed_params<TA>(bias, q, 32 * b, cout - 32 * b < 32 ? cout - 32 * b : 32, pp[b], fold);
    constexpr size_t kTile = 64;
    for (size_t t0 = 0; t0 < pixels; t0 += kTile) {
      const size_t t1 = t0 + kTile < pixels ? t0 + kTile : pixels;
      for (int b = 0; b < nblocks; ++b)
        packed_pixels(in, base + b * block_ints, chunk, int32_epilogue, split, pp[b], cout - 32 * b < 32 ? cout - 32 * b : 32,
                      32 * b, t0, t1, out, wide_x);
    }
    return;
  }
  PackedParams pp;
  for (int c0 = 0; c0 < cout; c0 += 32) {
    const int nc = cout - c0 < 32 ? cout - c0 : 32;
    const int32_t* packed;
    if (prepacked != nullptr) {
      packed = prepacked + static_cast<size_t>(c0 / 32) * block_ints;
    } else {
      pack_weights(weights, cin, c0, nc, local);
      packed = local;
    }
    packed_params<TA>(bias, q, c0, nc, pp, fold);
    packed_pixels(in, packed, chunk, int32_epilogue, split, pp, nc, c0, 0, pixels, out, wide_x);
  }
}

}  // namespace avx512
}  // namespace detail


#if TINYQ_AVX512_WITH_VNNI
// int8 activations x int8 weights with vpdpbusd (VNNI variant only): 4 products per int32
// lane per instruction, unsigned bytes times signed bytes. The activations are offset to
// unsigned, x_u = x + 128 in [0, 255] (the byte x ^ 0x80), and
//   sum_k x[k] w[c][k] = sum_k x_u[k] w[c][k] - 128 sum_k w[c][k],
// so each accumulator starts at the channel's correction -128 sum_k w[c][k], computed when
// the weights are packed. Exactness: vpdpbusd forms each product u8 x s8 exactly
// (|x_u w| <= 255 * 128 = 32640) and adds the four and the lane in int32, wrapping. With
// K <= kQuadMaxCin = 1024 nothing wraps: the start |correction| <= 128 * 128 K and each
// step adds at most 4 * 32640, so every intermediate lane value is below
// 1024 * (16384 + 32640) < 2^26; the final lane is the exact sum_k x w, |.| <= 128 * 128 K
// <= 2^24, for any int8 data (no scan of the activations). The epilogue is the packed
// form's (packed_store): int32 when 128 * 128 K + max |bias'| <= INT32_MAX, else int64.
// Weights are packed per call as [32 corrections][ceil(K/4)][32 channels][4 bytes] per
// block of 32 output channels; activation quads are broadcast (vpbroadcastd) from a copy
// of the block's pixel rows in x_u, each row padded to a multiple of 4 bytes.
namespace detail {
namespace TINYQ_AVX512_NS {

constexpr int kQuadMaxCin = 1024;
inline int quad_steps(int cin) { return (cin + 3) / 4; }
inline size_t quad_block_ints(int cin) { return 32 + static_cast<size_t>(quad_steps(cin)) * 32; }

// One block of 32 output channels (nc valid, the rest zero) from [cout][cin] weights.
inline void pack_quads(const int8_t* weights, int cin, int c0, int nc, int32_t* block) {
  int32_t* quads = block + 32;
  const int full = cin / 4, steps = quad_steps(cin);
  const __m512i u128 = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(cin));  // bytes between rows
  for (int h = 0; h < 2; ++h) {
    const int rows = nc - 16 * h;
    __m512i corr = _mm512_setzero_si512();  // 128 sum_k w, by vpdpbusd with 128 as the unsigned operand
    if (rows <= 0) {
      for (int k4 = 0; k4 < steps; ++k4) _mm512_store_si512(quads + k4 * 32 + 16 * h, corr);
      _mm512_store_si512(block + 16 * h, corr);
      continue;
    }
    const __mmask16 m = rows >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << rows) - 1);
    const int8_t* base = weights + static_cast<size_t>(c0 + 16 * h) * cin;
    for (int k4 = 0; k4 < full; ++k4) {  // quads inside their row: one gather of 16 rows
      const __m512i qv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, offsets, base + 4 * k4, 1);
      _mm512_store_si512(quads + k4 * 32 + 16 * h, qv);
      corr = _mm512_dpbusd_epi32(corr, u128, qv);
    }
    if (full < steps) {  // the last, partly filled quad (zeros past the row)
      alignas(64) int32_t last[16];
      for (int j = 0; j < 16; ++j) {
        uint32_t b = 0;
        for (int t = 0; j < rows && 4 * full + t < cin; ++t)
          b |= uint32_t(static_cast<uint8_t>(base[static_cast<size_t>(j) * cin + 4 * full + t])) << (8 * t);
        last[j] = static_cast<int32_t>(b);
      }
      const __m512i qv = _mm512_load_si512(last);
      _mm512_store_si512(quads + full * 32 + 16 * h, qv);
      corr = _mm512_dpbusd_epi32(corr, u128, qv);
    }
    _mm512_store_si512(block + 16 * h, _mm512_sub_epi32(_mm512_setzero_si512(), corr));
  }
}

// `rows` pixel rows of cin int8 activations -> x ^ 0x80 (= x + 128 as u8), each row padded
// to stride = 4 * quad_steps(cin) bytes with 0x80 (padding meets zero weights).
inline void offset_rows(const int8_t* x, int cin, int rows, uint8_t* dst) {
  const int stride = 4 * quad_steps(cin);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  auto mask64 = [](size_t n) { return n >= 64 ? ~__mmask64(0) : static_cast<__mmask64>((uint64_t(1) << n) - 1); };
  if (stride == cin) {  // contiguous rows
    const size_t n = static_cast<size_t>(rows) * cin;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(x + i), flip));
    if (i < n) {
      const __mmask64 m = mask64(n - i);
      _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + i), flip));
    }
    return;
  }
  for (int r = 0; r < rows; ++r) {
    const int8_t* xr = x + static_cast<size_t>(r) * cin;
    uint8_t* dr = dst + static_cast<size_t>(r) * stride;
    for (int j = 0; j < stride; j += 64) {  // j < cin: stride - cin < 4
      const __m512i v = _mm512_maskz_loadu_epi8(mask64(static_cast<size_t>(cin - j)), xr + j);
      _mm512_mask_storeu_epi8(dr + j, mask64(static_cast<size_t>(stride - j)), _mm512_xor_si512(v, flip));
    }
  }
}

// MR pixels (offset rows xu, `stride` bytes apart) x NV vectors of 16 channels of one block.
template <int MR, int NV>
inline void quad_block(const uint8_t* xu, int stride, int steps, const int32_t* block, bool int32_epilogue,
                       const PackedParams& pp, int8_t* o, int cout) {
  __m512i acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const __m512i start = _mm512_load_si512(block + 16 * v);  // -128 sum_k w
    for (int i = 0; i < MR; ++i) acc[i][v] = start;
  }
  const int32_t* quads = block + 32;
  for (int k4 = 0; k4 < steps; ++k4) {
    __m512i w[NV];
    for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(quads + k4 * 32 + 16 * v);
    for (int i = 0; i < MR; ++i) {
      int32_t xq;
      __builtin_memcpy(&xq, xu + static_cast<size_t>(i) * stride + 4 * k4, 4);
      const __m512i xb = _mm512_set1_epi32(xq);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], xb, w[v]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) packed_store(acc[i][v], v, int32_epilogue, pp, o + static_cast<size_t>(i) * cout + 16 * v);
}

// Pixels [p0, p1) for one block (nc valid channels starting at c0): 8 px x 32 ch, or
// 16 px x 16 ch when at most 16 are valid; xu: room for 16 offset rows.
inline void quad_pixels(const Tensor<const int8_t>& in, const int32_t* block, bool int32_epilogue, const PackedParams& pp,
                        int nc, int c0, size_t p0, size_t p1, const Tensor<int8_t>& out, uint8_t* xu) {
  const int cin = in.channels, cout = out.channels, stride = 4 * quad_steps(cin), steps = quad_steps(cin);
  auto rows = [&](size_t p, int n) {
    offset_rows(in.data + p * cin, cin, n, xu);
    return xu;
  };
  auto o = [&](size_t p) { return out.data + p * cout + c0; };
  size_t p = p0;
  if (nc <= 16) {
    for (; p + 16 <= p1; p += 16) quad_block<16, 1>(rows(p, 16), stride, steps, block, int32_epilogue, pp, o(p), cout);
    if (p + 8 <= p1) quad_block<8, 1>(rows(p, 8), stride, steps, block, int32_epilogue, pp, o(p), cout), p += 8;
    if (p + 4 <= p1) quad_block<4, 1>(rows(p, 4), stride, steps, block, int32_epilogue, pp, o(p), cout), p += 4;
    for (; p < p1; ++p) quad_block<1, 1>(rows(p, 1), stride, steps, block, int32_epilogue, pp, o(p), cout);
    return;
  }
  for (; p + 8 <= p1; p += 8) quad_block<8, 2>(rows(p, 8), stride, steps, block, int32_epilogue, pp, o(p), cout);
  if (p + 4 <= p1) quad_block<4, 2>(rows(p, 4), stride, steps, block, int32_epilogue, pp, o(p), cout), p += 4;
  if (p + 2 <= p1) quad_block<2, 2>(rows(p, 2), stride, steps, block, int32_epilogue, pp, o(p), cout), p += 2;
  if (p < p1) quad_block<1, 2>(rows(p, 1), stride, steps, block, int32_epilogue, pp, o(p), cout);
}

// False (nothing written) outside its preconditions: cin <= kQuadMaxCin, shifts in [0, 47].
// prepacked: every block packed by pack_quads (pack_pointwise_weights), or nullptr to pack
// here.
inline bool pointwise_quads(const Tensor<const int8_t>& in, const int8_t* weights, const int32_t* prepacked,
                            const int32_t* bias, const ConvQuant& q, const Tensor<int8_t>& out) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (cin < 1 || cin > kQuadMaxCin || !preshift_shifts<int8_t>(q, cout)) return false;
  if (pixels == 0 || cout == 0) return true;
  const bool int32_epilogue = fits_int32(uint64_t(cin) * 128 * 128 + max_abs_aligned_bias(bias, q, cout));
  const size_t block_ints = quad_block_ints(cin);
  const int nblocks = (cout + 31) / 32;
  constexpr int kTiledBlocks = 8;
  constexpr size_t kLocalInts = 8192 + 32 * kTiledBlocks;  // >= quad_block_ints(kQuadMaxCin) = 8224: 33 KiB
  alignas(64) int32_t local[kLocalInts];
  alignas(64) uint8_t xu[16 * kQuadMaxCin];
  auto nc_of = [&](int b) { return cout - 32 * b < 32 ? cout - 32 * b : 32; };
  // Few, small channel blocks: pack them all, then walk pixel tiles outside and channel
  // blocks inside, so each tile of activations is read from L1 by every block.
  if (nblocks <= kTiledBlocks && block_ints * nblocks <= kLocalInts) {
    PackedParams pp[kTiledBlocks];
    for (int b = 0; b < nblocks; ++b) {
      if (prepacked == nullptr) pack_quads(weights, cin, 32 * b, nc_of(b), local + b * block_ints);
      packed_params<int8_t>(bias, q, 32 * b, nc_of(b), pp[b]);
    }
    const int32_t* base = prepacked != nullptr ? prepacked : local;
    constexpr size_t kTile = 64;
    for (size_t t0 = 0; t0 < pixels; t0 += kTile) {
      const size_t t1 = t0 + kTile < pixels ? t0 + kTile : pixels;
      for (int b = 0; b < nblocks; ++b) quad_pixels(in, base + b * block_ints, int32_epilogue, pp[b], nc_of(b), 32 * b, t0, t1, out, xu);
    }
    return true;
  }
  PackedParams pp;
  for (int b = 0; b < nblocks; ++b) {
    const int32_t* block = prepacked != nullptr ? prepacked + b * block_ints : local;
    if (prepacked == nullptr) pack_quads(weights, cin, 32 * b, nc_of(b), local);
    packed_params<int8_t>(bias, q, 32 * b, nc_of(b), pp);
    quad_pixels(in, block, int32_epilogue, pp, nc_of(b), 32 * b, 0, pixels, out, xu);
  }
  return true;
}

}  // namespace avx512vnni
}  // namespace detail
#endif  // TINYQ_AVX512_WITH_VNNI

// Outer-product form (cin <= 1024); anything else goes to the dot form.
template <typename TA, typename TW>
void TINYQ_AVX512_FN(pointwise_conv_packed)(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                                  const Tensor<TA>& out) {
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (pixels == 0 || cout == 0) return;
  if (cin > detail::TINYQ_AVX512_NS::kPackMaxCin || !detail::preshift_shifts<TA>(q, cout)) {
    TINYQ_AVX512_FN(pointwise_conv_dot)(in, weights, bias, q, out);
    return;
  }
  const detail::MaxAbs m = detail::input_weight_max_abs(q, in.data, pixels * cin, weights, static_cast<size_t>(cout) * cin,
                                                        [](const auto* p, size_t n) { return detail::TINYQ_AVX512_NS::Simd::max_abs(p, n); });
  const uint64_t wmax = m.w, xmax = m.x, prod = m.product();
  // a pair of (-32768)^2 products overflows int32: only int64 products are exact, unless the
  // L1 bound proves every sum (pairs included) small
  if (!fits_int32(2 * prod) && !fits_int32(pointwise_sum_bound(q, cin, prod, xmax))) {
    pointwise_conv_scalar(in, weights, bias, q, out);
    return;
  }
  detail::TINYQ_AVX512_NS::pointwise_packed(in, weights, static_cast<const int32_t*>(nullptr), bias, q, out, prod, wmax);
}

// The AVX-512 entry point: outer-product form (int16 weights, or many pixels), dot-product
// form otherwise.
template <typename TA, typename TW>
void TINYQ_AVX512_FN(pointwise_conv)(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                           const Tensor<TA>& out) {
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  // int16 weights pack with gathers, cheap enough for any pixel count; int8 weights pack
  // in scalar code, worth it from kPackedMinPixels on.
#if TINYQ_AVX512_WITH_VNNI
  // int8 x int8: the vpdpbusd form from kQuadMinPixels pixels on.
  if constexpr (sizeof(TA) == 1 && sizeof(TW) == 1)
    if (pixels >= kQuadMinPixels && detail::TINYQ_AVX512_NS::pointwise_quads(in, weights, nullptr, bias, q, out)) return;
#endif
  if (pixels >= kPackedMinPixels || sizeof(TW) == 2) TINYQ_AVX512_FN(pointwise_conv_packed)(in, weights, bias, q, out);
  else TINYQ_AVX512_FN(pointwise_conv_dot)(in, weights, bias, q, out);
}

#if TINYQ_AVX512_WITH_VNNI
// The vpdpbusd form by name, for any pixel count (int8 x int8; what it cannot take goes to
// the packed form).
inline void TINYQ_AVX512_FN(pointwise_conv_quads)(const Tensor<const int8_t>& in, const int8_t* weights, const int32_t* bias,
                                                  const ConvQuant& q, const Tensor<int8_t>& out) {
  if (!detail::TINYQ_AVX512_NS::pointwise_quads(in, weights, nullptr, bias, q, out))
    TINYQ_AVX512_FN(pointwise_conv_packed)(in, weights, bias, q, out);
}
#endif

}  // namespace tinyq
