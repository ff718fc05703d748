// Static memory plan: where every activation of a Graph lives in one caller-provided
// arena, for a given input size, computed before any run (no heap, no float).
//
//   MemoryPlan plan;
//   Status s = MemoryPlan::make(graph, 320, 320, Schedule::layer_by_layer, &plan);
//   plan.arena_bytes   // exact bytes the integer executor will touch (16-byte aligned arena)
//
// Schedules:
//   layer_by_layer  every op writes a whole output tensor (each value materialised once).
//   row_streamed    each inverted-residual block with an expand (blocks 1..16) runs fused and
//                   row by row: its expanded (6x) tensor never exists, only a small scratch
//                   of a few rows (inverted_residual_scratch_bytes). Block 13 is not fused
//                   when OutA is an output (its expand output *is* OutA).
// Allocation: a value lives from the step that writes it to the last step that reads it (the
// input from step 0, the output to the end); values are placed greedily, largest first, at the
// lowest 16-byte-aligned offset not overlapping any value alive at the same time (the classic
// greedy-by-size offset assignment). Input and output never alias (kernels are not in-place).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../blocks/inverted_residual.h"
#include "mobilenet_v2.h"

namespace tinyq {
namespace model {

enum class Schedule : uint8_t { layer_by_layer, row_streamed };

constexpr uint32_t kArenaAlignment = 16;

// Scratch bytes of a fused inverted residual (row streamed): blocks/inverted_residual.h's
// own twin, for the activation width of the plan.
constexpr uint64_t fused_block_scratch_bytes(uint32_t element_bytes, int in_width, int expanded_channels,
                                             int out_channels, int stride, bool residual) {
  return element_bytes == 1   ? inverted_residual_scratch_bytes<int8_t>(in_width, expanded_channels, out_channels, stride, true, residual)
         : element_bytes == 2 ? inverted_residual_scratch_bytes<int16_t>(in_width, expanded_channels, out_channels, stride, true, residual)
                              : inverted_residual_scratch_bytes<int32_t>(in_width, expanded_channels, out_channels, stride, true, residual);
}

struct MemoryPlan {
  Schedule schedule;
  int input_height, input_width;
  uint32_t element_bytes;
  Shape shape[kMaxValues];
  uint64_t offset[kMaxValues];  // byte offset in the arena
  uint64_t bytes[kMaxValues];   // 0: not materialised (inside a fused block)
  int16_t step_of_op[kMaxOps];  // ops with the same step run as one fused block
  int step_count;
  uint64_t scratch_offset[kMaxOps];  // per step (fused blocks)
  uint64_t scratch_bytes[kMaxOps];
  uint64_t arena_bytes;
  uint64_t largest_value_bytes;

  // Is op i the expand of a block that row_streamed fuses (expand, depthwise, project[, add])?
  static bool fusable_expand(const Graph& g, int i) {
    const Op& op = g.op(i);
    if (op.kind != OpKind::pointwise || op.block < 1 || !op.relu6) return false;
    if (i + 2 >= g.op_count()) return false;
    if (g.op(i + 1).kind != OpKind::depthwise3x3 || g.op(i + 2).kind != OpKind::pointwise) return false;
    if (op.block == 13 && g.info().output != OutputVariant::B) return false;  // OutA must exist
    return true;
  }
  // Number of ops of the fused block starting at expand op i (3 or 4 with the add).
  static int fused_length(const Graph& g, int i) { return g.op(i + 2).residual ? 4 : 3; }

  static Status make(const Graph& g, int height, int width, Schedule schedule, MemoryPlan* out) {
    MemoryPlan& p = *out;
    p = MemoryPlan{};
    p.schedule = schedule;
    p.input_height = height;
    p.input_width = width;
    p.element_bytes = dtype_bytes(g.info().activation_dtype);
    Status s = g.shapes(height, width, p.shape);
    if (!s.ok()) return s;
    const int nv = g.value_count();
    // steps
    int step = 0;
    for (int i = 0; i < g.op_count();) {
      int len = 1;
      if (schedule == Schedule::row_streamed && fusable_expand(g, i)) len = fused_length(g, i);
      ++step;  // steps start at 1; step 0 = the input being written
      for (int k = 0; k < len; ++k) p.step_of_op[i + k] = static_cast<int16_t>(step);
      if (len > 1) {
        const Shape& in = p.shape[g.op(i).in0];
        p.scratch_bytes[step - 1] = fused_block_scratch_bytes(p.element_bytes, in.width, g.op(i).cout, g.op(i + 2).cout,
                                                              g.op(i + 1).stride, g.op(i + 2).residual);
      }
      i += len;
    }
    p.step_count = step;
    // items: values (materialised) then scratches
    struct Item { uint64_t bytes; int first, last; uint64_t offset; bool placed; };
    Item items[kMaxValues + kMaxOps];
    int n = 0;
    for (int v = 0; v < nv; ++v) {
      const int first = v == 0 ? 0 : p.step_of_op[v - 1];  // value v is written by op v - 1
      const int lu = g.last_use(v);
      const bool is_output = v == g.output_value();
      // not stored: written and read only inside one fused step, or never read
      const bool internal = !is_output && v != 0 && (lu < 0 || p.step_of_op[lu] == first);
      const int last = (is_output || lu < 0) ? step + 1 : p.step_of_op[lu];
      p.bytes[v] = internal ? 0 : align16(p.shape[v].elements() * p.element_bytes);
      items[n++] = Item{p.bytes[v], first, last, 0, false};
    }
    for (int st = 1; st <= step; ++st) items[n++] = Item{align16(p.scratch_bytes[st - 1]), st, st, 0, false};
    // greedy by size
    uint64_t arena = 0;
    for (int round = 0; round < n; ++round) {
      int best = -1;
      for (int k = 0; k < n; ++k)
        if (!items[k].placed && items[k].bytes > 0 && (best < 0 || items[k].bytes > items[best].bytes)) best = k;
      if (best < 0) break;
      Item& it = items[best];
      uint64_t offset = 0;
      for (bool moved = true; moved;) {
        moved = false;
        for (int k = 0; k < n; ++k) {
          const Item& o = items[k];
          if (!o.placed || o.last < it.first || it.last < o.first) continue;
          if (offset < o.offset + o.bytes && o.offset < offset + it.bytes) {
            offset = o.offset + o.bytes;
            moved = true;
          }
        }
      }
      it.offset = offset;
      it.placed = true;
      if (offset + it.bytes > arena) arena = offset + it.bytes;
    }
    p.largest_value_bytes = 0;
    for (int v = 0; v < nv; ++v) {
      p.offset[v] = items[v].offset;
      if (p.bytes[v] > p.largest_value_bytes) p.largest_value_bytes = p.bytes[v];
    }
    for (int st = 1; st <= step; ++st) p.scratch_offset[st - 1] = items[nv + st - 1].offset;
    p.arena_bytes = arena;
    return ok_status();
  }

  static constexpr uint64_t align16(uint64_t x) { return (x + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
};

// Weight bytes the graph reads (payload of every tensor it uses).
inline uint64_t weight_bytes(const Graph& g) {
  uint64_t total = 0;
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    if (op.weights.valid()) total += op.weights.size + op.bias.size + (op.weight_fracs.valid() ? op.weight_fracs.size : 0);
  }
  return total;
}

}  // namespace model
}  // namespace tinyq
