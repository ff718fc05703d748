// Portable optimized scalar kernels (the riscv64 / no-SIMD path). Same arithmetic as
// the reference (exact sums, requantize_output), a loop shape that reuses loads:
// pointwise computes a block of 3 pixels x 4 output channels per pass over cin, unrolled
// by 4 along cin, so each loaded activation feeds 4 MACs and each weight 3
// (rv64imac: 7 loads + 24 mul + 24 add + 7 pointer bumps + 1 branch per 24 MACs). Layers
// with 8-bit activations or weights (or a weight L1 bound that proves 32-bit sums) take two
// or three MACs per 64-bit multiply instead (swar.h: 1.30 / 0.86 instructions per MAC in the loop).
#pragma once
#include "reference.h"
#include "swar.h"

namespace tinyq {

namespace detail {

// Sums of 3 pixels x 4 output channels over cin: acc[p][c] = sum_k x[p][k] * w[c][k],
// int64 (exact; free on a 64-bit core). Written out by hand so that every accumulator
// stays in a register.
template <typename TA, typename TW>
inline void pointwise_block_3x4_c(const TA* x0, const TA* x1, const TA* x2, const TW* w0, const TW* w1, const TW* w2,
                                  const TW* w3, int n, int64_t a[12]) {
  for (int k = 0; k < n; ++k) {
    const int64_t p0 = x0[k], p1 = x1[k], p2 = x2[k];
    int64_t w = w0[k];
    a[0] += p0 * w; a[4] += p1 * w; a[8] += p2 * w;
    w = w1[k];
    a[1] += p0 * w; a[5] += p1 * w; a[9] += p2 * w;
    w = w2[k];
    a[2] += p0 * w; a[6] += p1 * w; a[10] += p2 * w;
    w = w3[k];
    a[3] += p0 * w; a[7] += p1 * w; a[11] += p2 * w;
  }
}

#if defined(__riscv) && __riscv_xlen == 64 && defined(__GNUC__)
// rv64: the 4-step unrolled loop in assembly. Per 48 MACs: 28 loads, 48 mul, 48 add,
// 7 pointer bumps, 1 branch = 132 instructions (2.75 per MAC). GCC's own schedule of
// the same C hoists every load to the top and spills accumulators (3.0+ per MAC).
#define TINYQ_STR2(x) #x
#define TINYQ_STR(x) TINYQ_STR2(x)
// Accumulators a00..a23 live in s2..s11, a6, a7; loaded values in t0..t3, products in t4.
#define TINYQ_PW_MAC(acc, xr) "mul t4, " xr ", t3\n\tadd " acc ", " acc ", t4\n\t"
#define TINYQ_PW_STEP(XL, WL, XO, WO)                                                                       \
  XL " t0, " XO "(%[x0])\n\t" XL " t1, " XO "(%[x1])\n\t" XL " t2, " XO "(%[x2])\n\t"                     \
  WL " t3, " WO "(%[w0])\n\t" TINYQ_PW_MAC("s2", "t0") TINYQ_PW_MAC("s6", "t1") TINYQ_PW_MAC("s10", "t2") \
  WL " t3, " WO "(%[w1])\n\t" TINYQ_PW_MAC("s3", "t0") TINYQ_PW_MAC("s7", "t1") TINYQ_PW_MAC("s11", "t2") \
  WL " t3, " WO "(%[w2])\n\t" TINYQ_PW_MAC("s4", "t0") TINYQ_PW_MAC("s8", "t1") TINYQ_PW_MAC("a6", "t2")  \
  WL " t3, " WO "(%[w3])\n\t" TINYQ_PW_MAC("s5", "t0") TINYQ_PW_MAC("s9", "t1") TINYQ_PW_MAC("a7", "t2")
#define TINYQ_PW_LOOP(XL, WL, SX, SW)                                                                        \
  "li s2, 0\n\tli s3, 0\n\tli s4, 0\n\tli s5, 0\n\tli s6, 0\n\tli s7, 0\n\t"                                 \
  "li s8, 0\n\tli s9, 0\n\tli s10, 0\n\tli s11, 0\n\tli a6, 0\n\tli a7, 0\n"                                 \
  "1:\n\t" TINYQ_PW_STEP(XL, WL, "0", "0") TINYQ_PW_STEP(XL, WL, TINYQ_STR(SX), TINYQ_STR(SW))              \
  TINYQ_PW_STEP(XL, WL, TINYQ_STR(2 * SX), TINYQ_STR(2 * SW)) TINYQ_PW_STEP(XL, WL, TINYQ_STR(3 * SX), TINYQ_STR(3 * SW)) \
  "addi %[x0], %[x0], " TINYQ_STR(4 * SX) "\n\taddi %[x1], %[x1], " TINYQ_STR(4 * SX)                       \
  "\n\taddi %[x2], %[x2], " TINYQ_STR(4 * SX) "\n\taddi %[w0], %[w0], " TINYQ_STR(4 * SW)                   \
  "\n\taddi %[w1], %[w1], " TINYQ_STR(4 * SW) "\n\taddi %[w2], %[w2], " TINYQ_STR(4 * SW)                   \
  "\n\taddi %[w3], %[w3], " TINYQ_STR(4 * SW) "\n\tbne %[x0], %[end], 1b\n\t"                               \
  "sd s2, 0(%[a])\n\tsd s3, 8(%[a])\n\tsd s4, 16(%[a])\n\tsd s5, 24(%[a])\n\t"                              \
  "sd s6, 32(%[a])\n\tsd s7, 40(%[a])\n\tsd s8, 48(%[a])\n\tsd s9, 56(%[a])\n\t"                            \
  "sd s10, 64(%[a])\n\tsd s11, 72(%[a])\n\tsd a6, 80(%[a])\n\tsd a7, 88(%[a])\n\t"

template <int SX, int SW> struct PointwiseAsm;
#define TINYQ_PW_ASM(SX, SW, XL, WL)                                                                          \
  template <> struct PointwiseAsm<SX, SW> {                                                                   \
    /* a[12] = sums over the first n4 (a multiple of 4, >= 4) inputs; the pointers are copies */             \
    template <typename TA, typename TW>                                                                       \
    static void run(const TA* x0, const TA* x1, const TA* x2, const TW* w0, const TW* w1, const TW* w2,       \
                    const TW* w3, const TA* end, int64_t a[12]) {                                             \
      __asm__ volatile(TINYQ_PW_LOOP(XL, WL, SX, SW)                                                          \
                       : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [w0] "+r"(w0), [w1] "+r"(w1),          \
                         [w2] "+r"(w2), [w3] "+r"(w3)                                                         \
                       : [end] "r"(end), [a] "r"(a)                                                           \
                       : "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a6", "a7", "t0", "t1", \
                         "t2", "t3", "t4", "memory");                                                         \
    }                                                                                                         \
  };
TINYQ_PW_ASM(2, 2, "lh", "lh")
TINYQ_PW_ASM(2, 1, "lh", "lb")
TINYQ_PW_ASM(1, 1, "lb", "lb")
TINYQ_PW_ASM(1, 2, "lb", "lh")
#undef TINYQ_PW_ASM
#undef TINYQ_PW_LOOP
#undef TINYQ_PW_STEP
#undef TINYQ_PW_MAC
#undef TINYQ_STR
#undef TINYQ_STR2
#endif

template <typename TA, typename TW>
inline void pointwise_block_3x4(const TA* x0, const TA* x1, const TA* x2, const TW* w0, const TW* w1, const TW* w2,
                                const TW* w3, int cin, int64_t a[12]) {
#if defined(__riscv) && __riscv_xlen == 64 && defined(__GNUC__)
  const int n4 = cin & ~3;
  if (n4 > 0) {
    PointwiseAsm<sizeof(TA), sizeof(TW)>::run(x0, x1, x2, w0, w1, w2, w3, x0 + n4, a);
  } else {
    for (int i = 0; i < 12; ++i) a[i] = 0;
  }
  if (cin != n4) pointwise_block_3x4_c(x0 + n4, x1 + n4, x2 + n4, w0 + n4, w1 + n4, w2 + n4, w3 + n4, cin - n4, a);
#else
  for (int i = 0; i < 12; ++i) a[i] = 0;
  pointwise_block_3x4_c(x0, x1, x2, w0, w1, w2, w3, cin, a);
#endif
}

// Per output channel: the requantization constants, and whether the short path applies.
struct PointwiseChannel {
  int64_t bias;
  int32_t lo, hi;
  int shift;
};

template <typename TA>
inline TA requantize_fast(int64_t v, const PointwiseChannel& c) {
  // shift in [1, 62]: rounding_shift_right, then the clamp (the range [lo, hi] lies inside TA's)
  v = (v >> c.shift) + ((v >> (c.shift - 1)) & 1);
  return static_cast<TA>(v < c.lo ? c.lo : (v > c.hi ? c.hi : v));
}

// The 4 weight rows and requantization constants of output channels [c0, c0 + 4) (past
// nc, the last real channel repeated); returns whether all take requantize_fast.
template <typename TW>
inline bool pointwise_channel_block(const TW* weights, const int32_t* bias, const ConvQuant& q, int cin, int c0,
                                    int nc, int32_t lo, int32_t hi, const TW* w[4], PointwiseChannel ch[4]) {
  bool fast = true;
  for (int c = 0; c < 4; ++c) {
    const int cc = c0 + (c < nc ? c : nc - 1);
    w[c] = weights + static_cast<size_t>(cc) * cin;
    ch[c] = PointwiseChannel{aligned_bias(bias, q, cc), lo, hi, output_shift(q, cc)};
    fast = fast && ch[c].shift >= 1 && ch[c].shift <= 62;
  }
  return fast;
}

// Stores the outputs of a block: acc[p * 4 + c] for np pixels x nc channels at o (row stride
// cout), with the requantization the reference does.
template <typename TA>
inline void pointwise_store_block(const int64_t* acc, int np, int nc, const PointwiseChannel ch[4], bool fast,
                                  int32_t lo, int32_t hi, TA* o, int cout) {
  for (int p = 0; p < np; ++p, o += cout)
    for (int c = 0; c < nc; ++c) {
      const int64_t v = acc[p * 4 + c] + ch[c].bias;
      o[c] = fast ? requantize_fast<TA>(v, ch[c]) : requantize_output<TA>(v, ch[c].shift, lo, hi);
    }
}

}  // namespace detail

// swar_prepacked (optional): the weights' SWAR words packed once for swar_prepacked_lanes
// lanes (detail::swar_prepack), taken where the layer's SWAR path uses those lanes;
// bit-identical either way.
template <typename TA, typename TW>
void pointwise_conv_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                           const Tensor<TA>& out, const uint64_t* swar_prepacked = nullptr, int swar_prepacked_lanes = 2) {
  if (swar_prepacked != nullptr && static_cast<size_t>(in.height) * in.width >= 4 &&
      detail::swar_takes_prepacked<TA, TW>(q, in.channels, out.channels) &&
      detail::swar_lanes<TA, TW>(q, in.channels, out.channels) == swar_prepacked_lanes) {
    detail::pointwise_conv_swar_prepacked(in, weights, bias, q, out, swar_prepacked, swar_prepacked_lanes);
    return;
  }
  if (detail::swar_applies<TA, TW>(q, in.channels, static_cast<size_t>(in.height) * in.width)) {
    detail::pointwise_conv_swar(in, weights, bias, q, out);
    return;
  }
  constexpr int PB = 3, CB = 4;
  const int cin = in.channels, cout = out.channels;
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  // Output-channel blocks outside, pixel blocks inside: the 4 weight rows and their
  // requantization constants are set up once per block of channels.
  for (int c0 = 0; c0 < cout; c0 += CB) {
    const int nc = cout - c0 < CB ? cout - c0 : CB;
    const TW* w[CB];
    detail::PointwiseChannel ch[CB];
    const bool fast = detail::pointwise_channel_block(weights, bias, q, cin, c0, nc, lo, hi, w, ch);
    for (size_t p0 = 0; p0 < pixels; p0 += PB) {
      const int np = pixels - p0 < PB ? static_cast<int>(pixels - p0) : PB;
      const TA* x[PB];
      for (int p = 0; p < PB; ++p) x[p] = in.data + (p0 + (p < np ? p : np - 1)) * cin;  // repeat the last pixel
      int64_t acc[PB * CB];
      detail::pointwise_block_3x4(x[0], x[1], x[2], w[0], w[1], w[2], w[3], cin, acc);
      TA* o = out.data + p0 * cout + c0;
      if (fast && np == PB && nc == CB) {  // the common block: straight-line requantization
        for (int p = 0; p < PB; ++p, o += cout)
          for (int c = 0; c < CB; ++c) o[c] = detail::requantize_fast<TA>(acc[p * CB + c] + ch[c].bias, ch[c]);
        continue;
      }
      detail::pointwise_store_block(acc, np, nc, ch, fast, lo, hi, o, cout);
    }
  }
}

