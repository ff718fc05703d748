// Multi-exit face models (output 4, `head/exits`): the graph puts each head right after its
// tap, the planner keeps every head to the end and fuses around the taps, both schedules
// give the same heads, detect() decodes every exit into one NMS exactly as a by-hand decode
// does, the exit mask and the size-driven exit choice work, and bad exit metadata is refused.
// (Worker counts: the threads test of test_face_detector.cpp runs a three-exit model too.)
#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include "common/rng.h"
#include "model/model_test_util.h"
#include "tinyq/detect/face_detector.h"

using namespace tinyq;
using tinyq_test::Buffer;
using tinyq_test::SyntheticOptions;

namespace {

// Backbone layer indices (for_each_backbone_layer order).
constexpr int16_t kExpand6 = tinyq_test::kExitTapExpand6;          // expanded_conv_6/expand, stride 8
constexpr int16_t kProject5 = 17;                                   // expanded_conv_5/project (residual: reads the add), stride 8
constexpr int16_t kDepthwise13 = tinyq_test::kExitTapDepthwise13;  // expanded_conv_13/depthwise, stride 32

SyntheticOptions exits_options(std::initializer_list<int16_t> taps, std::initializer_list<uint16_t> templates,
                               uint64_t seed = 7) {
  SyntheticOptions o;
  o.output = model::OutputVariant::exits;
  o.weight_dtype = model::DType::int16;
  o.seed = seed;
  o.exit_count = 0;
  for (int16_t t : taps) o.exit_tap[o.exit_count++] = t;
  int k = 0;
  for (uint16_t t : templates) o.exit_templates[k++] = t;
  return o;
}

Buffer three_exits(uint64_t seed = 7) { return tinyq_test::synthetic_buffer(exits_options({kExpand6, model::kOutALayer, kDepthwise13}, {5, 4, 3}, seed)); }

model::Status load(Buffer& b) {
  model::WeightsFile wf;
  model::Status s = model::WeightsFile::open(b.data(), b.size, &wf);
  if (!s.ok()) return s;
  static model::Graph g;
  return model::Graph::build(wf, &g);
}

std::vector<uint8_t> random_rgb(int w, int h, uint64_t seed) {
  tinyq_test::Rng rng(seed);
  std::vector<uint8_t> v(size_t(w) * h * 3);
  for (auto& p : v) p = static_cast<uint8_t>(rng.uniform(0, 255));
  return v;
}

std::vector<uint8_t> head_bytes(const model::IntegerOutput& h) {
  const uint8_t* p = static_cast<const uint8_t*>(h.data);
  return std::vector<uint8_t>(p, p + h.shape.elements() * (h.dtype == model::DType::int16 ? 2 : 1));
}

}  // namespace

TEST_CASE("multi-exit graph: heads follow their taps, strides and stop point from head/exits", "[detect][exits]") {
  Buffer b = three_exits();
  REQUIRE(b.size > 0);
  model::WeightsFile wf;
  REQUIRE(model::WeightsFile::open(b.data(), b.size, &wf).ok());
  static model::Graph g;
  REQUIRE(model::Graph::build(wf, &g).ok());
  REQUIRE(g.exit_count() == 3);
  const int32_t strides[3] = {8, 16, 32};
  const char* taps[3] = {"expanded_conv_6/expand", "expanded_conv_13/expand", "expanded_conv_13/depthwise"};
  for (int k = 0; k < 3; ++k) {
    const model::HeadExit& x = g.exit(k);
    INFO("exit " << k);
    CHECK(x.stride == strides[k]);
    const model::Op& head = g.op(x.head_op);
    CHECK(head.role == model::LayerRole::head);
    CHECK(x.value == x.head_op + 1);
    CHECK(std::string(g.op(head.in0 - 1).name) == taps[k]);  // reads its tap, placed right after it
    CHECK(head.in0 == x.head_op);
    CHECK(head.cout == 5 * x.templates);
    CHECK(g.is_output(x.value));
  }
  CHECK(g.op(g.op_count() - 1).role == model::LayerRole::head);  // nothing after the deepest tap's head
  CHECK(g.info().head_stride == 32);
  model::Shape shapes[model::kMaxValues];
  REQUIRE(g.shapes(96, 160, shapes).ok());
  for (int k = 0; k < 3; ++k) {
    CHECK(shapes[g.exit(k).value].height == 96 / strides[k]);
    CHECK(shapes[g.exit(k).value].width == 160 / strides[k]);
  }

  // A tap on a residual project reads the block output (its add).
  Buffer r = tinyq_test::synthetic_buffer(exits_options({kProject5, model::kOutALayer}, {3, 2}));
  model::WeightsFile wr;
  REQUIRE(model::WeightsFile::open(r.data(), r.size, &wr).ok());
  static model::Graph gr;
  REQUIRE(model::Graph::build(wr, &gr).ok());
  CHECK(gr.op(gr.op(gr.exit(0).head_op).in0 - 1).role == model::LayerRole::residual_add);
  CHECK(gr.exit(0).stride == 8);
}

