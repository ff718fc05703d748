// Digest section: the core primitives (rounding shift, saturation, requantize,
// exp, logistic) over the same deterministic vectors the host tests use.
#pragma once
#include "../common/rng.h"
#include "tinyq/core.h"

inline void digest_core(tinyq_test::Digest& d) {
  using namespace tinyq;
  tinyq_test::Rng rng(0xC0DE);
  for (int i = 0; i < 20000; ++i) {
    const int64_t x = static_cast<int64_t>(rng.next()) >> rng.uniform(0, 40);
    const int s = static_cast<int>(rng.uniform(0, 40));
    d.add(rounding_shift_right(x, s));
    d.add(shift_round_saturate(x, s - 20, 16));
    d.add(saturating_add(x >> 48, (x >> 52) * 7, 16));
  }
  for (int32_t raw = INT16_MIN; raw <= INT16_MAX; raw += 7) {
    const Q9 q9{static_cast<int16_t>(raw)};
    d.add(requantize<Q7>(q9).raw, 2);
    d.add(requantize<Q<0, 7>>(q9).raw, 1);
    d.add(mul(q9, Q8{static_cast<int16_t>(raw ^ 0x5A5A)}).raw, 4);
    d.add(fixed_exp(raw, 9, 24));
    d.add(fixed_logistic_q30(raw, 8), 4);
  }
}
