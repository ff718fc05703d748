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
  std::vector<uint8_t> arena_storage(det.arena_bytes(W, H, o) + 16);
  uint8_t* arena = arena_storage.data() + (16 - reinterpret_cast<uintptr_t>(arena_storage.data()) % 16) % 16;
  std::vector<Detection> boxes(512);
  int count = 0;
  REQUIRE(det.detect(ImageView{img.data(), W, H, W * 3}, o, arena, det.arena_bytes(W, H, o), boxes.data(), 512, &count).ok());

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
  const size_t need = det.arena_bytes(W, H, o);
  REQUIRE(need > 0);
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
  std::vector<uint64_t> arena(det.arena_bytes(40, 40, o) / 8 + 1);
  auto* a = reinterpret_cast<uint8_t*>(arena.data());
  Detection boxes[4];
  int count = 0;
  CHECK(det.detect(ImageView{img.data(), 0, 40, 0}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_input_size);
  CHECK(det.detect(ImageView{img.data(), 40, 40, 10}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_input_size);
  CHECK(det.detect(ImageView{nullptr, 40, 40, 120}, o, a, arena.size() * 8, boxes, 4, &count).code ==
        model::Error::bad_input_size);
  CHECK(det.detect(ImageView{img.data(), 40, 40, 120}, o, a + 1, arena.size() * 8 - 8, boxes, 4, &count).code ==
        model::Error::misaligned_buffer);
  DetectOptions bad = o;
  bad.num_scales = 0;
  CHECK(det.arena_bytes(40, 40, bad) == 0);
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
  std::vector<uint64_t> arena(det.arena_bytes(W, H, o) / 8 + 1);
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
  std::vector<uint64_t> arena(det.arena_bytes(W, H, opt) / 8 + 1);
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
