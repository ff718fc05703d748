// The depthwise 3x3 kernels, written once over a SIMD level's primitives (simd/*.h) and
// compiled once per level (x86: SSE2, AVX2, AVX-512, AVX-512 VNNI, each inside its target
// region; aarch64: NEON), in that level's namespace (no include guard). The includer
// includes simd/common.h first and sets:
//   TINYQ_DW_NS      the level's name: sse2, avx2, avx512, avx512vnni, neon (helpers in
//                    detail::TINYQ_DW_NS; depthwise_conv3x3_row_<NS>, depthwise_conv3x3_<NS>)
//   TINYQ_DW_SIMD    its primitives (simd::Sse2, simd::Avx2, simd::Avx512, simd::Avx512Vnni,
//                    simd::Neon)
//   TINYQ_DW_NARROWER, TINYQ_DW_USE_NARROWER(channels)   optional: a narrower level that runs
//                    the channel counts this one serves badly
// The 9-tap dot takes the level's form (kPairedTaps): x86 pairs the taps (unpack{lo,hi}16)
// so that one pmaddwd / vpdpwssd does two taps; NEON multiplies and accumulates each tap
// widened to int32 (vmlal_s16 / vmlal_high_s16), no pairing shuffles. Same sums either way.
// Each (the whole tensor and the one-row form that the fused block streams) runs one of:
//  * int32: per-channel epilogue "clamp, then shift" (common.h). Exact when
//    9 * max|w| * max|x| + max|bias'| and 2 * max|w| * max|x| (one pmaddwd lane) fit int32,
//    every shift in [0, 32 - bits(TA)].
//  * wide (split weights, any |w| |x|): each weight w = 256 h + l with h = w >> 8 in
//    [-128, 127] and l = w & 255, and bias' = 256 b_h + b_l, so the sum v = sum x w + bias'
//    = 256 (S_h + b_h) + (S_l + b_l) with |S_h| <= 9 * 128 * max|x|, |S_l| <= 9 * 255 * max|x|:
//    both int32 for any 16-bit x. floor(v / 256) = S_h + b_h + ((S_l + b_l) >> 8) exactly,
//    and the pre-shift identity (common.h, 8 consumed bits) gives rounding_shift_right(v, s)
//    for every s > 8. Twice the multiplies, no int64 lane.
//  * else the scalar kernel (int64, every format).
// The int32 path is chosen from proven bounds where ConvQuant gives them, else a scan; one
// plan (packed weights + epilogue constants) per group of channels serves every output row.
// Channels: levels with masked loads (AVX-512) run the last block masked; the others run
// whole vectors and the channel tail in scalar code.
#define TINYQ_DW_FN(name) TINYQ_CAT(name, TINYQ_CAT(_, TINYQ_DW_NS))

