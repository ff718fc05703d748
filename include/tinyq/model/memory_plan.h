// Static memory plan: where every activation of a Graph lives in one caller-provided
// arena, for a given input size, computed before any run (no heap, no float).
//
//   MemoryPlan plan;
//   Status s = MemoryPlan::make(graph, 320, 320, Schedule::layer_by_layer, &plan);
//   plan.arena_bytes   // exact bytes the integer executor will touch (16-byte aligned arena)
//
// Schedules:
//   layer_by_layer  every op writes a whole output tensor (each value materialised once).
//   row_streamed    every inverted-residual block runs fused, row by row (blocks/inverted_residual.h):
//                   its expanded (6x) and depthwise tensors never exist, only a scratch of a
//                   few rows (inverted_residual_scratch_bytes). A block whose inner tensor
//                   is read outside it (OutA under output A or C, an exit's tap) is not fused
//                   there (fused_length).
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
                                             int out_channels, int stride, bool has_expand, bool residual) {
  return element_bytes == 1   ? inverted_residual_scratch_bytes<int8_t>(in_width, expanded_channels, out_channels, stride, has_expand, residual)
         : element_bytes == 2 ? inverted_residual_scratch_bytes<int16_t>(in_width, expanded_channels, out_channels, stride, has_expand, residual)
                              : inverted_residual_scratch_bytes<int32_t>(in_width, expanded_channels, out_channels, stride, has_expand, residual);
}

struct MemoryPlan {
  Schedule schedule;
  int input_height, input_width;
  int value_count, op_count;  // of the graph the plan was made for (run_integer checks them)
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

  // Ops of the fused inverted residual starting at op i under row_streamed, 0 if none:
  // expand, depthwise, project[, add] of one block, or depthwise, project when the block
  // has no expand (block 0) or its expand output is needed whole anyway (a tap). Read from
  // the ops' roles; a run fuses only if nothing outside it reads a tensor it keeps inside
  // (an exit's tap, output A under output C), since fused tensors never exist whole.
  static int fused_length(const Graph& g, int i) {
    const int n = g.op_count();
    const Op& op = g.op(i);
    auto is = [&](int k, LayerRole r) { return k < n && g.op(k).role == r && g.op(k).block == op.block; };
    int len = 0;
    if (op.role == LayerRole::expand && is(i + 1, LayerRole::depthwise) && is(i + 2, LayerRole::project)) {
      len = g.op(i + 2).residual ? 4 : 3;
    } else if (op.role == LayerRole::depthwise && is(i + 1, LayerRole::project) &&
               (op.block == 0 || !g.op(i + 1).residual)) {
      // without its expand the fused kernel's residual would be the depthwise input, which is
      // the block input only in block 0 (no expand): elsewhere only non-residual blocks.
      len = g.op(i + 1).residual ? 3 : 2;
    }
    if (len == 0) return 0;
    for (int v = i + 1; v < i + len; ++v) {  // values produced inside the run but its last
      if (g.is_output(v)) return 0;
      for (int k = 0; k < n; ++k)
        if ((k < i || k >= i + len) && (g.op(k).in0 == v || g.op(k).in1 == v)) return 0;
    }
    return len;
  }

