// Integer executor + memory plan on synthetic models: exact arena (nothing outside the
// planned bytes is touched), zero heap allocations during inference, errors as values,
// agreement with the float reference, both schedules' plans.
#include <catch2/catch.hpp>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <new>
#include <vector>

#include "model_test_util.h"
#include "tinyq/model/executor.h"
#include "tinyq/model/host/float_executor.h"

using namespace tinyq::model;
using namespace tinyq_test;

#include "common/allocation_counter.h"  // this program's heap allocation count

namespace {

struct Loaded {
  Buffer buf;
  WeightsFile wf;
  Graph g;
};

Loaded* load(const SyntheticOptions& o) {
  Loaded* l = new Loaded;
  l->buf = synthetic_buffer(o);
  REQUIRE(l->buf.size > 0);
  Status s = WeightsFile::open(l->buf.data(), l->buf.size, &l->wf);
  REQUIRE(s.ok());
  s = Graph::build(l->wf, &l->g);
  INFO(s.message);
  REQUIRE(s.ok());
  return l;
}

std::vector<uint8_t> random_rgb(int h, int w, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(h) * w * 3);
  for (auto& x : v) x = static_cast<uint8_t>(rng.uniform(0, 255));
  return v;
}

}  // namespace

TEST_CASE("integer executor: no heap allocation during inference, exact arena", "[executor][memory]") {
  {  // the counter itself works
    const long before = heap_allocations();
    int* volatile p = new int(3);  // volatile: the compiler may not elide it
    delete p;
    CHECK(heap_allocations() == before + 1);
  }
  for (OutputVariant out : {OutputVariant::A, OutputVariant::B, OutputVariant::C}) {
    for (DType act : {DType::int16, DType::int8}) {
      SyntheticOptions o;
      o.output = out;
      o.activation_dtype = act;
      o.head_templates = 4;
      o.per_channel = act == DType::int8;
      Loaded* l = load(o);
      const int h = 67, w = 45;
      MemoryPlan plan;
      REQUIRE(MemoryPlan::make(l->g, h, w, Schedule::layer_by_layer, &plan).ok());
      const size_t guard = 256;
      std::vector<uint64_t> storage((plan.arena_bytes + 2 * guard) / 8 + 1, 0xA5A5A5A5A5A5A5A5ull);
      uint8_t* arena = reinterpret_cast<uint8_t*>(storage.data()) + guard;
      const std::vector<uint8_t> rgb = random_rgb(h, w, 7);
      IntegerOutput res{};
      const long before = heap_allocations();
      const Status s = run_integer(l->g, plan, arena, plan.arena_bytes, rgb.data(), &res);
      const long allocations = heap_allocations() - before;
      REQUIRE(s.ok());
      CHECK(allocations == 0);
      // bytes before and after the planned arena are untouched
      const uint8_t* bytes = reinterpret_cast<const uint8_t*>(storage.data());
      bool clean = true;
      for (size_t i = 0; i < guard; ++i) clean = clean && bytes[i] == 0xA5 && arena[plan.arena_bytes + i] == 0xA5;
      CHECK(clean);
      CHECK(res.shape.channels == 20);
      CHECK(res.shape.height == (out == OutputVariant::B ? 3 : 5));
      // the plan is tighter than keeping every value
      uint64_t all = 0;
      for (int v = 0; v < l->g.value_count(); ++v) all += plan.bytes[v];
      CHECK(plan.arena_bytes < all);
      delete l;
    }
  }
}

TEST_CASE("integer executor agrees with the float reference on a synthetic model", "[executor][float]") {
  SyntheticOptions o;
  o.output = OutputVariant::C;
  o.activation_dtype = DType::int16;
  o.weight_dtype = DType::int16;
  o.activation_frac = 10;
  o.head_templates = 2;
  Loaded* l = load(o);
  const int h = 64, w = 96;
  MemoryPlan plan;
  REQUIRE(MemoryPlan::make(l->g, h, w, Schedule::layer_by_layer, &plan).ok());
  std::vector<uint64_t> arena(plan.arena_bytes / 8 + 1);
  const std::vector<uint8_t> rgb = random_rgb(h, w, 3);
  IntegerOutput res{};
  REQUIRE(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(arena.data()), arena.size() * 8, rgb.data(), &res).ok());
  FloatExecutor fx(l->g);
  FloatTensor fo;
  REQUIRE(fx.run(normalise_input(l->g.info(), rgb.data(), h, w), &fo).ok());
  REQUIRE(fo.data.size() == res.shape.elements());
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < fo.data.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(ldexp(res.as<int16_t>()[i], -res.frac) - fo.data[i]));
    max_ref = std::max(max_ref, double(std::fabs(fo.data[i])));
  }
  INFO("max diff " << max_diff << " max ref " << max_ref);
  CHECK(max_ref > 0.01);
  CHECK(max_diff <= 0.02 * max_ref);
  delete l;
}

