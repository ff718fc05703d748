// tinyq::FaceDetector: the whole detector, integer only, on the caller's arena.
//
//   FaceDetector det;                                   // keep it where it is: it views the weights
//   Status s = FaceDetector::open(weights, size, &det); // validates the file and the graph
//   std::vector<uint8_t> arena(det.arena_bytes(w, h, options));   // or a static buffer
//   det.detect(image, options, arena.data(), arena.size(), boxes, capacity, &count);
//
// For every scale s: the image is resized (integer bilinear) to round(s W) x round(s H),
// padded to a multiple of the head stride, run through the integer executor; head cells
// whose score logit reaches the threshold are decoded (fixed-point exp) into a bounded
// candidate heap shared by all scales. Then the candidates are sorted by logit and
// suppressed greedily with integer IoU comparisons. No heap, no float, no exceptions.
#pragma once
#include "../model/executor.h"
#include "../model/memory_plan.h"
#include "../model/mobilenet_v2.h"
#include "../model/weights_file.h"
#include "decode.h"
#include "image.h"
#include "nms.h"
#include "resize.h"

namespace tinyq {

struct DetectOptions {
  static constexpr int kMaxScales = 8;
  // Image scales, Q8 (256 = 1x). Default 0.5x, 1x, 2x: Tiny-Face's scales, the ones
  // the shipped models bind their templates to (head/template_scales).
  int32_t scales_q8[kMaxScales] = {128, 256, 512};
  int num_scales = 3;
  int32_t threshold_q30 = 1 << 29;              // face probability, Q30 (0.5)
  int32_t nms_iou_q16 = 19661;                  // suppress above IoU 0.3, Q16
  int max_candidates = 4096;                    // best decoded boxes kept before NMS
  model::Schedule schedule = model::Schedule::row_streamed;  // fused inverted residuals: least arena
};

struct Detection {
  Box box;            // original-image pixels, clipped to the image
  int32_t score_q30;  // logistic(logit), Q30 (2^30 = probability 1)
  int32_t logit;      // raw head logit
};

constexpr int kMaxHeadTemplates = 64;

// The network input for one scale: the image resized to round(scale * size) per axis,
// then padded (bottom/right) up to a multiple of the head stride, and to at least 32.
struct NetworkInput {
  int resized_w, resized_h;  // the resized image
  int net_w, net_h;          // the padded network input
};
inline NetworkInput network_input(int image_w, int image_h, int32_t scale_q8, int stride) {
  auto scaled = [&](int size) {
    const int64_t v = (int64_t(size) * scale_q8 + 128) >> 8;
    return v < 1 ? 1 : static_cast<int>(v);
  };
  auto padded = [&](int v) {
    const int r = (v + stride - 1) / stride * stride;
    return r < 32 ? 32 : r;
  };
  const int rw = scaled(image_w), rh = scaled(image_h);
  return NetworkInput{rw, rh, padded(rw), padded(rh)};
}

// Reads the head description of a face model: a planar 5-value Tiny-Face head and its
// templates (x1, y1, x2, y2 with `frac` bits) turned into widths/heights in Q8 pixels.
inline model::Status parse_head_layout(const model::Graph& g, int32_t* template_wh_q8 /* [2 * 64] */,
                                       HeadLayout* layout) {
  using model::Error;
  using model::make_error;
  const model::ModelInfo& m = g.info();
  if (!m.has_head || m.head_values_per_template != 5 || m.head_layout != 0)
    return make_error(Error::bad_metadata, "not a face detector: needs a planar 5-value Tiny-Face head");
  if (m.head_templates < 1 || m.head_templates > kMaxHeadTemplates)
    return make_error(Error::bad_metadata, "face detector: 1..64 head templates supported");
  const model::TensorView& t = g.templates();
  const int32_t* box = t.as<int32_t>();
  for (int i = 0; i < m.head_templates; ++i) {
    const int64_t w = int64_t(box[4 * i + 2]) - box[4 * i], h = int64_t(box[4 * i + 3]) - box[4 * i + 1];
    const int64_t w_q8 = shift_round_saturate(w, t.frac - 8, 32), h_q8 = shift_round_saturate(h, t.frac - 8, 32);
    if (w_q8 <= 0 || h_q8 <= 0 || w_q8 > (int64_t(1) << 24) || h_q8 > (int64_t(1) << 24))
      return make_error(Error::bad_metadata, "head template with a non-positive or absurd size", t.index);
    template_wh_q8[2 * i] = static_cast<int32_t>(w_q8);
    template_wh_q8[2 * i + 1] = static_cast<int32_t>(h_q8);
  }
  // Anchor centre of cell (0, 0): each stride-2 layer under TF SAME on even sizes pads
  // only after, so the centre tap moves by 1, 2, 4, 8 px: stride - 1 + 0.5; symmetric
  // padding keeps it at 0.5 px.
  const int32_t stride = m.head_stride;
  const model::TensorView& scales = g.template_scales();
  *layout = HeadLayout{m.head_templates, stride, m.padding == model::PaddingMode::tf_same ? stride * 256 - 128 : 128,
                       template_wh_q8, scales.valid() ? scales.as<int32_t>() : nullptr};
  return model::ok_status();
}

// Sorts the candidates of all scales, suppresses overlaps and writes at most `capacity`
// detections clipped to the image. Returns how many were written.
inline int finish_detections(CandidateHeap& heap, const DetectOptions& o, int image_w, int image_h, int head_frac,
                             Detection* out, int capacity) {
  auto clip = [](int32_t q8, int size) {
    const int32_t v = static_cast<int32_t>(rounding_shift_right(q8, 8));
    return v < 0 ? 0 : (v > size ? size : v);
  };
  heap.sort_descending();
  Candidate* c = heap.data();
  const int kept = non_max_suppression(c, heap.size(), o.nms_iou_q16);
  const int n = kept < capacity ? kept : capacity;
  for (int i = 0; i < n; ++i) {
    out[i].box = Box{clip(c[i].x0, image_w), clip(c[i].y0, image_h), clip(c[i].x1, image_w), clip(c[i].y1, image_h)};
    out[i].logit = c[i].logit;
    out[i].score_q30 = fixed_logistic_q30(c[i].logit, head_frac);
  }
  return n;
}

class FaceDetector {
 public:
  static constexpr int kMaxTemplates = kMaxHeadTemplates;
  static constexpr int kMaxImageSide = 8192;

