// Q<m,n>: storage selection, ranges and compile-time identities.
#include <catch2/catch.hpp>

#include "tinyq/core.h"

using namespace tinyq;

// Storage: the smallest signed word holding 1 + m + n bits.
static_assert(is_same<Q7::storage, int16_t>::value, "Q7 = Q<8,7> is a 16-bit word");
static_assert(is_same<Q8::storage, int16_t>::value, "Q8 = Q<7,8> is a 16-bit word");
static_assert(is_same<Q9::storage, int16_t>::value, "Q9 = Q<6,9> is a 16-bit word");
static_assert(is_same<Q<0, 7>::storage, int8_t>::value, "Q<0,7> fits 8 bits");
static_assert(is_same<Q<3, 4>::storage, int8_t>::value, "Q<3,4> fits 8 bits");
static_assert(is_same<Q<4, 4>::storage, int16_t>::value, "9 bits need 16");
static_assert(is_same<Q<16, 15>::storage, int32_t>::value, "32 bits");
static_assert(is_same<Q<16, 16>::storage, int64_t>::value, "33 bits need 64");
static_assert(sizeof(Q9) == 2 && sizeof(Q<0, 7>) == 1, "no padding around the raw word");

// Ranges: [-2^m, 2^m - 2^-n].
static_assert(Q9::max().raw == 32767 && Q9::min().raw == -32768, "full 16-bit range");
static_assert(Q<2, 4>::max().raw == 63 && Q<2, 4>::min().raw == -64, "7-bit format inside int8 storage");
static_assert(Q9::epsilon().raw == 1, "epsilon is one raw step");
static_assert(Q9::from_double(1.0).raw == 512 && Q8::from_double(-0.5).raw == -128, "one = 2^n");
static_assert(Q9::from_double(1e9) == Q9::max() && Q9::from_double(-1e9) == Q9::min(), "from_double saturates");

// Arithmetic identities, evaluated by the compiler.
static_assert(mul(Q9::from_double(0.5), Q8::from_double(0.5)).raw == (256 * 128), "exact product");
static_assert(is_same<decltype(mul(Q9{}, Q8{})), Q<14, 17>>::value, "Q<6,9> x Q<7,8> -> Q<14,17>");
static_assert(mul(Q9::min(), Q9::min()).raw == int64_t(1) << 30, "(-2^m)^2 needs the extra integer bit");
static_assert(add_sat(Q9::max(), Q9::epsilon()) == Q9::max(), "add saturates high");
static_assert(sub_sat(Q9::min(), Q9::epsilon()) == Q9::min(), "sub saturates low");
static_assert(requantize<Q7>(Q9::from_raw(5)).raw == 1, "5/4 = 1.25 -> 1");
static_assert(requantize<Q7>(Q9::from_raw(6)).raw == 2, "6/4 = 1.5 -> 2 (half up)");
static_assert(requantize<Q7>(Q9::from_raw(-6)).raw == -1, "-1.5 -> -1 (half up)");
static_assert(requantize<Q9>(Q7::max()) == Q9::max(), "gaining fractional bits saturates");
static_assert(requantize<Q<0, 7>>(Q9::from_double(0.75)).raw == 96, "16 -> 8 bit");
static_assert(min(Q9::from_raw(3), Q9::from_raw(-2)).raw == -2 && max(Q9::from_raw(3), Q9::from_raw(-2)).raw == 3, "min/max");

TEST_CASE("Q formats report their bit layout", "[core][q]") {
  CHECK(Q9::integer_bits == 6);
  CHECK(Q9::frac_bits == 9);
  CHECK(Q9::total_bits == 16);
  CHECK(Q<0, 7>::total_bits == 8);
}

TEST_CASE("Q to_double/from_double round-trip every Q9 value", "[core][q]") {
  for (int32_t r = INT16_MIN; r <= INT16_MAX; ++r) {
    const Q9 q{static_cast<int16_t>(r)};
    REQUIRE(Q9::from_double(q.to_double()) == q);
  }
}

TEST_CASE("comparison follows the real value", "[core][q]") {
  for (int32_t a = -300; a <= 300; a += 7) {
    for (int32_t b = -300; b <= 300; b += 11) {
      const Q8 qa{static_cast<int16_t>(a)}, qb{static_cast<int16_t>(b)};
      REQUIRE((qa < qb) == (qa.to_double() < qb.to_double()));
      REQUIRE((qa == qb) == (a == b));
      REQUIRE((qa >= qb) == (a >= b));
    }
  }
}