TEST_CASE("multi-exit plans: every head survives, both schedules give the same heads", "[detect][exits]") {
  Buffer b = three_exits(11);
  model::WeightsFile wf;
  REQUIRE(model::WeightsFile::open(b.data(), b.size, &wf).ok());
  static model::Graph g;
  REQUIRE(model::Graph::build(wf, &g).ok());
  const int H = 96, W = 128;
  const auto rgb = random_rgb(W, H, 3);
  std::vector<std::vector<uint8_t>> heads[2];
  int s = 0;
  for (auto schedule : {model::Schedule::layer_by_layer, model::Schedule::row_streamed}) {
    static model::MemoryPlan plan;
    REQUIRE(model::MemoryPlan::make(g, H, W, schedule, &plan).ok());
    if (schedule == model::Schedule::row_streamed) {
      // Block 6 fuses its depthwise + project (its expand is a tap), block 13 does not.
      const int dw6 = g.exit(0).head_op + 1;
      CHECK(g.op(dw6).role == model::LayerRole::depthwise);
      CHECK(plan.step_of_op[dw6] == plan.step_of_op[dw6 + 1]);
      CHECK(plan.step_of_op[dw6 - 2] != plan.step_of_op[dw6 - 1]);  // expand 6 | head_0
    }
    std::vector<uint64_t> arena(plan.arena_bytes / 8 + 2);
    model::IntegerOutput last;
    uint8_t* a = reinterpret_cast<uint8_t*>(arena.data());
    REQUIRE(model::run_integer(g, plan, a, plan.arena_bytes, rgb.data(), &last).ok());
    for (int k = 0; k < g.exit_count(); ++k) heads[s].push_back(head_bytes(model::integer_value(g, plan, a, g.exit(k).value)));
    ++s;
  }
  for (int k = 0; k < g.exit_count(); ++k) {
    INFO("exit " << k);
    CHECK(heads[0][size_t(k)] == heads[1][size_t(k)]);
  }
  // not all zero (a test that could pass on nothing)
  bool any = false;
  for (uint8_t v : heads[0][0]) any = any || v != 0;
  CHECK(any);
}

