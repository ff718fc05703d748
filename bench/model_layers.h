// The shipped models' own layers on a real photo, for bench_kernels: what the product runs.
// The model file is read, the photo resized to the network input and run through the graph
// op by op with the dispatching kernels (as the layer-by-layer executor does), each value kept
// in its own buffer; every conv op then becomes one benchmark on its real input, its real
// weights and the bounds Graph::build proved (exec_detail::conv_quant).
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_photo.h"
#include "tinyq/model/executor.h"

namespace model_layers {

using namespace tinyq;
using namespace tinyq::model;

struct Model {
  std::vector<uint64_t> bytes;  // the file, 8-byte aligned
  WeightsFile file;
  Graph graph;
  std::vector<std::vector<int16_t>> values;  // every value of the run (int16 activations)
  std::vector<Shape> shapes;
  bool noise = false;                        // no photo found: a noise image ran
};

inline Tensor<int16_t> value(Model& m, int v) {
  const Shape& s = m.shapes[v];
  return Tensor<int16_t>{m.values[v].data(), s.height, s.width, s.channels};
}

// Loads path and runs it on the bench photo resized to side x side; nullptr (with a message)
// if the file is missing or not an int16-activation model.
inline std::unique_ptr<Model> run_on_photo(const std::string& path, int side) {
  std::unique_ptr<Model> m(new Model);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "model layers: no %s, skipped\n", path.c_str());
    return nullptr;
  }
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  m->bytes.assign(static_cast<size_t>(n > 0 ? n : 0) / 8 + 1, 0);
  const bool read = n > 0 && std::fread(m->bytes.data(), 1, static_cast<size_t>(n), f) == static_cast<size_t>(n);
  std::fclose(f);
  const uint8_t* data = reinterpret_cast<const uint8_t*>(m->bytes.data());
  if (!read || !WeightsFile::open(data, static_cast<size_t>(n), &m->file).ok() || !Graph::build(m->file, &m->graph).ok() ||
      !m->graph.is_integer() || m->graph.info().activation_dtype != DType::int16) {
    std::fprintf(stderr, "model layers: %s is not an int16-activation model, skipped\n", path.c_str());
    return nullptr;
  }
  const Graph& g = m->graph;
  MemoryPlan plan;
  if (!MemoryPlan::make(g, side, side, Schedule::layer_by_layer, &plan).ok()) return nullptr;
  m->shapes.assign(plan.shape, plan.shape + g.value_count());
  m->values.resize(static_cast<size_t>(g.value_count()));
  for (int v = 0; v < g.value_count(); ++v) m->values[v].resize(m->shapes[v].elements());
  const std::vector<uint8_t> rgb = bench_photo::photo(side, side, &m->noise);
  exec_detail::normalise_input<int16_t>(g.info(), rgb.data(), g.value_frac(0), value(*m, 0));
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    const Tensor<const int16_t> a = value(*m, op.in0);
    const Tensor<int16_t> out = value(*m, i + 1);
    switch (op.kind) {
      case OpKind::conv3x3:
      case OpKind::depthwise3x3:
      case OpKind::pointwise:
        if (op.weights.dtype == DType::int16) exec_detail::run_conv<int16_t, int16_t>(g, op, a, out);
        else exec_detail::run_conv<int16_t, int8_t>(g, op, a, out);
        break;
      case OpKind::add: add<int16_t>(a, g.value_frac(op.in0), value(*m, op.in1), g.value_frac(op.in1), out, op.out_frac); break;
      case OpKind::upsample2x: upsample_bilinear_2x<int16_t>(a, out); break;
      case OpKind::concat:
        concat_channels<int16_t>(a, g.value_frac(op.in0), value(*m, op.in1), g.value_frac(op.in1), out, op.out_frac);
        break;
      case OpKind::global_avgpool: exec_detail::global_average<int16_t>(a, g.value_frac(op.in0), out, op.out_frac); break;
    }
  }
  return m;
}

// The int32 path a pointwise op's data takes (pointwise_sum_bound, as the kernels decide it).
inline const char* pointwise_path(Model& m, const Op& op) {
  const ConvQuant q = exec_detail::conv_quant(m.graph, op);
  const std::vector<int16_t>& x = m.values[op.in0];
  const uint64_t xmax = given_or_scanned(q.input_max_abs, [&] { return max_abs(x.data(), x.size()); });
  const uint64_t prod = xmax * op.weight_max_abs;
  if (fits_int32(pointwise_sum_bound(q, op.cin, prod, xmax))) return "int32 single pass";
  return fits_int32(2 * prod) ? "int32 chunks, int64 flush" : "int64";
}

}  // namespace model_layers
