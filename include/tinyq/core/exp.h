// Fixed-point e^x and logistic, integer only (used by box decoding, where the
// regression outputs tw, th are turned into box sizes w = wa * e^tw).
//
// Math: e^x = 2^(x * log2 e) = 2^k * 2^f with k = floor(x log2 e), f in [0, 1).
// 2^f is split again: f = i/32 + r with i the top 5 bits of f and r in [0, 1/32):
//   2^f = table[i] * e^(r ln 2),  table[i] = 2^(i/32) (precomputed, Q30),
//   e^u ~= 1 + u + u^2/2 + u^3/6 + u^4/24 with u = r ln 2 < 0.0217,
// whose truncation error is below u^5/120 < 4e-11 (relative). The rest is 2^k, a shift.
//
// Stated accuracy (checked by tests/core/test_exp.cpp over every int16 input at
// several fractional widths): |result - e^x 2^out| <= 1e-8 * e^x 2^out + 1 ulp, before
// saturation (measured: 0.5 ulp + 5.0e-9 relative); fixed_logistic_q30 within 1 ulp of Q30.
#pragma once
#include "fixed_point.h"

namespace tinyq {
namespace detail {
// round(2^(i/32) * 2^30), i = 0..31.
constexpr int64_t exp2_table_q30[32] = {
    1073741824, 1097253708, 1121280436, 1145833280, 1170923762, 1196563654, 1222764986, 1249540052,
    1276901417, 1304861917, 1333434672, 1362633090, 1392470869, 1422962010, 1454120821, 1485961921,
    1518500250, 1551751076, 1585730000, 1620452965, 1655936265, 1692196547, 1729250827, 1767116489,
    1805811301, 1845353420, 1885761398, 1927054196, 1969251188, 2012372174, 2056437387, 2101467502};
constexpr int64_t log2e_q31 = 3098164009;  // round(log2(e) * 2^31)
constexpr int64_t ln2_q31 = 1488522236;    // round(ln(2) * 2^31)
}  // namespace detail

// round(e^x * 2^out_frac_bits) within the stated accuracy, saturated to int64.
// x is a fixed-point number with x_frac_bits in [0, 31] fractional bits; out_frac_bits in [0, 62].
constexpr int64_t fixed_exp(int32_t x, int x_frac_bits, int out_frac_bits) {
  // t = x * log2(e), F = x_frac_bits + 31 fractional bits; |t| < 2^31 * 3.1e9 < 2^63.
  const int F = x_frac_bits + 31;
  const int64_t t = int64_t(x) * detail::log2e_q31;
  int64_t k = t >> F;  // floor
  const uint64_t frac = static_cast<uint64_t>(t - k * (int64_t(1) << F));  // in [0, 2^F)
  // f as an unsigned Q32 fraction (rounded); a carry into 2^32 moves to k.
  uint64_t f32 = F > 32 ? (frac >> (F - 32)) + ((frac >> (F - 33)) & 1) : frac << (32 - F);
  if (f32 >> 32) { f32 = 0; ++k; }
  const int i = static_cast<int>(f32 >> 27);            // top 5 bits: table index
  const int64_t r = static_cast<int64_t>(f32 & ((uint64_t(1) << 27) - 1));  // r * 2^32, r < 1/32
  const int64_t u = rounding_shift_right(r * detail::ln2_q31, 32);         // u = r ln2, Q31
  const int64_t u2 = rounding_shift_right(u * u, 31);
  const int64_t u3 = rounding_shift_right(u2 * u, 31);
  const int64_t u4 = rounding_shift_right(u3 * u, 31);
  const int64_t poly = (int64_t(1) << 31) + u + rounding_shift_right(u2, 1) + (u3 + 3) / 6 + (u4 + 12) / 24;  // e^u, Q31
  const int64_t m = rounding_shift_right(detail::exp2_table_q30[i] * poly, 31);  // 2^f, Q30, in [2^30, 2^31]
  // Result = m * 2^(k + out_frac_bits - 30).
  const int64_t right = 30 - out_frac_bits - k;
  if (right > 62) return 0;
  return right >= 0 ? rounding_shift_right(m, static_cast<int>(right))
                    : (-right > 62 ? INT64_MAX : saturating_shift_left(m, static_cast<int>(-right)));
}

// logistic(x) = 1 / (1 + e^-x) as Q1.30 (2^30 == 1.0), x with x_frac_bits in [0, 31].
// Computed from e = e^-|x| in Q32 by one rounded integer division (Q32 keeps
// the division's inputs below 2^63 and e's own error below a quarter ulp of Q30):
//   x >= 0: 1 / (1 + e),   x < 0: e / (1 + e).
constexpr int32_t fixed_logistic_q30(int32_t x, int x_frac_bits) {
  const int64_t minus_abs = x < 0 ? int64_t(x) : -int64_t(x);
  // -|x| >= -2^31: fixed_exp takes int32, so clamp the one value that does not fit.
  const int32_t arg = minus_abs < INT32_MIN ? INT32_MIN : static_cast<int32_t>(minus_abs);
  const int64_t e = fixed_exp(arg, x_frac_bits, 32);  // (0, 2^32]
  const int64_t d = (int64_t(1) << 32) + e;
  const int64_t num = x >= 0 ? (int64_t(1) << 62) : (e << 30);
  return static_cast<int32_t>((num + d / 2) / d);
}

}  // namespace tinyq