// ---------------------------------------------------------------------------
// Depthwise 3x3, one output row (the riscv64 path): channel by channel, the nine weights
// in registers, one input column (3 values, one per kernel row) loaded per step. Each
// column i feeds the three outputs whose windows hold it: with
//   col_k(i) = x0[i] w0k + x1[i] w1k + x2[i] w2k        (kernel column k, rows 0..2)
//   out(ox) = bias + col_0(ix) + col_1(ix + 1) + col_2(ix + 2),  ix = ox * stride - pad_left,
// stride 1 keeps two open sums (the next two outputs) and per column finishes one output,
// adds to the other and opens a new one: 3 loads, 9 mul, 9 add (the bias included), per
// output. Stride 2 keeps one open sum (column ix + 2 is column 0 of the next output): 6
// loads, 9 mul, 9 add. The live set (9 weights, 2 sums, 3 row pointers, requantization
// constants) fits the registers, so nothing is reloaded per output. (The previous form, a
// 3x3 window of values over 3 outputs per step, held 15 values: GCC spilled the weights.)
// Padding rows take zero weights on a real row (exact zeros added: the reference's sums),
// a left or right padding column a zero column; other borders the reference arithmetic.
// ---------------------------------------------------------------------------
namespace detail {

template <typename TA, typename TW>
inline int64_t depthwise_pixel_generic(const TA* const rows[3], int in_width, int channels, const TW* weights, int stride,
                                       int pad_left, int ox, int c) {
  int64_t acc = 0;
  for (int ky = 0; ky < 3; ++ky) {
    if (rows[ky] == nullptr) continue;
    for (int kx = 0; kx < 3; ++kx) {
      const int ix = ox * stride - pad_left + kx;
      if (ix < 0 || ix >= in_width) continue;
      acc += int64_t(rows[ky][static_cast<size_t>(ix) * channels + c]) * int64_t(weights[(ky * 3 + kx) * channels + c]);
    }
  }
  return acc;
}

// The requantization, chosen once per channel (not per output). Shift s in [1, 62]: the
// caller has added 2^(s-1) to the bias, and rounding_shift_right(v, s) = floor((v + 2^(s-1))
// / 2^s) is one arithmetic shift. (With v = q 2^s + r, 0 <= r < 2^s, the rounding adds 1
// exactly when r >= 2^(s-1): when bit s-1 of v is set, the reference's form.) No overflow:
// |acc| <= 9 * 2^30, |bias'| < 2^48 (kBiasBits) and 2^(s-1) <= 2^61. [lo, hi] lies inside
// TA's range, so the clamp is also the saturation.
template <typename TA>
struct DepthwiseShiftClamp {
  int shift;
  int32_t lo, hi;
  static constexpr bool applies(int s) { return s >= 1 && s <= 62; }
  static constexpr int64_t rounding(int s) { return int64_t(1) << (s - 1); }
  // the value stays int64 (the store narrows it): a TA result made GCC sign-extend it first
  int64_t operator()(int64_t v) const {
    v >>= shift;
    if (v < lo) v = lo;  // lo <= hi
    if (v > hi) v = hi;
    return v;
  }
};
// Any other shift (0, left shifts, >= 63): requantize_output itself (bias not rounded).
template <typename TA>
struct DepthwiseRequantOutput {
  int shift;
  int32_t lo, hi;
  int64_t operator()(int64_t v) const { return requantize_output<TA>(v, shift, lo, hi); }
};

// One channel's weights, w[ky][kx] (zero for a padding row), and its bias (with the rounding
// term under DepthwiseShiftClamp).
struct DepthwiseTaps {
  int64_t w00, w01, w02, w10, w11, w12, w20, w21, w22, bias;
};

// The span loops are inlined into their channel loop (out of line, the taps went through the
// stack once per channel).
#if defined(__GNUC__)
#define TINYQ_DW_INLINE inline __attribute__((always_inline))
#else
#define TINYQ_DW_INLINE inline
#endif

// A span's outputs as the loops take them (a value: with 8-bit outputs every store may alias
// a referenced struct, and GCC reloaded its fields once per channel).
struct DepthwiseSpanShape {
  bool left_pad;   // the first output reads the left padding column as zero
  bool right_pad;  // the last one (after the rest) reads the right padding column
  int passes;      // passes of the loop, U outputs each
  int rest;        // then this many outputs (< U)
  size_t tail_in;  // where the rest starts: values past the loop's first column,
  size_t tail_out; //   and past the first output (the tail takes fresh pointers, so the
                   //   loop's own are dead after it and need not be kept across it)
};

// The distance between two columns of a channel (C values) and the outputs per pass of the
// span loops. ChannelStride<0, 1>: the run-time count, one output per pass;
// ChannelStride<N, U>: the constant N, U outputs per pass, the column offsets of a pass
// (up to (2U - 1) C values at stride 2) immediates of the loads (RISC-V has no register +
// register addressing: with a run-time C every column read needs an add of its own).
template <size_t N, int U_>
struct ChannelStride {
  static constexpr bool fixed = true;
  static constexpr int U = U_;
  static constexpr size_t get(size_t) { return N; }
};
template <>
struct ChannelStride<0, 1> {
  static constexpr bool fixed = false;
  static constexpr int U = 1;
  static size_t get(size_t c) { return c; }
};
using RuntimeChannels = ChannelStride<0, 1>;

// Stride 1, one channel: outputs o[0], o[C], ... Their first window column ix0 is padding
// (zero) when left_pad; p0..p2 point at column ix0 + 1 of the three rows. passes * U + rest
// outputs read columns up to ix0 + 1 + (their count); with right_pad one more output follows
// whose third column is padding. A pass count, not an end pointer, so that GCC keeps the
// pointers instead of recomputing them after the loop. Returns the next output.
template <typename CS, typename TA, typename Requant>
TINYQ_DW_INLINE TA* depthwise_span_s1(const TA* p0, const TA* p1, const TA* p2, size_t c_run, DepthwiseSpanShape sh,
                                      const DepthwiseTaps k, Requant rq, TA* o) {
  const size_t C = CS::get(c_run);
  constexpr int U = CS::U;
  int64_t x0 = 0, x1 = 0, x2 = 0;
  if (!sh.left_pad) x0 = *(p0 - C), x1 = *(p1 - C), x2 = *(p2 - C);
  int64_t mid = k.bias + x0 * k.w00 + x1 * k.w10 + x2 * k.w20;  // open sum of the first output
  x0 = *p0, x1 = *p1, x2 = *p2;
  p0 += C, p1 += C, p2 += C;
  mid += x0 * k.w01 + x1 * k.w11 + x2 * k.w21;
  int64_t next = k.bias + x0 * k.w00 + x1 * k.w10 + x2 * k.w20;  // of the second
  const TA *const q0 = p0, *const q1 = p1, *const q2 = p2;
  TA* const o_first = o;
  // column a (an offset from the pointers): finishes one output, adds to the next, opens one
  const auto column = [&, k](size_t a) {  // the taps by value: by reference GCC kept them in memory
    const int64_t y0 = p0[a], y1 = p1[a], y2 = p2[a];
    const int64_t done = mid + y0 * k.w02 + y1 * k.w12 + y2 * k.w22;
    mid = next + y0 * k.w01 + y1 * k.w11 + y2 * k.w21;
    next = k.bias + y0 * k.w00 + y1 * k.w10 + y2 * k.w20;
    return done;
  };
  for (int pass = sh.passes; pass != 0; --pass) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (int u = 0; u < U; ++u) o[u * C] = static_cast<TA>(rq(column(u * C)));
    p0 += U * C, p1 += U * C, p2 += U * C, o += U * C;
  }
  if (sh.rest == 0 && !sh.right_pad) return o;
  p0 = q0 + sh.tail_in, p1 = q1 + sh.tail_in, p2 = q2 + sh.tail_in, o = o_first + sh.tail_out;
  if (U == 4 && (sh.rest & 2) != 0) {  // rest < U: a pair, then one
    o[0] = static_cast<TA>(rq(column(0)));
    o[C] = static_cast<TA>(rq(column(C)));
    p0 += 2 * C, p1 += 2 * C, p2 += 2 * C, o += 2 * C;
  }
  if ((sh.rest & 1) != 0) {
    *o = static_cast<TA>(rq(column(0))), o += C;
    p0 += C, p1 += C, p2 += C;
  }
  if (sh.right_pad) *o = static_cast<TA>(rq(mid)), o += C;
  return o;
}

