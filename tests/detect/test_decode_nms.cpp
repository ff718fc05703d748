// Head decoding, the bounded candidate heap and integer NMS, against double
// precision models of the same formulas.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/rng.h"
#include "tinyq/detect/nms.h"

using namespace tinyq;

TEST_CASE("decode_head matches the real-valued decoder", "[detect][decode]") {
  tinyq_test::Rng rng(11);
  const int T = 3, frac = 9, H = 4, W = 5;
  const int32_t wh[2 * T] = {40 * 256, 50 * 256, 13 * 256 + 77, 17 * 256 + 3, 172 * 256 + 176, 226 * 256 + 227};
  const HeadLayout layout{T, 16, 3968, wh, nullptr};
  std::vector<int16_t> head(size_t(H) * W * 5 * T);
  for (auto& v : head) v = int16_t(rng.uniform(-(4 << frac), 4 << frac));
  std::vector<Candidate> storage(H * W * T);
  CandidateHeap heap(storage.data(), int(storage.size()));
  // A tile at (7, 3) of the resized image (detect/tiling.h): anchors move by the origin.
  const int image_w = 123, image_h = 77, resized_w = 70, resized_h = 50, ox = 7, oy = 3;
  decode_head(Tensor<const int16_t>{head.data(), H, W, 5 * T}, frac, layout, INT32_MIN,
              DecodeFrame{256, ox, oy, resized_w, resized_h, image_w, image_h}, heap);
  REQUIRE(heap.size() == H * W * T);
  heap.sort_descending();
  // Every decoded candidate corresponds to a cell/template; check each against doubles.
  int checked = 0;
  for (int i = 0; i < H; ++i) {
    for (int j = 0; j < W; ++j) {
      for (int t = 0; t < T; ++t) {
        const int16_t* cell = &head[(size_t(i) * W + j) * 5 * T];
        const double s = 1.0 / (1 << frac);
        const double ax = ox + 16 * j + 15.5, ay = oy + 16 * i + 15.5, wt = wh[2 * t] / 256.0, ht = wh[2 * t + 1] / 256.0;
        const double cx = ax + cell[T + t] * s * wt, cy = ay + cell[2 * T + t] * s * ht;
        const double w = wt * std::exp(std::max(-6.0, std::min(6.0, cell[3 * T + t] * s)));
        const double h = ht * std::exp(std::max(-6.0, std::min(6.0, cell[4 * T + t] * s)));
        const double sx = double(image_w) / resized_w, sy = double(image_h) / resized_h;
        const auto it = std::find_if(storage.begin(), storage.end(), [&](const Candidate& c) {
          return c.logit == cell[t] && std::fabs(c.x0 / 256.0 - (cx - w / 2) * sx) < 0.05;
        });
        REQUIRE(it != storage.end());
        CHECK(std::fabs(it->x1 / 256.0 - (cx + w / 2) * sx) < 0.05);
        CHECK(std::fabs(it->y0 / 256.0 - (cy - h / 2) * sy) < 0.05);
        CHECK(std::fabs(it->y1 / 256.0 - (cy + h / 2) * sy) < 0.05);
        ++checked;
      }
    }
  }
  CHECK(checked == H * W * T);
  for (int k = 1; k < heap.size(); ++k) REQUIRE(storage[k - 1].logit >= storage[k].logit);
}