namespace tinyq {
namespace detail {
namespace TINYQ_DW_NS {

using DwSimd = TINYQ_DW_SIMD;
using DwV = DwSimd::V;
constexpr int kDwLanes = DwSimd::kLanes;
constexpr int kDwGroup = kDwLanes == 32 ? 1024 : 512;  // channels per int32 plan (stack: 20-40 KiB)
constexpr int kDwWideGroup = kDwGroup / 2;             // the wide plan has about twice the vectors
constexpr int kDwTapVectors = DwSimd::kPairedTaps ? 10 : 9;  // 5 pairs of taps (tap 8 with 0), or the 9 taps

struct DwBlock {  // one vector of channels: weights in the dot's form, epilogue in lane order
  DwV w[kDwTapVectors];
  DwV bias[2], lo[2], hi[2], round[2];
  DwSimd::Shift shift[2];
  DwSimd::Mask mask;
};
struct DwWideBlock {
  DwV wh[kDwTapVectors], wl[kDwTapVectors];
  DwV bias_h[2], bias_l[2], lo[2], hi[2], round[2];
  DwSimd::Shift pre[2], shift[2];
  DwSimd::Mask mask;
};
// Blocks per pass over a row: the int32 plan's part stays in L1 (about 10 KiB); the wide
// path takes its whole group in one pass.
constexpr int dw_sub_blocks(const DwBlock*) { return 10752 / sizeof(DwBlock) > 0 ? int(10752 / sizeof(DwBlock)) : 1; }
constexpr int dw_sub_blocks(const DwWideBlock*) { return kDwWideGroup / kDwLanes; }

// The int32 lane i of half h (0: lo, 1: hi) holds this channel of its block: x86 unpack
// works per 128-bit lane of 8 int16 channels; on NEON (one 128-bit lane) lo holds channels
// 0..3 and hi 4..7, which is the same formula.
constexpr int dw_lane_channel(int i, int h) { return (i / 4) * 8 + h * 4 + i % 4; }

// The 9 tap vectors in the dot's form: paired levels as 5 int16 pairs in unpack order
// (taps 2j, 2j+1; tap 8 with 0), the others as they are. (Templates on the level, so that
// only the form it has is instantiated.)
template <typename S = DwSimd>
inline void dw_pack_taps(const typename S::V t[9], typename S::V w[kDwTapVectors]) {
  if constexpr (S::kPairedTaps) {
    for (int j = 0; j < 5; ++j) {
      const typename S::V b = j < 4 ? t[2 * j + 1] : S::zero();
      w[2 * j] = S::unpacklo16(t[2 * j], b);
      w[2 * j + 1] = S::unpackhi16(t[2 * j], b);
    }
  } else {
    for (int k = 0; k < 9; ++k) w[k] = t[k];
  }
}

// lo, hi (int32 lanes, halves 0 and 1) += the 9-tap dot of the input vectors x with the
// packed weights of each set: one set (int32 path) or two sharing the input pairs (wide path).
template <int kSets, typename S = DwSimd>
inline void dw_dot_taps(const typename S::V x[9], const typename S::V* const w[kSets], typename S::V lo[kSets],
                        typename S::V hi[kSets]) {
  // NEON: unrolled, so that the accumulators and taps stay in registers (GCC 12 keeps an
  // array indexed in a loop it does not unroll in memory; docs/aarch64.md). x86: the pair
  // loop stays a loop, as before; unrolled, it measured no faster (docs/kernels.md).
  if constexpr (S::kPairedTaps) {
    for (int j = 0; j < 5; ++j) {
      const typename S::V b = j < 4 ? x[2 * j + 1] : S::zero();
      const typename S::V a_lo = S::unpacklo16(x[2 * j], b), a_hi = S::unpackhi16(x[2 * j], b);
#pragma GCC unroll 2
      for (int k = 0; k < kSets; ++k) {
        lo[k] = S::madd_acc(lo[k], a_lo, w[k][2 * j]);
        hi[k] = S::madd_acc(hi[k], a_hi, w[k][2 * j + 1]);
      }
    }
  } else {
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t)
#pragma GCC unroll 2
      for (int k = 0; k < kSets; ++k) {
        lo[k] = S::mac_lo(lo[k], x[t], w[k][t]);
        hi[k] = S::mac_hi(hi[k], x[t], w[k][t]);
      }
  }
}

// Per-channel epilogue constants of a block, in unpack order: e[field][half][lane]; the
// channels past n (masked off) repeat channel n - 1. A per-tensor format shares everything
// but the bias (the shift depends on the channel's weight format only).
template <typename TA, int kFields, typename Field>
inline void dw_lane_constants(const int32_t* bias, const ConvQuant& q, int c0, int n, int consumed,
                              int32_t (&e)[kFields][2][kDwLanes / 2], Field&& field) {
  const bool per_tensor = q.weight_frac_per_channel == nullptr;
  ChannelEpilogue ce = channel_epilogue<TA>(bias, q, c0, consumed);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < kDwLanes / 2; ++i) {
      const int c = c0 + (dw_lane_channel(i, h) < n ? dw_lane_channel(i, h) : n - 1);
      if (per_tensor) ce.bias = aligned_bias(bias, q, c);
      else ce = channel_epilogue<TA>(bias, q, c, consumed);
      int32_t v[kFields];
      field(ce, v);
      for (int k = 0; k < kFields; ++k) e[k][h][i] = v[k];
    }
}

template <typename TW>
inline DwSimd::Mask dw_block_weights(const TW* weights, int channels, int c0, DwV t[9]) {
  const int n = channels - c0 < kDwLanes ? channels - c0 : kDwLanes;
  const DwSimd::Mask m = DwSimd::tail_mask(n);
  for (int k = 0; k < 9; ++k) t[k] = DwSimd::load_i16(weights + k * channels + c0, m);
  return m;
}

// Returns the group's max |bias'| (the int32 bound's last term).
template <typename TA, typename TW>
inline uint64_t dw_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                        DwBlock* plan) {
  uint64_t max_bias = 0;
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + kDwLanes * b;
    DwV t[9];
    plan[b].mask = dw_block_weights(weights, channels, c0, t);
    dw_pack_taps(t, plan[b].w);
    alignas(64) int32_t e[5][2][kDwLanes / 2];
    dw_lane_constants<TA>(bias, q, c0, channels - c0, 0, e, [&max_bias](const ChannelEpilogue& ce, int32_t* v) {
      const uint64_t ab = static_cast<uint64_t>(ce.bias < 0 ? -ce.bias : ce.bias);
      max_bias = ab > max_bias ? ab : max_bias;
      v[0] = static_cast<int32_t>(ce.bias);  // used only once the bound with max_bias holds
      v[1] = static_cast<int32_t>(ce.lo);
      v[2] = static_cast<int32_t>(ce.hi);
      v[3] = ce.round;
      v[4] = ce.shift;
    });
    for (int h = 0; h < 2; ++h) {
      plan[b].bias[h] = DwSimd::load32(e[0][h]);
      plan[b].lo[h] = DwSimd::load32(e[1][h]);
      plan[b].hi[h] = DwSimd::load32(e[2][h]);
      plan[b].round[h] = DwSimd::load32(e[3][h]);
      plan[b].shift[h] = DwSimd::make_shift(e[4][h]);
    }
  }
  return max_bias;
}