// Stride 2, one channel: as depthwise_span_s1; output j reads columns ix0 + 2j .. ix0 + 2j + 2,
// and the right padding output only its first two columns.
template <typename CS, typename TA, typename Requant>
TINYQ_DW_INLINE TA* depthwise_span_s2(const TA* p0, const TA* p1, const TA* p2, size_t c_run, DepthwiseSpanShape sh,
                                      const DepthwiseTaps k, Requant rq, TA* o) {
  const size_t C = CS::get(c_run);
  constexpr int U = CS::U;
  int64_t x0 = 0, x1 = 0, x2 = 0;
  if (!sh.left_pad) x0 = *(p0 - C), x1 = *(p1 - C), x2 = *(p2 - C);
  int64_t open = k.bias + x0 * k.w00 + x1 * k.w10 + x2 * k.w20;
  const TA *const q0 = p0, *const q1 = p1, *const q2 = p2;
  TA* const o_first = o;
  // columns a and a + C: kernel columns 1 and 2 of one output, the second column 0 of the next
  const auto output = [&, k](size_t a) {  // the taps by value: by reference GCC kept them in memory
    int64_t y0 = p0[a], y1 = p1[a], y2 = p2[a];
    open += y0 * k.w01 + y1 * k.w11 + y2 * k.w21;
    y0 = p0[a + C], y1 = p1[a + C], y2 = p2[a + C];
    const int64_t done = open + y0 * k.w02 + y1 * k.w12 + y2 * k.w22;
    open = k.bias + y0 * k.w00 + y1 * k.w10 + y2 * k.w20;
    return done;
  };
  for (int pass = sh.passes; pass != 0; --pass) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (int u = 0; u < U; ++u) o[u * C] = static_cast<TA>(rq(output(2 * u * C)));
    p0 += 2 * U * C, p1 += 2 * U * C, p2 += 2 * U * C, o += U * C;
  }
  if (sh.rest == 0 && !sh.right_pad) return o;
  p0 = q0 + sh.tail_in, p1 = q1 + sh.tail_in, p2 = q2 + sh.tail_in, o = o_first + sh.tail_out;
  if (U == 4 && (sh.rest & 2) != 0) {  // rest < U: a pair, then one
    o[0] = static_cast<TA>(rq(output(0)));
    o[C] = static_cast<TA>(rq(output(2 * C)));
    p0 += 4 * C, p1 += 4 * C, p2 += 4 * C, o += 2 * C;
  }
  if ((sh.rest & 1) != 0) {
    *o = static_cast<TA>(rq(output(0))), o += C;
    p0 += 2 * C, p1 += 2 * C, p2 += 2 * C;
  }
  if (sh.right_pad) {
    x0 = *p0, x1 = *p1, x2 = *p2;
    *o = static_cast<TA>(rq(open + x0 * k.w01 + x1 * k.w11 + x2 * k.w21)), o += C;
  }
  return o;
}