TEST_CASE("multi-exit detect: one pass, every exit decoded, one NMS, equal to a by-hand decode", "[detect][exits]") {
  Buffer b = three_exits(13);
  static FaceDetector det;
  REQUIRE(FaceDetector::open(b.data(), b.size, &det).ok());
  REQUIRE(det.multi_exit());
  const DetectOptions defaults = det.default_options();
  CHECK(defaults.num_scales == 1);
  CHECK(defaults.scales_q8[0] == 256);
  const int W = 160, H = 96;  // multiples of 32: scale 1 needs no resize or padding
  const auto img = random_rgb(W, H, 5);
  for (uint8_t mask : {uint8_t(0x7), uint8_t(0x2), uint8_t(0x5)}) {
    INFO("exit mask " << int(mask));
    DetectOptions o = defaults;
    o.threshold_q30 = 1 << 29;
    o.exit_mask = mask;
    size_t need = 0;
    REQUIRE(det.arena_bytes(W, H, o, &need).ok());
    std::vector<uint64_t> arena(need / 8 + 1);
    std::vector<Detection> got(4096);
    int count = 0;
    REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, o, reinterpret_cast<uint8_t*>(arena.data()), need,
                       got.data(), 4096, &count).ok());
    got.resize(size_t(count));

    // By hand: run the network, decode each chosen exit, one NMS.
    static model::MemoryPlan plan;
    REQUIRE(model::MemoryPlan::make(det.graph(), H, W, o.schedule, &plan).ok());
    std::vector<uint64_t> exec(plan.arena_bytes / 8 + 2);
    uint8_t* a = reinterpret_cast<uint8_t*>(exec.data());
    model::IntegerOutput last;
    REQUIRE(model::run_integer(det.graph(), plan, a, plan.arena_bytes, img.data(), &last).ok());
    std::vector<Candidate> storage(size_t(o.max_candidates));
    CandidateHeap heap(storage.data(), o.max_candidates);
    const DecodeFrame f{256, 0, 0, W, H, W, H};
    int frac = 0, decoded_exits = 0;
    for (int e = 0; e < det.exit_layouts().count; ++e) {
      if ((mask & (1 << e)) == 0) continue;
      const model::IntegerOutput h = model::integer_value(det.graph(), plan, a, det.graph().exit(e).value);
      frac = h.frac;
      decode_head(Tensor<const int16_t>{h.as<int16_t>(), h.shape.height, h.shape.width, h.shape.channels}, h.frac,
                  det.exit_layouts().exit[e], logit_threshold(o.threshold_q30, h.frac), f, heap);
      ++decoded_exits;
    }
    REQUIRE(decoded_exits >= 1);
    std::vector<Detection> want(4096);
    want.resize(size_t(finish_detections(heap, o, W, H, frac, want.data(), 4096)));
    REQUIRE_FALSE(want.empty());
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].logit == want[i].logit);
      CHECK(got[i].box.x0 == want[i].box.x0);
      CHECK(got[i].box.y0 == want[i].box.y0);
      CHECK(got[i].box.x1 == want[i].box.x1);
      CHECK(got[i].box.y1 == want[i].box.y1);
    }
  }
  DetectOptions none = defaults;
  none.exit_mask = 0x8;  // exit 3: this model has 3
  size_t need = 0;
  CHECK(det.arena_bytes(W, H, none, &need).code == model::Error::bad_options);
}

TEST_CASE("size-driven exits: --min-face/--max-face pick the exits whose templates match", "[detect][exits][scales]") {
  // exit k's templates: fixed heights so the rule 2 h <= 3 max, 3 h >= 2 min is checkable.
  Buffer b = three_exits(19);
  static FaceDetector det;
  REQUIRE(FaceDetector::open(b.data(), b.size, &det).ok());
  const ExitLayouts& l = det.exit_layouts();
  for (int32_t lo : {1, 5, 10, 40, 100}) {
    for (int32_t hi : {lo, 2 * lo, 4000}) {
      DetectOptions o;
      const int n = choose_exits_for_faces(l, lo, hi, &o);
      uint8_t want = 0;
      for (int e = 0; e < l.count; ++e)
        for (int t = 0; t < l.exit[e].num_templates; ++t) {
          const int64_t h = l.exit[e].template_wh_q8[2 * t + 1];
          if (2 * h <= 3 * 256 * int64_t(hi) && 3 * h >= 2 * 256 * int64_t(lo)) want = uint8_t(want | (1 << e));
        }
      // The tallest face the exits of `mask` reach at scale s (image px): 3/2 h_t / s.
      auto reach = [&](uint8_t mask, int32_t s) {
        int64_t r = 0;
        for (int e = 0; e < l.count; ++e)
          for (int t = 0; (mask >> e & 1) && t < l.exit[e].num_templates; ++t)
            r = std::max(r, 3 * int64_t(l.exit[e].template_wh_q8[2 * t + 1]) / (2 * s));
        return r;
      };
      INFO(lo << ".." << hi);
      if (want == 0 && reach(0x7, 256) >= lo) {  // a gap between the exits' windows
        CHECK(n == 0);
        continue;
      }
      if (want == 0) want = 0x7;  // only faces taller than 1x reaches: every exit, smaller scales
      int octaves = 0;            // 1/2x, 1/4x, ... down to 1/16x until the exits reach hi
      while (reach(want, 256 >> octaves) < hi && octaves < 4) ++octaves;
      REQUIRE(n == 1 + octaves);
      CHECK(o.num_scales == n);
      for (int k = 0; k < n; ++k) CHECK(o.scales_q8[k] == (256 >> (octaves - k)));
      CHECK(o.exit_mask == want);
    }
  }
  DetectOptions all;
  REQUIRE(choose_exits_for_faces(l, 1, 100000, &all) == 5);  // 1x and the octaves down to 1/16x
  CHECK(all.exit_mask == 0x7);  // every exit covers some size
  int32_t shortest = INT32_MAX;  // the smallest template height at 1x, image px
  for (int e = 0; e < l.count; ++e)
    for (int t = 0; t < l.exit[e].num_templates; ++t) shortest = std::min(shortest, l.exit[e].template_wh_q8[2 * t + 1] / 256);
  DetectOptions within;
  REQUIRE(choose_exits_for_faces(l, shortest, shortest, &within) == 1);  // small faces: one pass at 1x
  CHECK(within.scales_q8[0] == 256);
  DetectOptions empty;
  CHECK(choose_exits_for_faces(l, 20, 10, &empty) == 0);
}

