// libFuzzer target for the weights-file loader and everything behind it: any byte string
// must give a Status, never a crash, an out-of-bounds read or UB (built with
// -fsanitize=fuzzer,address,undefined). Each input is tried with and without CRC
// verification (so mutations reach the checks behind the CRCs); when it loads, the graph is
// built, a memory plan made and — for small arenas — the integer executor run on it.
#include <stdint.h>
#include <string.h>

#include <vector>

#include "tinyq/model/executor.h"

using namespace tinyq::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint64_t> aligned;
  aligned.assign(size / 8 + 1, 0);
  if (size) memcpy(aligned.data(), data, size);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(aligned.data());
  for (int verify = 0; verify < 2; ++verify) {
    LoadOptions lo;
    lo.verify_crc = verify == 1;
    WeightsFile wf;
    Status s = WeightsFile::open(bytes, size, &wf, lo);
    if (!s.ok()) {
      if (s.message == nullptr || s.code == Error::ok) __builtin_trap();
      continue;
    }
    // the views stay inside the buffer
    for (uint32_t i = 0; i < wf.tensor_count(); ++i) {
      const TensorView t = wf.tensor(i);
      if (t.data < bytes || t.data + t.size > bytes + size) __builtin_trap();
    }
    static Graph g;
    s = Graph::build(wf, &g);
    if (!s.ok()) continue;
    static MemoryPlan plan;
    const int h = 32 + (size % 7), w = 32 + (size % 5);
    if (!MemoryPlan::make(g, h, w, Schedule::layer_by_layer, &plan).ok()) continue;
    if (!g.is_integer() || plan.arena_bytes > (8u << 20)) continue;
    static std::vector<uint64_t> arena;
    arena.assign(plan.arena_bytes / 8 + 2, 0);
    std::vector<uint8_t> rgb(static_cast<size_t>(h) * w * 3, static_cast<uint8_t>(size));
    IntegerOutput out;
    s = run_integer(g, plan, reinterpret_cast<uint8_t*>(arena.data()), arena.size() * 8, rgb.data(), &out);
    if (!s.ok()) __builtin_trap();  // a validated graph with a big-enough arena must run
  }
  return 0;
}
