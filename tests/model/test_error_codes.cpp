// The run-time error table: every code the executor, the planner and the detector can
// return, each produced by the one call that should produce it (the loader's codes
// have their own table in test_weights_file.cpp). A wrong code is a failing test.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "model_test_util.h"
#include "tinyq/detect/face_detector.h"
#include "tinyq/model/executor.h"

using namespace tinyq;
using namespace tinyq::model;
using tinyq_test::Buffer;
using tinyq_test::SyntheticOptions;

namespace {

Buffer make_model(DType act, uint16_t templates = 0, OutputVariant out = OutputVariant::A) {
  SyntheticOptions o;
  o.activation_dtype = act;
  o.head_templates = templates;
  o.output = out;
  return tinyq_test::synthetic_buffer(o);
}

struct Loaded {
  WeightsFile file;
  Graph graph;
};

void load(const Buffer& b, Loaded* l) {
  REQUIRE(WeightsFile::open(b.data(), b.size, &l->file).ok());
  REQUIRE(Graph::build(l->file, &l->graph).ok());
}

}  // namespace

TEST_CASE("every error code has its own stable name", "[errors]") {
  std::set<std::string> names;
  for (int c = 0; c <= int(Error::bad_image); ++c) {
    const std::string n = error_name(Error(c));
    CHECK(n != "unknown");
    CHECK(names.insert(n).second);
  }
  CHECK(std::string(error_name(Error(int(Error::bad_image) + 1))) == "unknown");
}

TEST_CASE("run-time error table: one call per code", "[errors]") {
  Buffer b16 = make_model(DType::int16), b8 = make_model(DType::int8), bfloat = make_model(DType::float32);
  Buffer bB = make_model(DType::int16, 0, OutputVariant::B);
  static Loaded g16, g8, gB, gf;  // Graph is large: keep it off the stack
  load(b16, &g16);
  load(b8, &g8);
  load(bB, &gB);
  load(bfloat, &gf);
  const int H = 64, W = 64;
  std::vector<uint8_t> rgb(size_t(H) * W * 3, 100);
  MemoryPlan plan16, plan8, planB;
  REQUIRE(MemoryPlan::make(g16.graph, H, W, Schedule::row_streamed, &plan16).ok());
  REQUIRE(MemoryPlan::make(g8.graph, H, W, Schedule::row_streamed, &plan8).ok());
  REQUIRE(MemoryPlan::make(gB.graph, H, W, Schedule::row_streamed, &planB).ok());
  std::vector<uint64_t> arena(plan16.arena_bytes / 8 + planB.arena_bytes / 8 + 16);
  uint8_t* a = reinterpret_cast<uint8_t*>(arena.data());
  const size_t asize = arena.size() * 8;
  IntegerOutput out;

  SECTION("truncated: an empty weights file (not null_buffer)") {
    uint64_t word = 0;
    WeightsFile f;
    CHECK(WeightsFile::open(reinterpret_cast<const uint8_t*>(&word), 0, &f).code == Error::truncated);
    CHECK(WeightsFile::open(nullptr, 0, &f).code == Error::truncated);
    CHECK(WeightsFile::open(nullptr, 64, &f).code == Error::null_buffer);
  }
  SECTION("bad_input_size: a plan outside [32, 4096]") {
    MemoryPlan p;
    CHECK(MemoryPlan::make(g16.graph, 31, 64, Schedule::layer_by_layer, &p).code == Error::bad_input_size);
    CHECK(MemoryPlan::make(g16.graph, 64, 4097, Schedule::row_streamed, &p).code == Error::bad_input_size);
  }
  SECTION("plan_mismatch: a plan made for another graph (not bad_input_size)") {
    CHECK(run_integer(g8.graph, plan16, a, asize, rgb.data(), &out).code == Error::plan_mismatch);  // element size
    CHECK(run_integer(gB.graph, plan16, a, asize, rgb.data(), &out).code == Error::plan_mismatch);  // op count
    CHECK(run_integer(g16.graph, plan16, a, asize, rgb.data(), &out).ok());
  }
  SECTION("block_rejected: a fused step whose scratch is too small (not arena_too_small)") {
    MemoryPlan broken = plan16;
    int fused = -1;
    for (int st = 0; st < broken.step_count && fused < 0; ++st)
      if (broken.scratch_bytes[st] > 0) fused = st;
    REQUIRE(fused >= 0);
    broken.scratch_bytes[fused] /= 2;
    CHECK(run_integer(g16.graph, broken, a, asize, rgb.data(), &out).code == Error::block_rejected);
  }
  SECTION("arena_too_small, null_buffer, misaligned_buffer, not_integer_model") {
    CHECK(run_integer(g16.graph, plan16, a, size_t(plan16.arena_bytes - 1), rgb.data(), &out).code ==
          Error::arena_too_small);
    CHECK(run_integer(g16.graph, plan16, nullptr, asize, rgb.data(), &out).code == Error::null_buffer);
    CHECK(run_integer(g16.graph, plan16, a + 8, asize - 8, rgb.data(), &out).code == Error::misaligned_buffer);
    CHECK(run_integer(gf.graph, plan16, a, asize, rgb.data(), &out).code == Error::not_integer_model);
  }
}