TEST_CASE("executor errors are values", "[executor][errors]") {
  SyntheticOptions o;
  Loaded* l = load(o);
  MemoryPlan plan;
  CHECK(MemoryPlan::make(l->g, 31, 64, Schedule::layer_by_layer, &plan).code == Error::bad_input_size);
  CHECK(MemoryPlan::make(l->g, 64, 5000, Schedule::layer_by_layer, &plan).code == Error::bad_input_size);
  REQUIRE(MemoryPlan::make(l->g, 32, 32, Schedule::layer_by_layer, &plan).ok());
  std::vector<uint64_t> arena(plan.arena_bytes / 8 + 4);
  const std::vector<uint8_t> rgb = random_rgb(32, 32, 1);
  IntegerOutput res{};
  uint8_t* a = reinterpret_cast<uint8_t*>(arena.data());
  CHECK(run_integer(l->g, plan, a, plan.arena_bytes - 1, rgb.data(), &res).code == Error::arena_too_small);
  CHECK(run_integer(l->g, plan, a + 8, plan.arena_bytes, rgb.data(), &res).code == Error::misaligned_buffer);
  CHECK(run_integer(l->g, plan, nullptr, plan.arena_bytes, rgb.data(), &res).code == Error::null_buffer);
  CHECK(run_integer(l->g, plan, a, plan.arena_bytes, rgb.data(), &res).ok());
  // a float model: the integer executor refuses it
  l->buf[34] = 4;
  fix_crcs(l->buf);
  WeightsFile wf;
  REQUIRE(WeightsFile::open(l->buf.data(), l->buf.size, &wf).ok());
  static Graph fg;
  REQUIRE(Graph::build(wf, &fg).ok());
  CHECK(run_integer(fg, plan, a, plan.arena_bytes, rgb.data(), &res).code == Error::not_integer_model);
  delete l;
}

TEST_CASE("row-streamed plans never need more arena than layer-by-layer", "[memory]") {
  for (OutputVariant out : {OutputVariant::A, OutputVariant::B, OutputVariant::C}) {
    SyntheticOptions o;
    o.output = out;
    o.width_per_mille = 1000;
    Loaded* l = load(o);
    for (int size : {224, 320}) {
      MemoryPlan a, b;
      REQUIRE(MemoryPlan::make(l->g, size, size, Schedule::layer_by_layer, &a).ok());
      REQUIRE(MemoryPlan::make(l->g, size, size, Schedule::row_streamed, &b).ok());
      CHECK(b.arena_bytes < a.arena_bytes);
      // the largest layer-by-layer value (an expanded tensor) bounds the arena from below
      CHECK(a.arena_bytes >= a.largest_value_bytes);
    }
    delete l;
  }
}

#include "freestanding/digest_model.h"

TEST_CASE("the freestanding digest section runs all its model configurations", "[digest]") {
  tinyq_test::Digest d1, d2;
  CHECK(digest_model_runs(d1) == 4);
  digest_model_runs(d2);
  CHECK(d1.value() == d2.value());  // deterministic
}

TEST_CASE("row-streamed schedule gives bit-identical outputs to layer-by-layer, in a smaller arena", "[executor][memory]") {
  for (OutputVariant out : {OutputVariant::A, OutputVariant::B, OutputVariant::C}) {
    for (DType act : {DType::int16, DType::int8}) {
      SyntheticOptions o;
      o.output = out;
      o.activation_dtype = act;
      o.per_channel = act == DType::int8;
      o.head_templates = 3;
      o.padding = act == DType::int8 ? PaddingMode::symmetric : PaddingMode::tf_same;
      Loaded* l = load(o);
      const int h = 70, w = 41;
      const std::vector<uint8_t> rgb = random_rgb(h, w, 9);
      MemoryPlan lbl, rs;
      REQUIRE(MemoryPlan::make(l->g, h, w, Schedule::layer_by_layer, &lbl).ok());
      REQUIRE(MemoryPlan::make(l->g, h, w, Schedule::row_streamed, &rs).ok());
      CHECK(rs.step_count < lbl.step_count);
      std::vector<uint64_t> a1(lbl.arena_bytes / 8 + 1), a2(rs.arena_bytes / 8 + 1);
      IntegerOutput r1{}, r2{};
      REQUIRE(run_integer(l->g, lbl, reinterpret_cast<uint8_t*>(a1.data()), a1.size() * 8, rgb.data(), &r1).ok());
      const long before = heap_allocations();
      const Status s = run_integer(l->g, rs, reinterpret_cast<uint8_t*>(a2.data()), rs.arena_bytes, rgb.data(), &r2);
      INFO(s.message);
      REQUIRE(s.ok());
      CHECK(heap_allocations() == before);
      REQUIRE(r1.shape.elements() == r2.shape.elements());
      const size_t bytes = r1.shape.elements() * dtype_bytes(act);
      CHECK(memcmp(r1.data, r2.data, bytes) == 0);
      delete l;
    }
  }
}

