// Fixed-point exp and logistic: the error bound stated in core/exp.h, checked
// over every int16 input at several input/output fractional widths.
#include <catch2/catch.hpp>
#include <cmath>

#include "tinyq/core.h"

using namespace tinyq;

namespace {
constexpr double kExpRelativeBound = 1e-8;  // core/exp.h's stated accuracy (plus 1 ulp)
}

TEST_CASE("fixed_exp is within its stated bound for every int16 input", "[core][exp]") {
  double worst = 0;
  for (int x_frac : {4, 8, 9, 12, 15}) {
    for (int out_frac : {16, 24, 30}) {
      for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
        const long double real = std::exp(static_cast<long double>(x) / (1 << x_frac)) * std::ldexp(1.0L, out_frac);
        if (real > 9e18L) continue;  // saturates, checked below
        const int64_t got = fixed_exp(x, x_frac, out_frac);
        const long double err = std::fabs(static_cast<long double>(got) - real);
        REQUIRE(err <= kExpRelativeBound * real + 1.0L);
        // Relative error beyond the final rounding's half ulp.
        worst = std::max(worst, static_cast<double>((err - 0.5L) / real));
      }
    }
  }
  INFO("worst relative error beyond half an ulp: " << worst);
  CHECK(worst < kExpRelativeBound);
}

TEST_CASE("fixed_exp saturates instead of overflowing, and underflows to zero", "[core][exp]") {
  CHECK(fixed_exp(INT32_MAX, 0, 30) == INT64_MAX);
  CHECK(fixed_exp(100 << 16, 16, 30) == INT64_MAX);  // e^100
  CHECK(fixed_exp(INT32_MIN, 0, 30) == 0);
  CHECK(fixed_exp(0, 9, 30) == (int64_t(1) << 30));  // e^0 is exactly one
}

TEST_CASE("fixed_exp is monotonic over all Q<3,12> inputs", "[core][exp]") {
  int64_t previous = 0;
  for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
    const int64_t y = fixed_exp(x, 12, 30);
    REQUIRE(y >= previous);
    previous = y;
  }
}

TEST_CASE("fixed_logistic_q30 is within 1 ulp of Q30 for every int16 input", "[core][exp]") {
  for (int x_frac : {0, 7, 8, 9, 12}) {
    for (int32_t x = INT16_MIN; x <= INT16_MAX; ++x) {
      const long double v = static_cast<long double>(x) / (1 << x_frac);
      const long double real = std::ldexp(1.0L / (1.0L + std::exp(-v)), 30);
      REQUIRE(std::fabs(fixed_logistic_q30(x, x_frac) - real) <= 1.0L);
    }
  }
  CHECK(fixed_logistic_q30(0, 9) == (1 << 29));
  CHECK(fixed_logistic_q30(INT32_MAX, 0) == (1 << 30));
  CHECK(fixed_logistic_q30(INT32_MIN, 0) == 0);
}
