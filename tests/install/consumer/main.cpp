// Built against an installed tinyq: proves the package exports headers and C++17.
#include <stdio.h>
#include <tinyq/core.h>

int main() {
  constexpr tinyq::Q9 half = tinyq::Q9::from_raw(256);  // 0.5 in Q<6,9>
  constexpr auto q7 = tinyq::requantize<tinyq::Q7>(half);
  static_assert(q7.raw == 64, "0.5 in Q<8,7> is 64");
  if (tinyq::mul(half, half).raw != 65536) return 1;  // 0.25 in Q<13,18>
  puts("consumer ok");
  return 0;
}