template <typename TA, typename TW>
inline uint64_t dw_plan(const TW* weights, const int32_t* bias, const ConvQuant& q, int channels, int g0, int nblocks,
                        DwWideBlock* plan) {
  for (int b = 0; b < nblocks; ++b) {
    const int c0 = g0 + kDwLanes * b;
    DwV t[9], th[9], tl[9];
    plan[b].mask = dw_block_weights(weights, channels, c0, t);
    for (int k = 0; k < 9; ++k) {
      th[k] = DwSimd::high8(t[k]);
      tl[k] = DwSimd::low8(t[k]);
    }
    dw_pack_taps(th, plan[b].wh);
    dw_pack_taps(tl, plan[b].wl);
    alignas(64) int32_t e[7][2][kDwLanes / 2];
    dw_lane_constants<TA>(bias, q, c0, channels - c0, 8, e, [](const ChannelEpilogue& ce, int32_t* v) {
      v[0] = bias_high(ce.bias);  // |bias'| < 2^38: checked by split_weights_fit
      v[1] = bias_low(ce.bias);
      v[2] = ce.pre;
      v[3] = ce.lo_pre;
      v[4] = ce.hi_pre;
      v[5] = ce.round;
      v[6] = ce.shift;
    });
    for (int h = 0; h < 2; ++h) {
      plan[b].bias_h[h] = DwSimd::load32(e[0][h]);
      plan[b].bias_l[h] = DwSimd::load32(e[1][h]);
      plan[b].pre[h] = DwSimd::make_shift(e[2][h]);
      plan[b].lo[h] = DwSimd::load32(e[3][h]);
      plan[b].hi[h] = DwSimd::load32(e[4][h]);
      plan[b].round[h] = DwSimd::load32(e[5][h]);
      plan[b].shift[h] = DwSimd::make_shift(e[6][h]);
    }
  }
  return 0;  // the split sums' bounds were checked up front (split_weights_fit)
}

// The 9 tap vectors of one pixel's block at channel offset c.
template <typename TA>
inline void dw_load_taps(const TA* const tap[9], int c, DwSimd::Mask m, DwV x[9]) {
  if constexpr (DwSimd::kPairedTaps) {
    for (int k = 0; k < 9; ++k) x[k] = DwSimd::load_i16(tap[k] + c, m);
  } else {
#pragma GCC unroll 9  // else GCC 12 stores the 9 vectors to the stack and loads them back
    for (int k = 0; k < 9; ++k) x[k] = DwSimd::load_i16(tap[k] + c, m);
  }
}

// int32 path: sum, + bias', clamp, rounding shift, saturating store.
template <typename TA>
inline void dw_pixel_block(const TA* const tap[9], int c, const DwBlock& p, TA* o) {
  DwV x[9];
  dw_load_taps(tap, c, p.mask, x);
  const DwV* const w[1] = {p.w};
  DwV acc_lo[1] = {DwSimd::zero()}, acc_hi[1] = {DwSimd::zero()};
  dw_dot_taps<1>(x, w, acc_lo, acc_hi);
  DwV lo = acc_lo[0], hi = acc_hi[0];
  lo = DwSimd::min32(DwSimd::max32(DwSimd::add32(lo, p.bias[0]), p.lo[0]), p.hi[0]);
  hi = DwSimd::min32(DwSimd::max32(DwSimd::add32(hi, p.bias[1]), p.lo[1]), p.hi[1]);
  lo = DwSimd::shift_right(DwSimd::add32(lo, p.round[0]), p.shift[0]);
  hi = DwSimd::shift_right(DwSimd::add32(hi, p.round[1]), p.shift[1]);
  DwSimd::store_sat(o, p.mask, lo, hi);
}

