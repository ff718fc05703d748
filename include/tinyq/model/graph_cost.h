// Work of one run of a Graph: multiply-accumulates of its convolutions at a given
// input size (the denominator of "instructions per MAC" and "GMAC/s" figures).
#pragma once
#include <stdint.h>

#include "mobilenet_v2.h"

namespace tinyq {
namespace model {

// conv3x3: out_pixels * cout * 9 * cin; depthwise3x3: out_pixels * C * 9;
// pointwise: out_pixels * cout * cin; adds, upsampling, concat and pooling: 0.
inline Status graph_macs(const Graph& g, int height, int width, uint64_t* macs) {
  Shape shapes[kMaxValues];
  const Status s = g.shapes(height, width, shapes);
  if (!s.ok()) return s;
  uint64_t total = 0;
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    const Shape& out = shapes[i + 1];
    const uint64_t pixels = static_cast<uint64_t>(out.height) * out.width;
    switch (op.kind) {
      case OpKind::conv3x3: total += pixels * out.channels * 9u * op.cin; break;
      case OpKind::depthwise3x3: total += pixels * out.channels * 9u; break;
      case OpKind::pointwise: total += pixels * out.channels * op.cin; break;
      default: break;
    }
  }
  *macs = total;
  return s;
}

}  // namespace model
}  // namespace tinyq
