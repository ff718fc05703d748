// FaceDetector on synthetic models: the box list equals an independent
// double-precision decode + NMS of the same integer head, the arena is exact and
// the only memory used, and every bad input is an error value.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "common/allocation_counter.h"  // this program's heap allocation count
#include "common/rng.h"
#include "model/model_test_util.h"
#include "tinyq/detect/face_detector.h"

using namespace tinyq;
using tinyq_test::Buffer;
using tinyq_test::SyntheticOptions;


namespace {

Buffer face_model(uint64_t seed, model::DType act = model::DType::int16) {
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.head_templates = 5;
  o.activation_dtype = act;
  o.seed = seed;
  return tinyq_test::synthetic_buffer(o);
}

std::vector<uint8_t> random_image(int w, int h, uint64_t seed) {
  tinyq_test::Rng rng(seed);
  std::vector<uint8_t> img(size_t(w) * h * 3);
  for (auto& v : img) v = uint8_t(rng.uniform(0, 255));
  return img;
}

struct RealBox {
  double x0, y0, x1, y1;
  int32_t logit;
};

double iou(const RealBox& a, const RealBox& b) {
  const double iw = std::max(0.0, std::min(a.x1, b.x1) - std::max(a.x0, b.x0));
  const double ih = std::max(0.0, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  const double inter = iw * ih;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

// arena_bytes of a call that must be valid.
size_t arena_for(const FaceDetector& det, int w, int h, const DetectOptions& o) {
  size_t need = 0;
  const model::Status s = det.arena_bytes(w, h, o, &need);
  INFO(s.message);
  REQUIRE(s.ok());
  REQUIRE(need > 0);
  return need;
}

}  // namespace

TEST_CASE("FaceDetector boxes equal a double-precision decode + NMS of the same head", "[detect][face]") {
  Buffer buf = face_model(3);
  FaceDetector det;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  const int W = 75, H = 61;
  const auto img = random_image(W, H, 4);
  DetectOptions o;
  o.num_scales = 1;
  o.scales_q8[0] = 256;
  o.threshold_q30 = 1 << 28;  // 0.25: plenty of candidates on noise
  o.nms_iou_q16 = 19661;
  std::vector<uint8_t> arena_storage(arena_for(det, W, H, o) + 16);
  uint8_t* arena = arena_storage.data() + (16 - reinterpret_cast<uintptr_t>(arena_storage.data()) % 16) % 16;
  std::vector<Detection> boxes(512);
  int count = 0;
  REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, o, arena, arena_for(det, W, H, o), boxes.data(), 512, &count).ok());