// Wide path: the high and low weight sums, floor(v / 256), pre-shift, clamp, rounding shift.
template <typename TA>
inline void dw_pixel_block(const TA* const tap[9], int c, const DwWideBlock& p, TA* o) {
  DwV x[9];
  dw_load_taps(tap, c, p.mask, x);
  const DwV* const w[2] = {p.wh, p.wl};
  DwV l[2] = {DwSimd::zero(), DwSimd::zero()}, h[2] = {DwSimd::zero(), DwSimd::zero()};
  dw_dot_taps<2>(x, w, l, h);  // the high-weight sums (l[0], h[0]) and the low-weight sums (l[1], h[1])
  const DwV hl = l[0], hh = h[0], ll = l[1], lh = h[1];
  DwV lo = DwSimd::add32(DwSimd::add32(hl, p.bias_h[0]), DwSimd::sra32_8(DwSimd::add32(ll, p.bias_l[0])));
  DwV hi = DwSimd::add32(DwSimd::add32(hh, p.bias_h[1]), DwSimd::sra32_8(DwSimd::add32(lh, p.bias_l[1])));
  lo = DwSimd::min32(DwSimd::max32(DwSimd::shift_right(lo, p.pre[0]), p.lo[0]), p.hi[0]);
  hi = DwSimd::min32(DwSimd::max32(DwSimd::shift_right(hi, p.pre[1]), p.lo[1]), p.hi[1]);
  lo = DwSimd::shift_right(DwSimd::add32(lo, p.round[0]), p.shift[0]);
  hi = DwSimd::shift_right(DwSimd::add32(hi, p.round[1]), p.shift[1]);
  DwSimd::store_sat(o, p.mask, lo, hi);
}

template <typename TA>
inline const TA* dw_zeros() {  // what padding taps read: a whole group of channels
  alignas(64) static const TA z[kDwGroup + 64] = {};
  return z;
}

// Output rows [0, out_rows) of the vector channels [0, vec_channels): rows_of(oy, rows)
// fills the three input rows of output row oy, out_of(oy) is that output row. One plan per
// channel group serves every row. False as soon as a group's plan breaks the int32 bound
// (bound + its max |bias'|); the caller then rewrites every row. noinline: one plan array
// on the stack at a time.
template <typename Block, int kGroup, typename TA, typename TW, typename RowsOf, typename OutOf>
__attribute__((noinline)) bool dw_groups(int out_rows, RowsOf& rows_of, OutOf& out_of, int in_width, int channels,
                                         int vec_channels, const TW* weights, const int32_t* bias, const ConvQuant& q,
                                         int stride, int pad_left, int out_width, uint64_t bound) {
  constexpr int kSub = dw_sub_blocks(static_cast<const Block*>(nullptr));
  Block plan[kGroup / kDwLanes];
  for (int g0 = 0; g0 < vec_channels; g0 += kGroup) {
    const int n = vec_channels - g0 < kGroup ? vec_channels - g0 : kGroup;
    const int nblocks = (n + kDwLanes - 1) / kDwLanes;
    if (!fits_int32(bound + dw_plan<TA>(weights, bias, q, channels, g0, nblocks, plan))) return false;
    for (int oy = 0; oy < out_rows; ++oy) {
      const TA* rows[3];
      rows_of(oy, rows);
      TA* out_row = out_of(oy);
      for (int b0 = 0; b0 < nblocks; b0 += kSub) {
        const int b1 = b0 + kSub < nblocks ? b0 + kSub : nblocks;
        depthwise_row_columns(rows, in_width, channels, stride, pad_left, out_width, g0, dw_zeros<TA>(),
                              [&](int ox, const TA* const tap[9]) {
                                TA* o = out_row + static_cast<size_t>(ox) * channels + g0;
                                for (int b = b0; b < b1; ++b) dw_pixel_block<TA>(tap, kDwLanes * b, plan[b], o + kDwLanes * b);
                              });
      }
    }
  }
  return true;
}