  FaceDetector() = default;
  FaceDetector(const FaceDetector&) = delete;  // the graph points into this object
  FaceDetector& operator=(const FaceDetector&) = delete;

  static model::Status open(const uint8_t* data, size_t size, FaceDetector* out) {
    using model::Error;
    using model::make_error;
    out->ready_ = false;
    model::Status s = model::WeightsFile::open(data, size, &out->file_);
    if (!s.ok()) return s;
    s = model::Graph::build(out->file_, &out->graph_);
    if (!s.ok()) return s;
    if (!out->graph_.is_integer())
      return make_error(Error::not_integer_model, "FaceDetector runs integer models (float32 models: host tools)");
    s = parse_head_layout(out->graph_, out->template_wh_q8_, &out->layout_);
    if (!s.ok()) return s;
    out->ready_ = true;
    return model::ok_status();
  }

  const model::ModelInfo& info() const { return graph_.info(); }
  const model::Graph& graph() const { return graph_; }

  NetworkInput network_input_for(int image_w, int image_h, int32_t scale_q8) const {
    return network_input(image_w, image_h, scale_q8, layout_.stride);
  }

  // Exact arena bytes detect() needs for this image size and these options (0 if invalid).
  size_t arena_bytes(int image_w, int image_h, const DetectOptions& o) const {
    if (!ready_ || !valid_options(o) || !valid_image_size(image_w, image_h)) return 0;
    uint64_t per_scale_max = 0;
    for (int k = 0; k < o.num_scales; ++k) {
      uint64_t need = 0;
      if (!scale_bytes(image_w, image_h, o.scales_q8[k], o.schedule, &need).ok()) return 0;
      if (need > per_scale_max) per_scale_max = need;
    }
    return static_cast<size_t>(fixed_bytes(o) + per_scale_max);
  }