  static Status make(const Graph& g, int height, int width, Schedule schedule, MemoryPlan* out) {
    MemoryPlan& p = *out;
    for (int v = 0; v < kMaxValues; ++v) p.offset[v] = p.bytes[v] = 0;
    for (int i = 0; i < kMaxOps; ++i) {
      p.step_of_op[i] = 0;
      p.scratch_offset[i] = p.scratch_bytes[i] = 0;
    }
    p.schedule = schedule;
    p.input_height = height;
    p.input_width = width;
    p.value_count = g.value_count();
    p.op_count = g.op_count();
    p.element_bytes = dtype_bytes(g.info().activation_dtype);
    Status s = g.shapes(height, width, p.shape);
    if (!s.ok()) return s;
    const int nv = g.value_count();
    // steps
    int step = 0;
    for (int i = 0; i < g.op_count();) {
      int len = schedule == Schedule::row_streamed ? fused_length(g, i) : 0;
      if (len == 0) len = 1;
      ++step;  // steps start at 1; step 0 = the input being written
      for (int k = 0; k < len; ++k) p.step_of_op[i + k] = static_cast<int16_t>(step);
      if (len > 1) {
        const bool has_expand = g.op(i).kind == OpKind::pointwise;
        const Op& dw = g.op(has_expand ? i + 1 : i);
        const Op& pr = g.op(has_expand ? i + 2 : i + 1);
        const Shape& in = p.shape[g.op(i).in0];
        p.scratch_bytes[step - 1] =
            fused_block_scratch_bytes(p.element_bytes, in.width, dw.cin, pr.cout, dw.stride, has_expand, pr.residual);
      }
      i += len;
    }
    p.step_count = step;
    // items: values (materialised) then scratches
    int16_t last_reader[kMaxValues];  // last op reading each value, -1 if none (Graph::last_use)
    for (int v = 0; v < nv; ++v) last_reader[v] = -1;
    for (int i = 0; i < g.op_count(); ++i) {
      last_reader[g.op(i).in0] = static_cast<int16_t>(i);
      if (g.op(i).in1 >= 0) last_reader[g.op(i).in1] = static_cast<int16_t>(i);
    }
    Item items[kMaxItems];
    int n = 0;
    for (int v = 0; v < nv; ++v) {
      const int first = v == 0 ? 0 : p.step_of_op[v - 1];  // value v is written by op v - 1
      const int lu = last_reader[v];
      const bool is_output = g.is_output(v);
      // not stored: written and read only inside one fused step, or never read
      const bool internal = !is_output && v != 0 && (lu < 0 || p.step_of_op[lu] == first);
      const int last = (is_output || lu < 0) ? step + 1 : p.step_of_op[lu];
      p.bytes[v] = internal ? 0 : align16(p.shape[v].elements() * p.element_bytes);
      items[n++] = Item{p.bytes[v], first, last, 0};
    }
    for (int st = 1; st <= step; ++st) items[n++] = Item{align16(p.scratch_bytes[st - 1]), st, st, 0};
    p.arena_bytes = place_greedy_by_size(items, n);
    p.largest_value_bytes = 0;
    for (int v = 0; v < nv; ++v) {
      p.offset[v] = items[v].offset;
      if (p.bytes[v] > p.largest_value_bytes) p.largest_value_bytes = p.bytes[v];
    }
    for (int st = 1; st <= step; ++st) p.scratch_offset[st - 1] = items[nv + st - 1].offset;
    return ok_status();
  }

  // An activation or scratch to place: `bytes` alive from step `first` to step `last`.
  static constexpr int kMaxItems = kMaxValues + kMaxOps;  // values + one scratch per step
  struct Item {
    uint64_t bytes;
    int first, last;
    uint64_t offset;  // the result
  };

  // Greedy by size: largest first (ties: lower index first), each at the lowest offset where
  // it overlaps nothing placed that is alive at the same time. The placed items are kept
  // sorted by offset, so the lowest free offset is one sweep: skip what is not alive at the
  // same time, stop at the first item starting at or past the candidate's end, else move the
  // candidate past it. Returns the arena size (the highest end). O(n^2) for n <= kMaxItems.
  static uint64_t place_greedy_by_size(Item* items, int n) {
    int16_t order[kMaxItems];  // by bytes, descending, stable (insertion sort)
    int m = 0;
    for (int k = 0; k < n; ++k) {
      if (items[k].bytes == 0) continue;
      int j = m++;
      for (; j > 0 && items[order[j - 1]].bytes < items[k].bytes; --j) order[j] = order[j - 1];
      order[j] = static_cast<int16_t>(k);
    }
    int16_t placed[kMaxItems];  // by offset, ascending
    uint64_t arena = 0;
    for (int r = 0; r < m; ++r) {
      Item& it = items[order[r]];
      uint64_t offset = 0;
      for (int q = 0; q < r; ++q) {
        const Item& o = items[placed[q]];
        if (o.last < it.first || it.last < o.first) continue;  // never alive together
        if (o.offset >= offset + it.bytes) break;             // [offset, offset + bytes) is free
        if (o.offset + o.bytes > offset) offset = o.offset + o.bytes;
      }
      it.offset = offset;
      int j = r;
      for (; j > 0 && items[placed[j - 1]].offset > offset; --j) placed[j] = placed[j - 1];
      placed[j] = order[r];
      if (offset + it.bytes > arena) arena = offset + it.bytes;
    }
    return arena;
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
