// The dot-product pointwise kernel, written once over a SIMD level's primitives (simd/*.h)
// and compiled once per x86 level (SSE2, AVX2, AVX-512, AVX-512 VNNI), each in that level's
// target region and namespace (no include guard). The includer includes simd/common.h and
// defines, in detail::TINYQ_PW_NS, the level's epilogue (dot_epilogue_ok<TA>(q, cout): can
// it take these shifts; DotParams dot_params<TA>(bias, q, c0, nc): the constants of 4 output
// channels; dot_store<TA>(sums, params, out, stride, np, nc)), the pixels per block
// `kDotPixels` (2 or 4) and the L1 budget of a pixel tile `kDotTileBytes`; then sets
//   TINYQ_PW_NS        the level's name: sse2, avx2, avx512, avx512vnni
//   TINYQ_PW_SIMD      its primitives (simd::Sse2, simd::Avx2, simd::Avx512, simd::Avx512Vnni)
//   TINYQ_PW_FALLBACK  what runs a call this form cannot take exactly
// and gets pointwise_conv_dot_<NS>.
//
// Form: a block of kDotPixels pixels x 4 output channels = 4 * kDotPixels accumulators of
// int32 lanes; per step one vector of kLanes input channels of each pixel and of each of the
// 4 weight rows, multiplied pairwise into the lanes (pmaddwd / vpdpwssd: two products per
// int32 lane and step). Exactness, with P = max|x| * max|w| (dot_plan, simd/common.h):
//   whole sum bounded in int32 (cin * P, or the L1 bound)  -> one int32 pass, int32 reduction;
//   otherwise, a lane's step adds at most 2P               -> int32 passes of floor(INT32_MAX / 2P)
//                                                              steps flushed to int64 lanes;
//   int16 activations where those passes are short (< 8 steps) or 2P overflows: each
//   activation split x = 256 xh + xl (xh = x >> 8 in [-128, 127], xl = x & 255), so
//   sum x w = 256 sum xh w + sum xl w with a lane's step below 2 * 255 * max|w| < 2^24:
//   passes of up to 128 steps, twice the multiplies, no per-step flush;
//   else TINYQ_PW_FALLBACK.
// The sums are exact int64 values whatever the lane order; the level's epilogue requantizes
// them (shift, round half up, clamp) as requantize_output does.
#define TINYQ_PW_FN(name) TINYQ_CAT(name, TINYQ_CAT(_, TINYQ_PW_NS))
// The blocks inline into the kernel's pixel loop (a call per 2-4 pixels x 4 channels
// measured up to 1.5x slower at small cin); same target, so always_inline is legal.
#define TINYQ_PW_INLINE __attribute__((always_inline)) inline
// Loops over the block's pixels and channels unrolled early, so that the accumulators and
// operands become registers (GCC 12 keeps them in stack arrays otherwise). GCC only: Clang
// unrolls these constant loops itself, and with the pragma its ASan build of
// tests/kernels/test_equality.cpp took 458 s instead of 146 s.
#if defined(__clang__)
#define TINYQ_PW_UNROLL
#else
#define TINYQ_PW_UNROLL _Pragma("GCC unroll 16")
#endif

namespace tinyq {
namespace detail {
namespace TINYQ_PW_NS {

using PwSimd = TINYQ_PW_SIMD;
using PwV = PwSimd::V;

// One step's operands: kLanes input channels from k of MR pixel rows and 4 weight rows
// (n < kLanes: the zero-filled tail).
template <int MR, typename TA, typename TW>
TINYQ_PW_INLINE void pointwise_dot_load(const TA* const x[MR], const TW* const w[4], int k, int n, PwV a[MR], PwV b[4]) {
  if (n == PwSimd::kLanes) {
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i) a[i] = PwSimd::load_i16(x[i] + k);
    TINYQ_PW_UNROLL
    for (int c = 0; c < 4; ++c) b[c] = PwSimd::load_i16(w[c] + k);
  } else {
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i) a[i] = PwSimd::load_i16_tail(x[i] + k, n);
    TINYQ_PW_UNROLL
    for (int c = 0; c < 4; ++c) b[c] = PwSimd::load_i16_tail(w[c] + k, n);
  }
}

// t[4 i + c] = x_i . w_c for MR pixels x 4 channels in one int32 pass (the whole sum
// bounded in int32), reduced in int32.
template <int MR, typename TA, typename TW>
TINYQ_PW_INLINE void pointwise_dot_block(const TA* const x[MR], const TW* const w[4], int cin, int64_t t[4 * MR]) {
  constexpr int N = 4 * MR;
  PwV acc[N];
  TINYQ_PW_UNROLL
  for (int i = 0; i < N; ++i) acc[i] = PwSimd::zero();
  const int full = cin / PwSimd::kLanes, rem = cin % PwSimd::kLanes;
  for (int k = 0; k < full * PwSimd::kLanes; k += PwSimd::kLanes) {
    PwV a[MR], b[4];
    pointwise_dot_load<MR>(x, w, k, PwSimd::kLanes, a, b);
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i)
      TINYQ_PW_UNROLL
      for (int c = 0; c < 4; ++c) acc[4 * i + c] = PwSimd::madd_acc(acc[4 * i + c], a[i], b[c]);
  }
  if (rem != 0) {
    PwV a[MR], b[4];
    pointwise_dot_load<MR>(x, w, full * PwSimd::kLanes, rem, a, b);
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i)
      TINYQ_PW_UNROLL
      for (int c = 0; c < 4; ++c) acc[4 * i + c] = PwSimd::madd_acc(acc[4 * i + c], a[i], b[c]);
  }
  PwSimd::reduce_sums<N>(acc, t);
}

