// Q<m,n>: a signed fixed-point number with m integer bits, n fractional bits and
// one sign bit, stored in the smallest signed integer that holds 1 + m + n bits.
// Its real value is raw / 2^n; its range is [-2^m, 2^m - 2^-n].
//
// The paper's formats are 16-bit words: Q7 = Q<8,7>, Q8 = Q<7,8>, Q9 = Q<6,9>.
// 8-bit formats such as Q<0,7> or Q<3,4> work the same way.
//
// Arithmetic on Q is exact or saturating, never wrapping:
//   mul(a, b)           exact widening product Q<a+c+1, b+d>
//   add_sat / sub_sat   same format in and out, saturated
//   requantize<QOut>(x) change format with the one rounding rule of fixed_point.h
// Conversions from/to double are constexpr helpers for tests and tools: nothing
// on the inference path calls them (the riscv64 integer-only check proves it).
#pragma once
#include "fixed_point.h"

namespace tinyq {

template <int M, int N>
struct Q {
  static_assert(M >= 0, "Q<m,n>: m (integer bits) must be >= 0");
  static_assert(N >= 0, "Q<m,n>: n (fractional bits) must be >= 0");
  // The widest legal formats are the 64-bit ones, Q<63,0> .. Q<0,63>: every operation
  // below is defined for them (2^N is formed as a double, never as int64_t(1) << 63).
  static_assert(1 + M + N <= 64, "Q<m,n>: 1 + m + n must fit in 64 bits (the widest storage)");

  using storage = smallest_signed_t<1 + M + N>;
  static constexpr int integer_bits = M;
  static constexpr int frac_bits = N;
  static constexpr int total_bits = 1 + M + N;
  static constexpr int64_t raw_max = total_bits == 64 ? INT64_MAX : (int64_t(1) << (total_bits - 1)) - 1;
  static constexpr int64_t raw_min = -raw_max - 1;

  storage raw;

  static constexpr Q from_raw(int64_t r) { return Q{static_cast<storage>(saturate_to_bits(r, total_bits))}; }
  static constexpr Q max() { return Q{static_cast<storage>(raw_max)}; }
  static constexpr Q min() { return Q{static_cast<storage>(raw_min)}; }
  static constexpr Q epsilon() { return Q{1}; }  // 2^-n, the smallest positive step
  static constexpr Q zero() { return Q{0}; }

  // Host/tool helpers: round to nearest (ties away from zero), saturate.
  static constexpr Q from_double(double v) {
    const double scaled = v * exp2_double(N);
    if (scaled >= static_cast<double>(raw_max)) return max();
    if (scaled <= static_cast<double>(raw_min)) return min();
    return Q{static_cast<storage>(scaled < 0 ? int64_t(scaled - 0.5) : int64_t(scaled + 0.5))};
  }
  constexpr double to_double() const { return static_cast<double>(raw) * exp2_double(-N); }
};

// The paper's 16-bit formats.
using Q7 = Q<8, 7>;
using Q8 = Q<7, 8>;
using Q9 = Q<6, 9>;

template <int M, int N> constexpr bool operator==(Q<M, N> a, Q<M, N> b) { return a.raw == b.raw; }
template <int M, int N> constexpr bool operator!=(Q<M, N> a, Q<M, N> b) { return a.raw != b.raw; }
template <int M, int N> constexpr bool operator<(Q<M, N> a, Q<M, N> b) { return a.raw < b.raw; }
template <int M, int N> constexpr bool operator<=(Q<M, N> a, Q<M, N> b) { return a.raw <= b.raw; }
template <int M, int N> constexpr bool operator>(Q<M, N> a, Q<M, N> b) { return a.raw > b.raw; }
template <int M, int N> constexpr bool operator>=(Q<M, N> a, Q<M, N> b) { return a.raw >= b.raw; }
template <int M, int N> constexpr Q<M, N> min(Q<M, N> a, Q<M, N> b) { return b.raw < a.raw ? b : a; }
template <int M, int N> constexpr Q<M, N> max(Q<M, N> a, Q<M, N> b) { return a.raw < b.raw ? b : a; }

// Exact product: |a| <= 2^A, |c| <= 2^C so |a c| <= 2^(A+C), which needs A+C+1 integer
// bits (only (-2^A)(-2^C) reaches it); fractional bits add. Storage = both widths summed.
template <int A, int B, int C, int D>
constexpr Q<A + C + 1, B + D> mul(Q<A, B> a, Q<C, D> c) {
  static_assert(Q<A, B>::total_bits + Q<C, D>::total_bits <= 64, "mul: exact product wider than 64 bits");
  return Q<A + C + 1, B + D>{static_cast<typename Q<A + C + 1, B + D>::storage>(int64_t(a.raw) * int64_t(c.raw))};
}

template <int M, int N>
constexpr Q<M, N> add_sat(Q<M, N> a, Q<M, N> b) {
  static_assert(Q<M, N>::total_bits < 64, "add_sat: needs a spare bit in int64");
  return Q<M, N>{static_cast<typename Q<M, N>::storage>(saturating_add(a.raw, b.raw, Q<M, N>::total_bits))};
}
template <int M, int N>
constexpr Q<M, N> sub_sat(Q<M, N> a, Q<M, N> b) {
  static_assert(Q<M, N>::total_bits < 64, "sub_sat: needs a spare bit in int64");
  return Q<M, N>{static_cast<typename Q<M, N>::storage>(saturating_sub(a.raw, b.raw, Q<M, N>::total_bits))};
}

// Change format: drop fractional bits with the rounding rule of fixed_point.h (or add
// them exactly), then saturate to QOut's range.
template <typename QOut, int M, int N>
constexpr QOut requantize(Q<M, N> x) {
  return QOut{static_cast<typename QOut::storage>(shift_round_saturate(x.raw, N - QOut::frac_bits, QOut::total_bits))};
}

}  // namespace tinyq
