// Prints docs/memory.md's tables: exact arena bytes (MemoryPlan, int16 and int8 activations)
// and weight bytes for MobileNetV2 width 0.5 and 1.0 x inputs 224, 256, 320x240, 500, 640x480 x
// {layer by layer, row-streamed inverted residuals}, for outputs A (+ the 25-template face head),
// exits (the multi-exit detector: heads at strides 8, 16, 32), B and C, and which fit the K210's
// 6 MiB of general-purpose SRAM at 16 and at 8 bits.
//   ninja -C build/model tinyq_memory_table && ./build/model/tests/model/tinyq_memory_table
#include <stdio.h>

#include "model_test_util.h"
#include "tinyq/model/memory_plan.h"

using namespace tinyq::model;
using namespace tinyq_test;

static double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

int main() {
  const uint64_t sram = 6ull << 20;
  const int sizes[5][2] = {{224, 224}, {256, 256}, {320, 240}, {500, 500}, {640, 480}};  // width x height
  printf("| output | width | input | weights int16 / int8 (MiB) | schedule | arena int16 (MiB) | arena int8 (MiB) | fits 6 MiB: int16 arena + weights / int8 arena + weights |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  for (OutputVariant out : {OutputVariant::A, OutputVariant::exits, OutputVariant::B, OutputVariant::C}) {
    for (uint16_t width : {500, 1000}) {
      SyntheticOptions o;
      o.width_per_mille = width;
      o.output = out;
      o.head_templates = out == OutputVariant::A ? 25 : 0;
      if (out == OutputVariant::exits) set_three_exits(o, 13, 8, 4);  // the shipped multi-exit layout
      o.weight_dtype = DType::int16;
      Buffer b16 = synthetic_buffer(o, 16u << 20);
      o.weight_dtype = DType::int8;
      Buffer b8 = synthetic_buffer(o, 16u << 20);
      o.activation_dtype = DType::int8;
      Buffer a8 = synthetic_buffer(o, 16u << 20);
      static WeightsFile f16, f8, fa8;
      static Graph g16, g8, ga8;
      if (!WeightsFile::open(b16.data(), b16.size, &f16).ok() || !Graph::build(f16, &g16).ok()) return 1;
      if (!WeightsFile::open(b8.data(), b8.size, &f8).ok() || !Graph::build(f8, &g8).ok()) return 1;
      if (!WeightsFile::open(a8.data(), a8.size, &fa8).ok() || !Graph::build(fa8, &ga8).ok()) return 1;
      const uint64_t w16 = weight_bytes(g16), w8 = weight_bytes(g8);
      for (const auto& wh : sizes) {
        for (Schedule s : {Schedule::layer_by_layer, Schedule::row_streamed}) {
          static MemoryPlan p16, p8;
          if (!MemoryPlan::make(g16, wh[1], wh[0], s, &p16).ok() || !MemoryPlan::make(ga8, wh[1], wh[0], s, &p8).ok()) return 1;
          const char* outs = out == OutputVariant::A       ? "A + head"
                             : out == OutputVariant::exits ? "exits 8/16/32"
                             : out == OutputVariant::B     ? "B"
                                                           : "C";
          printf("| %s | %.2f | %dx%d | %.2f / %.2f | %s | %.2f | %.2f | %s / %s |\n", outs, width / 1000.0, wh[0], wh[1],
                 mib(w16), mib(w8), s == Schedule::layer_by_layer ? "layer by layer" : "row-streamed", mib(p16.arena_bytes),
                 mib(p8.arena_bytes), p16.arena_bytes + w16 <= sram ? "yes" : "no", p8.arena_bytes + w8 <= sram ? "yes" : "no");
        }
      }
    }
  }
  return 0;
}