// v, its origin hidden from the optimizer (an empty asm). In the channel loop below, without
// it GCC turned each of the ~ten addresses derived from the channel into an induction variable
// of its own, kept them on the stack (the span loop needs the registers) and spent ~30
// instructions per channel advancing them; with it, each address is one add from a base.
template <typename T>
inline T opaque(T v) {
#if defined(__GNUC__)
  __asm__("" : "+r"(v));
#endif
  return v;
}

// Where the spans of a row lie (the same for every channel).
struct DepthwiseSpans {
  int stride;      // 1 or 2
  int ox_first;    // first output of the span
  int n_full;      // outputs with the whole window inside the row (>= 1), the first one
  bool left_pad;   //   reading the left padding column as zero when left_pad
  bool right_pad;  // one more output whose third column is the right padding
  size_t ix1;      // column ix0 + 1 (ix0: the first output's first column)
  int rows = 1;           // output rows: the next one's input rows in_step values on (may be
  ptrdiff_t in_step = 0;  //   negative), its outputs out_step values on (every row the same
  ptrdiff_t out_step = 0; //   spans; a channel's setup then serves all of them)
};

// The spans of every channel: the taps and requantization set up once per channel, then the
// loop of the stride S. Not inlined: in its own function the loop's live set gets the
// registers (inlined next to the generic border code, GCC reloaded two to four weights from
// the stack per output). CS: the channel count as a constant or at run time (ChannelStride);
// Fast: every channel's shift takes DepthwiseShiftClamp (the caller checked), else
// DepthwiseRequantOutput.
template <typename CS, int S, bool Fast, bool Rows, typename TA, typename TW>
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void depthwise_row_spans_c(const TA* const r[3], const int64_t row_on[3], int channels, const TW* weights,
                           const int32_t* bias, const ConvQuant& q, const DepthwiseSpans& g, TA* out_row) {
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t C = CS::get(static_cast<size_t>(channels));
  const bool all_rows = row_on[0] != 0 && row_on[1] != 0 && row_on[2] != 0;
  const int64_t on0 = row_on[0], on1 = row_on[1], on2 = row_on[2];
  const int passes = g.n_full / CS::U;
  const size_t tail_out = static_cast<size_t>(passes) * CS::U * C;
  const DepthwiseSpanShape shape{g.left_pad, g.right_pad, passes, g.n_full % CS::U, S * tail_out, tail_out};
  const TA* const base0 = r[0] + g.ix1 * C;
  const TA* const base1 = r[1] + g.ix1 * C;
  const TA* const base2 = r[2] + g.ix1 * C;
  TA* const out_base = out_row + static_cast<size_t>(g.ox_first) * C;
  const int n_rows = Rows ? g.rows : 1;
  const ptrdiff_t in_step = g.in_step, out_step = g.out_step;
  // Per-tensor formats (no per-channel weight fracs): one accumulator format, so every channel
  // has the same output shift and the same bias alignment. When that alignment is a left
  // shift by L <= 16 or a right shift by R <= 62, align_bias(b) is exactly
  // (b 2^L + rounding) >> R, rounding = 2^(R-1) (0 for R = 0): |b| < 2^31, so b 2^L lies in
  // [-2^47, 2^47) (the 48-bit saturation never acts) and the right shift rounds as
  // rounding_shift_right (see DepthwiseShiftClamp). 4 instructions instead of align_bias's ~17.
  const bool per_tensor = q.weight_frac_per_channel == nullptr;
  const int shift_all = per_tensor ? output_shift(q, 0) : 0;
  const int bias_right = per_tensor ? q.bias_frac - accumulator_frac(q, 0) : 0;
  const bool simple_bias = per_tensor && bias != nullptr && bias_right >= -16 && bias_right <= 62;
  const int64_t bias_scale = simple_bias && bias_right < 0 ? int64_t(1) << -bias_right : 1;
  const int bias_shift = simple_bias && bias_right > 0 ? bias_right : 0;
  // The bias alignment's rounding, and under DepthwiseShiftClamp the output shift's 2^(s-1)
  // added after the alignment's right shift by R: floor(v / 2^R) + 2^(s-1) =
  // floor((v + 2^(s-1+R)) / 2^R), one term, exact while s - 1 + R <= 61 (|v| < 2^47, the sum
  // below 2^47 + 2^61 + 2^61 < 2^63).
  const bool fold = simple_bias && Fast && shift_all - 1 + bias_shift <= 61;
  const int64_t bias_add = (bias_shift > 0 ? int64_t(1) << (bias_shift - 1) : 0) +
                           (fold ? DepthwiseShiftClamp<TA>::rounding(shift_all) << bias_shift : 0);
  for (int c_seen = 0; c_seen < channels; ++c_seen) {
    const int c = CS::fixed ? c_seen : opaque(c_seen);
    const int shift = per_tensor ? shift_all : output_shift(q, c);
    // the nine weights [ky * 3 + kx][c], C apart
    const TW* w = weights + c;
    DepthwiseTaps k;
    if (CS::fixed) {  // immediate offsets
      k.w00 = w[0], k.w01 = w[C], k.w02 = w[2 * C], k.w10 = w[3 * C], k.w11 = w[4 * C];
      k.w12 = w[5 * C], k.w20 = w[6 * C], k.w21 = w[7 * C], k.w22 = w[8 * C];
    } else {  // one pointer walked along them
      k.w00 = *w, w = opaque(w + C), k.w01 = *w, w = opaque(w + C), k.w02 = *w, w = opaque(w + C);
      k.w10 = *w, w = opaque(w + C), k.w11 = *w, w = opaque(w + C), k.w12 = *w, w = opaque(w + C);
      k.w20 = *w, w = opaque(w + C), k.w21 = *w, w = opaque(w + C), k.w22 = *w;
    }
    if (!all_rows) {  // the first or last output rows only
      k.w00 *= on0, k.w01 *= on0, k.w02 *= on0;
      k.w10 *= on1, k.w11 *= on1, k.w12 *= on1;
      k.w20 *= on2, k.w21 *= on2, k.w22 *= on2;
    }
    if (fold) {
      k.bias = (bias[c] * bias_scale + bias_add) >> bias_shift;
    } else {
      k.bias = aligned_bias(bias, q, c);
      if (Fast) k.bias += DepthwiseShiftClamp<TA>::rounding(shift);
    }
    const TA* p0 = base0 + c;
    const TA* p1 = base1 + c;
    const TA* p2 = base2 + c;
    TA* o = out_base + c;
    // Rows: g.rows output rows (a separate instantiation: the row loop's pointers cost the
    // one-row calls of the row-streamed block ~25 instructions per channel)
    for (int row = n_rows; row != 0; --row) {
      if constexpr (Fast) {
        const DepthwiseShiftClamp<TA> rq{shift, lo, hi};
        if constexpr (S == 1)
          depthwise_span_s1<CS>(p0, p1, p2, C, shape, k, rq, o);
        else
          depthwise_span_s2<CS>(p0, p1, p2, C, shape, k, rq, o);
      } else {
        const DepthwiseRequantOutput<TA> rq{shift, lo, hi};
        if constexpr (S == 1)
          depthwise_span_s1<CS>(p0, p1, p2, C, shape, k, rq, o);
        else
          depthwise_span_s2<CS>(p0, p1, p2, C, shape, k, rq, o);
      }
      if (!Rows || row == 1) break;  // (no pointer past the last row)
      p0 += in_step, p1 += in_step, p2 += in_step, o += out_step;
    }
  }
}

