// Shared by every SIMD kernel family (x86 and NEON): when an int32 fast path is exact, the
// per-channel epilogue constants, and the depthwise row walker. Scalar code only (no
// intrinsics), so it compiles everywhere.
//
// Epilogue in the optimized kernels ("clamp, then shift"): with s = output_shift in
// [0, 32 - bits(TA)] and [omin, omax] = the output range (ReLU6 included),
//   out = clamp(rounding_shift_right(v, s), omin, omax)
//       = (clamp(v, omin * 2^s, omax * 2^s) + 2^(s-1)) >> s
// because rounding_shift_right is monotone and maps omin * 2^s to omin and omax * 2^s to
// omax; the clamped value plus 2^(s-1) fits int32 (omax * 2^s + 2^(s-1) < 2^31), so the
// shift runs in int32 lanes. Outside that shift range the variants call the reference.
#pragma once
#include "../../tensor/quant.h"

// Token pasting after macro expansion (the family headers' per-level function names).
#define TINYQ_CAT_(a, b) a##b
#define TINYQ_CAT(a, b) TINYQ_CAT_(a, b)

namespace tinyq {
namespace detail {

template <typename TA>
constexpr int max_fast_shift() {
  return 32 - int_limits<TA>::bits;
}

template <typename TA>
inline bool fast_shifts(const ConvQuant& q, int channels) {
  if (q.weight_frac_per_channel == nullptr) {
    const int s = output_shift(q, 0);
    return s >= 0 && s <= max_fast_shift<TA>();
  }
  for (int c = 0; c < channels; ++c) {
    const int s = output_shift(q, c);
    if (s < 0 || s > max_fast_shift<TA>()) return false;
  }
  return true;
}

// Shifts past max_fast_shift ("pre-shift"). For 0 <= k < s,
//   rounding_shift_right(v, s) == rounding_shift_right(v >> k, s - k)
// (v >> k the floor): v + 2^(s-1) = 2^k (floor(v / 2^k) + 2^(s-1-k)) + (v mod 2^k), and the
// final floor by 2^s never sees the dropped v mod 2^k. So a kernel shifts its sum right by
// k = s - max_fast_shift first (exact, one instruction) and runs the int32 epilogue with
// s - k. Kernels that split their sums (the wide depthwise path) have already floored
// away `consumed` bits; the same identity needs consumed + k < s.
template <typename TA>
inline bool preshift_shifts(const ConvQuant& q, int channels, int consumed = 0) {
  const int n = q.weight_frac_per_channel == nullptr ? 1 : channels;
  for (int c = 0; c < n; ++c) {
    const int s = output_shift(q, c);
    if (s < 0 || s > 47 || (consumed > 0 && s <= consumed)) return false;  // 47: omax * 2^s fits int64
  }
  return true;
}

struct ChannelEpilogue {
  int64_t bias;    // aligned to the accumulator
  int64_t lo;      // omin * 2^s     (int64 clamp on the full sum)
  int64_t hi;      // omax * 2^s
  int32_t pre;     // k = max(0, s - consumed - max_fast_shift): floor shift before the int32 part
  int32_t lo_pre;  // omin * 2^(s - consumed - k), the clamp after the pre-shift (fits int32)
  int32_t hi_pre;  // omax * 2^(s - consumed - k)
  int32_t round;   // 2^(s' - 1) with s' = s - consumed - k, 0 for s' == 0
  int32_t shift;   // s'
};

template <typename TA>
inline ChannelEpilogue channel_epilogue(const int32_t* bias, const ConvQuant& q, int c, int consumed = 0) {
  const int s = output_shift(q, c);
  const int rest = s - consumed;
  const int k = rest > max_fast_shift<TA>() ? rest - max_fast_shift<TA>() : 0;
  const int sp = rest - k;
  ChannelEpilogue e;
  e.bias = aligned_bias(bias, q, c);
  e.lo = s >= 0 && s <= 47 ? int64_t(output_min<TA>(q)) * (int64_t(1) << s) : 0;
  e.hi = s >= 0 && s <= 47 ? int64_t(output_max<TA>(q)) * (int64_t(1) << s) : 0;
  e.pre = k;
  e.lo_pre = sp >= 0 ? static_cast<int32_t>(int64_t(output_min<TA>(q)) * (int64_t(1) << sp)) : 0;
  e.hi_pre = sp >= 0 ? static_cast<int32_t>(int64_t(output_max<TA>(q)) * (int64_t(1) << sp)) : 0;
  e.round = sp > 0 ? int32_t(1) << (sp - 1) : 0;
  e.shift = sp;
  return e;
}

// max |x| and max |w| of a convolution: ConvQuant's proven bounds where given, else
// scan(pointer, count) (the level's vectorised scan); product() is P = max|x| * max|w|,
// the unit of every int32 bound (docs/kernels.md "Accumulator bounds").
struct MaxAbs {
  uint64_t x, w;
  uint64_t product() const { return x * w; }
};
template <typename TA, typename TW, typename Scan>
inline MaxAbs input_weight_max_abs(const ConvQuant& q, const TA* x, size_t nx, const TW* w, size_t nw, Scan&& scan) {
  MaxAbs m;
  m.x = given_or_scanned(q.input_max_abs, [&] { return scan(x, nx); });
  m.w = given_or_scanned(q.weight_max_abs, [&] { return scan(w, nw); });
  return m;
}

// The int32 plan of the dot-product pointwise family (simd/pointwise_dot.h), from P = max|x|
// max|w|: one pass (chunk 0) when the whole sum is bounded in int32 (cin * P or the L1 bound);
// else int32 passes of chunk = floor(INT32_MAX / 2P) steps (a pmaddwd lane adds two
// products per step), or for int16 activations where those passes are short (< 8 steps) or
// 2P overflows, the split x = 256 xh + xl with passes of split_chunk = floor(INT32_MAX /
// (2 * 255 * max|w|)) steps. exact = false: no int32 form (the caller's fallback runs).
struct DotPlan {
  bool exact;
  int chunk;
  int split_chunk;  // 0: no split
};
template <typename TA>
inline DotPlan dot_plan(const ConvQuant& q, int cin, const MaxAbs& m) {
  DotPlan p{true, 0, 0};
  const uint64_t prod = m.product();
  if (fits_int32(pointwise_sum_bound(q, static_cast<uint64_t>(cin), prod, m.x))) return p;
  p.chunk = fits_int32(2 * prod) ? static_cast<int>(INT32_MAX / (2 * prod)) : 0;
  const int split = static_cast<int>(INT32_MAX / (2 * 255 * (m.w == 0 ? 1 : m.w)));
  if (sizeof(TA) == 2 && p.chunk < 8 && split > p.chunk) p.split_chunk = split;
  p.exact = p.chunk > 0 || p.split_chunk > 0;
  return p;
}

// The end of a vectorised max |v| scan: hi >= 0 >= lo are the extremes of v[0, i) (kept
// apart: |INT16_MIN| does not fit int16), v[i, n) is scanned here.
template <typename T>
inline uint32_t max_abs_finish(const T* v, size_t i, size_t n, int32_t hi, int32_t lo) {
  for (; i < n; ++i) {
    hi = v[i] > hi ? v[i] : hi;
    lo = v[i] < lo ? v[i] : lo;
  }
  return static_cast<uint32_t>(-lo > hi ? -lo : hi);
}

// max |bias'| over the channels (for the int32 bound of the depthwise fast path).
inline uint64_t max_abs_aligned_bias(const int32_t* bias, const ConvQuant& q, int channels) {
  uint64_t m = 0;
  if (bias == nullptr) return 0;
  for (int c = 0; c < channels; ++c) {
    const int64_t b = aligned_bias(bias, q, c);
    const uint64_t a = static_cast<uint64_t>(b < 0 ? -b : b);
    m = a > m ? a : m;
  }
  return m;
}


// The split-weight depthwise path (simd/depthwise3x3.h, DwWideBlock): each weight
// w = 256 h + l and the bias' = 256 b_h + b_l, so floor(v / 256) = sum x h + b_h + ((sum x l + b_l) >> 8).
// It applies when every output shift is > 8 (the pre-shift identity with 8 consumed bits),
// |bias'| < 2^38 and that sum is int32 for |x| <= max_abs_input.
template <typename TA>
inline bool split_weights_fit(const int32_t* bias, const ConvQuant& q, int channels, uint32_t max_abs_input) {
  const uint64_t x = max_abs_input;
  const uint64_t bh = (max_abs_aligned_bias(bias, q, channels) >> 8) + 1;
  return preshift_shifts<TA>(q, channels, 8) && bh <= (uint64_t(1) << 30) && fits_int32(9 * 128 * x + 9 * x + 1 + bh);
}
inline int32_t bias_high(int64_t aligned) { return static_cast<int32_t>(aligned >> 8); }   // b_h (floor)
inline int32_t bias_low(int64_t aligned) { return static_cast<int32_t>(aligned & 255); }   // b_l in [0, 255]

// The output columns of one depthwise 3x3 row, for the channel group starting at g0:
// visit(ox, tap) receives the 9 tap pointers (index ky * 3 + kx) of output column ox.
// Interior columns (every tap inside the row) advance the pointers by stride * C; border
// columns and padding rows (rows[ky] == nullptr) pick each tap, `zero` where it falls
// in padding.
// always_inline: it is compiled for the baseline, and its visitor for the caller's SIMD
// target (config.h); inlined into the caller, the visitor inlines too.
template <typename TA, typename Visit>
__attribute__((always_inline)) inline void depthwise_row_columns(const TA* const rows[3], int in_width, int channels, int stride, int pad_left,
                                  int out_width, int g0, const TA* zero, Visit&& visit) {
  int ox_lo = (pad_left + stride - 1) / stride;  // first ox with ox * stride - pad_left >= 0
  int ox_hi = in_width - 3 + pad_left >= 0 ? (in_width - 3 + pad_left) / stride + 1 : 0;  // last + 1 with ix + 2 < in_width
  if (ox_hi > out_width) ox_hi = out_width;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  if (rows[0] == nullptr || rows[1] == nullptr || rows[2] == nullptr) ox_lo = ox_hi = out_width;  // padding row
  auto generic = [&](int ox) {
    const TA* tap[9];
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx) {
        const int ix = ox * stride - pad_left + kx;
        tap[ky * 3 + kx] =
            (rows[ky] != nullptr && ix >= 0 && ix < in_width) ? rows[ky] + static_cast<size_t>(ix) * channels + g0 : zero;
      }
    visit(ox, static_cast<const TA* const*>(tap));
  };
  int ox = 0;
  for (; ox < ox_lo; ++ox) generic(ox);
  if (ox < ox_hi) {
    const TA* tap[9];
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx)
        tap[ky * 3 + kx] = rows[ky] + static_cast<size_t>(ox * stride - pad_left + kx) * channels + g0;
    const size_t step = static_cast<size_t>(stride) * channels;
    for (; ox < ox_hi; ++ox) {
      visit(ox, static_cast<const TA* const*>(tap));
      for (int k = 0; k < 9; ++k) tap[k] += step;
    }
  }
  for (; ox < out_width; ++ox) generic(ox);
}

}  // namespace detail
}  // namespace tinyq