  // Independent path: the same integer network on the same resized input, decoded in doubles.
  const NetworkInput in = det.network_input_for(W, H, 256);
  const int rw = in.resized_w, rh = in.resized_h, nw = in.net_w, nh = in.net_h;
  std::vector<uint8_t> rgb(size_t(nw) * nh * 3);
  resize_bilinear_rgb(ImageView{img.data(), W, H, W * 3}, rw, rh, rgb.data(), nw, nh, 128);
  model::MemoryPlan plan;
  REQUIRE(model::MemoryPlan::make(det.graph(), nh, nw, model::Schedule::layer_by_layer, &plan).ok());
  std::vector<uint64_t> exec_arena(plan.arena_bytes / 8 + 2);
  model::IntegerOutput head;
  REQUIRE(model::run_integer(det.graph(), plan, reinterpret_cast<uint8_t*>(exec_arena.data()), plan.arena_bytes,
                             rgb.data(), &head).ok());
  const int T = 5;
  const double s = std::ldexp(1.0, -head.frac);
  const int32_t* tpl = det.graph().templates().as<int32_t>();
  const double tfrac = std::ldexp(1.0, -det.graph().templates().frac);
  std::vector<RealBox> real;
  const int16_t* h = head.as<int16_t>();
  for (int i = 0; i < head.shape.height; ++i)
    for (int j = 0; j < head.shape.width; ++j)
      for (int t = 0; t < T; ++t) {
        const int16_t* c = h + (size_t(i) * head.shape.width + j) * 5 * T;
        const double p = 1 / (1 + std::exp(-c[t] * s));
        if (p < 0.25) continue;
        const double wt = (tpl[4 * t + 2] - tpl[4 * t]) * tfrac, ht = (tpl[4 * t + 3] - tpl[4 * t + 1]) * tfrac;
        const double cx = 16 * j + 15.5 + c[T + t] * s * wt, cy = 16 * i + 15.5 + c[2 * T + t] * s * ht;
        const double w = wt * std::exp(std::max(-6.0, std::min(6.0, c[3 * T + t] * s)));
        const double hh = ht * std::exp(std::max(-6.0, std::min(6.0, c[4 * T + t] * s)));
        const double sx = double(W) / rw, sy = double(H) / rh;
        real.push_back({(cx - w / 2) * sx, (cy - hh / 2) * sy, (cx + w / 2) * sx, (cy + hh / 2) * sy, c[t]});
      }
  REQUIRE(real.size() > 10);
  std::stable_sort(real.begin(), real.end(), [](const RealBox& a, const RealBox& b) { return a.logit > b.logit; });
  std::vector<RealBox> kept;
  for (const auto& r : real) {
    bool suppressed = false;
    for (const auto& k : kept) suppressed = suppressed || iou(k, r) > 0.3;
    if (!suppressed) kept.push_back(r);
  }
  // Ties in logit may order differently; NMS near the threshold may differ by rounding.
  // Require the same count and each integer box to match a real box within 1 px.
  REQUIRE(count == int(kept.size()));
  for (int i = 0; i < count; ++i) {
    const Detection& d = boxes[size_t(i)];
    const bool found = std::any_of(kept.begin(), kept.end(), [&](const RealBox& r) {
      auto near = [](double real_v, int32_t got, int size) {
        return std::fabs(std::min(std::max(real_v, 0.0), double(size)) - got) <= 1.0;
      };
      return r.logit == d.logit && near(r.x0, d.box.x0, W) && near(r.y0, d.box.y0, H) && near(r.x1, d.box.x1, W) &&
             near(r.y1, d.box.y1, H);
    });
    if (!found) {
      for (const auto& r : kept)
        if (r.logit == d.logit) UNSCOPED_INFO("real " << r.x0 << " " << r.y0 << " " << r.x1 << " " << r.y1);
      UNSCOPED_INFO("got " << d.box.x0 << " " << d.box.y0 << " " << d.box.x1 << " " << d.box.y1 << " logit " << d.logit);
    }
    REQUIRE(found);
    CHECK(std::fabs(d.score_q30 - std::ldexp(1 / (1 + std::exp(-d.logit * s)), 30)) <= 1.0);
  }
}

TEST_CASE("FaceDetector uses exactly its arena and no heap", "[detect][face]") {
  Buffer buf = face_model(5, model::DType::int8);
  FaceDetector det;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  const int W = 50, H = 90;
  const auto img = random_image(W, H, 6);
  DetectOptions o;  // default: 1x and 2x
  const size_t need = arena_for(det, W, H, o);
  std::vector<uint64_t> storage(need / 8 + 64, 0x5A5A5A5A5A5A5A5Aull);
  uint8_t* arena = reinterpret_cast<uint8_t*>(storage.data());
  std::vector<Detection> boxes(64);
  int count = -1;
  {  // the counter is live in this build
    const long start = tinyq_test::heap_allocations();
    int* volatile p = new int(1);
    delete p;
    REQUIRE(tinyq_test::heap_allocations() == start + 1);
  }
  const long before = tinyq_test::heap_allocations();
  const model::Status s = det.detect(ImageView{img.data(), W, H, W * 3}, o, arena, need, boxes.data(), 64, &count);
  CHECK(tinyq_test::heap_allocations() == before);
  REQUIRE(s.ok());
  CHECK(count >= 0);
  for (size_t i = need; i < storage.size() * 8; ++i) REQUIRE(arena[i] == 0x5A);  // nothing past the arena
  // One byte short is refused, not overrun.
  CHECK(det.detect(ImageView{img.data(), W, H, W * 3}, o, arena, need - 1, boxes.data(), 64, &count).code ==
        model::Error::arena_too_small);
}