// The channel counts of MobileNetV2's depthwise layers (widths 0.5 and 1.0) get loops with
// the count as a constant: at stride 1 4 outputs per pass where the farthest column a pass
// reads (3C values on) is an immediate offset (12 bits signed: <= 2047 bytes), else 2 (C
// values on); at stride 2 2 outputs per pass (3C values on; with 4, GCC's allocation spilled
// on the 16-bit rows); else, as for any other count, the run-time loop.
template <int S, size_t N, size_t Bytes>
constexpr int depthwise_outputs_per_pass() {
  return (S == 1 && 3 * N * Bytes <= 2047) ? 4 : ((S == 2 ? 3 : 1) * N * Bytes <= 2047) ? 2 : 0;
}

template <int S, bool Rows, typename TA, typename TW, size_t N, size_t... More>
inline void depthwise_row_spans_fixed(const TA* const r[3], const int64_t row_on[3], int channels,
                                      const TW* weights, const int32_t* bias, const ConvQuant& q,
                                      const DepthwiseSpans& g, TA* out_row) {
  constexpr int U = depthwise_outputs_per_pass<S, N, sizeof(TA)>();
  if constexpr (U > 0) {
    if (static_cast<size_t>(channels) == N)
      return depthwise_row_spans_c<ChannelStride<N, U>, S, true, Rows>(r, row_on, channels, weights, bias, q, g, out_row);
  }
  if constexpr (sizeof...(More) > 0)
    depthwise_row_spans_fixed<S, Rows, TA, TW, More...>(r, row_on, channels, weights, bias, q, g, out_row);
  else
    depthwise_row_spans_c<RuntimeChannels, S, true, Rows>(r, row_on, channels, weights, bias, q, g, out_row);
}

