// Control for the integer-only check: this program does float arithmetic on
// purpose, so check_integer_only must flag it (FP instructions on rv64imafc,
// soft-float helper calls such as __mulsf3 / __floatsisf on rv64imac).
#include <stdio.h>

volatile int input = 3;

int main() {
  float x = static_cast<float>(input);
  float y = x * 1.5f + 0.25f;
  fputs(y > 4.0f ? "big\n" : "small\n", stdout);
  return 0;
}