TEST_CASE("detector error table: one call per code", "[errors][detect]") {
  Buffer face = make_model(DType::int16, 4);
  FaceDetector det;
  const uint8_t pixels[3 * 40 * 40] = {};
  const ImageView img{pixels, 40, 40, 120};
  DetectOptions o;
  std::vector<uint64_t> arena(1 << 18);
  uint8_t* a = reinterpret_cast<uint8_t*>(arena.data());
  Detection boxes[8];
  int count = 0;
  size_t need = 0;

  // not_open (not null_buffer) before a successful open, for both calls.
  CHECK(det.arena_bytes(40, 40, o, &need).code == Error::not_open);
  CHECK(det.detect(img, o, a, arena.size() * 8, boxes, 8, &count).code == Error::not_open);
  REQUIRE(FaceDetector::open(face.data(), face.size, &det).ok());
  REQUIRE(det.arena_bytes(40, 40, o, &need).ok());
  REQUIRE(need <= arena.size() * 8);

  // bad_options (not bad_metadata): each field out of range.
  auto bad = [&](void (*edit)(DetectOptions&)) {
    DetectOptions b = o;
    edit(b);
    const Error e1 = det.arena_bytes(40, 40, b, &need).code;
    const Error e2 = det.detect(img, b, a, arena.size() * 8, boxes, 8, &count).code;
    return e1 == Error::bad_options && e2 == Error::bad_options;
  };
  CHECK(bad([](DetectOptions& b) { b.num_scales = 0; }));
  CHECK(bad([](DetectOptions& b) { b.num_scales = DetectOptions::kMaxScales + 1; }));
  CHECK(bad([](DetectOptions& b) { b.scales_q8[0] = 15; }));
  CHECK(bad([](DetectOptions& b) { b.threshold_q30 = (1 << 30) + 1; }));
  CHECK(bad([](DetectOptions& b) { b.nms_iou_q16 = -1; }));
  CHECK(bad([](DetectOptions& b) { b.max_candidates = 0; }));
  CHECK(bad([](DetectOptions& b) { b.max_tile_side = 63; }));
  CHECK(bad([](DetectOptions& b) { b.max_tile_side = 4097; }));
  CHECK(bad([](DetectOptions& b) { b.schedule = Schedule(7); }));

  // bad_image (not bad_input_size): null data, sides outside [1, 8192], short stride.
  CHECK(det.detect(ImageView{nullptr, 40, 40, 120}, o, a, arena.size() * 8, boxes, 8, &count).code == Error::bad_image);
  CHECK(det.detect(ImageView{pixels, 40, 40, 119}, o, a, arena.size() * 8, boxes, 8, &count).code == Error::bad_image);
  CHECK(det.arena_bytes(8193, 40, o, &need).code == Error::bad_image);
  CHECK(det.arena_bytes(40, 0, o, &need).code == Error::bad_image);

  // arena_too_small / null_buffer / misaligned_buffer for the arena and the output.
  REQUIRE(det.arena_bytes(40, 40, o, &need).ok());
  CHECK(det.detect(img, o, a, need - 1, boxes, 8, &count).code == Error::arena_too_small);
  CHECK(det.detect(img, o, nullptr, need, boxes, 8, &count).code == Error::null_buffer);
  CHECK(det.detect(img, o, a + 8, need, boxes, 8, &count).code == Error::misaligned_buffer);
  CHECK(det.detect(img, o, a, need, nullptr, 8, &count).code == Error::null_buffer);
  CHECK(det.detect(img, o, a, need, boxes, -1, &count).code == Error::null_buffer);
  CHECK(det.detect(img, o, a, need, nullptr, 0, &count).ok());  // capacity 0: count only the call's success
}