template <bool Rows, typename TA, typename TW>
inline void depthwise_row_spans_of(const TA* const r[3], const int64_t row_on[3], int channels, const TW* weights,
                                   const int32_t* bias, const ConvQuant& q, const DepthwiseSpans& g, TA* out_row) {
  // whether every channel's output shift takes DepthwiseShiftClamp
  bool fast = true;
  const int n_shifts = q.weight_frac_per_channel == nullptr ? 1 : channels;
  for (int c = 0; c < n_shifts; ++c) fast = fast && DepthwiseShiftClamp<TA>::applies(output_shift(q, c));
  if (!fast) {
    if (g.stride == 1)
      depthwise_row_spans_c<RuntimeChannels, 1, false, Rows>(r, row_on, channels, weights, bias, q, g, out_row);
    else
      depthwise_row_spans_c<RuntimeChannels, 2, false, Rows>(r, row_on, channels, weights, bias, q, g, out_row);
  } else if (g.stride == 1) {
    depthwise_row_spans_fixed<1, Rows, TA, TW, 16, 24, 32, 48, 72, 96, 144, 192, 288, 384, 576>(
        r, row_on, channels, weights, bias, q, g, out_row);
  } else {
    depthwise_row_spans_fixed<2, Rows, TA, TW, 16, 24, 32, 48, 72, 96, 144, 192, 288, 384, 576>(
        r, row_on, channels, weights, bias, q, g, out_row);
  }
}

template <typename TA, typename TW>
inline void depthwise_row_spans(const TA* const r[3], const int64_t row_on[3], int channels, const TW* weights,
                                const int32_t* bias, const ConvQuant& q, const DepthwiseSpans& g, TA* out_row) {
  if (g.rows > 1)
    depthwise_row_spans_of<true>(r, row_on, channels, weights, bias, q, g, out_row);
  else
    depthwise_row_spans_of<false>(r, row_on, channels, weights, bias, q, g, out_row);
}

}  // namespace detail

namespace detail {

// Where the spans of a row of in_width columns lie (the same for every row of a layer); with
// spans false (no real input row, or a stride other than 1 and 2) none (n_full 0).
inline DepthwiseSpans depthwise_row_geometry(int in_width, int stride, int pad_left, int out_width, bool spans) {
  // Outputs [ox_lo, ox_hi) have their whole window inside the row.
  int ox_lo = (pad_left + stride - 1) / stride;
  int ox_hi = in_width - 3 + pad_left >= 0 ? (in_width - 3 + pad_left) / stride + 1 : 0;
  if (ox_hi > out_width) ox_hi = out_width;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  spans = spans && (stride == 1 || stride == 2);
  // A left padding column (pad_left 1): output 0 runs in the span with that column zero. A
  // right padding column: output ox_hi when its third column is the first past the row.
  DepthwiseSpans g{};
  g.stride = stride;
  g.left_pad = spans && ox_lo == 1 && pad_left == 1 && ox_hi >= 1;
  g.ox_first = g.left_pad ? 0 : ox_lo;
  g.n_full = spans ? ox_hi - g.ox_first : 0;
  g.right_pad = g.n_full > 0 && ox_hi < out_width && ox_hi * stride - pad_left + 2 == in_width;
  g.ix1 = static_cast<size_t>(g.ox_first * stride - pad_left + 1);
  return g;
}

// The outputs of a row the spans of g do not cover (borders): the reference arithmetic, pixel
// by pixel.
template <typename TA, typename TW>
void depthwise_row_rest(const TA* const rows[3], int in_width, int channels, const TW* weights, const int32_t* bias,
                        const ConvQuant& q, int stride, int pad_left, TA* out_row, int out_width,
                        const DepthwiseSpans& g) {
  const int ox_first = g.n_full > 0 ? g.ox_first : 0;
  const int ox_rest = g.n_full > 0 ? g.ox_first + g.n_full + (g.right_pad ? 1 : 0) : 0;
  if (ox_first == 0 && ox_rest == out_width) return;
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t C = static_cast<size_t>(channels);
  for (int ox = 0; ox < out_width; ++ox) {
    if (ox == ox_first) ox = ox_rest;
    if (ox >= out_width) break;
    for (int c = 0; c < channels; ++c) {
      const int64_t acc = depthwise_pixel_generic(rows, in_width, channels, weights, stride, pad_left, ox, c);
      out_row[static_cast<size_t>(ox) * C + c] = requantize_output<TA>(acc + aligned_bias(bias, q, c), output_shift(q, c), lo, hi);
    }
  }
}

}  // namespace detail