// The vector paths over output rows [0, out_rows) for |x| <= max_abs_input; false (nothing
// written) when neither applies.
template <typename TA, typename TW, typename RowsOf, typename OutOf>
inline bool depthwise_rows(int out_rows, RowsOf&& rows_of, OutOf&& out_of, int in_width, int channels, const TW* weights,
                           const int32_t* bias, const ConvQuant& q, int stride, int pad_left, int out_width,
                           uint32_t max_abs_input) {
  const int vec_channels = DwSimd::kMaskedTail ? channels : channels / kDwLanes * kDwLanes;
  if (vec_channels == 0) return false;
  bool int32_path = fast_shifts<TA>(q, channels);
  uint64_t bound = 0;  // 9 max|w| max|x|; each plan adds its max |bias'|
  if (int32_path) {
    const uint64_t wmax = given_or_scanned(q.weight_max_abs, [&] { return DwSimd::max_abs(weights, size_t(9) * channels); });
    bound = accumulator_bound(9, wmax, max_abs_input);
    int32_path = fits_int32(bound) && fits_int32(2 * wmax * max_abs_input);
  }
  if (!(int32_path && dw_groups<DwBlock, kDwGroup, TA>(out_rows, rows_of, out_of, in_width, channels, vec_channels, weights,
                                                       bias, q, stride, pad_left, out_width, bound))) {
    if (!split_weights_fit<TA>(bias, q, channels, max_abs_input)) return false;
    dw_groups<DwWideBlock, kDwWideGroup, TA>(out_rows, rows_of, out_of, in_width, channels, vec_channels, weights, bias, q,
                                             stride, pad_left, out_width, 0);
  }
  for (int oy = 0; vec_channels < channels && oy < out_rows; ++oy) {
    const TA* rows[3];
    rows_of(oy, rows);
    depthwise_row_channels(rows, in_width, channels, weights, bias, q, stride, pad_left, out_of(oy), out_width, vec_channels,
                           channels);
  }
  return true;
}

}  // namespace TINYQ_DW_NS
}  // namespace detail

// One output row (see depthwise_conv3x3_row_reference). max_abs_input: a bound of |x| over
// the rows (kScanBound: not given; then ConvQuant's proven bound, else a scan of the rows).
template <typename TA, typename TW>
void TINYQ_DW_FN(depthwise_conv3x3_row)(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                        const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                        int out_width, uint32_t max_abs_input = kScanBound) {
#ifdef TINYQ_DW_NARROWER
  if (TINYQ_DW_USE_NARROWER(channels))
    return TINYQ_CAT(depthwise_conv3x3_row_, TINYQ_DW_NARROWER)(rows, in_width, channels, weights, bias, q, stride, pad_left,
                                                                out_row, out_width, max_abs_input);
#endif
  if (max_abs_input == kScanBound) max_abs_input = q.input_max_abs;
  if (max_abs_input == kScanBound) {
    max_abs_input = 0;
    for (int ky = 0; ky < 3; ++ky)
      if (rows[ky] != nullptr) {
        const uint32_t m = detail::TINYQ_DW_NS::DwSimd::max_abs(rows[ky], static_cast<size_t>(in_width) * channels);
        max_abs_input = m > max_abs_input ? m : max_abs_input;
      }
  }
  const bool done = detail::TINYQ_DW_NS::depthwise_rows<TA>(
      1, [&](int, const TA* r[3]) { for (int k = 0; k < 3; ++k) r[k] = rows[k]; }, [&](int) { return out_row; }, in_width,
      channels, weights, bias, q, stride, pad_left, out_width, max_abs_input);
  if (!done) depthwise_conv3x3_row_scalar(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width);
}

// The whole tensor: |x| from ConvQuant's proven bound or one scan, one plan per channel
// group for all rows.
template <typename TA, typename TW>
void TINYQ_DW_FN(depthwise_conv3x3)(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                                    int stride, Padding pad, const Tensor<TA>& out) {
#ifdef TINYQ_DW_NARROWER
  if (TINYQ_DW_USE_NARROWER(in.channels))
    return TINYQ_CAT(depthwise_conv3x3_, TINYQ_DW_NARROWER)(in, weights, bias, q, stride, pad, out);
#endif
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const uint32_t xmax =
      given_or_scanned(q.input_max_abs, [&] { return detail::TINYQ_DW_NS::DwSimd::max_abs(in.data, in.size()); });
  const bool done = detail::TINYQ_DW_NS::depthwise_rows<TA>(
      out.height, [&](int oy, const TA* rows[3]) { depthwise_input_rows(in, oy, stride, pad_top, rows); },
      [&](int oy) { return out.row(oy); }, in.width, in.channels, weights, bias, q, stride, pad_left, out.width, xmax);
  if (!done) depthwise_conv3x3_scalar(in, weights, bias, q, stride, pad, out);
}

}  // namespace tinyq

#undef TINYQ_DW_FN
