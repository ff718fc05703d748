// add_scalar (the int32 residual add) equals add_reference bit for bit, for every format
// combination: the ones its int32 bound admits and the ones it hands to the reference.
#include <catch2/catch.hpp>
#include <vector>

#include "common/rng.h"
#include "tinyq/kernels/kernels.h"

using namespace tinyq;

namespace {

template <typename TA>
void add_sweep(uint64_t seed) {
  tinyq_test::Rng rng(seed);
  const int n = 203;  // not a multiple of any vector width
  std::vector<TA> a(n), b(n), want(n), got(n);
  const int bits = int_limits<TA>::bits;
  for (int i = 0; i < n; ++i) {
    a[i] = static_cast<TA>(rng.uniform(int_limits<TA>::min, int_limits<TA>::max));
    b[i] = static_cast<TA>(rng.uniform(int_limits<TA>::min, int_limits<TA>::max));
  }
  a[0] = b[0] = int_limits<TA>::min;  // the extremes, where saturation decides
  a[1] = b[1] = int_limits<TA>::max;
  a[2] = int_limits<TA>::min, b[2] = int_limits<TA>::max;
  int compared = 0;
  for (int af = 0; af <= bits + 2; ++af)
    for (int bf = 0; bf <= bits + 2; ++bf)
      for (int of = 0; of <= bits + 2; ++of) {
        const Tensor<const TA> ta{a.data(), 1, n, 1}, tb{b.data(), 1, n, 1};
        add_reference(ta, af, tb, bf, Tensor<TA>{want.data(), 1, n, 1}, of);
        add(ta, af, tb, bf, Tensor<TA>{got.data(), 1, n, 1}, of);
        INFO("a_frac " << af << " b_frac " << bf << " out_frac " << of);
        REQUIRE(got == want);
        ++compared;
      }
  REQUIRE(compared == (bits + 3) * (bits + 3) * (bits + 3));
}

}  // namespace

TEST_CASE("add equals add_reference for every format: int16", "[kernels][add]") { add_sweep<int16_t>(301); }
TEST_CASE("add equals add_reference for every format: int8", "[kernels][add]") { add_sweep<int8_t>(302); }