template <typename TA, typename TW>
void depthwise_conv3x3_row_scalar(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                  const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                  int out_width, uint32_t max_abs_input = kScanBound) {
  (void)max_abs_input;
  // Padding rows: the spans read a real row in their place with zero weights. If no row is
  // real every output takes the generic path.
  const TA* real = rows[1] != nullptr ? rows[1] : (rows[0] != nullptr ? rows[0] : rows[2]);
  const detail::DepthwiseSpans g = detail::depthwise_row_geometry(in_width, stride, pad_left, out_width, real != nullptr);
  if (g.n_full > 0) {
    const TA* r[3] = {rows[0] != nullptr ? rows[0] : real, rows[1] != nullptr ? rows[1] : real,
                      rows[2] != nullptr ? rows[2] : real};
    const int64_t row_on[3] = {rows[0] != nullptr, rows[1] != nullptr, rows[2] != nullptr};
    detail::depthwise_row_spans(r, row_on, channels, weights, bias, q, g, out_row);
  }
  detail::depthwise_row_rest(rows, in_width, channels, weights, bias, q, stride, pad_left, out_row, out_width, g);
}

namespace detail {
// The three input rows of output row i of a row group: first + (stride i + ky) row_step.
template <typename TA>
inline void depthwise_group_rows(const TA* first, ptrdiff_t row_step, int stride, int i, const TA* rows[3]) {
  const TA* row0 = first + static_cast<ptrdiff_t>(stride) * i * row_step;
  for (int ky = 0; ky < 3; ++ky) rows[ky] = row0 + ky * row_step;
}
}  // namespace detail

// n_rows output rows whose input rows are all real and lie row_step values apart (row_step
// may be negative): output row i reads the rows first + (stride i + ky) row_step, ky = 0..2,
// and is written at out_first + i out_step. One call of the spans for all of them (each
// channel's taps, bias and requantization set up once, not once per row), then the borders
// row by row. Bit-identical to n_rows depthwise_conv3x3_row_scalar calls.
template <typename TA, typename TW>
void depthwise_conv3x3_row_group_scalar(const TA* first, ptrdiff_t row_step, int n_rows, int in_width, int channels,
                                        const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
                                        int pad_left, TA* out_first, ptrdiff_t out_step, int out_width) {
  if (n_rows <= 0) return;
  detail::DepthwiseSpans g = detail::depthwise_row_geometry(in_width, stride, pad_left, out_width, true);
  if (g.n_full > 0) {
    const TA* r[3];
    detail::depthwise_group_rows(first, row_step, stride, 0, r);
    const int64_t row_on[3] = {1, 1, 1};
    g.rows = n_rows;
    g.in_step = stride * row_step;
    g.out_step = out_step;
    detail::depthwise_row_spans(r, row_on, channels, weights, bias, q, g, out_first);
    g.rows = 1;
  }
  for (int i = 0; i < n_rows; ++i) {
    const TA* rows[3];
    detail::depthwise_group_rows(first, row_step, stride, i, rows);
    detail::depthwise_row_rest(rows, in_width, channels, weights, bias, q, stride, pad_left, out_first + i * out_step,
                               out_width, g);
  }
}

// Output rows [r0, r1) of a whole tensor. The rows whose three input rows are all real run
// as one row group (depthwise_conv3x3_row_group_scalar); the first and last rows (a padding
// row) one by one.
template <typename TA, typename TW>
void depthwise_conv3x3_rows_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias,
                                   const ConvQuant& q, int stride, Padding pad, const Tensor<TA>& out, int r0, int r1) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  // interior rows: oy * stride - pad_top >= 0 and oy * stride - pad_top + 2 < in.height
  int oy_a = (pad_top + stride - 1) / stride;
  int oy_b = in.height - 3 + pad_top >= 0 ? (in.height - 3 + pad_top) / stride + 1 : 0;
  if (oy_a < r0) oy_a = r0;
  if (oy_b > r1) oy_b = r1;
  if (oy_a >= oy_b) oy_a = oy_b = r1;  // every row by itself
  for (int oy = r0; oy < r1; ++oy) {
    if (oy == oy_a) {
      depthwise_conv3x3_row_group_scalar(in.row(oy_a * stride - pad_top), static_cast<ptrdiff_t>(in.width) * in.channels,
                                         oy_b - oy_a, in.width, in.channels, weights, bias, q, stride, pad_left,
                                         out.row(oy_a), static_cast<ptrdiff_t>(out.width) * out.channels, out.width);
      oy = oy_b - 1;
      continue;
    }
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row_scalar(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy), out.width);
  }
}

template <typename TA, typename TW>
void depthwise_conv3x3_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                              int stride, Padding pad, const Tensor<TA>& out) {
  depthwise_conv3x3_rows_scalar(in, weights, bias, q, stride, pad, out, 0, out.height);
}

namespace detail {
// Dot products of the stem: a fixed length (cin = 3: 27) unrolled completely, so every
// load has an immediate offset; any other length in a plain loop.
template <int K, typename TA, typename TW>
inline int64_t dot_fixed(const TA* x, const TW* w) {
  int64_t a0 = 0, a1 = 0, a2 = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
  for (int k = 0; k < K; k += 3) {
    a0 += int64_t(x[k]) * w[k];
    a1 += int64_t(x[k + 1]) * w[k + 1];
    a2 += int64_t(x[k + 2]) * w[k + 2];
  }
  return a0 + a1 + a2;
}
template <typename TA, typename TW>
inline int64_t dot_any(const TA* x, const TW* w, int n) {
  int64_t a = 0;
  for (int k = 0; k < n; ++k) a += int64_t(x[k]) * w[k];
  return a;
}
}  // namespace detail

