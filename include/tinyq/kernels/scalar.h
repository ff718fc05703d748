// Portable optimized scalar kernels (the riscv64 / no-SIMD path). Same arithmetic as
// the reference (exact int64 sums, requantize_output), a loop shape that reuses loads:
// pointwise computes a block of 3 pixels x 4 output channels per pass over cin, unrolled
// by 4 along cin, so each loaded activation feeds 4 MACs and each weight 3
// (rv64imac: 7 loads + 24 mul + 24 add + 7 pointer bumps + 1 branch per 24 MACs).
#pragma once
#include "reference.h"

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

}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                           const Tensor<TA>& out) {
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
    bool fast = true;
    for (int c = 0; c < CB; ++c) {
      const int cc = c0 + (c < nc ? c : nc - 1);
      w[c] = weights + static_cast<size_t>(cc) * cin;
      ch[c] = detail::PointwiseChannel{aligned_bias(bias, q, cc), lo, hi, output_shift(q, cc)};
      fast = fast && ch[c].shift >= 1 && ch[c].shift <= 62;
    }
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
      for (int p = 0; p < np; ++p, o += cout)
        for (int c = 0; c < nc; ++c) {
          const int64_t v = acc[p * CB + c] + ch[c].bias;
          o[c] = fast ? detail::requantize_fast<TA>(v, ch[c]) : requantize_output<TA>(v, ch[c].shift, lo, hi);
        }
    }
  }
}

// ---------------------------------------------------------------------------
// Depthwise 3x3, one output row (the riscv64 path): channel by channel, the nine weights
// in registers, the 3x3 window sliding along the row so that each input value is loaded
// once per channel (stride 1: 3 loads, 9 mul, 9 add per output). Border columns and
// padding rows take the reference arithmetic per pixel.
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

}  // namespace detail

template <typename TA, typename TW>
void depthwise_conv3x3_row_scalar(const TA* const rows[3], int in_width, int channels, const TW* weights,
                                  const int32_t* bias, const ConvQuant& q, int stride, int pad_left, TA* out_row,
                                  int out_width, uint32_t max_abs_input = 0) {
  (void)max_abs_input;
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  int ox_lo = (pad_left + stride - 1) / stride;
  int ox_hi = in_width - 3 + pad_left >= 0 ? (in_width - 3 + pad_left) / stride + 1 : 0;
  if (ox_hi > out_width) ox_hi = out_width;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  if (rows[0] == nullptr || rows[1] == nullptr || rows[2] == nullptr) ox_lo = ox_hi = out_width;
  const size_t C = static_cast<size_t>(channels);
  for (int c = 0; c < channels; ++c) {
    const detail::PointwiseChannel ch{aligned_bias(bias, q, c), lo, hi, output_shift(q, c)};
    const bool fast = ch.shift >= 1 && ch.shift <= 62;
    auto store = [&](int ox, int64_t acc) {
      const int64_t v = acc + ch.bias;
      out_row[static_cast<size_t>(ox) * C + c] = fast ? detail::requantize_fast<TA>(v, ch) : requantize_output<TA>(v, ch.shift, lo, hi);
    };
    int ox = 0;
    for (; ox < ox_lo; ++ox) store(ox, detail::depthwise_pixel_generic(rows, in_width, channels, weights, stride, pad_left, ox, c));
    if (ox < ox_hi) {
      const int64_t w00 = weights[0 * C + c], w01 = weights[1 * C + c], w02 = weights[2 * C + c];
      const int64_t w10 = weights[3 * C + c], w11 = weights[4 * C + c], w12 = weights[5 * C + c];
      const int64_t w20 = weights[6 * C + c], w21 = weights[7 * C + c], w22 = weights[8 * C + c];
      const size_t ix0 = static_cast<size_t>(ox * stride - pad_left);
      const TA* p0 = rows[0] + ix0 * C + c;
      const TA* p1 = rows[1] + ix0 * C + c;
      const TA* p2 = rows[2] + ix0 * C + c;
      // a: column ix, b: ix + 1 (each the three rows)
      int64_t a0 = p0[0], a1 = p1[0], a2 = p2[0];
      p0 += C; p1 += C; p2 += C;
      int64_t b0 = p0[0], b1 = p1[0], b2 = p2[0];
      p0 += C; p1 += C; p2 += C;
      if (stride == 1) {
        // three outputs per step, the column roles rotating (no register moves)
#define TINYQ_DW_COL(x0, x1, x2) \
  const int64_t x0 = p0[0], x1 = p1[0], x2 = p2[0]; \
  p0 += C; p1 += C; p2 += C;
#define TINYQ_DW_OUT(c0, c1, c2, d0, d1, d2, e0, e1, e2) \
  store(ox++, c0 * w00 + c1 * w10 + c2 * w20 + d0 * w01 + d1 * w11 + d2 * w21 + e0 * w02 + e1 * w12 + e2 * w22);
        for (; ox + 3 <= ox_hi;) {
          TINYQ_DW_COL(c0, c1, c2)
          TINYQ_DW_OUT(a0, a1, a2, b0, b1, b2, c0, c1, c2)
          TINYQ_DW_COL(d0, d1, d2)
          TINYQ_DW_OUT(b0, b1, b2, c0, c1, c2, d0, d1, d2)
          TINYQ_DW_COL(e0, e1, e2)
          TINYQ_DW_OUT(c0, c1, c2, d0, d1, d2, e0, e1, e2)
          a0 = d0; a1 = d1; a2 = d2;
          b0 = e0; b1 = e1; b2 = e2;
        }
        for (; ox < ox_hi;) {
          TINYQ_DW_COL(c0, c1, c2)
          TINYQ_DW_OUT(a0, a1, a2, b0, b1, b2, c0, c1, c2)
          a0 = b0; a1 = b1; a2 = b2;
          b0 = c0; b1 = c1; b2 = c2;
        }
#undef TINYQ_DW_COL
#undef TINYQ_DW_OUT
      } else {
        // stride 2: columns ix, ix + 1, ix + 2; the next output starts at ix + 2
        for (; ox < ox_hi; ++ox) {
          const int64_t c0 = p0[0], c1 = p1[0], c2 = p2[0];
          store(ox, a0 * w00 + a1 * w10 + a2 * w20 + b0 * w01 + b1 * w11 + b2 * w21 + c0 * w02 + c1 * w12 + c2 * w22);
          if (ox + 1 < ox_hi) {
            p0 += C; p1 += C; p2 += C;
            a0 = c0; a1 = c1; a2 = c2;
            b0 = p0[0]; b1 = p1[0]; b2 = p2[0];
            p0 += C; p1 += C; p2 += C;
          }
        }
      }
    }
    for (; ox < out_width; ++ox) store(ox, detail::depthwise_pixel_generic(rows, in_width, channels, weights, stride, pad_left, ox, c));
  }
}

template <typename TA, typename TW>
void depthwise_conv3x3_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                              int stride, Padding pad, const Tensor<TA>& out) {
  const int pad_top = padding_before(in.height, stride, pad);
  const int pad_left = padding_before(in.width, stride, pad);
  for (int oy = 0; oy < out.height; ++oy) {
    const TA* rows[3];
    depthwise_input_rows(in, oy, stride, pad_top, rows);
    depthwise_conv3x3_row_scalar(rows, in.width, in.channels, weights, bias, q, stride, pad_left, out.row(oy), out.width);
  }
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