TEST_CASE("template gating decodes a template only at its inference scale", "[detect][decode]") {
  const int T = 3;
  const int32_t wh[2 * T] = {40 * 256, 50 * 256, 20 * 256, 20 * 256, 80 * 256, 90 * 256};
  const int32_t scales[T] = {128, 0, 512};  // 0.5x (and the octaves below it), every scale, 2x only
  const HeadLayout layout{T, 16, 3968, wh, scales};
  CHECK(smallest_bound_scale_q8(layout) == 128);
  std::vector<int16_t> head(size_t(2) * 2 * 5 * T, 0);
  // 1/16x, 1/8x, 1/4x, 3/8x: below the smallest bound scale, so its templates serve them
  // (large faces); 3/4x: neither bound nor below 0.5x, only the unbound template.
  for (int scale : {16, 32, 64, 96, 128, 192, 256, 512}) {
    std::vector<Candidate> storage(64);
    CandidateHeap heap(storage.data(), 64);
    decode_head(Tensor<const int16_t>{head.data(), 2, 2, 5 * T}, 9, layout, INT32_MIN, DecodeFrame{scale, 0, 0, 32, 32, 32, 32},
                heap);
    const bool half = scale <= 128;
    const int per_cell = 1 + (half ? 1 : 0) + (scale == 512 ? 1 : 0);
    INFO("scale " << scale << "/256");
    REQUIRE(heap.size() == 4 * per_cell);
    for (int k = 0; k < heap.size(); ++k) {
      const int w = (storage[size_t(k)].x1 - storage[size_t(k)].x0) / 256;
      CHECK((w == 20 || (w == 40 && half) || (w == 80 && scale == 512)));
    }
  }
  const HeadLayout unbound{T, 16, 3968, wh, nullptr};
  CHECK(smallest_bound_scale_q8(unbound) == 0);
  for (int t = 0; t < T; ++t) CHECK(template_used_at(unbound, t, 16));
}

TEST_CASE("CandidateHeap keeps exactly the best `capacity` logits", "[detect][heap]") {
  tinyq_test::Rng rng(12);
  for (int capacity : {0, 1, 7, 64}) {
    std::vector<Candidate> storage(size_t(capacity) + 1);
    CandidateHeap heap(storage.data(), capacity);
    std::vector<int32_t> all;
    for (int n = 0; n < 500; ++n) {
      const int32_t logit = int32_t(rng.uniform(-1000, 1000));
      all.push_back(logit);
      heap.push(Candidate{0, 0, 1, 1, logit, 0});
    }
    heap.sort_descending();
    std::sort(all.rbegin(), all.rend());
    REQUIRE(heap.size() == capacity);
    CHECK(heap.dropped_any());
    for (int k = 0; k < capacity; ++k) REQUIRE(storage[k].logit == all[k]);
  }
}

TEST_CASE("logit_threshold inverts the fixed-point logistic", "[detect][decode]") {
  for (int frac : {7, 8, 9}) {
    for (double p : {0.05, 0.3, 0.5, 0.7, 0.95}) {
      const int32_t p_q30 = int32_t(std::lround(p * (1 << 30)));
      const int32_t t = logit_threshold(p_q30, frac);
      REQUIRE(fixed_logistic_q30(t, frac) >= p_q30);
      REQUIRE(fixed_logistic_q30(t - 1, frac) < p_q30);
      CHECK(std::fabs(t / double(1 << frac) - std::log(p / (1 - p))) <= 1.0 / (1 << frac));
    }
  }
}

TEST_CASE("integer IoU comparison agrees with the real IoU, and NMS is greedy", "[detect][nms]") {
  tinyq_test::Rng rng(13);
  for (int n = 0; n < 200000; ++n) {
    auto box = [&]() {
      const int32_t x = int32_t(rng.uniform(0, 60 * 256)), y = int32_t(rng.uniform(0, 60 * 256));
      return Candidate{x, y, x + int32_t(rng.uniform(1, 40 * 256)), y + int32_t(rng.uniform(1, 40 * 256)), 0, 0};
    };
    const Candidate a = box(), b = box();
    const int32_t thr_q16 = int32_t(rng.uniform(0, 65535));
    const double ix = std::max(0.0, double(std::min(a.x1, b.x1)) - std::max(a.x0, b.x0));
    const double iy = std::max(0.0, double(std::min(a.y1, b.y1)) - std::max(a.y0, b.y0));
    const double inter = ix * iy;
    const double uni = double(a.x1 - a.x0) * (a.y1 - a.y0) + double(b.x1 - b.x0) * (b.y1 - b.y0) - inter;
    const double lhs = inter * 65536, rhs = double(thr_q16) * uni;
    if (std::fabs(lhs - rhs) < 1) continue;  // exact tie: both answers are defensible
    REQUIRE(iou_exceeds(a, b, thr_q16) == (lhs > rhs));
  }
  // Three boxes: the second overlaps the first heavily, the third is apart.
  Candidate c[3] = {{0, 0, 100, 100, 30, 0}, {10, 10, 110, 110, 20, 1}, {500, 500, 600, 600, 10, 2}};
  REQUIRE(non_max_suppression(c, 3, 19661 /* 0.3 */) == 2);
  CHECK(c[0].logit == 30);
  CHECK(c[1].logit == 10);
  Candidate d[2] = {{0, 0, 100, 100, 30, 0}, {10, 10, 110, 110, 20, 1}};
  CHECK(non_max_suppression(d, 2, 52429 /* 0.8: IoU 0.68 survives */) == 2);
}