  model::Status detect(const ImageView& image, const DetectOptions& o, uint8_t* arena, size_t arena_size,
                       Detection* out, int capacity, int* count) const {
    using model::Error;
    using model::make_error;
    *count = 0;
    if (!ready_) return make_error(Error::null_buffer, "FaceDetector::open has not succeeded");
    if (!valid_options(o)) return make_error(Error::bad_metadata, "invalid DetectOptions (scales, threshold, IoU, capacities)");
    if (image.data == nullptr || !valid_image_size(image.width, image.height) || image.row_stride < 3 * image.width)
      return make_error(Error::bad_input_size, "image must be 1..8192 px per side with row_stride >= 3 * width");
    if (arena == nullptr || (reinterpret_cast<uintptr_t>(arena) & (model::kArenaAlignment - 1)) != 0)
      return make_error(Error::misaligned_buffer, "the arena must be 16-byte aligned");
    if (arena_size < arena_bytes(image.width, image.height, o))
      return make_error(Error::arena_too_small, "arena smaller than FaceDetector::arena_bytes");

    // Arena: [candidates][MemoryPlan][network input RGB][executor arena], 16-byte aligned parts.
    Candidate* candidates = reinterpret_cast<Candidate*>(arena);
    model::MemoryPlan* plan = reinterpret_cast<model::MemoryPlan*>(arena + candidates_bytes(o));
    uint8_t* rgb = arena + fixed_bytes(o);
    CandidateHeap heap(candidates, o.max_candidates);
    int head_frac = 0;  // the same model at every scale: the same head format

    for (int k = 0; k < o.num_scales; ++k) {
      const NetworkInput in = network_input_for(image.width, image.height, o.scales_q8[k]);
      const int rw = in.resized_w, rh = in.resized_h, nw = in.net_w, nh = in.net_h;
      model::Status s = model::MemoryPlan::make(graph_, nh, nw, o.schedule, plan);
      if (!s.ok()) return s;
      uint8_t* exec_arena = rgb + align(uint64_t(nw) * nh * 3);
      resize_bilinear_rgb(image, rw, rh, rgb, nw, nh, static_cast<uint8_t>(graph_.info().input_offset));
      model::IntegerOutput head;
      s = model::run_integer(graph_, *plan, exec_arena, static_cast<size_t>(plan->arena_bytes), rgb, &head);
      if (!s.ok()) return s;
      const int32_t logit_min = logit_threshold(o.threshold_q30, head.frac);
      if (head.dtype == model::DType::int16) {
        decode_head(Tensor<const int16_t>{head.as<int16_t>(), head.shape.height, head.shape.width, head.shape.channels},
                    head.frac, layout_, logit_min, o.scales_q8[k], rw, rh, image.width, image.height, heap);
      } else {
        decode_head(Tensor<const int8_t>{head.as<int8_t>(), head.shape.height, head.shape.width, head.shape.channels},
                    head.frac, layout_, logit_min, o.scales_q8[k], rw, rh, image.width, image.height, heap);
      }
      head_frac = head.frac;
    }

    *count = finish_detections(heap, o, image.width, image.height, head_frac, out, capacity);
    return model::ok_status();
  }

 private:
  static constexpr uint64_t align(uint64_t x) { return (x + model::kArenaAlignment - 1) / model::kArenaAlignment * model::kArenaAlignment; }
  static bool valid_image_size(int w, int h) { return w >= 1 && h >= 1 && w <= kMaxImageSide && h <= kMaxImageSide; }
  static bool valid_options(const DetectOptions& o) {
    if (o.num_scales < 1 || o.num_scales > DetectOptions::kMaxScales) return false;
    for (int k = 0; k < o.num_scales; ++k)
      if (o.scales_q8[k] < 16 || o.scales_q8[k] > 2048) return false;  // 1/16x .. 8x
    return o.threshold_q30 >= 0 && o.threshold_q30 <= (1 << 30) && o.nms_iou_q16 >= 0 && o.nms_iou_q16 <= 65536 &&
           o.max_candidates >= 1 && o.max_candidates <= (1 << 20);
  }
  static uint64_t candidates_bytes(const DetectOptions& o) { return align(uint64_t(o.max_candidates) * sizeof(Candidate)); }
  static uint64_t fixed_bytes(const DetectOptions& o) { return candidates_bytes(o) + align(sizeof(model::MemoryPlan)); }
  model::Status scale_bytes(int image_w, int image_h, int32_t scale_q8, model::Schedule schedule, uint64_t* bytes) const {
    const NetworkInput in = network_input_for(image_w, image_h, scale_q8);
    // The plan is only sized here; detect() lays it out again inside the arena.
    static model::MemoryPlan plan;  // not thread-safe: arena_bytes is a set-up call
    model::Status s = model::MemoryPlan::make(graph_, in.net_h, in.net_w, schedule, &plan);
    if (!s.ok()) return s;
    *bytes = align(uint64_t(in.net_w) * in.net_h * 3) + plan.arena_bytes;
    return s;
  }
  model::WeightsFile file_;
  model::Graph graph_;
  int32_t template_wh_q8_[2 * kMaxTemplates] = {};
  HeadLayout layout_{};
  bool ready_ = false;
};

}  // namespace tinyq
