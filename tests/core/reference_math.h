// Independent oracles for the core tests: plain __int128 arithmetic and floor
// division, written differently from the library on purpose.
#pragma once
#include <stdint.h>

namespace oracle {

inline __int128 floor_div(__int128 a, __int128 b) {
  __int128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
// Round half up: floor(x / 2^s + 1/2).
inline __int128 round_half_up_shift(__int128 x, int s) {
  if (s == 0) return x;
  const __int128 p = static_cast<__int128>(1) << s;
  return floor_div(2 * x + p, 2 * p);
}
inline __int128 clamp_bits(__int128 x, int bits) {
  const __int128 hi = (static_cast<__int128>(1) << (bits - 1)) - 1, lo = -hi - 1;
  return x < lo ? lo : (x > hi ? hi : x);
}

}  // namespace oracle