TEST_CASE("decode never narrows: extreme heads and templates give clamped coordinates", "[detect][decode]") {
  // The largest templates the loader accepts (2^24 Q8 px), head values at both int16
  // ends with frac 0 (tx * w_t = 2^39), and a 1/16x scale (coordinates times 16): every
  // coordinate lands in [kCandidateMinQ8, kCandidateMaxQ8] (int32 before, it wrapped).
  const int T = 2;
  const int32_t wh[2 * T] = {1 << 24, 1 << 24, 256, 256};
  const HeadLayout layout{T, 16, 3968, wh, nullptr};
  for (int16_t v : {int16_t(INT16_MIN), int16_t(-1), int16_t(0), int16_t(INT16_MAX)}) {
    std::vector<int16_t> head(size_t(3) * 3 * 5 * T, v);
    std::vector<Candidate> storage(64);
    CandidateHeap heap(storage.data(), 64);
    decode_head(Tensor<const int16_t>{head.data(), 3, 3, 5 * T}, 0, layout, INT32_MIN,
                DecodeFrame{16, 4000, 4000, 512, 512, kMaxImageSide, kMaxImageSide}, heap);
    REQUIRE(heap.size() == 3 * 3 * T);
    for (int k = 0; k < heap.size(); ++k) {
      const Candidate& c = storage[size_t(k)];
      for (int32_t q : {c.x0, c.y0, c.x1, c.y1}) {
        REQUIRE(q >= kCandidateMinQ8);
        REQUIRE(q <= kCandidateMaxQ8);
      }
      REQUIRE(c.x0 <= c.x1);
      REQUIRE(c.y0 <= c.y1);
    }
    // Huge positive offsets saturate at the top bound (a wrapped int32 would be negative).
    if (v == INT16_MAX) CHECK(storage[0].x1 == kCandidateMaxQ8);
  }
}

TEST_CASE("integer IoU stays exact at the coordinate bounds", "[detect][nms]") {
  const int32_t lo = int32_t(kCandidateMinQ8), hi = int32_t(kCandidateMaxQ8);
  const Candidate whole{lo, lo, hi, hi, 0, 0};
  // IoU(whole, whole) = 1 exceeds every threshold below 1; a quarter box has IoU 1/4.
  CHECK(iou_exceeds(whole, whole, 65535));
  const int32_t mid = lo + (hi - lo) / 2;
  const Candidate quarter{lo, lo, mid, mid, 0, 1};
  CHECK(iou_exceeds(whole, quarter, 16383));        // 0.25 > 0.24998
  CHECK_FALSE(iou_exceeds(whole, quarter, 16385));  // 0.25 < 0.25002
  // Widths formed in int64: x1 - x0 = 3 * 2^21 would not overflow int32 here, but a box
  // with x0 = INT32_MIN, x1 = INT32_MAX (never produced, still defined) must not trap.
  const Candidate wide{INT32_MIN / 4, 0, INT32_MAX / 4, 256, 0, 2};
  CHECK(iou_exceeds(wide, wide, 32768));
}
