// Portable optimized scalar kernels (the riscv64 / no-SIMD path). Same arithmetic as
// the reference (exact int64 sums, requantize_output), a loop shape that reuses loads:
// pointwise computes a block of 3 pixels x 4 output channels per pass over cin, unrolled
// by 4 along cin, so each loaded activation feeds 4 MACs and each weight 3
// (rv64imac: 7 loads + 24 mul + 24 add + 7 pointer bumps + 1 branch per 24 MACs).
#pragma once
#include "reference.h"

namespace tinyq {

namespace detail {

// acc[p][c] += sum_k x[p][k] * w[c][k] for P pixels and C output channels.
template <int P, int C, typename TA, typename TW>
inline void pointwise_block_scalar(const TA* const* x, const TW* const* w, int cin, int64_t (*acc)[C]) {
  const TA* xp[P];
  const TW* wp[C];
  int64_t a[P][C];
  for (int p = 0; p < P; ++p) {
    xp[p] = x[p];
    for (int c = 0; c < C; ++c) a[p][c] = 0;
  }
  for (int c = 0; c < C; ++c) wp[c] = w[c];
  int k = 0;
  for (; k + 4 <= cin; k += 4) {
    for (int u = 0; u < 4; ++u) {
      int64_t xv[P];
      for (int p = 0; p < P; ++p) xv[p] = xp[p][u];
      for (int c = 0; c < C; ++c) {
        const int64_t wv = wp[c][u];
        for (int p = 0; p < P; ++p) a[p][c] += xv[p] * wv;
      }
    }
    for (int p = 0; p < P; ++p) xp[p] += 4;
    for (int c = 0; c < C; ++c) wp[c] += 4;
  }
  for (; k < cin; ++k) {
    for (int c = 0; c < C; ++c) {
      const int64_t wv = *wp[c]++;
      for (int p = 0; p < P; ++p) a[p][c] += int64_t(xp[p][0]) * wv;
    }
    for (int p = 0; p < P; ++p) ++xp[p];
  }
  for (int p = 0; p < P; ++p)
    for (int c = 0; c < C; ++c) acc[p][c] = a[p][c];
}

}  // namespace detail

template <typename TA, typename TW>
void pointwise_conv_scalar(const Tensor<const TA>& in, const TW* weights, const int32_t* bias, const ConvQuant& q,
                           const Tensor<TA>& out) {
  constexpr int PB = 3, CB = 4;
  const int cin = in.channels, cout = out.channels;
  const int32_t lo = output_min<TA>(q), hi = output_max<TA>(q);
  const size_t pixels = static_cast<size_t>(in.height) * in.width;
  for (size_t p0 = 0; p0 < pixels; p0 += PB) {
    const int np = pixels - p0 < PB ? static_cast<int>(pixels - p0) : PB;
    const TA* x[PB];
    for (int p = 0; p < PB; ++p) x[p] = in.data + (p0 + (p < np ? p : np - 1)) * cin;  // repeat the last pixel
    for (int c0 = 0; c0 < cout; c0 += CB) {
      const int nc = cout - c0 < CB ? cout - c0 : CB;
      const TW* w[CB];
      for (int c = 0; c < CB; ++c) w[c] = weights + static_cast<size_t>(c0 + (c < nc ? c : nc - 1)) * cin;
      int64_t acc[PB][CB];
      detail::pointwise_block_scalar<PB, CB>(x, w, cin, acc);
      for (int c = 0; c < nc; ++c) {
        const int64_t b = aligned_bias(bias, q, c0 + c);
        const int s = output_shift(q, c0 + c);
        for (int p = 0; p < np; ++p) out.data[(p0 + p) * cout + c0 + c] = requantize_output<TA>(acc[p][c] + b, s, lo, hi);
      }
    }
  }
}

}  // namespace tinyq
