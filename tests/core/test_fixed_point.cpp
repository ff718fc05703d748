// Integer primitives: exhaustive over int16 for the unary ops and requantize,
// large random samples for the binary ops, all against the __int128 oracles.
#include <catch2/catch.hpp>

#include "common/rng.h"
#include "reference_math.h"
#include "tinyq/core.h"

using namespace tinyq;

TEST_CASE("rounding_shift_right is round-half-up on every int16 and shift", "[core][primitives]") {
  for (int s = 0; s <= 20; ++s) {
    for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
      const auto expected = oracle::round_half_up_shift(x, s);
      REQUIRE(rounding_shift_right(int64_t(x), s) == expected);
      REQUIRE(rounding_shift_right(int32_t(x), s) == expected);
    }
  }
}

TEST_CASE("rounding_shift_right cannot overflow at the int64 extremes", "[core][primitives]") {
  for (int s = 1; s <= 63; ++s) {
    CHECK(rounding_shift_right(INT64_MAX, s) == oracle::round_half_up_shift(INT64_MAX, s));
    CHECK(rounding_shift_right(INT64_MIN, s) == oracle::round_half_up_shift(INT64_MIN, s));
  }
  for (int s = 1; s <= 31; ++s) {
    CHECK(rounding_shift_right(INT32_MAX, s) == oracle::round_half_up_shift(INT32_MAX, s));
    CHECK(rounding_shift_right(INT32_MIN, s) == oracle::round_half_up_shift(INT32_MIN, s));
  }
}

TEST_CASE("requantize between every pair of 16-bit paper formats, all inputs", "[core][requantize]") {
  // Q<m,n> -> Q<m',n'>: real value kept, rounded half up, saturated.
  auto check = [](auto from_tag, auto to_tag) {
    using From = decltype(from_tag);
    using To = decltype(to_tag);
    for (int64_t r = From::raw_min; r <= From::raw_max; ++r) {
      const From x = From::from_raw(r);
      const int shift = From::frac_bits - To::frac_bits;
      const __int128 exact = shift >= 0 ? oracle::round_half_up_shift(r, shift) : static_cast<__int128>(r) * (static_cast<__int128>(1) << -shift);
      REQUIRE(requantize<To>(x).raw == oracle::clamp_bits(exact, To::total_bits));
    }
  };
  check(Q9{}, Q8{});
  check(Q9{}, Q7{});
  check(Q7{}, Q9{});
  check(Q8{}, Q<0, 7>{});
  check(Q9{}, Q<3, 4>{});
  check(Q<0, 7>{}, Q9{});
  check(Q<2, 4>{}, Q<0, 7>{});
}

TEST_CASE("saturate and saturate_to_bits clamp every int16 into narrower formats", "[core][primitives]") {
  for (int bits = 2; bits <= 16; ++bits) {
    for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
      REQUIRE(saturate_to_bits(x, bits) == oracle::clamp_bits(x, bits));
    }
  }
  for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
    REQUIRE(saturate<int8_t>(x) == oracle::clamp_bits(x, 8));
  }
}

TEST_CASE("shift_round_saturate matches exact arithmetic on random int64", "[core][primitives]") {
  tinyq_test::Rng rng(1);
  for (int i = 0; i < 500000; ++i) {
    const int64_t x = static_cast<int64_t>(rng.next()) >> rng.uniform(0, 62);
    const int shift = static_cast<int>(rng.uniform(-40, 40));
    const int bits = static_cast<int>(rng.uniform(2, 64));
    const __int128 exact = shift >= 0 ? oracle::round_half_up_shift(x, shift) : static_cast<__int128>(x) * (static_cast<__int128>(1) << -shift);
    const __int128 expected = bits == 64 ? (exact > INT64_MAX ? INT64_MAX : (exact < INT64_MIN ? INT64_MIN : exact))
                                         : oracle::clamp_bits(exact, bits);
    REQUIRE(shift_round_saturate(x, shift, bits) == expected);
  }
}

TEST_CASE("mul, add_sat, sub_sat against int64 on random Q9 x Q8 and all-format samples", "[core][binary]") {
  tinyq_test::Rng rng(2);
  for (int i = 0; i < 1000000; ++i) {
    const Q9 a = Q9::from_raw(rng.uniform(INT16_MIN, INT16_MAX));
    const Q9 b = Q9::from_raw(rng.uniform(INT16_MIN, INT16_MAX));
    const Q8 c = Q8::from_raw(rng.uniform(INT16_MIN, INT16_MAX));
    REQUIRE(mul(a, c).raw == int64_t(a.raw) * c.raw);
    REQUIRE(add_sat(a, b).raw == oracle::clamp_bits(int64_t(a.raw) + b.raw, 16));
    REQUIRE(sub_sat(a, b).raw == oracle::clamp_bits(int64_t(a.raw) - b.raw, 16));
    const Q<0, 7> d = Q<0, 7>::from_raw(rng.uniform(-128, 127)), e = Q<0, 7>::from_raw(rng.uniform(-128, 127));
    REQUIRE(add_sat(d, e).raw == oracle::clamp_bits(int64_t(d.raw) + e.raw, 8));
    REQUIRE(mul(d, e).raw == int64_t(d.raw) * e.raw);
  }
}

TEST_CASE("clz and bits_for_magnitude", "[core][primitives]") {
  CHECK(clz32(0) == 32);
  CHECK(clz64(0) == 64);
  for (int b = 0; b < 32; ++b) {
    REQUIRE(clz32(uint32_t(1) << b) == 31 - b);
    REQUIRE(clz32((uint32_t(1) << b) | 1u) == 31 - b);
  }
  for (int b = 0; b < 64; ++b) REQUIRE(clz64(uint64_t(1) << b) == 63 - b);
  CHECK(bits_for_magnitude(0) == 0);
  CHECK(bits_for_magnitude(1) == 1);
  CHECK(bits_for_magnitude(255) == 8);
  CHECK(bits_for_magnitude(256) == 9);
}