// Graph::build's bounds (ConvQuant::input_max_abs / weight_max_abs) must be proofs: the
// model is run op by op with the reference kernels and every conv's actual input and
// weights are compared with the bounds the graph gives it; at least some ops must have a
// proven input bound (the ReLU6 producers), so the test can fail.
template <typename TA>
int check_bounds_on_a_run(const Graph& g) {
  const int h = 48, w = 64;
  MemoryPlan plan;
  REQUIRE(MemoryPlan::make(g, h, w, Schedule::layer_by_layer, &plan).ok());
  std::vector<std::vector<TA>> value(static_cast<size_t>(g.value_count()));
  for (int v = 0; v < g.value_count(); ++v) value[v].resize(plan.shape[v].elements());
  auto tensor = [&](int v) {
    return tinyq::Tensor<TA>{value[v].data(), plan.shape[v].height, plan.shape[v].width, plan.shape[v].channels};
  };
  const std::vector<uint8_t> rgb = random_rgb(h, w, 11);
  exec_detail::normalise_input<TA>(g.info(), rgb.data(), g.value_frac(0), tensor(0));
  int proven = 0;
  for (int i = 0; i < g.op_count(); ++i) {
    const Op& op = g.op(i);
    const tinyq::Tensor<const TA> in = tensor(op.in0);
    const tinyq::Tensor<TA> out = tensor(i + 1);
    INFO("op " << i << " " << op.name);
    if (op.kind == OpKind::add) {
      tinyq::add_reference(in, g.value_frac(op.in0), tinyq::Tensor<const TA>(tensor(op.in1)), g.value_frac(op.in1), out,
                           op.out_frac);
      continue;
    }
    REQUIRE((op.kind == OpKind::conv3x3 || op.kind == OpKind::depthwise3x3 || op.kind == OpKind::pointwise));
    const tinyq::ConvQuant q = exec_detail::conv_quant(g, op);
    const int16_t* wt = op.weights.as<int16_t>();
    REQUIRE(op.weight_max_abs == tinyq::max_abs(wt, op.weights.elements()));
    // the L1 bound the pointwise kernels prove int32 sums with: never below the true norm
    if (op.kind == OpKind::pointwise) {
      REQUIRE(op.weight_l1_bound != 0);
      REQUIRE(op.weight_l1_bound >= tinyq::weight_l1_bound(wt, op.cout, op.cin));
    }
    if (op.input_max_abs != tinyq::kScanBound) {
      ++proven;
      REQUIRE(tinyq::max_abs(in.data, in.size()) <= op.input_max_abs);
    }
    const int32_t* b = op.bias.as<int32_t>();
    if (op.kind == OpKind::conv3x3) tinyq::conv3x3_reference(in, wt, b, q, op.stride, tinyq::Padding::tf_same, out);
    else if (op.kind == OpKind::depthwise3x3) tinyq::depthwise_conv3x3_reference(in, wt, b, q, op.stride, tinyq::Padding::tf_same, out);
    else tinyq::pointwise_conv_reference(in, wt, b, q, out);
  }
  return proven;
}

TEST_CASE("Graph::build's input, weight and L1 bounds hold on a real run", "[executor][bounds]") {
  for (const DType act : {DType::int16, DType::int8}) {
    SyntheticOptions o;
    o.output = OutputVariant::A;
    o.activation_dtype = act;
    o.weight_dtype = DType::int16;
    o.head_templates = 2;
    Loaded* l = load(o);
    const int proven = act == DType::int16 ? check_bounds_on_a_run<int16_t>(l->g) : check_bounds_on_a_run<int8_t>(l->g);
    CHECK(proven > 10);
    delete l;
  }
}

namespace {
// Runs tasks serially, last first: a ParallelFor that cuts the layers into bands.
void run_reversed(void*, int n, void (*task)(void*, int), void* ctx) {
  for (int i = n - 1; i >= 0; --i) task(ctx, i);
}
}  // namespace