TEST_CASE("FaceDetector rejects bad models, images and options with an error", "[detect][face]") {
  FaceDetector det;
  // A backbone without a head is not a face detector.
  SyntheticOptions no_head;
  Buffer plain = tinyq_test::synthetic_buffer(no_head);
  CHECK(FaceDetector::open(plain.data(), plain.size, &det).code == model::Error::bad_metadata);
  // A truncated file is refused by the loader.
  Buffer buf = face_model(7);
  CHECK_FALSE(FaceDetector::open(buf.data(), buf.size / 2, &det).ok());
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());

  const auto img = random_image(40, 40, 8);
  DetectOptions o;
  std::vector<uint64_t> arena(arena_for(det, 40, 40, o) / 8 + 1);
  auto* a = reinterpret_cast<uint8_t*>(arena.data());
  Detection boxes[4];
  int count = 0;
  CHECK(det.detect(ImageView{img.data(), 0, 40, 0}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_image);
  CHECK(det.detect(ImageView{img.data(), 40, 40, 10}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_image);
  CHECK(det.detect(ImageView{nullptr, 40, 40, 120}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_image);
  CHECK(det.detect(ImageView{img.data(), 40, 40, 120}, o, a + 1, arena.size() * 8 - 8, boxes, 4, &count).code ==
        model::Error::misaligned_buffer);
  DetectOptions bad = o;
  bad.num_scales = 0;
  size_t need = 123;
  CHECK(det.arena_bytes(40, 40, bad, &need).code == model::Error::bad_options);
  CHECK(need == 0);
  CHECK_FALSE(det.detect(ImageView{img.data(), 40, 40, 120}, bad, a, arena.size() * 8, boxes, 4, &count).ok());
  bad = o;
  bad.scales_q8[1] = 100000;
  CHECK_FALSE(det.detect(ImageView{img.data(), 40, 40, 120}, bad, a, arena.size() * 8, boxes, 4, &count).ok());
  bad = o;
  bad.threshold_q30 = -1;
  CHECK_FALSE(det.detect(ImageView{img.data(), 40, 40, 120}, bad, a, arena.size() * 8, boxes, 4, &count).ok());
  // Output capacity smaller than the detections: truncated to the best ones, no overrun.
  o.threshold_q30 = 0;
  REQUIRE(det.detect(ImageView{img.data(), 40, 40, 120}, o, a, arena.size() * 8, boxes, 4, &count).ok());
  CHECK(count <= 4);
}

#include "tinyq/detect/host/float_face_detector.h"

TEST_CASE("FloatFaceDetector (weights-only mode) agrees with the integer FaceDetector", "[detect][face][float]") {
  Buffer buf = face_model(9);
  FaceDetector det;
  FloatFaceDetector fdet;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  REQUIRE(FloatFaceDetector::open(buf.data(), buf.size, &fdet).ok());
  const int W = 70, H = 52;
  const auto img = random_image(W, H, 10);
  const ImageView view{img.data(), W, H, W * 3};

  // The heads: integer (activations in Q9) vs float on the same input stay within a few ulp.
  const NetworkInput in = det.network_input_for(W, H, 256);
  std::vector<uint8_t> rgb(size_t(in.net_w) * in.net_h * 3);
  resize_bilinear_rgb(view, in.resized_w, in.resized_h, rgb.data(), in.net_w, in.net_h, 128);
  model::FloatTensor float_head;
  REQUIRE(fdet.run_head(rgb.data(), in.net_h, in.net_w, &float_head).ok());
  model::MemoryPlan plan;
  REQUIRE(model::MemoryPlan::make(det.graph(), in.net_h, in.net_w, model::Schedule::layer_by_layer, &plan).ok());
  std::vector<uint64_t> exec(plan.arena_bytes / 8 + 2);
  model::IntegerOutput head;
  REQUIRE(model::run_integer(det.graph(), plan, reinterpret_cast<uint8_t*>(exec.data()), plan.arena_bytes, rgb.data(),
                             &head).ok());
  REQUIRE(float_head.data.size() == head.shape.elements());
  double max_err = 0;
  for (size_t i = 0; i < float_head.data.size(); ++i)
    max_err = std::max(max_err, std::fabs(head.as<int16_t>()[i] * std::ldexp(1.0, -head.frac) - float_head.data[i]));
  INFO("max |integer head - float head| = " << max_err);
  CHECK(max_err < 8 * std::ldexp(1.0, -head.frac));

  // Without threshold and NMS every cell/template comes out of both: each integer box has
  // a float box within 1 px on every side (the decoder is shared; only the head differs).
  DetectOptions o;
  o.num_scales = 1;
  o.scales_q8[0] = 256;
  o.threshold_q30 = 0;
  o.nms_iou_q16 = 65536;
  std::vector<uint64_t> arena(arena_for(det, W, H, o) / 8 + 1);
  std::vector<Detection> boxes(4096);
  int count = 0;
  REQUIRE(det.detect(view, o, reinterpret_cast<uint8_t*>(arena.data()), arena.size() * 8, boxes.data(), 4096, &count).ok());
  std::vector<Detection> fboxes;
  REQUIRE(fdet.detect(view, o, &fboxes).ok());
  REQUIRE(count == (in.net_w / 16) * (in.net_h / 16) * 5);
  REQUIRE(int(fboxes.size()) == count);
  for (int i = 0; i < count; ++i) {
    const Box& a = boxes[size_t(i)].box;
    const bool found = std::any_of(fboxes.begin(), fboxes.end(), [&](const Detection& f) {
      return std::abs(f.box.x0 - a.x0) <= 1 && std::abs(f.box.y0 - a.y0) <= 1 && std::abs(f.box.x1 - a.x1) <= 1 &&
             std::abs(f.box.y1 - a.y1) <= 1;
    });
    REQUIRE(found);
  }
}

TEST_CASE("head/template_scales gates templates per scale and is validated", "[detect][face][gating]") {
  SyntheticOptions o;
  o.head_templates = 8;
  o.template_scales = true;  // scales cycle 0.5x, 1x, 2x, any
  o.seed = 31;
  Buffer buf = tinyq_test::synthetic_buffer(o);
  FaceDetector det;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  REQUIRE(det.graph().template_scales().valid());
  // At 1x only the templates with scale 256 or 0 are decoded (t % 4 == 1 or 3).
  const int W = 48, H = 48;
  const auto img = random_image(W, H, 32);
  DetectOptions opt;
  opt.num_scales = 1;
  opt.scales_q8[0] = 256;
  opt.threshold_q30 = 0;
  opt.nms_iou_q16 = 65536;  // keep everything
  std::vector<uint64_t> arena(arena_for(det, W, H, opt) / 8 + 1);
  std::vector<Detection> boxes(4096);
  int count = 0;
  REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, opt, reinterpret_cast<uint8_t*>(arena.data()),
                     arena.size() * 8, boxes.data(), 4096, &count).ok());
  const NetworkInput in = det.network_input_for(W, H, 256);
  CHECK(count == (in.net_w / 16) * (in.net_h / 16) * 4);  // 4 of the 8 templates at 1x

  // An out-of-range scale is refused with a clear error.
  const int e = tinyq_test::find_entry(buf, "head/template_scales");
  REQUIRE(e >= 0);
  uint8_t* entry = tinyq_test::entry(buf, uint32_t(e));
  tinyq_test::put32(buf.data() + tinyq_test::get32(entry + 80), 99999);
  tinyq_test::fix_crcs(buf);
  FaceDetector bad;
  const model::Status s = FaceDetector::open(buf.data(), buf.size, &bad);
  CHECK(s.code == model::Error::bad_metadata);
}

