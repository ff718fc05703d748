// The integer primitives every kernel shares. One rounding rule, one saturation
// rule, written once here (DESIGN contract) and used everywhere.
//
// Rounding rule ("round half up", CMSIS-NN's NN_ROUND, gemmlowp's
// RoundingDivideByPOT for positive values):
//     rounding_shift_right(x, s) = floor((x + 2^(s-1)) / 2^s)      for s >= 1
// Ties go towards +infinity (-2.5 -> -2, 2.5 -> 3). It is computed without the
// addition, as (x >> s) + bit (s-1) of x, so it cannot overflow even at INT64_MAX.
// `>>` on a negative value is an arithmetic shift on every compiler we target
// (GCC and Clang define it; C++20 makes it standard).
//
// Saturation rule: a value that does not fit the destination is clamped to the
// nearest representable value (never wrapped: signed overflow is UB in C++).
#pragma once
#include "int_traits.h"

namespace tinyq {

// floor((x + 2^(s-1)) / 2^s); s in [0, 63]. s == 0 returns x unchanged.
constexpr int64_t rounding_shift_right(int64_t x, int s) {
  return s == 0 ? x : (x >> s) + ((x >> (s - 1)) & 1);
}
constexpr int32_t rounding_shift_right(int32_t x, int s) {
  return s == 0 ? x : (x >> s) + ((x >> (s - 1)) & 1);
}

// Clamp to the range of a (1 + m + n)-bit two's complement format: [-2^(b-1), 2^(b-1) - 1].
constexpr int64_t saturate_to_bits(int64_t x, int bits) {
  const int64_t hi = bits >= 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
  const int64_t lo = -hi - 1;
  return x < lo ? lo : (x > hi ? hi : x);
}

// Clamp to the range of storage type T.
template <typename T>
constexpr T saturate(int64_t x) {
  return static_cast<T>(x < int_limits<T>::min ? int_limits<T>::min : (x > int_limits<T>::max ? int_limits<T>::max : x));
}

// x * 2^s, saturated to `bits` bits instead of overflowing (s in [0, 63]).
constexpr int64_t saturating_shift_left(int64_t x, int s, int bits = 64) {
  const int64_t hi = bits >= 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
  const int64_t lo = -hi - 1;
  if (s == 0) return x < lo ? lo : (x > hi ? hi : x);
  if (x == 0) return 0;
  // |x| >= 1 and s = 63: |x 2^s| >= 2^63 > hi, and x 2^s <= -2^63 <= lo.
  if (s >= 63) return x > 0 ? hi : lo;
  // Compare before shifting:  x 2^s <= hi  <=>  x <= floor(hi / 2^s),
  //                           x 2^s >= -2^(bits-1)  <=>  x >= -2^(bits-1-s)  (x >= 0 once s >= bits).
  const int64_t x_max = hi >> s;
  const int64_t x_min = s >= bits ? 0 : -(int64_t(1) << (bits - 1 - s));
  if (x > x_max) return hi;
  if (x < x_min) return lo;
  // Left shift of a negative number is UB before C++20: multiply instead.
  return x * (int64_t(1) << s);
}

// 2^e as a double, exact for e in [-1074, 1023]; constexpr (no <cmath>), for the host-side
// conversions of Q (2^63 does not fit int64, so `double(int64_t(1) << 63)` is no option).
constexpr double exp2_double(int e) {
  double v = 1.0;
  for (; e > 0; --e) v *= 2.0;
  for (; e < 0; ++e) v *= 0.5;
  return v;
}

// Shift by a signed amount: right (rounding) when s > 0, left (saturating) when s < 0.
// This is the one "change the number of fractional bits" operation.
constexpr int64_t shift_round_saturate(int64_t x, int right_shift, int bits) {
  return right_shift >= 0 ? saturate_to_bits(rounding_shift_right(x, right_shift), bits)
                          : saturating_shift_left(x, -right_shift, bits);
}

constexpr int64_t saturating_add(int64_t a, int64_t b, int bits) {
  // a and b are already inside `bits` <= 63 bits, so the int64 sum cannot overflow.
  return saturate_to_bits(a + b, bits);
}

constexpr int64_t saturating_sub(int64_t a, int64_t b, int bits) { return saturate_to_bits(a - b, bits); }

// Number of leading zero bits; 32 for 0.
constexpr int clz32(uint32_t x) {
#if defined(__GNUC__)
  return x == 0 ? 32 : __builtin_clz(x);
#else
  int n = 0;
  for (uint32_t bit = 0x80000000u; bit != 0 && (x & bit) == 0; bit >>= 1) ++n;
  return n;
#endif
}

constexpr int clz64(uint64_t x) {
#if defined(__GNUC__)
  return x == 0 ? 64 : __builtin_clzll(x);
#else
  return (x >> 32) != 0 ? clz32(static_cast<uint32_t>(x >> 32)) : 32 + clz32(static_cast<uint32_t>(x));
#endif
}

// Integer bits needed to hold |v| <= max_abs as a signed value: smallest m with 2^m > max_abs.
constexpr int bits_for_magnitude(uint64_t max_abs) { return 64 - clz64(max_abs); }

}  // namespace tinyq