// One int32 pass over the steps [s0, s1) (kLanes input channels each) into acc.
template <int MR, typename TA, typename TW>
TINYQ_PW_INLINE void pointwise_dot_pass(const TA* const x[MR], const TW* const w[4], int cin, int s0, int s1,
                                        PwV acc[4 * MR]) {
  TINYQ_PW_UNROLL
  for (int i = 0; i < 4 * MR; ++i) acc[i] = PwSimd::zero();
  for (int s = s0; s < s1; ++s) {
    const int k = s * PwSimd::kLanes;
    PwV a[MR], b[4];
    pointwise_dot_load<MR>(x, w, k, cin - k < PwSimd::kLanes ? cin - k : PwSimd::kLanes, a, b);
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i)
      TINYQ_PW_UNROLL
      for (int c = 0; c < 4; ++c) acc[4 * i + c] = PwSimd::madd_acc(acc[4 * i + c], a[i], b[c]);
  }
}

// The same sums in int32 passes of `chunk` steps, each flushed into int64 lanes. The first
// pass, usually the only one, goes straight into the sums when it is the last.
template <int MR, typename TA, typename TW>
TINYQ_PW_INLINE void pointwise_dot_block_chunked(const TA* const x[MR], const TW* const w[4], int cin, int chunk,
                                                 int64_t t[4 * MR]) {
  constexpr int N = 4 * MR;
  const int steps = (cin + PwSimd::kLanes - 1) / PwSimd::kLanes;
  PwV acc[N];
  pointwise_dot_pass<MR>(x, w, cin, 0, chunk < steps ? chunk : steps, acc);
  if (chunk >= steps) {
    TINYQ_PW_UNROLL
    for (int i = 0; i < N; ++i) t[i] = PwSimd::wide_sum(PwSimd::wide_add(PwSimd::wide_zero(), acc[i]));
    return;
  }
  typename PwSimd::Wide wide[N];  // int32 lanes -> int64 lanes
  TINYQ_PW_UNROLL
  for (int i = 0; i < N; ++i) wide[i] = PwSimd::wide_add(PwSimd::wide_zero(), acc[i]);
  for (int s0 = chunk; s0 < steps; s0 += chunk) {
    pointwise_dot_pass<MR>(x, w, cin, s0, s0 + chunk < steps ? s0 + chunk : steps, acc);
    TINYQ_PW_UNROLL
    for (int i = 0; i < N; ++i) wide[i] = PwSimd::wide_add(wide[i], acc[i]);
  }
  TINYQ_PW_UNROLL
  for (int i = 0; i < N; ++i) t[i] = PwSimd::wide_sum(wide[i]);
}

// One pass of the split form over the steps [s0, s1): hi += xh . w, lo += xl . w.
template <int MR, typename TW>
TINYQ_PW_INLINE void pointwise_dot_split_pass(const int16_t* const x[MR], const TW* const w[4], int cin, int s0, int s1,
                                              PwV hi[4 * MR], PwV lo[4 * MR]) {
  TINYQ_PW_UNROLL
  for (int i = 0; i < 4 * MR; ++i) hi[i] = lo[i] = PwSimd::zero();
  for (int s = s0; s < s1; ++s) {
    const int k = s * PwSimd::kLanes;
    PwV a[MR], b[4];
    pointwise_dot_load<MR>(x, w, k, cin - k < PwSimd::kLanes ? cin - k : PwSimd::kLanes, a, b);
    TINYQ_PW_UNROLL
    for (int i = 0; i < MR; ++i) {
      const PwV ah = PwSimd::high8(a[i]), al = PwSimd::low8(a[i]);
      TINYQ_PW_UNROLL
      for (int c = 0; c < 4; ++c) {
        hi[4 * i + c] = PwSimd::madd_acc(hi[4 * i + c], ah, b[c]);
        lo[4 * i + c] = PwSimd::madd_acc(lo[4 * i + c], al, b[c]);
      }
    }
  }
}