namespace {

// detect() on exactly arena_bytes of heap (ASan sees any write past it) with guard bytes
// checked after a copy: the call must succeed and every box lie inside the image.
void detect_checked(const FaceDetector& det, int w, int h, const DetectOptions& o, uint64_t seed,
                    DetectReport* report = nullptr, std::vector<Detection>* found = nullptr) {
  const auto img = random_image(w, h, seed);
  const size_t need = arena_for(det, w, h, o);
  const size_t guard = 256;
  std::vector<uint64_t> storage((need + guard) / 8 + 1, 0xA5A5A5A5A5A5A5A5ull);
  uint8_t* arena = reinterpret_cast<uint8_t*>(storage.data());
  std::vector<Detection> boxes(64);
  int count = -1;
  const model::Status s = det.detect(ImageView{img.data(), w, h, w * 3}, o, arena, need, boxes.data(), 64, &count, report);
  INFO(w << "x" << h << ": " << s.message);
  REQUIRE(s.ok());
  REQUIRE(count >= 0);
  REQUIRE(count <= 64);
  for (size_t i = need; i < need + guard; ++i) REQUIRE(arena[i] == 0xA5);
  for (int i = 0; i < count; ++i) {
    const Box& b = boxes[size_t(i)].box;
    REQUIRE(0 <= b.x0);
    REQUIRE(b.x0 <= b.x1);
    REQUIRE(b.x1 <= w);
    REQUIRE(0 <= b.y0);
    REQUIRE(b.y0 <= b.y1);
    REQUIRE(b.y1 <= h);
  }
  if (found) found->assign(boxes.begin(), boxes.begin() + count);
}

}  // namespace

