// Digest section: the whole detector — FaceDetector on a synthetic face model (random
// weights, width 0.35, 5 templates, int16 and int8 activations, both paddings; and a
// three-exit model) and a
// deterministic synthetic image, multi-scale, low threshold so decode, the candidate
// heap and NMS all see many boxes. The complete box list (coordinates, logits, Q30
// scores) is digested: host at every SIMD level == rv64imac == rv64imafc.
#pragma once
#include "../common/rng.h"
#include "../model/synthetic_model.h"
#include "tinyq/detect/face_detector.h"

namespace digest_detect_detail {

constexpr size_t kFileBytes = 1u << 20;
constexpr size_t kArenaBytes = 6u << 20;
constexpr int kImageW = 61, kImageH = 47;

inline void run_one(tinyq_test::Digest& d, const tinyq_test::SyntheticOptions& o) {
  alignas(64) static uint8_t file[kFileBytes];
  alignas(64) static uint8_t arena[kArenaBytes];
  static uint8_t image[kImageW * kImageH * 3];
  static tinyq::FaceDetector detector;
  static tinyq::Detection boxes[128];
  const size_t size = tinyq_test::write_synthetic_model(file, kFileBytes, o);
  tinyq::model::Status s = tinyq::FaceDetector::open(file, size, &detector);
  d.add(static_cast<int64_t>(s.code));
  if (!s.ok()) return;
  // A smooth gradient with noise: structured enough for varied head outputs.
  tinyq_test::Rng rng(o.seed + 99);
  for (int y = 0; y < kImageH; ++y)
    for (int x = 0; x < kImageW; ++x)
      for (int c = 0; c < 3; ++c)
        image[(y * kImageW + x) * 3 + c] = static_cast<uint8_t>((x * 4 + y * 3 * c + rng.uniform(0, 40)) & 0xFF);
  tinyq::DetectOptions options;
  options.num_scales = 3;
  options.scales_q8[0] = 128;  // 0.5x, 1x, 2x
  options.scales_q8[1] = 256;
  options.scales_q8[2] = 512;
  options.threshold_q30 = 1 << 27;  // 0.125
  options.max_candidates = 300;     // small enough that the heap drops some
  size_t need = 0;
  s = detector.arena_bytes(kImageW, kImageH, options, &need);
  d.add(static_cast<int64_t>(need));
  if (!s.ok() || need > kArenaBytes) return;
  int count = 0;
  s = detector.detect(tinyq::ImageView{image, kImageW, kImageH, kImageW * 3}, options, arena, kArenaBytes, boxes, 128,
                      &count);
  d.add(static_cast<int64_t>(s.code));
  d.add(count);
  for (int i = 0; i < count; ++i) {
    d.add(boxes[i].box.x0, 4);
    d.add(boxes[i].box.y0, 4);
    d.add(boxes[i].box.x1, 4);
    d.add(boxes[i].box.y1, 4);
    d.add(boxes[i].logit, 4);
    d.add(boxes[i].score_q30, 4);
  }
}

}  // namespace digest_detect_detail

inline void digest_detect(tinyq_test::Digest& d) {
  using tinyq::model::DType;
  using tinyq::model::PaddingMode;
  tinyq_test::SyntheticOptions o;
  o.head_templates = 5;
  o.seed = 21;
  digest_detect_detail::run_one(d, o);
  o.activation_dtype = DType::int8;
  o.seed = 22;
  digest_detect_detail::run_one(d, o);
  o.activation_dtype = DType::int16;
  o.padding = PaddingMode::symmetric;
  o.seed = 23;
  digest_detect_detail::run_one(d, o);
  // A multi-exit model (output exits): heads at strides 8, 16, 32 (taps 18, 39, 40),
  // row-streamed plan with a fused depthwise + project after a tapped expand.
  o = tinyq_test::SyntheticOptions{};
  tinyq_test::set_three_exits(o, 3, 2, 2);
  o.seed = 24;
  digest_detect_detail::run_one(d, o);
}
