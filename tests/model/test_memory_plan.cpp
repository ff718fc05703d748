// MemoryPlan's greedy-by-size placement against the plain form of the same rule (largest
// first, ties by index; bump the candidate past every overlapping live item until nothing
// overlaps): the sorted sweep must give the same offsets, hence the same arena, always.
#include <catch2/catch.hpp>

#include <vector>

#include "tinyq/model/memory_plan.h"

using tinyq::model::MemoryPlan;
using Item = MemoryPlan::Item;

namespace {

uint64_t place_plain(std::vector<Item>& items) {
  std::vector<bool> placed(items.size(), false);
  uint64_t arena = 0;
  for (size_t round = 0; round < items.size(); ++round) {
    int best = -1;
    for (size_t k = 0; k < items.size(); ++k)
      if (!placed[k] && items[k].bytes > 0 && (best < 0 || items[k].bytes > items[best].bytes)) best = int(k);
    if (best < 0) break;
    Item& it = items[best];
    uint64_t offset = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (size_t k = 0; k < items.size(); ++k) {
        const Item& o = items[k];
        if (!placed[k] || o.last < it.first || it.last < o.first) continue;
        if (offset < o.offset + o.bytes && o.offset < offset + it.bytes) {
          offset = o.offset + o.bytes;
          moved = true;
        }
      }
    }
    it.offset = offset;
    placed[best] = true;
    if (offset + it.bytes > arena) arena = offset + it.bytes;
  }
  return arena;
}

}  // namespace

TEST_CASE("greedy placement: the sorted sweep equals the plain bump-until-free loop", "[memory_plan]") {
  uint32_t x = 2024;
  auto next = [&](uint32_t mod) {
    x = x * 1664525u + 1013904223u;
    return (x >> 8) % mod;
  };
  int cases = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = 1 + int(next(MemoryPlan::kMaxItems));  // up to what a plan holds
    const uint32_t steps = 1 + next(60);
    const uint32_t sizes = trial % 3 == 0 ? 4 : 5000;  // few distinct sizes: many ties
    std::vector<Item> a(n);
    for (Item& it : a) {
      it.bytes = 16 * uint64_t(next(sizes));  // 0: not materialised
      it.first = int(next(steps));
      it.last = it.first + int(next(8));
      it.offset = 0;
    }
    std::vector<Item> b = a;
    const uint64_t arena_plain = place_plain(a);
    const uint64_t arena_sweep = MemoryPlan::place_greedy_by_size(b.data(), n);
    REQUIRE(arena_sweep == arena_plain);
    for (int k = 0; k < n; ++k) REQUIRE(b[k].offset == a[k].offset);
    ++cases;
  }
  CHECK(cases == 3000);
}