// The same sums for int16 activations with the split x = 256 xh + xl: two accumulators per
// output, flushed every `chunk` steps as 256 hi + lo.
template <int MR, typename TW>
TINYQ_PW_INLINE void pointwise_dot_block_split(const int16_t* const x[MR], const TW* const w[4], int cin, int chunk,
                                               int64_t t[4 * MR]) {
  constexpr int N = 4 * MR;
  const int steps = (cin + PwSimd::kLanes - 1) / PwSimd::kLanes;
  PwV hi[N], lo[N];
  pointwise_dot_split_pass<MR>(x, w, cin, 0, chunk < steps ? chunk : steps, hi, lo);
  if (chunk >= steps) {
    TINYQ_PW_UNROLL
    for (int i = 0; i < N; ++i)
      t[i] = 256 * PwSimd::wide_sum(PwSimd::wide_add(PwSimd::wide_zero(), hi[i])) +
             PwSimd::wide_sum(PwSimd::wide_add(PwSimd::wide_zero(), lo[i]));
    return;
  }
  typename PwSimd::Wide wide_hi[N], wide_lo[N];
  TINYQ_PW_UNROLL
  for (int i = 0; i < N; ++i) {
    wide_hi[i] = PwSimd::wide_add(PwSimd::wide_zero(), hi[i]);
    wide_lo[i] = PwSimd::wide_add(PwSimd::wide_zero(), lo[i]);
  }
  for (int s0 = chunk; s0 < steps; s0 += chunk) {
    pointwise_dot_split_pass<MR>(x, w, cin, s0, s0 + chunk < steps ? s0 + chunk : steps, hi, lo);
    TINYQ_PW_UNROLL
    for (int i = 0; i < N; ++i) {
      wide_hi[i] = PwSimd::wide_add(wide_hi[i], hi[i]);
      wide_lo[i] = PwSimd::wide_add(wide_lo[i], lo[i]);
    }
  }
  TINYQ_PW_UNROLL
  for (int i = 0; i < N; ++i) t[i] = 256 * PwSimd::wide_sum(wide_hi[i]) + PwSimd::wide_sum(wide_lo[i]);
}

}  // namespace TINYQ_PW_NS
}  // namespace detail

template <typename TA, typename TW>
void TINYQ_PW_FN(pointwise_conv_dot)(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                                     const Tensor<TA>& out) {
  namespace L = detail::TINYQ_PW_NS;
  constexpr int MR = L::kDotPixels;
  const int cin = in.channels, cout = out.channels;
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  if (pixels == 0 || cout == 0) return;
  const detail::MaxAbs m = detail::input_weight_max_abs(q, in.data, pixels * cin, weights, static_cast<size_t>(cout) * cin,
                                                        [](const auto* p, size_t n) { return L::PwSimd::max_abs(p, n); });
  const detail::DotPlan plan = detail::dot_plan<TA>(q, cin, m);
  if (!plan.exact || !L::dot_epilogue_ok<TA>(q, cout)) {
    TINYQ_PW_FALLBACK(in, weights, bias, q, out);
    return;
  }
  // The split doubles the multiplies to save flushes: not worth it when the whole cin fits
  // one chunk (one flush either way).
  const int steps = (cin + L::PwSimd::kLanes - 1) / L::PwSimd::kLanes;
  const bool split = plan.split_chunk != 0 && (plan.chunk == 0 || steps > plan.chunk);
  // Pixel tiles small enough for their activations to stay in L1 while every output
  // channel block passes over them.
  size_t tile = L::kDotTileBytes / (static_cast<size_t>(cin) * sizeof(TA) + 1);
  tile = tile < MR ? MR : (tile > 64 ? 64 : tile - tile % MR);
  for (size_t t0 = 0; t0 < pixels; t0 += tile) {
    const size_t t1 = t0 + tile < pixels ? t0 + tile : pixels;
    for (int c0 = 0; c0 < cout; c0 += 4) {
      const int nc = cout - c0 < 4 ? cout - c0 : 4;
      const TW* w[4];
      TINYQ_PW_UNROLL
      for (int c = 0; c < 4; ++c) w[c] = weights + static_cast<size_t>(c0 + (c < nc ? c : nc - 1)) * cin;
      const L::DotParams params = L::dot_params<TA>(bias, q, c0, nc);
      for (size_t p = t0; p < t1; p += MR) {
        const int np = t1 - p < MR ? static_cast<int>(t1 - p) : MR;
        const TA* x[MR];
        TINYQ_PW_UNROLL
        for (int i = 0; i < MR; ++i) x[i] = in.data + (p + (i < np ? i : np - 1)) * cin;
        int64_t t[4 * MR];
        if (plan.chunk == 0 && !split) {
          L::pointwise_dot_block<MR>(x, w, cin, t);
        } else if constexpr (sizeof(TA) == 2) {
          if (split) {  // two pixels at a time: twice the accumulators
            TINYQ_PW_UNROLL
            for (int h = 0; h < MR; h += 2) L::pointwise_dot_block_split<2>(x + h, w, cin, plan.split_chunk, t + 4 * h);
          } else {
            L::pointwise_dot_block_chunked<MR>(x, w, cin, plan.chunk, t);
          }
        } else {
          L::pointwise_dot_block_chunked<MR>(x, w, cin, plan.chunk, t);
        }
        L::dot_store<TA>(t, params, out.data + p * cout + c0, static_cast<size_t>(cout), np, nc);
      }
    }
  }
}

}  // namespace tinyq
#undef TINYQ_PW_FN
#undef TINYQ_PW_INLINE
#undef TINYQ_PW_UNROLL