TEST_CASE("multi-exit metadata: every inconsistency is refused with its code", "[detect][exits][errors]") {
  using model::Error;
  auto exits_payload = [](Buffer& b) {
    const int i = tinyq_test::find_entry(b, "head/exits");
    REQUIRE(i >= 0);
    return reinterpret_cast<int32_t*>(b.data() + tinyq_test::get32(tinyq_test::entry(b, uint32_t(i)) + 80));
  };
  {
    Buffer b = three_exits();
    REQUIRE(load(b).ok());
  }
  struct Case {
    Error code;
    const char* what;
    void (*edit)(Buffer&, int32_t*);
  };
  const Case cases[] = {
      {Error::bad_metadata, "taps not increasing", [](Buffer&, int32_t* e) { e[3] = e[0]; }},
      {Error::bad_metadata, "tap past the table", [](Buffer&, int32_t* e) { e[6] = 52; }},
      {Error::bad_metadata, "stride differs from the tap's", [](Buffer&, int32_t* e) { e[1] = 16; }},
      {Error::bad_metadata, "templates do not add up", [](Buffer&, int32_t* e) { e[2] = 6; }},
      {Error::bad_metadata, "head_exits 0 with output 4", [](Buffer& b, int32_t*) { b[50] = 0; }},
      {Error::bad_metadata, "head_exits 5", [](Buffer& b, int32_t*) { b[50] = 5; }},
      {Error::shape_mismatch, "head_exits differs from head/exits rows", [](Buffer& b, int32_t*) { b[50] = 2; }},
      {Error::bad_metadata, "head_stride not the largest exit stride", [](Buffer& b, int32_t*) { b[48] = 16; }},
  };
  for (const Case& c : cases) {
    Buffer b = three_exits();
    c.edit(b, exits_payload(b));
    tinyq_test::fix_crcs(b);
    INFO(c.what);
    CHECK(load(b).code == c.code);
  }
  // Exit heads with different output formats cannot be ranked together.
  SyntheticOptions o = exits_options({kExpand6, model::kOutALayer}, {2, 2});
  o.head_frac = 6;
  Buffer same = tinyq_test::synthetic_buffer(o);
  REQUIRE(load(same).ok());
  Buffer diff = tinyq_test::synthetic_buffer(o);
  {
    model::WeightsFile wf;
    REQUIRE(model::WeightsFile::open(diff.data(), diff.size, &wf).ok());
    static model::Graph g;
    REQUIRE(model::Graph::build(wf, &g).ok());
    const int i = tinyq_test::find_entry(diff, "activation_frac_bits");
    int8_t* f = reinterpret_cast<int8_t*>(diff.data() + tinyq_test::get32(tinyq_test::entry(diff, uint32_t(i)) + 80));
    REQUIRE(f[g.exit(0).value] == 6);
    f[g.exit(0).value] = 7;
    tinyq_test::fix_crcs(diff);
  }
  CHECK(load(diff).code == Error::bad_frac);
  // A paper-cut file must keep byte 50 at 0.
  SyntheticOptions a;
  a.head_templates = 4;
  Buffer old = tinyq_test::synthetic_buffer(a);
  REQUIRE(load(old).ok());
  old[50] = 1;
  tinyq_test::fix_crcs(old);
  CHECK(load(old).code == Error::bad_metadata);
}