namespace detail {
// The stem by SWAR (layers whose types swar_applies takes, e.g. 8-bit activations and
// weights): im2col, then the SWAR pointwise on the patches. The zero-padded 3x3xcin patches
// of up to kColumns output columns of a row are laid out as a one-row tensor with 9 cin
// channels; OHWI weights are then exactly pointwise weights [cout][9 cin], and the sums are
// the same exact sums (zeros for the padding), so the outputs equal the reference's.
template <typename TA, typename TW>
void conv3x3_swar_rows(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                       int stride, Padding pad, const Tensor<TA>& out, int oy_begin, int oy_end) {
  constexpr int kPatchElements = 3072;  // on the stack, next to pointwise_conv_swar's 16 KiB
  const int cin = in.channels, K = 9 * cin;
  // columns per call: the row in equal parts of at most kPatchElements / K (>= 42, K <= 72),
  // rounded up to whole pixel blocks where that still fits
  const int most = kPatchElements / K;
  const int parts = (out.width + most - 1) / most;
  int columns = (out.width + parts - 1) / parts;
  if ((columns + 3) / 4 * 4 <= most) columns = (columns + 3) / 4 * 4;
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const size_t row3 = static_cast<size_t>(3) * cin;  // the 3 pixels of one kernel row, contiguous in NHWC
  TA patches[kPatchElements];
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox0 = 0; ox0 < out.width; ox0 += columns) {
      const int n = out.width - ox0 < columns ? out.width - ox0 : columns;
      TA* dst = patches;
      for (int j = 0; j < n; ++j) {
        const int ix0 = (ox0 + j) * stride - pad_left;
        const bool columns_inside = ix0 >= 0 && ix0 + 3 <= in.width;
        for (int ky = 0; ky < 3; ++ky, dst += row3) {
          const int iy = oy * stride - pad_top + ky;
          if (iy < 0 || iy >= in.height) {
            for (size_t i = 0; i < row3; ++i) dst[i] = 0;
          } else if (columns_inside) {
            const TA* src = in.pixel(iy, ix0);
            for (size_t i = 0; i < row3; ++i) dst[i] = src[i];
          } else {
            for (int kx = 0; kx < 3; ++kx) {
              const int ix = ix0 + kx;
              const TA* src = ix >= 0 && ix < in.width ? in.pixel(iy, ix) : nullptr;
              for (int c = 0; c < cin; ++c) dst[kx * cin + c] = src != nullptr ? src[c] : TA(0);
            }
          }
        }
      }
      pointwise_conv_swar(Tensor<const TA>{patches, 1, n, K}, weights, bias, q,
                          Tensor<TA>{out.pixel(oy, ox0), 1, n, out.channels});
    }
  }
}
}  // namespace detail

// ---------------------------------------------------------------------------
// 3x3 convolution with few input channels (the stem, cin = 3): per output pixel the
// zero-padded 3x3xcin patch is gathered once, then each output channel is one dot
// product of 9 * cin with its contiguous OHWI weights; the requantization constants of
// up to 64 output channels are set up once per call.
// ---------------------------------------------------------------------------
template <typename TA, typename TW>
void conv3x3_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q, int stride,
                    Padding pad, const Tensor<TA>& out, int oy_begin = 0, int oy_end = -1) {
  constexpr int kMaxK = 9 * 8;  // patch on the stack: up to 8 input channels
  if (oy_end < 0) oy_end = out.height;
  constexpr int kGroup = 64;    // output channels per set of constants
  const int cin = in.channels, K = 9 * cin;
  if (K > kMaxK) {
    conv3x3_reference(in, weights, bias, q, stride, pad, out);
    return;
  }
  if (detail::swar_applies<TA, TW>(q, K, static_cast<size_t>(out.width))) {
    detail::conv3x3_swar_rows(in, weights, bias, q, stride, pad, out, oy_begin, oy_end);
    return;
  }
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  for (int g0 = 0; g0 < out.channels; g0 += kGroup) {
    const int g1 = g0 + kGroup < out.channels ? g0 + kGroup : out.channels;
    detail::PointwiseChannel ch[kGroup];
    bool fast[kGroup];
    for (int co = g0; co < g1; ++co) {
      ch[co - g0] = detail::PointwiseChannel{aligned_bias(bias, q, co), lo, hi, output_shift(q, co)};
      fast[co - g0] = ch[co - g0].shift >= 1 && ch[co - g0].shift <= 62;
    }
    for (int oy = oy_begin; oy < oy_end; ++oy) {
      for (int ox = 0; ox < out.width; ++ox) {
        TA patch[kMaxK];
        for (int ky = 0; ky < 3; ++ky) {
          const int iy = oy * stride - pad_top + ky;
          for (int kx = 0; kx < 3; ++kx) {
            const int ix = ox * stride - pad_left + kx;
            TA* dst = patch + (ky * 3 + kx) * cin;
            if (iy < 0 || iy >= in.height || ix < 0 || ix >= in.width) {
              for (int ci = 0; ci < cin; ++ci) dst[ci] = 0;
            } else {
              const TA* src = in.pixel(iy, ix);
              for (int ci = 0; ci < cin; ++ci) dst[ci] = src[ci];
            }
          }
        }
        TA* o = out.pixel(oy, ox);
        for (int co = g0; co < g1; ++co) {
          const TW* w = weights + static_cast<size_t>(co) * K;
          const int64_t dot = cin == 3 ? detail::dot_fixed<27>(patch, w) : detail::dot_any(patch, w, K);
          const detail::PointwiseChannel& c = ch[co - g0];
          const int64_t v = dot + c.bias;
          o[co] = fast[co - g0] ? detail::requantize_fast<TA>(v, c) : requantize_output<TA>(v, c.shift, lo, hi);
        }
      }
    }
  }
}

}  // namespace tinyq