// ---- The widest legal formats: every split of 8, 16, 32 and 64 bits ----------------
// Q<0,63> .. Q<63,0> compile (the static_assert allows 1 + m + n <= 64) and every operation
// on them is defined (UBSan runs this in the sanitize preset). Checked against the
// __int128 oracles for every format, so the compile-time rule and the run-time behaviour agree.
#include <cmath>
#include <utility>

#include "common/rng.h"
#include "reference_math.h"

static_assert(Q<0, 63>::total_bits == 64 && Q<63, 0>::total_bits == 64, "64-bit formats are legal");
static_assert(Q<0, 63>::from_double(0.5).raw == (int64_t(1) << 62), "2^-1 in Q<0,63> (2^63 is not an int64)");
static_assert(Q<0, 63>::from_double(1.0) == Q<0, 63>::max(), "1.0 saturates in Q<0,63>");
static_assert(Q<0, 63>::from_double(-1.0).raw == INT64_MIN, "-1.0 is Q<0,63>'s minimum");
static_assert(requantize<Q<0, 63>>(Q<63, 0>::from_raw(-1)).raw == INT64_MIN, "-1 << 63 saturates exactly to min");
static_assert(requantize<Q<0, 63>>(Q<63, 0>::from_raw(1)) == Q<0, 63>::max(), "1 << 63 saturates to max");

namespace {

template <int Bits, int N>
void check_format(tinyq_test::Rng& rng) {
  using F = Q<Bits - 1 - N, N>;
  using Wide = Q<0, 63>;
  using Int = Q<63, 0>;
  static_assert(F::total_bits == Bits, "split of Bits");
  INFO("Q<" << (Bits - 1 - N) << "," << N << ">");
  const __int128 hi = (__int128(1) << (Bits - 1)) - 1, lo = -hi - 1;
  REQUIRE(F::max().raw == hi);
  REQUIRE(F::min().raw == lo);
  REQUIRE(F::epsilon().to_double() == std::ldexp(1.0, -N));
  REQUIRE(F::from_double(std::ldexp(1.0, -N)).raw == 1);
  REQUIRE(F::from_double(-std::ldexp(1.0, Bits)) == F::min());  // saturation, both ends
  REQUIRE(F::from_double(std::ldexp(1.0, Bits)) == F::max());
  for (int n = 0; n < 300; ++n) {
    // a uniform raw value of Bits bits
    const int64_t r = Bits == 64 ? int64_t(rng.next()) : int64_t(rng.next() >> (64 - Bits)) + int64_t(lo);
    const F x = F::from_raw(r);
    REQUIRE(x.raw == r);
    // Dropping all fractional bits, and adding them up to 63: round half up, saturate.
    REQUIRE(requantize<Int>(x).raw == int64_t(oracle::clamp_bits(oracle::round_half_up_shift(r, N), 64)));
    const __int128 widened = __int128(r) * (__int128(1) << (63 - N));
    REQUIRE(requantize<Wide>(x).raw == int64_t(oracle::clamp_bits(widened, 64)));
    // And back from the extremes.
    const int64_t w = int64_t(rng.next());
    REQUIRE(requantize<F>(Wide::from_raw(w)).raw ==
            int64_t(oracle::clamp_bits(oracle::round_half_up_shift(w, 63 - N), Bits)));
    const __int128 from_int = __int128(w) * (__int128(1) << N);
    REQUIRE(requantize<F>(Int::from_raw(w)).raw == int64_t(oracle::clamp_bits(from_int, Bits)));
  }
}

template <int Bits, int... Ns>
void check_family(std::integer_sequence<int, Ns...>, tinyq_test::Rng& rng) {
  (check_format<Bits, Ns>(rng), ...);
}

}  // namespace

TEST_CASE("every Q format of 8, 16, 32 and 64 bits: range, conversions, requantize to and from the widest",
          "[core][q][exhaustive]") {
  tinyq_test::Rng rng(63);
  check_family<8>(std::make_integer_sequence<int, 8>{}, rng);
  check_family<16>(std::make_integer_sequence<int, 16>{}, rng);
  check_family<32>(std::make_integer_sequence<int, 32>{}, rng);
  check_family<64>(std::make_integer_sequence<int, 64>{}, rng);
}
