// Elementwise kernels beyond the reference: the residual add in int32.
//
// add_value (reference.h) aligns both operands to f = max(a_frac, b_frac), sums in int64
// and rounds once to out_frac. When the alignment shifts are <= 14 and the result is not
// shifted left (out_frac <= f), every intermediate fits int32: |a|, |b| <= 2^15, so each
// aligned operand is below 2^29 in magnitude and their sum below 2^30; the rounding shift
// (x >> s) + bit (s - 1) of x adds nothing before the shift. The same value, computed in a
// loop the compiler vectorises on every ISA (shifts, adds, a clamp).
#pragma once
#include "reference.h"

namespace tinyq {

template <typename TA>
void add_scalar(const Tensor<const TA>& a, int a_frac, const Tensor<const TA>& b, int b_frac, const Tensor<TA>& out,
                int out_frac) {
  const int f = a_frac > b_frac ? a_frac : b_frac;
  const int da = f - a_frac, db = f - b_frac, r = f - out_frac;
  if (da > 14 || db > 14 || r < 0 || r > 31) {
    add_reference(a, a_frac, b, b_frac, out, out_frac);
    return;
  }
  const size_t n = out.size();
  const TA* pa = a.data;
  const TA* pb = b.data;
  TA* po = out.data;
  // x * 2^d as an unsigned shift: the product is below 2^29 in magnitude, so converting back
  // to int32 is exact (no left shift of a negative value, which is UB before C++20)
  auto aligned = [](int32_t x, int d) { return static_cast<int32_t>(static_cast<uint32_t>(x) << d); };
  auto clamp = [](int32_t v) {
    return static_cast<TA>(v < int_limits<TA>::min ? int_limits<TA>::min : (v > int_limits<TA>::max ? int_limits<TA>::max : v));
  };
  if (r == 0) {
    for (size_t i = 0; i < n; ++i) po[i] = clamp(aligned(pa[i], da) + aligned(pb[i], db));
  } else {
    for (size_t i = 0; i < n; ++i) {
      const int32_t s = aligned(pa[i], da) + aligned(pb[i], db);
      po[i] = clamp((s >> r) + ((s >> (r - 1)) & 1));
    }
  }
}

}  // namespace tinyq