TEST_CASE("prepared (packed-once) pointwise weights give bit-identical outputs", "[executor][prepared]") {
  for (DType act : {DType::int16, DType::int8})
    for (DType wt : {DType::int16, DType::int8}) {
      SyntheticOptions o;
      o.output = OutputVariant::A;
      o.activation_dtype = act;
      o.weight_dtype = wt;
      o.per_channel = wt == DType::int8;
      o.head_templates = 3;
      Loaded* l = load(o);
      const size_t need = prepared_weights_bytes(l->g);
#if TINYQ_HAVE_AVX512
      if (tinyq::cpu_has_avx512()) CHECK(need > 0);  // the packed forms exist on this CPU: exercised
#endif
      std::vector<uint8_t> buffer(need + 3);
      PreparedWeights pw;
      REQUIRE(prepare_weights(l->g, buffer.data() + 3, need, &pw).ok());  // any alignment
      int packed_ops = 0;
      for (int i = 0; i < l->g.op_count(); ++i) packed_ops += pw.packed[i] != nullptr;
      CHECK((need == 0) == (packed_ops == 0));
      const int h = 61, w = 47;
      const std::vector<uint8_t> rgb = random_rgb(h, w, 17);
      const tinyq::ParallelFor bands{&run_reversed, nullptr, 3};
      for (Schedule sched : {Schedule::layer_by_layer, Schedule::row_streamed})
        for (const tinyq::ParallelFor* par : {static_cast<const tinyq::ParallelFor*>(nullptr), &bands}) {
          MemoryPlan plan;
          REQUIRE(MemoryPlan::make(l->g, h, w, sched, &plan).ok());
          std::vector<uint64_t> a(plan.arena_bytes / 8 + 1), b(plan.arena_bytes / 8 + 1);
          IntegerOutput plain{}, prepared{};
          REQUIRE(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(a.data()), plan.arena_bytes, rgb.data(), &plain, par).ok());
          REQUIRE(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(b.data()), plan.arena_bytes, rgb.data(), &prepared, par, &pw)
                      .ok());
          const size_t bytes = plain.shape.elements() * dtype_bytes(act);
          INFO("act " << int(act) << " weights " << int(wt) << " schedule " << int(sched) << " bands " << (par != nullptr));
          REQUIRE(bytes > 0);
          CHECK(memcmp(plain.data, prepared.data, bytes) == 0);
        }
      if (need > 0) {  // the executor reads the packed weights: corrupt them, the output changes
        for (size_t i = 3; i < buffer.size(); i += 7) buffer[i] ^= 0x5A;
        MemoryPlan plan;
        REQUIRE(MemoryPlan::make(l->g, h, w, Schedule::layer_by_layer, &plan).ok());
        std::vector<uint64_t> a(plan.arena_bytes / 8 + 1), b(plan.arena_bytes / 8 + 1);
        IntegerOutput plain{}, corrupt{};
        REQUIRE(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(a.data()), plan.arena_bytes, rgb.data(), &plain).ok());
        REQUIRE(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(b.data()), plan.arena_bytes, rgb.data(), &corrupt, nullptr, &pw)
                    .ok());
        CHECK(memcmp(plain.data, corrupt.data, plain.shape.elements() * dtype_bytes(act)) != 0);
      }
      delete l;
    }
}

TEST_CASE("prepare_weights rejects a small or missing buffer and another graph's weights", "[executor][prepared][errors]") {
  SyntheticOptions o;
  o.weight_dtype = DType::int16;
  Loaded* l = load(o);
  const size_t need = prepared_weights_bytes(l->g);
  PreparedWeights pw;
  if (need > 0) {
    std::vector<uint8_t> small(need - 1);
    CHECK(prepare_weights(l->g, small.data(), small.size(), &pw).code == Error::arena_too_small);
    CHECK(prepare_weights(l->g, nullptr, need, &pw).code == Error::null_buffer);
  }
  CHECK(prepare_weights(l->g, nullptr, 0, nullptr).code == Error::null_buffer);
  std::vector<uint8_t> buffer(need);
  REQUIRE(prepare_weights(l->g, buffer.data(), buffer.size(), &pw).ok());
  pw.op_count += 1;  // as if made for another graph
  MemoryPlan plan;
  REQUIRE(MemoryPlan::make(l->g, 40, 40, Schedule::layer_by_layer, &plan).ok());
  std::vector<uint64_t> arena(plan.arena_bytes / 8 + 1);
  const std::vector<uint8_t> rgb = random_rgb(40, 40, 5);
  IntegerOutput res{};
  CHECK(run_integer(l->g, plan, reinterpret_cast<uint8_t*>(arena.data()), plan.arena_bytes, rgb.data(), &res, nullptr, &pw).code ==
        Error::plan_mismatch);
  delete l;
}
