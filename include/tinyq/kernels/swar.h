// Pointwise convolution with two or three MACs per 64-bit multiply (SWAR: SIMD within a
// register), for 64-bit cores without SIMD (the riscv64 path of pointwise_conv_scalar, and of
// conv3x3_scalar through im2col).
//
// The math. The weights of two output channels c, c' at input channel k are packed into one
// 64-bit word, the integer W_k = w_c[k] + w_c'[k] * 2^32 taken mod 2^64 (uint64 arithmetic: no
// signed overflow anywhere). For an activation x (sign-extended), x * W_k = x w_c[k] +
// (x w_c'[k]) 2^32 (mod 2^64), so the sum over k of a run of input channels is
//   A = S + S' 2^32 (mod 2^64),   S, S' the two channels' exact sums over that run.
// If both S and S' lie in [-2^31, 2^31), A gives them back exactly: S = the low 32 bits of A
// sign-extended, and S' = (A - S) / 2^32, an exact arithmetic shift (A - S = S' 2^32 mod 2^64,
// and S' 2^32 is an int64). Every exactness question is therefore one bound: the run's sums
// must stay below 2^31 in magnitude.
//
// The bound. |x w| <= 2^(bits(TA)-1) 2^(bits(TW)-1) =: P (x = -2^(b-1), w = -2^(b'-1) is the
// worst case), so a run of L input channels has |S| <= L P, and a run of any length has
// |S| <= 2^(bits(TA)-1) * ConvQuant::weight_l1_bound (the largest L1 norm of a weight row).
//   int8 x int8:    P = 2^14: L <= 131071 (every MobileNet layer is one run)
//   int16 x int8:   P = 2^22: L <= 511 (runs of 508 input channels, recovered in between)
//   int16 x int16:  P = 2^30: no useful run, SWAR only where the L1 bound proves the whole sum
// swar_run_length picks the longest run the bound allows. Between runs the two lanes are
// recovered into exact int64 sums (chunked recovery); a layer with one run recovers once.
//
// Three lanes. With W_k = w_c[k] + w_c'[k] 2^21 + w_c''[k] 2^42 the sum is A = S + S' 2^21 +
// S'' 2^42 (mod 2^64). If all three lie in [-2^20, 2^20): S = the low 21 bits of A
// sign-extended; (A - S) as an int64 is exactly S' 2^21 + S'' 2^42 (|.| < 2^62), so B =
// (A - S) >> 21 = S' + S'' 2^21 exactly, S' = B's low 21 bits sign-extended and S'' =
// (B - S') >> 21. int8 x int8 sums of up to 63 terms (63 2^14 < 2^20) fit: the expansion
// layers (K = 8 .. 48) take 3 lanes, 12 output channels per block, when that needs fewer
// blocks than 2 lanes (cout 24, 48, 96, 192, 288; not 8 or 16).
//
// The block. 4 pixels x 4 packed words (8 or 12 output channels) per pass over the input channels:
// per input channel 4 activation loads, 4 word loads, 16 `mul` and 16 `add` = 40 instructions
// for 32 MACs (1.25 per MAC); the rv64 loop (4 input channels per iteration, + 5 pointer bumps
// and a branch) is 166 instructions per 128 MACs (1.30; with three lanes per 192 MACs, 0.86:
// the loop does not depend on the lanes, only the packing and the recovery do). The weights of a block of 8 channels
// are packed once per call (K x 4 words on the stack) and reused by every pixel block, so the
// per-pixel-block cost is the recovery and the requantization of 32 outputs (~7 instructions
// each: shift, round-in-bias, clamp, store), ~0.1 instructions per MAC at K = 96. Layers with
// 512 < K <= 1024 take blocks of 2 words (4 channels: 22 instructions per 16 MACs, 1.375),
// so that the packed weights stay within the same 16 KiB. With the words packed once at model
// open (swar_prepack, kernels/packed.h, model/prepared_weights.h) a call packs nothing (the
// row-streamed calls of 14 pixels) and every K takes blocks of 4 words.
#pragma once
#include "reference.h"