TEST_CASE("every image side up to 8192 px works at the default scales (tiles past the limit)", "[detect][face][sizes]") {
  Buffer buf = face_model(51);
  FaceDetector det;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  DetectOptions o;  // 0.5x, 1x, 2x: a 2049-px side is a 4098-px network input at 2x
  for (int side : {2048, 2049, 4096, 8192}) {
    for (bool wide : {true, false}) {
      const int w = wide ? side : 24, h = wide ? 24 : side;
      DetectReport report{};
      detect_checked(det, w, h, o, uint64_t(side), &report);
      REQUIRE(report.num_scales == 3);
      const TileGrid& at2x = report.scale[2];
      CHECK(at2x.tiled() == (2 * side > o.max_tile_side));
      CHECK(at2x.x.length <= o.max_tile_side);
      CHECK(at2x.y.length <= o.max_tile_side);
    }
  }
  // The arena is bounded by the tile: no side needs more than the largest untiled input
  // (1024 px at 2x = one 2048-px tile).
  size_t a1024 = 0, a8192 = 0;
  REQUIRE(det.arena_bytes(1024, 24, o, &a1024).ok());
  REQUIRE(det.arena_bytes(8192, 24, o, &a8192).ok());
  CHECK(a8192 <= a1024);
  // Sizes past the limit are a clear error, never "0 bytes".
  size_t need = 1;
  CHECK(det.arena_bytes(8193, 24, o, &need).code == model::Error::bad_image);
  CHECK(need == 0);
  CHECK(det.arena_bytes(0, 24, o, &need).code == model::Error::bad_image);
}

TEST_CASE("a tiled detection equals its tiles run one by one, decoded at their origins", "[detect][face][tiling]") {
  Buffer buf = face_model(52);
  FaceDetector det;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
  const int W = 300, H = 70;
  const auto img = random_image(W, H, 53);
  const ImageView view{img.data(), W, H, W * 3};
  DetectOptions o;
  o.num_scales = 2;
  o.scales_q8[0] = 256;
  o.scales_q8[1] = 512;
  o.threshold_q30 = 1 << 28;
  o.max_tile_side = 128;
  std::vector<Detection> got;
  DetectReport report{};
  detect_checked(det, W, H, o, 53, &report, &got);
  REQUIRE(report.scale[0].tiled());
  REQUIRE(report.scale[1].count() > report.scale[0].count());

  // Reference: every tile through its own plan and the executor, decoded by hand.
  std::vector<Candidate> storage(size_t(o.max_candidates));
  CandidateHeap heap(storage.data(), o.max_candidates);
  int head_frac = 0;
  for (int k = 0; k < o.num_scales; ++k) {
    const TileGrid g = det.tiles_for(W, H, o, k);
    model::MemoryPlan plan;
    REQUIRE(model::MemoryPlan::make(det.graph(), g.y.length, g.x.length, o.schedule, &plan).ok());
    std::vector<uint64_t> exec(plan.arena_bytes / 8 + 2);
    std::vector<uint8_t> rgb(size_t(g.x.length) * g.y.length * 3);
    for (int iy = 0; iy < g.y.tiles; ++iy)
      for (int ix = 0; ix < g.x.tiles; ++ix) {
        const DecodeFrame f{g.scale_q8, g.x.origin(ix), g.y.origin(iy), g.input.resized_w, g.input.resized_h, W, H};
        resize_bilinear_rgb_window(view, f.resized_w, f.resized_h, f.origin_x, f.origin_y, rgb.data(), g.x.length,
                                   g.y.length, 128);
        model::IntegerOutput head;
        REQUIRE(model::run_integer(det.graph(), plan, reinterpret_cast<uint8_t*>(exec.data()), plan.arena_bytes,
                                   rgb.data(), &head).ok());
        decode_head(Tensor<const int16_t>{head.as<int16_t>(), head.shape.height, head.shape.width, head.shape.channels},
                    head.frac, det.head_layout(), logit_threshold(o.threshold_q30, head.frac), f, heap);
        head_frac = head.frac;
      }
  }
  std::vector<Detection> want(64);
  want.resize(size_t(finish_detections(heap, o, W, H, head_frac, want.data(), 64)));
  REQUIRE(got.size() == want.size());
  REQUIRE_FALSE(got.empty());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].logit == want[i].logit);
    CHECK(got[i].box.x0 == want[i].box.x0);
    CHECK(got[i].box.y0 == want[i].box.y0);
    CHECK(got[i].box.x1 == want[i].box.x1);
    CHECK(got[i].box.y1 == want[i].box.y1);
  }
  // Without tiling the same call runs one network input per scale.
  o.max_tile_side = 4096;
  detect_checked(det, W, H, o, 53, &report, nullptr);
  CHECK_FALSE(report.scale[1].tiled());
}

