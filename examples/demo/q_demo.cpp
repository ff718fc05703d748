// A tour of the Q types: the paper's 16-bit formats, exact products, the
// rounding rule and saturation, and the integer exp used by box decoding.
#include <stdio.h>

#include "tinyq/core.h"

using namespace tinyq;

int main() {
  const double values[] = {0.1, -1.2345, 3.14159, 63.99, -100.0};
  puts("value       Q9=Q<6,9>          Q8=Q<7,8>          Q7=Q<8,7>");
  for (double v : values) {
    const Q9 q9 = Q9::from_double(v);
    const Q8 q8 = requantize<Q8>(q9);
    const Q7 q7 = requantize<Q7>(q9);
    printf("%-10.5g  %6d (%9.5f)  %6d (%9.5f)  %6d (%9.5f)\n", v, q9.raw, q9.to_double(), q8.raw, q8.to_double(),
           q7.raw, q7.to_double());
  }
  const Q9 a = Q9::from_double(1.5), b = Q9::from_double(-2.25);
  const auto p = mul(a, b);  // Q<13,18>, exact
  printf("\n1.5 x -2.25 = %g exactly in Q<%d,%d> (raw %d)\n", p.to_double(), p.integer_bits, p.frac_bits, p.raw);
  printf("back to Q9 with round-half-up: %g\n", requantize<Q9>(p).to_double());
  printf("saturation: Q9 max + 1 ulp = %g (max is %g)\n", add_sat(Q9::max(), Q9::epsilon()).to_double(),
         Q9::max().to_double());
  const int32_t x = Q9::from_double(1.25).raw;
  printf("integer exp: e^1.25 = %.9f (fixed_exp, Q30 out)\n", static_cast<double>(fixed_exp(x, 9, 30)) / (1 << 30));
  return 0;
}