namespace tinyq {
namespace detail {

// Packed weights of one channel block, on the stack: K x W words (W = 4 for K <= 512, 2 up to 1024).
constexpr int kSwarBufferWords = 2048;  // 16 KiB
constexpr int kSwarMaxCin = kSwarBufferWords / 2;
constexpr int kSwarPixels = 4;

// Words per block for a layer of cin input channels.
constexpr int swar_words(int cin) { return cin <= kSwarBufferWords / 4 ? 4 : 2; }

// The largest lane sum magnitude a word of 2 or 3 lanes gives back exactly (above).
constexpr uint64_t swar_lane_limit(int lanes) { return lanes == 2 ? 0x7FFFFFFFu : 0xFFFFFu; }

// The longest run of input channels whose lane sums provably stay within the lane limit
// (above), at most cin (a multiple of 4 when shorter, so that runs keep the loop's step); 0
// when the bound allows no run worth taking (< 64).
template <typename TA, typename TW>
constexpr int swar_run_length(const ConvQuant& q, int cin, int lanes = 2) {
  const uint64_t limit = swar_lane_limit(lanes);
  const uint64_t x_max = uint64_t(1) << (8 * sizeof(TA) - 1);
  if (q.weight_l1_bound != 0 && x_max * q.weight_l1_bound <= limit) return cin;  // one run
  const uint64_t product_max = x_max << (8 * sizeof(TW) - 1);
  const uint64_t run = (limit / product_max) & ~uint64_t(3);
  if (run >= static_cast<uint64_t>(cin)) return cin;
  return run >= 64 ? static_cast<int>(run) : 0;
}

// Whether a layer takes the SWAR path: 8-bit activations or 8-bit weights (or a proven L1
// bound), cin within the packed buffer, and at least 4 pixels (the weights are packed once
// per call and reused by every block of 4 pixels).
template <typename TA, typename TW>
constexpr bool swar_applies(const ConvQuant& q, int cin, size_t pixels) {
  return cin >= 1 && cin <= kSwarMaxCin && pixels >= 4 && swar_run_length<TA, TW>(q, cin) > 0;
}

// Lanes per word for a layer that takes the SWAR path: 3 where one run of 3 lanes is proven
// and blocks of 12 channels are fewer than blocks of 8 (the packed buffer allowing 4 words),
// else 2.
template <typename TA, typename TW>
constexpr int swar_lanes(const ConvQuant& q, int cin, int cout) {
  return swar_words(cin) == 4 && swar_run_length<TA, TW>(q, cin, 3) == cin && (cout + 11) / 12 < (cout + 7) / 8 ? 3 : 2;
}

// packed[W k + j] = sum_l w[c0 + L j + l][k] 2^(b l) (mod 2^64), L lanes of b bits (2 x 32,
// 3 x 21), k in [0, cin); a channel at or past cout packs as weight 0 (its outputs are
// computed and not stored). The row-streamed schedule calls a layer once per row, so this
// runs once per row too: the common case (every lane a real channel) is one pass over k
// with the L rows read side by side, unrolled by 2.
template <int W, int L, typename TW>
inline void swar_pack_weights(const TW* weights, int cin, int cout, int c0, uint64_t* packed) {
  constexpr int kBits = L == 2 ? 32 : 21;
  const auto u = [](TW w) { return static_cast<uint64_t>(static_cast<int64_t>(w)); };
  for (int j = 0; j < W; ++j) {
    const int c = c0 + L * j;
    uint64_t* dst = packed + j;
    const TW* r0 = weights + static_cast<size_t>(c) * cin;
    if (c + L <= cout) {
      const TW* r1 = r0 + cin;
      const TW* r2 = r1 + (L == 3 ? cin : 0);
      int k = 0;
      for (; k + 2 <= cin; k += 2, dst += 2 * W) {
        uint64_t v0 = u(r0[k]) + (u(r1[k]) << kBits), v1 = u(r0[k + 1]) + (u(r1[k + 1]) << kBits);
        if (L == 3) v0 += u(r2[k]) << (2 * kBits), v1 += u(r2[k + 1]) << (2 * kBits);
        dst[0] = v0;
        dst[W] = v1;
      }
      if (k < cin) *dst = u(r0[k]) + (u(r1[k]) << kBits) + (L == 3 ? u(r2[k]) << (2 * kBits) : 0);
      continue;
    }
    for (int k = 0; k < cin; ++k) {  // the last block: some lanes past cout
      uint64_t v = 0;
      for (int l = 0; l < L && c + l < cout; ++l) v += u(r0[static_cast<size_t>(l) * cin + k]) << (kBits * l);
      dst[W * k] = v;
    }
  }
}

// Packed once (at model open, kernels/packed.h): every block of 4 L channels (4 words of L
// lanes), block b's K x 4 words at prepacked[4 K b], the layout swar_pack_weights gives one
// block; no stack buffer, so K is not limited to 512 for 4 words. At most
// swar_prepacked_words (the 2-lane count; 3 lanes need fewer blocks).
constexpr size_t swar_prepacked_words(int cin, int cout) {
  return cin < 1 || cout < 1 ? 0 : static_cast<size_t>((cout + 7) / 8) * static_cast<size_t>(cin) * 4;
}
template <int L, typename TW>
inline void swar_prepack(const TW* weights, int cin, int cout, uint64_t* prepacked) {
  for (int c0 = 0; c0 < cout; c0 += 4 * L)
    swar_pack_weights<4, L>(weights, cin, cout, c0, prepacked + static_cast<size_t>(c0 / (4 * L)) * 4 * static_cast<size_t>(cin));
}

// a[W i + j] += sum_k x_i[k] * P[W k + j] (mod 2^64), k in [0, n): the portable form of the loop.
template <int W, typename TA>
inline void swar_block_c(const TA* const x[4], const uint64_t* P, int n, uint64_t a[4 * W]) {
  for (int k = 0; k < n; ++k, P += W)
    for (int i = 0; i < 4; ++i) {
      const uint64_t xi = static_cast<uint64_t>(static_cast<int64_t>(x[i][k]));
      for (int j = 0; j < W; ++j) a[W * i + j] += xi * P[j];
    }
}

#if defined(__riscv) && __riscv_xlen == 64 && defined(__GNUC__) && defined(__OPTIMIZE__)
#define TINYQ_SWAR_ASM 1
// rv64: 4 input channels per iteration. Accumulators (pixel i, word j in TINYQ_SW_Aij): ra,
// s0..s11, a6, a7, t4; activations in t0..t3, the word in t5, the product in t6; the six
// pointers in the registers left to GCC (a0..a5). The accumulators are stored through a
// pointer read from memory after the loop (%[out] is a stack slot): no register is left for
// it; the pointers are early-clobber ("+&r") so that GCC cannot base that slot's address on
// a register the loop has advanced. (s0 as a plain register needs the frame pointer
// omitted: hence __OPTIMIZE__.)
#define TINYQ_SW_STR2(x) #x
#define TINYQ_SW_STR(x) TINYQ_SW_STR2(x)
#define TINYQ_SW_A00 "ra"
#define TINYQ_SW_A01 "s0"
#define TINYQ_SW_A02 "s1"
#define TINYQ_SW_A03 "s2"
#define TINYQ_SW_A10 "s3"
#define TINYQ_SW_A11 "s4"
#define TINYQ_SW_A12 "s5"
#define TINYQ_SW_A13 "s6"
#define TINYQ_SW_A20 "s7"
#define TINYQ_SW_A21 "s8"
#define TINYQ_SW_A22 "s9"
#define TINYQ_SW_A23 "s10"
#define TINYQ_SW_A30 "s11"
#define TINYQ_SW_A31 "a6"
#define TINYQ_SW_A32 "a7"
#define TINYQ_SW_A33 "t4"
#define TINYQ_SW_MAC(acc, xr) "mul t6, " xr ", t5\n\tadd " acc ", " acc ", t6\n\t"
// word j of input channel S (B bytes of words per input channel) times the 4 activations
#define TINYQ_SW_WORD(B, S, J, A0, A1, A2, A3) \
  "ld t5, (" B "*" S "+8*" J ")(%[w])\n\t" TINYQ_SW_MAC(A0, "t0") TINYQ_SW_MAC(A1, "t1") TINYQ_SW_MAC(A2, "t2") TINYQ_SW_MAC(A3, "t3")
#define TINYQ_SW_X(XL, SX, S)                                                                                 \
  XL " t0, (" SX "*" S ")(%[x0])\n\t" XL " t1, (" SX "*" S ")(%[x1])\n\t" XL " t2, (" SX "*" S ")(%[x2])\n\t" \
  XL " t3, (" SX "*" S ")(%[x3])\n\t"
#define TINYQ_SW_STEP4(XL, SX, S)                                                 \
  TINYQ_SW_X(XL, SX, S)                                                           \
  TINYQ_SW_WORD("32", S, "0", TINYQ_SW_A00, TINYQ_SW_A10, TINYQ_SW_A20, TINYQ_SW_A30) \
  TINYQ_SW_WORD("32", S, "1", TINYQ_SW_A01, TINYQ_SW_A11, TINYQ_SW_A21, TINYQ_SW_A31) \
  TINYQ_SW_WORD("32", S, "2", TINYQ_SW_A02, TINYQ_SW_A12, TINYQ_SW_A22, TINYQ_SW_A32) \
  TINYQ_SW_WORD("32", S, "3", TINYQ_SW_A03, TINYQ_SW_A13, TINYQ_SW_A23, TINYQ_SW_A33)
#define TINYQ_SW_STEP2(XL, SX, S)                                                 \
  TINYQ_SW_X(XL, SX, S)                                                           \
  TINYQ_SW_WORD("16", S, "0", TINYQ_SW_A00, TINYQ_SW_A10, TINYQ_SW_A20, TINYQ_SW_A30) \
  TINYQ_SW_WORD("16", S, "1", TINYQ_SW_A01, TINYQ_SW_A11, TINYQ_SW_A21, TINYQ_SW_A31)
#define TINYQ_SW_Z(r) "li " r ", 0\n\t"
#define TINYQ_SW_ZERO2                                                                                  \
  TINYQ_SW_Z(TINYQ_SW_A00) TINYQ_SW_Z(TINYQ_SW_A01) TINYQ_SW_Z(TINYQ_SW_A10) TINYQ_SW_Z(TINYQ_SW_A11) \
  TINYQ_SW_Z(TINYQ_SW_A20) TINYQ_SW_Z(TINYQ_SW_A21) TINYQ_SW_Z(TINYQ_SW_A30) TINYQ_SW_Z(TINYQ_SW_A31)
#define TINYQ_SW_ZERO4                                                                                  \
  TINYQ_SW_ZERO2                                                                                        \
  TINYQ_SW_Z(TINYQ_SW_A02) TINYQ_SW_Z(TINYQ_SW_A03) TINYQ_SW_Z(TINYQ_SW_A12) TINYQ_SW_Z(TINYQ_SW_A13) \
  TINYQ_SW_Z(TINYQ_SW_A22) TINYQ_SW_Z(TINYQ_SW_A23) TINYQ_SW_Z(TINYQ_SW_A32) TINYQ_SW_Z(TINYQ_SW_A33)
#define TINYQ_SW_ST(r, i) "sd " r ", " #i "(t0)\n\t"
// stores a[W i + j]
#define TINYQ_SW_STORE4                                                                                      \
  TINYQ_SW_ST(TINYQ_SW_A00, 0) TINYQ_SW_ST(TINYQ_SW_A01, 8) TINYQ_SW_ST(TINYQ_SW_A02, 16)                    \
  TINYQ_SW_ST(TINYQ_SW_A03, 24) TINYQ_SW_ST(TINYQ_SW_A10, 32) TINYQ_SW_ST(TINYQ_SW_A11, 40)                  \
  TINYQ_SW_ST(TINYQ_SW_A12, 48) TINYQ_SW_ST(TINYQ_SW_A13, 56) TINYQ_SW_ST(TINYQ_SW_A20, 64)                  \
  TINYQ_SW_ST(TINYQ_SW_A21, 72) TINYQ_SW_ST(TINYQ_SW_A22, 80) TINYQ_SW_ST(TINYQ_SW_A23, 88)                  \
  TINYQ_SW_ST(TINYQ_SW_A30, 96) TINYQ_SW_ST(TINYQ_SW_A31, 104) TINYQ_SW_ST(TINYQ_SW_A32, 112)                \
  TINYQ_SW_ST(TINYQ_SW_A33, 120)
#define TINYQ_SW_STORE2                                                                                      \
  TINYQ_SW_ST(TINYQ_SW_A00, 0) TINYQ_SW_ST(TINYQ_SW_A01, 8) TINYQ_SW_ST(TINYQ_SW_A10, 16)                    \
  TINYQ_SW_ST(TINYQ_SW_A11, 24) TINYQ_SW_ST(TINYQ_SW_A20, 32) TINYQ_SW_ST(TINYQ_SW_A21, 40)                  \
  TINYQ_SW_ST(TINYQ_SW_A30, 48) TINYQ_SW_ST(TINYQ_SW_A31, 56)
#define TINYQ_SW_LOOP(W, XL, SX)                                                                              \
  TINYQ_SW_ZERO##W "1:\n\t" TINYQ_SW_STEP##W(XL, SX, "0") TINYQ_SW_STEP##W(XL, SX, "1")                      \
  TINYQ_SW_STEP##W(XL, SX, "2") TINYQ_SW_STEP##W(XL, SX, "3")                                                 \
  "addi %[x0], %[x0], 4*" SX "\n\taddi %[x1], %[x1], 4*" SX "\n\taddi %[x2], %[x2], 4*" SX                   \
  "\n\taddi %[x3], %[x3], 4*" SX "\n\taddi %[w], %[w], 32*" #W "\n\tbne %[w], %[end], 1b\n\t"               \
  "ld t0, %[out]\n\t" TINYQ_SW_STORE##W

template <int W, int SX> struct SwarAsm;
#define TINYQ_SW_ASM(W, SX, XL)                                                                                    \
  template <> struct SwarAsm<W, SX> {                                                                              \
    /* a[4 W] = the sums over the first n4 (a multiple of 4, >= 4) input channels; P_end = P + W n4 */            \
    template <typename TA>                                                                                         \
    static void run(const TA* x0, const TA* x1, const TA* x2, const TA* x3, const uint64_t* P,                    \
                    const uint64_t* P_end, uint64_t* a) {                                                          \
      __asm__ volatile(TINYQ_SW_LOOP(W, XL, TINYQ_SW_STR(SX))                                                      \
                       : [x0] "+&r"(x0), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3), [w] "+&r"(P)             \
                       : [end] "r"(P_end), [out] "m"(a)                                                            \
                       : "ra", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a6",    \
                         "a7", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "memory");                               \
    }                                                                                                              \
  };
TINYQ_SW_ASM(4, 1, "lb")
TINYQ_SW_ASM(4, 2, "lh")
TINYQ_SW_ASM(2, 1, "lb")
TINYQ_SW_ASM(2, 2, "lh")
#undef TINYQ_SW_ASM

// The same loop for 2 pixels x 4 words (the last block of a row of 4n + 2 pixels, e.g. the
// 14-pixel rows of the row-streamed 14x14 layers): 2 loads, 4 words, 8 mul, 8 add per input
// channel.
#define TINYQ_SW_WORD_P2(S, J, A0, A1) "ld t5, (32*" S "+8*" J ")(%[w])\n\t" TINYQ_SW_MAC(A0, "t0") TINYQ_SW_MAC(A1, "t1")
#define TINYQ_SW_STEP_P2(XL, SX, S)                                                        \
  XL " t0, (" SX "*" S ")(%[x0])\n\t" XL " t1, (" SX "*" S ")(%[x1])\n\t"                  \
  TINYQ_SW_WORD_P2(S, "0", TINYQ_SW_A00, TINYQ_SW_A10) TINYQ_SW_WORD_P2(S, "1", TINYQ_SW_A01, TINYQ_SW_A11) \
  TINYQ_SW_WORD_P2(S, "2", TINYQ_SW_A02, TINYQ_SW_A12) TINYQ_SW_WORD_P2(S, "3", TINYQ_SW_A03, TINYQ_SW_A13)
#define TINYQ_SW_LOOP_P2(XL, SX)                                                                                   \
  TINYQ_SW_Z(TINYQ_SW_A00) TINYQ_SW_Z(TINYQ_SW_A01) TINYQ_SW_Z(TINYQ_SW_A02) TINYQ_SW_Z(TINYQ_SW_A03)            \
  TINYQ_SW_Z(TINYQ_SW_A10) TINYQ_SW_Z(TINYQ_SW_A11) TINYQ_SW_Z(TINYQ_SW_A12) TINYQ_SW_Z(TINYQ_SW_A13)            \
  "1:\n\t" TINYQ_SW_STEP_P2(XL, SX, "0") TINYQ_SW_STEP_P2(XL, SX, "1") TINYQ_SW_STEP_P2(XL, SX, "2")              \
  TINYQ_SW_STEP_P2(XL, SX, "3")                                                                                  \
  "addi %[x0], %[x0], 4*" SX "\n\taddi %[x1], %[x1], 4*" SX "\n\taddi %[w], %[w], 128\n\tbne %[w], %[end], 1b\n\t" \
  "ld t0, %[out]\n\t" TINYQ_SW_ST(TINYQ_SW_A00, 0) TINYQ_SW_ST(TINYQ_SW_A01, 8) TINYQ_SW_ST(TINYQ_SW_A02, 16)   \
  TINYQ_SW_ST(TINYQ_SW_A03, 24) TINYQ_SW_ST(TINYQ_SW_A10, 32) TINYQ_SW_ST(TINYQ_SW_A11, 40)                      \
  TINYQ_SW_ST(TINYQ_SW_A12, 48) TINYQ_SW_ST(TINYQ_SW_A13, 56)
template <int SX> struct SwarAsmTwoPixels;
#define TINYQ_SW_ASM_P2(SX, XL)                                                                                  \
  template <> struct SwarAsmTwoPixels<SX> {                                                                      \
    /* a[0 .. 8) = the sums over the first n4 (a multiple of 4, >= 4) input channels; P_end = P + 4 n4 */       \
    template <typename TA>                                                                                       \
    static void run(const TA* x0, const TA* x1, const uint64_t* P, const uint64_t* P_end, uint64_t* a) {         \
      __asm__ volatile(TINYQ_SW_LOOP_P2(XL, TINYQ_SW_STR(SX))                                                    \
                       : [x0] "+&r"(x0), [x1] "+&r"(x1), [w] "+&r"(P)                                            \
                       : [end] "r"(P_end), [out] "m"(a)                                                          \
                       : "ra", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "t0", "t1", "t5", "t6", "memory");     \
    }                                                                                                            \
  };
TINYQ_SW_ASM_P2(1, "lb")
TINYQ_SW_ASM_P2(2, "lh")
#undef TINYQ_SW_ASM_P2
#undef TINYQ_SW_LOOP_P2
#undef TINYQ_SW_STEP_P2
#undef TINYQ_SW_WORD_P2
#undef TINYQ_SW_LOOP
#undef TINYQ_SW_STORE2
#undef TINYQ_SW_STORE4
#undef TINYQ_SW_ST
#undef TINYQ_SW_ZERO4
#undef TINYQ_SW_ZERO2
#undef TINYQ_SW_Z
#undef TINYQ_SW_STEP2
#undef TINYQ_SW_STEP4
#undef TINYQ_SW_X
#undef TINYQ_SW_WORD
#undef TINYQ_SW_MAC
#undef TINYQ_SW_A00
#undef TINYQ_SW_A01
#undef TINYQ_SW_A02
#undef TINYQ_SW_A03
#undef TINYQ_SW_A10
#undef TINYQ_SW_A11
#undef TINYQ_SW_A12
#undef TINYQ_SW_A13
#undef TINYQ_SW_A20
#undef TINYQ_SW_A21
#undef TINYQ_SW_A22
#undef TINYQ_SW_A23
#undef TINYQ_SW_A30
#undef TINYQ_SW_A31
#undef TINYQ_SW_A32
#undef TINYQ_SW_A33
#undef TINYQ_SW_STR
#undef TINYQ_SW_STR2
#endif

// a[4 W] = the mod-2^64 sums over input channels [0, n) of the 4 pixels x W words.
template <int W, typename TA>
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline void swar_block(const TA* const x[4], const uint64_t* P, int n, uint64_t a[4 * W]) {
  int done = 0;
#if defined(TINYQ_SWAR_ASM)
  done = n & ~3;
  if (done > 0) SwarAsm<W, sizeof(TA)>::run(x[0], x[1], x[2], x[3], P, P + W * done, a);
#endif
  if (done == 0)
    for (int i = 0; i < 4 * W; ++i) a[i] = 0;
  if (n != done) {
    const TA* const rest[4] = {x[0] + done, x[1] + done, x[2] + done, x[3] + done};
    swar_block_c<W>(rest, P + W * done, n - done, a);
  }
}

// a[0 .. 8) = the sums of 2 pixels x 4 words (a[4 i + j], as swar_block's first two pixels).
template <typename TA>
inline void swar_block_two_pixels(const TA* x0, const TA* x1, const uint64_t* P, int n, uint64_t a[8]) {
  int done = 0;
#if defined(TINYQ_SWAR_ASM)
  done = n & ~3;
  if (done > 0) SwarAsmTwoPixels<sizeof(TA)>::run(x0, x1, P, P + 4 * done, a);
#endif
  if (done == 0)
    for (int i = 0; i < 8; ++i) a[i] = 0;
  for (int k = done; k < n; ++k)
    for (int j = 0; j < 4; ++j) {
      a[j] += static_cast<uint64_t>(static_cast<int64_t>(x0[k])) * P[4 * k + j];
      a[4 + j] += static_cast<uint64_t>(static_cast<int64_t>(x1[k])) * P[4 * k + j];
    }
}

// The two exact lane sums of a word (see the top of this file).
inline int64_t swar_low(uint64_t a) { return static_cast<int32_t>(static_cast<uint32_t>(a)); }
inline int64_t swar_high(uint64_t a, int64_t low) { return static_cast<int64_t>(a - static_cast<uint64_t>(low)) >> 32; }
// The L exact lane sums of a word.
template <int L>
inline void swar_split(uint64_t a, int64_t s[L]) {
  if (L == 2) {
    s[0] = swar_low(a);
    s[1] = swar_high(a, s[0]);
  } else {
    s[0] = static_cast<int64_t>(a << 43) >> 43;
    const uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(a - static_cast<uint64_t>(s[0])) >> 21);
    s[1] = static_cast<int64_t>(b << 43) >> 43;
    s[2] = static_cast<int64_t>(b - static_cast<uint64_t>(s[1])) >> 21;
  }
}

// Requantization constants of one output channel: the aligned bias and the output shift.
// The fast form (every shift of the block in [0, 62]) folds the rounding term 2^(shift-1) into
// the bias, so that rounding_shift_right(v, s) = (v + bias) >> s, one arithmetic shift
// (floor((v + 2^(s-1)) / 2^s), the reference's rule; no overflow: |v| < 2^41, |bias| <= 2^47
// + 2^61), then the clamp to [lo, hi] (inside TA's range, so also the saturation).
struct SwarChannel {
  int64_t bias;
  int64_t shift;
};

template <typename TA>
inline TA swar_requantize_fast(int64_t sum, const SwarChannel& c, int64_t lo, int64_t hi) {
  int64_t v = (sum + c.bias) >> c.shift;
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return static_cast<TA>(v);
}

// Any block: the exact sums s[L W i + c] of np pixels x nc channels through the reference's
// requantization (fast: the form above).
template <int N, typename TA>
inline void swar_store_sums(const int64_t* s, int np, int nc, const SwarChannel* ch, bool fast, int32_t lo,
                            int32_t hi, TA* o, size_t cout) {
  for (int i = 0; i < np; ++i, o += cout)
    for (int c = 0; c < nc; ++c)
      o[c] = fast ? swar_requantize_fast<TA>(s[N * i + c], ch[c], lo, hi)
                  : requantize_output<TA>(s[N * i + c] + ch[c].bias, static_cast<int>(ch[c].shift), lo, hi);
}

// The common block (4 pixels, L W channels, one run, fast): recovery and requantization
// straight from the words, word by word; each word column's channel constants are held in
// locals across its 4 pixels (an array of them went to the stack and was reloaded per output).
template <int L, typename TA>
inline void swar_store_word(uint64_t a, int64_t b0, int64_t s0, int64_t b1, int64_t s1, int64_t b2, int64_t s2,
                            int64_t lo, int64_t hi, TA* o) {
  int64_t v[L];
  swar_split<L>(a, v);
  o[0] = swar_requantize_fast<TA>(v[0], SwarChannel{b0, s0}, lo, hi);
  o[1] = swar_requantize_fast<TA>(v[1], SwarChannel{b1, s1}, lo, hi);
  if (L == 3) o[2] = swar_requantize_fast<TA>(v[L - 1], SwarChannel{b2, s2}, lo, hi);
}

template <int W, int L, typename TA>
inline void swar_store_words_fast(const uint64_t* a, const SwarChannel* ch, int64_t lo, int64_t hi, TA* o,
                                  size_t cout) {
  TA* const o1 = o + cout;
  TA* const o2 = o1 + cout;
  TA* const o3 = o2 + cout;
  for (int j = 0; j < W; ++j) {
    const int64_t b0 = ch[L * j].bias, s0 = ch[L * j].shift, b1 = ch[L * j + 1].bias, s1 = ch[L * j + 1].shift;
    const int64_t b2 = ch[L * j + L - 1].bias, s2 = ch[L * j + L - 1].shift;  // used when L == 3
    swar_store_word<L>(a[j], b0, s0, b1, s1, b2, s2, lo, hi, o + L * j);
    swar_store_word<L>(a[W + j], b0, s0, b1, s1, b2, s2, lo, hi, o1 + L * j);
    swar_store_word<L>(a[2 * W + j], b0, s0, b1, s1, b2, s2, lo, hi, o2 + L * j);
    swar_store_word<L>(a[3 * W + j], b0, s0, b1, s1, b2, s2, lo, hi, o3 + L * j);
  }
}

// The layer with W words of L lanes per block: blocks of L W output channels outside (their
// weights packed once into `packed`), blocks of 4 pixels inside (the last pixel repeated in a
// partial block). `run`: swar_run_length for L lanes (> 0).
// `prepacked` (W = 4 only): every block's words (swar_prepack<L>), else nullptr and each
// block is packed into `scratch` (K x W words).
template <int W, int L, typename TA, typename TW>
void pointwise_swar_blocks(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                           const Tensor<TA>& out, int run, uint64_t* scratch, const uint64_t* prepacked = nullptr) {
  static_assert(W == 4 || W == 2, "blocks of 2 or 4 words");
  constexpr int kChannels = L * W;
  const int cin = in.channels, cout = out.channels;
  const size_t C = static_cast<size_t>(cout);
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  const size_t full_blocks = pixels / kSwarPixels;
  for (int c0 = 0; c0 < cout; c0 += kChannels) {
    const int nc = cout - c0 < kChannels ? cout - c0 : kChannels;
    const uint64_t* packed = scratch;
    if (W == 4 && prepacked != nullptr)
      packed = prepacked + static_cast<size_t>(c0 / kChannels) * W * static_cast<size_t>(cin);
    else
      swar_pack_weights<W, L>(weights, cin, cout, c0, scratch);
    SwarChannel ch[kChannels];
    bool fast = true;
    for (int c = 0; c < kChannels; ++c) {
      const int cc = c0 + (c < nc ? c : nc - 1);
      ch[c] = SwarChannel{aligned_bias(bias, q, cc), output_shift(q, cc)};
      fast = fast && ch[c].shift >= 0 && ch[c].shift <= 62;
    }
    if (fast)
      for (auto& c : ch) c.bias += c.shift > 0 ? int64_t(1) << (c.shift - 1) : 0;
    if (run == cin && fast) {  // one run, fast requantization: straight from the words
      const TA* x = in.data;
      TA* o = out.data + c0;
      const bool direct = nc == kChannels;  // else each block goes through a tile (below)
      for (size_t b = 0; b < full_blocks; ++b, x += 4 * static_cast<size_t>(cin), o += 4 * C) {
        const TA* const xs[4] = {x, x + cin, x + 2 * cin, x + 3 * cin};
        uint64_t a[4 * W];
        swar_block<W>(xs, packed, cin, a);
        if (direct) {
          swar_store_words_fast<W, L>(a, ch, lo, hi, o, C);
          continue;
        }
        TA tile[4 * kChannels];  // the last channel block: nc of the kChannels outputs kept
        swar_store_words_fast<W, L>(a, ch, lo, hi, tile, kChannels);
        for (int i = 0; i < 4; ++i)
          for (int c = 0; c < nc; ++c) o[i * C + c] = tile[i * kChannels + c];
      }
      const int np = static_cast<int>(pixels - full_blocks * kSwarPixels);
      if (np > 0) {  // the last pixels, the last one repeated; np pixels x nc channels kept
        const TA* xs[4];
        for (int i = 0; i < 4; ++i) xs[i] = x + static_cast<size_t>(i < np ? i : np - 1) * cin;
        uint64_t a[4 * W];
        if (W == 4 && np <= 2)  // half the work: 2 pixels (words 8 .. 15 unused)
          swar_block_two_pixels(xs[0], xs[1], packed, cin, a);
        else
          swar_block<W>(xs, packed, cin, a);
        TA tile[4 * kChannels];
        swar_store_words_fast<W, L>(a, ch, lo, hi, tile, kChannels);
        for (int i = 0; i < np; ++i)
          for (int c = 0; c < nc; ++c) o[i * C + c] = tile[i * kChannels + c];
      }
      continue;
    }
    for (size_t p0 = 0; p0 < pixels; p0 += kSwarPixels) {  // several runs, or the general requantization
      const int np = pixels - p0 < kSwarPixels ? static_cast<int>(pixels - p0) : kSwarPixels;
      const TA* x[4];
      for (int i = 0; i < 4; ++i) x[i] = in.data + (p0 + (i < np ? i : np - 1)) * cin;
      // each run's lanes recovered into exact int64 sums s[L W i + c]
      int64_t s[4 * kChannels] = {};
      for (int k0 = 0; k0 < cin; k0 += run) {
        const int n = cin - k0 < run ? cin - k0 : run;
        const TA* const xr[4] = {x[0] + k0, x[1] + k0, x[2] + k0, x[3] + k0};
        uint64_t a[4 * W];
        swar_block<W>(xr, packed + W * k0, n, a);
        for (int w = 0; w < 4 * W; ++w) {
          int64_t lanes[L];
          swar_split<L>(a[w], lanes);
          for (int l = 0; l < L; ++l) s[L * w + l] += lanes[l];
        }
      }
      swar_store_sums<kChannels>(s, np, nc, ch, fast, lo, hi, out.data + p0 * C + c0, C);
    }
  }
}

// The pointwise convolution by SWAR (the caller checked swar_applies). Not inlined: its
// 16 KiB frame stays off the other layers' stack.
template <typename TA, typename TW>
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void pointwise_conv_swar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                         const Tensor<TA>& out) {
  uint64_t packed[kSwarBufferWords];
  const int cin = in.channels;
  if (swar_lanes<TA, TW>(q, cin, out.channels) == 3)
    pointwise_swar_blocks<4, 3>(in, weights, bias, q, out, cin, packed);
  else if (swar_words(cin) == 4)
    pointwise_swar_blocks<4, 2>(in, weights, bias, q, out, swar_run_length<TA, TW>(q, cin), packed);
  else
    pointwise_swar_blocks<2, 2>(in, weights, bias, q, out, swar_run_length<TA, TW>(q, cin), packed);
}

// Whether a layer's SWAR path can take words packed once (swar_prepack<L>, L =
// swar_lanes): a run the bound allows; any K (no stack buffer). The call also needs >= 4
// pixels, and words packed for the lanes it uses.
template <typename TA, typename TW>
constexpr bool swar_takes_prepacked(const ConvQuant& q, int cin, int cout) {
  return cin >= 1 && cout >= 1 && swar_run_length<TA, TW>(q, cin) > 0;
}

// The pointwise convolution by SWAR from words packed once for `lanes` = swar_lanes (the
// caller checked both and >= 4 pixels): blocks of 4 words for every K, no per-call packing.
template <typename TA, typename TW>
void pointwise_conv_swar_prepacked(const Tensor<const TA>& in, const TW* weights, const int32_t* bias,
                                   const ConvQuant& q, const Tensor<TA>& out, const uint64_t* prepacked, int lanes) {
  if (lanes == 3)
    pointwise_swar_blocks<4, 3>(in, weights, bias, q, out, in.channels, nullptr, prepacked);
  else
    pointwise_swar_blocks<4, 2>(in, weights, bias, q, out, swar_run_length<TA, TW>(q, in.channels), nullptr, prepacked);
}

}  // namespace detail
}  // namespace tinyq