#include <thread>

TEST_CASE("one FaceDetector serves concurrent detections, each with its own arena", "[detect][face][threads]") {
  // Run under ThreadSanitizer by the tsan preset: sizing and detecting from several
  // threads on one shared detector, and on a second detector, must not race, and every
  // thread gets the boxes a lone call gets.
  Buffer buf = face_model(61);
  FaceDetector shared, other;
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &shared).ok());
  REQUIRE(FaceDetector::open(buf.data(), buf.size, &other).ok());
  const int W = 64, H = 48;
  const auto img = random_image(W, H, 62);
  DetectOptions o;
  o.threshold_q30 = 1 << 28;
  auto run = [&](const FaceDetector& det, std::vector<Detection>* out) {
    size_t need = 0;
    if (!det.arena_bytes(W, H, o, &need).ok()) return false;
    std::vector<uint64_t> arena(need / 8 + 1);
    std::vector<Detection> boxes(256);
    int count = 0;
    if (!det.detect(ImageView{img.data(), W, H, W * 3}, o, reinterpret_cast<uint8_t*>(arena.data()), need, boxes.data(),
                    256, &count).ok())
      return false;
    out->assign(boxes.begin(), boxes.begin() + count);
    return true;
  };
  std::vector<Detection> expected;
  REQUIRE(run(shared, &expected));
  REQUIRE_FALSE(expected.empty());
  constexpr int kThreads = 4;
  std::vector<std::vector<Detection>> got(kThreads);
  bool ok[kThreads] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep) ok[t] = run(t % 2 ? other : shared, &got[size_t(t)]);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(ok[t]);
    REQUIRE(got[size_t(t)].size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK(got[size_t(t)][i].logit == expected[i].logit);
      CHECK(got[size_t(t)][i].box.x0 == expected[i].box.x0);
      CHECK(got[size_t(t)][i].box.y1 == expected[i].box.y1);
    }
  }
}

#include <fstream>

#include "thread_pool.h"

namespace {
// A committed model file (models/NAME) in an aligned buffer.
Buffer shipped_model(const char* name) {
  std::ifstream f(std::string(TINYQ_SOURCE_DIR "/models/") + name, std::ios::binary | std::ios::ate);
  REQUIRE(f);
  Buffer b;
  b.size = size_t(f.tellg());
  b.storage.assign(b.size / 8 + 1, 0);
  f.seekg(0);
  f.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size));
  REQUIRE(f);
  return b;
}
}  // namespace

