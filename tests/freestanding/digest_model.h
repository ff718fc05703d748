// Digest section: the whole model path — a synthetic MobileNetV2 weights file written in
// memory (random integer weights from tests/common/rng.h, width 0.35, small inputs), opened
// and validated, its graph built, a memory plan made and the integer executor run in a
// static arena — for outputs A/B/C, head and classifier, int16 and int8 activations, per-tensor
// and per-channel weights, both paddings, layer-by-layer and row-streamed (fused blocks). Host == rv64imac == rv64imafc covers the graph.
// Static buffers only: no heap, no libstdc++, no float.
#pragma once
#include "../common/rng.h"
#include "../model/synthetic_model.h"
#include "tinyq/model/executor.h"

namespace digest_model_detail {

constexpr size_t kFileBytes = 1u << 20;
constexpr size_t kArenaBytes = 1u << 20;

constexpr size_t kPreparedBytes = 4u << 20;
constexpr size_t kOutputBytes = 64u << 10;

// Configurations whose prepare_weights packed something (riscv64: the SWAR words of the ops
// that take the SWAR path; none for int16 x int16 without a proven L1 bound).
inline int& prepared_configs() {
  static int n = 0;
  return n;
}

// The same run with the pointwise weights packed once (model/prepared_weights.h): the output
// must be byte-identical to `plain` (a copy is taken first: both live in the arena).
inline bool prepared_run_matches(const tinyq::model::Graph& g, const tinyq::model::MemoryPlan& plan, uint8_t* arena,
                                 const uint8_t* rgb, const tinyq::model::IntegerOutput& plain) {
  using namespace tinyq::model;
  alignas(64) static uint8_t prepared[kPreparedBytes];
  static uint8_t first[kOutputBytes];
  static PreparedWeights pw;
  const size_t bytes = plain.shape.elements() * dtype_bytes(plain.dtype);
  const size_t need = prepared_weights_bytes(g);
  if (bytes > kOutputBytes || need > kPreparedBytes) return false;
  if (need > 0) ++prepared_configs();
  const uint8_t* p = static_cast<const uint8_t*>(plain.data);
  for (size_t i = 0; i < bytes; ++i) first[i] = p[i];
  if (!prepare_weights(g, prepared, kPreparedBytes, &pw).ok()) return false;
  IntegerOutput out{};
  if (!run_integer(g, plan, arena, kArenaBytes, rgb, &out, nullptr, &pw).ok()) return false;
  if (out.dtype != plain.dtype || out.shape.elements() != plain.shape.elements()) return false;
  const uint8_t* q = static_cast<const uint8_t*>(out.data);
  for (size_t i = 0; i < bytes; ++i)
    if (q[i] != first[i]) return false;
  return true;
}

inline bool run_one(tinyq_test::Digest& d, const tinyq_test::SyntheticOptions& o, int height, int width,
                    tinyq::model::Schedule schedule = tinyq::model::Schedule::layer_by_layer) {
  using namespace tinyq::model;
  alignas(64) static uint8_t file[kFileBytes];
  alignas(64) static uint8_t arena[kArenaBytes];
  alignas(16) static uint8_t rgb[64 * 64 * 3];
  static WeightsFile wf;
  static Graph g;
  static MemoryPlan plan;
  const size_t size = tinyq_test::write_synthetic_model(file, kFileBytes, o);
  d.add(static_cast<int64_t>(size));
  Status s = WeightsFile::open(file, size, &wf);
  d.add(static_cast<int64_t>(s.code));
  if (!s.ok()) return false;
  s = Graph::build(wf, &g);
  d.add(static_cast<int64_t>(s.code));
  if (!s.ok()) return false;
  s = MemoryPlan::make(g, height, width, schedule, &plan);
  d.add(static_cast<int64_t>(s.code));
  if (!s.ok()) return false;
  d.add(static_cast<int64_t>(plan.arena_bytes));
  tinyq_test::Rng rng(o.seed * 31 + 7);
  for (int i = 0; i < height * width * 3; ++i) rgb[i] = static_cast<uint8_t>(rng.uniform(0, 255));
  IntegerOutput out{};
  s = run_integer(g, plan, arena, kArenaBytes, rgb, &out);
  d.add(static_cast<int64_t>(s.code));
  if (!s.ok()) return false;
  d.add(out.shape.height, 4);
  d.add(out.shape.width, 4);
  d.add(out.shape.channels, 4);
  d.add(out.frac, 1);
  if (out.dtype == DType::int16) d.add_all(out.as<int16_t>(), out.shape.elements());
  else d.add_all(out.as<int8_t>(), out.shape.elements());
  return prepared_run_matches(g, plan, arena, rgb, out);
}

}  // namespace digest_model_detail

// Returns the number of configurations that ran to the end (4 expected).
inline int digest_model_runs(tinyq_test::Digest& d) {
  int ran = 0;
  using namespace tinyq::model;
  tinyq_test::SyntheticOptions o;
  // OutA + 25-template head, int16 activations and weights, TF SAME
  o.output = OutputVariant::A;
  o.weight_dtype = DType::int16;
  o.head_templates = 25;
  o.seed = 11;
  ran += digest_model_detail::run_one(d, o, 40, 52);
  // OutC + head, int8 per-channel weights, symmetric padding, odd sizes
  o = tinyq_test::SyntheticOptions{};
  o.output = OutputVariant::C;
  o.per_channel = true;
  o.head_templates = 3;
  o.padding = PaddingMode::symmetric;
  o.seed = 12;
  ran += digest_model_detail::run_one(d, o, 33, 47);
  ran += digest_model_detail::run_one(d, o, 33, 47, Schedule::row_streamed);  // fused blocks
  // OutB + classifier, int8 activations, int8 per-channel weights
  o = tinyq_test::SyntheticOptions{};
  o.output = OutputVariant::B;
  o.activation_dtype = DType::int8;
  o.per_channel = true;
  o.classifier = true;
  o.classes = 17;
  o.seed = 13;
  ran += digest_model_detail::run_one(d, o, 64, 48);
#if defined(__riscv)
  // riscv64 packs the SWAR words: the 8-bit configurations must have used prepared weights
  if (digest_model_detail::prepared_configs() < 3) --ran;
#endif
  return ran;
}

inline void digest_model(tinyq_test::Digest& d) { d.add(digest_model_runs(d), 1); }