TEST_CASE("threads: detect and run_integer are bit-identical for 1, 2, 3 and 7 workers", "[detect][face][threads]") {
  // The shipped K210 model (calibrated full-range int16: the kernels' split paths), its
  // w12d8 export (the int32 paths), a
  // synthetic int8 one and a synthetic three-exit one (heads branching off the backbone);
  // layer by layer (every layer in row bands) and row-streamed (the unfused layers in bands).
  std::vector<Buffer> models;
  models.push_back(shipped_model("face_mnv2_a050_outA.auto.tqw"));
  models.push_back(shipped_model("face_mnv2_a050_outA.w12d8.tqw"));  // the CLI's default format
  models.push_back(face_model(81, model::DType::int8));
  SyntheticOptions exits;
  tinyq_test::set_three_exits(exits, 5, 4, 3);
  exits.weight_dtype = model::DType::int16;
  exits.seed = 17;
  models.push_back(tinyq_test::synthetic_buffer(exits));
  const int W = 150, H = 110;
  const auto img = random_image(W, H, 82);
  for (const Buffer& buf : models) {
    static FaceDetector det;
    REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());
    for (auto schedule : {model::Schedule::layer_by_layer, model::Schedule::row_streamed}) {
      DetectOptions o;
      o.schedule = schedule;
      o.threshold_q30 = 0;     // every cell is a candidate: many boxes on any image
      o.max_tile_side = 192;   // tiles too
      const size_t need = arena_for(det, W, H, o);
      std::vector<uint64_t> arena(need / 8 + 1);
      // The head of one network input, and the boxes of the whole detection.
      model::MemoryPlan plan;
      REQUIRE(model::MemoryPlan::make(det.graph(), 128, 160, schedule, &plan).ok());
      std::vector<uint64_t> exec(plan.arena_bytes / 8 + 2);
      std::vector<uint8_t> rgb(size_t(128) * 160 * 3);
      for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = img[i % img.size()];
      std::vector<uint8_t> head_ref;
      std::vector<Detection> boxes_ref;
      // (threads, parts per worker): the pool's default split (4 parts per worker), and the
      // K210 image's (one part per hart) and another
      const int splits[][2] = {{1, 4}, {2, 4}, {3, 4}, {7, 4}, {2, 1}, {3, 2}};
      for (const auto& split : splits) {
        const int threads = split[0];
        tinyq_cli::ThreadPool pool(threads);
        ParallelFor par = pool.parallel_for();
        par.parts_per_worker = split[1];
        model::IntegerOutput head;
        REQUIRE(model::run_integer(det.graph(), plan, reinterpret_cast<uint8_t*>(exec.data()), plan.arena_bytes,
                                   rgb.data(), &head, &par).ok());
        const uint8_t* h = static_cast<const uint8_t*>(head.data);
        const std::vector<uint8_t> head_bytes(h, h + head.shape.elements() * (head.dtype == model::DType::int16 ? 2 : 1));
        std::vector<Detection> boxes(512);
        int count = 0;
        REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, o, reinterpret_cast<uint8_t*>(arena.data()), need,
                           boxes.data(), 512, &count, nullptr, &par).ok());
        boxes.resize(size_t(count));
        INFO("threads " << threads << " parts per worker " << split[1]);
        if (threads == 1) {
          head_ref = head_bytes;
          boxes_ref = boxes;
          REQUIRE_FALSE(boxes_ref.empty());
          continue;
        }
        REQUIRE(head_bytes == head_ref);
        REQUIRE(boxes.size() == boxes_ref.size());
        for (size_t i = 0; i < boxes.size(); ++i) {
          REQUIRE(boxes[i].logit == boxes_ref[i].logit);
          REQUIRE(boxes[i].score_q30 == boxes_ref[i].score_q30);
          REQUIRE(boxes[i].box.x0 == boxes_ref[i].box.x0);
          REQUIRE(boxes[i].box.y0 == boxes_ref[i].box.y0);
          REQUIRE(boxes[i].box.x1 == boxes_ref[i].box.x1);
          REQUIRE(boxes[i].box.y1 == boxes_ref[i].box.y1);
        }
      }
      // The same boxes with the pointwise weights packed once (FaceDetector::prepare).
      std::vector<uint8_t> packed(det.prepared_bytes());
      REQUIRE(det.prepare(packed.data(), packed.size()).ok());
      for (int threads : {1, 3}) {
        tinyq_cli::ThreadPool pool(threads);
        const ParallelFor par = pool.parallel_for();
        std::vector<Detection> boxes(512);
        int count = 0;
        REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, o, reinterpret_cast<uint8_t*>(arena.data()), need,
                           boxes.data(), 512, &count, nullptr, &par).ok());
        INFO("prepared, threads " << threads);
        REQUIRE(size_t(count) == boxes_ref.size());
        for (size_t i = 0; i < boxes_ref.size(); ++i) {
          REQUIRE(boxes[i].logit == boxes_ref[i].logit);
          REQUIRE(boxes[i].box.x0 == boxes_ref[i].box.x0);
          REQUIRE(boxes[i].box.y1 == boxes_ref[i].box.y1);
        }
      }
      REQUIRE(FaceDetector::open(buf.data(), buf.size, &det).ok());  // the plain weights again
    }
  }
}

TEST_CASE("size-driven scales: the shipped model's bound scales cover the asked face sizes", "[detect][face][scales]") {
  const Buffer b = shipped_model("face_mnv2_a100_outA.auto.tqw");
  static FaceDetector det;
  REQUIRE(FaceDetector::open(b.data(), b.size, &det).ok());
  const HeadLayout& l = det.head_layout();
  REQUIRE(l.template_scale_q8 != nullptr);
  // Face height range each scale covers, from the templates (independent of the
  // implementation: real division), and the choice for several asked ranges. The bound
  // scales are 0.5x, 1x, 2x; below 0.5x (the large-face octaves 1/4x, 1/8x, 1/16x) the
  // 0.5x templates serve.
  auto covers = [&](int32_t s, double lo, double hi) {
    for (int t = 0; t < l.num_templates; ++t) {
      if (l.template_scale_q8[t] != s && !(l.template_scale_q8[t] == 128 && s < 128)) continue;
      const double face = l.template_wh_q8[2 * t + 1] / double(s);  // image px
      if (face * 2 / 3 <= hi && face * 3 / 2 >= lo) return true;
    }
    return false;
  };
  const int32_t ranges[][2] = {{8, 4000}, {10, 30}, {40, 80}, {150, 600}, {300, 400}, {1000, 1500}, {5000, 8000},
                               {6000, 8000}};
  for (const auto& r : ranges) {
    DetectOptions o;
    const int n = choose_scales_for_faces(l, r[0], r[1], &o);
    int expected = 0;
    for (int32_t s : {16, 32, 64, 128, 256, 512}) expected += covers(s, r[0], r[1]) ? 1 : 0;
    INFO("faces " << r[0] << ".." << r[1] << " px");
    REQUIRE(n == expected);
    for (int k = 0; k < n; ++k) {
      CHECK(covers(o.scales_q8[k], r[0], r[1]));
      if (k) CHECK(o.scales_q8[k] > o.scales_q8[k - 1]);
    }
    if (n == 0) CHECK(o.num_scales == 3);  // left unchanged
  }
  DetectOptions all;
  REQUIRE(choose_scales_for_faces(l, 8, 150, &all) == 3);  // the default 0.5x, 1x, 2x
  CHECK(all.scales_q8[0] == 128);
  DetectOptions phone;  // faces up to 4000 px: the three octaves below 0.5x as well
  REQUIRE(choose_scales_for_faces(l, 8, 4000, &phone) == 6);
  CHECK(phone.scales_q8[0] == 16);
  DetectOptions small;
  REQUIRE(choose_scales_for_faces(l, 10, 16, &small) >= 1);
  CHECK(small.scales_q8[small.num_scales - 1] == 512);  // tiny faces need the 2x pass
  DetectOptions none;
  CHECK(choose_scales_for_faces(l, 20, 10, &none) == 0);  // empty range
}

TEST_CASE("large-face octaves: the default scales grow down to the photo's height", "[detect][face][scales]") {
  const Buffer b = shipped_model("face_mnv2_a100_outA.w12d8.tqw");
  static FaceDetector det;
  REQUIRE(FaceDetector::open(b.data(), b.size, &det).ok());
  const HeadLayout& l = det.head_layout();
  REQUIRE(smallest_bound_scale_q8(l) == 128);
  // The tallest face the 0.5x templates reach at scale s (image px, real division).
  double tallest_half = 0;
  for (int t = 0; t < l.num_templates; ++t)
    if (l.template_scale_q8[t] == 128) tallest_half = std::max(tallest_half, 1.5 * l.template_wh_q8[2 * t + 1]);
  for (int h : {16, 416, 600, 680, 700, 1361, 1400, 3024, 5445, 5500, 8192}) {
    const DetectOptions o = det.default_options(h);
    // Independent of the implementation: the octaves s = 1/2^k below 0.5x until
    // tallest_half / s reaches h, 1/16x at the most.
    int extra = 0;
    while (tallest_half / (128 >> extra) < h && extra < 3) ++extra;
    INFO("photo height " << h);
    REQUIRE(o.num_scales == 3 + extra);
    for (int k = 0; k < o.num_scales; ++k) CHECK(o.scales_q8[k] == (512 >> (o.num_scales - 1 - k)));
    CHECK(FaceDetector::valid_options(o));
  }
  // A list already reaching the height is left alone; a list without 0.5x grows too.
  DetectOptions one;
  one.scales_q8[0] = 256;
  one.num_scales = 1;
  CHECK(add_large_face_scales(det.exit_layouts(), 100, &one) == 0);
  CHECK(add_large_face_scales(det.exit_layouts(), 1000, &one) == 2);  // 0.5x, 0.25x
  CHECK(one.num_scales == 3);
  CHECK(one.scales_q8[0] == 64);
  CHECK(one.scales_q8[1] == 128);
}
