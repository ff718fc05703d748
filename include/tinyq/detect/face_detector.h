// tinyq::FaceDetector: the whole detector, integer only, on the caller's arena.
//
//   FaceDetector det;                                   // keep it where it is: it views the weights
//   Status s = FaceDetector::open(weights, size, &det); // validates the file and the graph
//   size_t need = 0;
//   s = det.arena_bytes(w, h, options, &need);          // exact, or an error: never "0 = nothing"
//   std::vector<uint8_t> arena(need);                   // or a static buffer (16-byte aligned)
//   det.detect(image, options, arena.data(), arena.size(), boxes, capacity, &count);
//
// For every scale s: the image is resized (integer bilinear) to round(s W) x round(s H),
// padded to a multiple of the head stride, cut into overlapping tiles when a side exceeds
// options.max_tile_side (detect/tiling.h: the arena is bounded by the tile, whatever the
// photo), and each tile runs through the integer executor; head cells whose score logit
// reaches the threshold are decoded (fixed-point exp) into a bounded candidate heap shared
// by all tiles and scales. Then the candidates are sorted by logit and suppressed greedily
// with integer IoU comparisons. No heap, no float, no exceptions, no mutable static state:
// one FaceDetector may serve any number of threads, each with its own arena.
#pragma once
#include "../model/executor.h"
#include "../model/memory_plan.h"
#include "../model/mobilenet_v2.h"
#include "../model/weights_file.h"
#include "decode.h"
#include "image.h"
#include "nms.h"
#include "resize.h"
#include "tiling.h"

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
  // Largest network input side of one tile, in network pixels (64..4096; rounded down to
  // a multiple of the head stride). Larger network inputs are tiled (detect/tiling.h).
  int max_tile_side = 2048;
};

// What detect() did at each scale: the tile grid it ran, and whether the candidate heap
// overflowed (then the weakest candidates were dropped: raise max_candidates or threshold).
struct DetectReport {
  int num_scales;
  TileGrid scale[DetectOptions::kMaxScales];
  int candidates;          // kept for NMS
  bool candidates_dropped;
};

struct Detection {
  Box box;            // original-image pixels, clipped to the image
  int32_t score_q30;  // logistic(logit), Q30 (2^30 = probability 1)
  int32_t logit;      // raw head logit
};

constexpr int kMaxHeadTemplates = 64;

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

// Resized pixels neighbouring tiles share at this scale: twice the largest template side
// used there, so a face up to about twice its template's size lies whole in one tile.
inline int head_tile_overlap(const HeadLayout& layout, int32_t scale_q8) {
  int32_t side_q8 = 0;
  for (int t = 0; t < layout.num_templates; ++t) {
    const bool used = layout.template_scale_q8 == nullptr || layout.template_scale_q8[t] == 0 ||
                      layout.template_scale_q8[t] == scale_q8;
    if (!used) continue;
    const int32_t w = layout.template_wh_q8[2 * t], h = layout.template_wh_q8[2 * t + 1];
    if (w > side_q8) side_q8 = w;
    if (h > side_q8) side_q8 = h;
  }
  const int64_t px = (int64_t(side_q8) + 255) >> 8;
  return static_cast<int>(2 * px > model::kMaxInputSize ? model::kMaxInputSize : 2 * px);
}

// The tile grid of scale k (detect/tiling.h) for a model's head and valid options.
inline TileGrid detection_tiles(const HeadLayout& layout, int image_w, int image_h, const DetectOptions& o, int k) {
  return tile_grid(image_w, image_h, o.scales_q8[k], layout.stride, o.max_tile_side,
                   head_tile_overlap(layout, o.scales_q8[k]));
}

// Size-driven scales: the inference scales whose templates can find faces between min_px
// and max_px (face height, image pixels). Tiny-Face's rule: at scale s, a template of
// height h_t (network pixels) matches faces of about h_t / s image pixels; we accept
// [2/3, 3/2] of that. A model that binds templates to scales (head/template_scales) offers
// its bound scales; an unbound one the octaves 1/8x .. 4x. Writes the chosen scales,
// ascending, into o->scales_q8 / o->num_scales and returns how many (0: none covers the
// range; o is then left unchanged). Integer only: 2 h_t <= 3 s max, 3 h_t >= 2 s min.
inline int choose_scales_for_faces(const HeadLayout& layout, int32_t min_px, int32_t max_px, DetectOptions* o) {
  if (min_px < 1 || max_px < min_px) return 0;
  int32_t candidates[DetectOptions::kMaxScales];
  int nc = 0;
  auto add_candidate = [&](int32_t s) {
    for (int k = 0; k < nc; ++k)
      if (candidates[k] == s) return;
    if (s >= 16 && s <= 2048 && nc < DetectOptions::kMaxScales) candidates[nc++] = s;  // valid option scales
  };
  bool any_unbound = layout.template_scale_q8 == nullptr;
  for (int t = 0; t < layout.num_templates && !any_unbound; ++t) {
    if (layout.template_scale_q8[t] == 0) any_unbound = true;
    else add_candidate(layout.template_scale_q8[t]);
  }
  if (any_unbound)
    for (int32_t s = 32; s <= 1024; s *= 2) add_candidate(s);  // 1/8x .. 4x
  int32_t chosen[DetectOptions::kMaxScales];
  int n = 0;
  for (int k = 0; k < nc; ++k) {
    const int64_t s = candidates[k];
    bool covers = false;
    for (int t = 0; t < layout.num_templates && !covers; ++t) {
      const bool used = layout.template_scale_q8 == nullptr || layout.template_scale_q8[t] == 0 ||
                        layout.template_scale_q8[t] == s;
      const int64_t h = layout.template_wh_q8[2 * t + 1];  // Q8 px; h / s = image px
      covers = used && 2 * h <= 3 * s * max_px && 3 * h >= 2 * s * min_px;
    }
    if (covers) chosen[n++] = static_cast<int32_t>(s);
  }
  if (n == 0) return 0;
  for (int i = 1; i < n; ++i)  // ascending (insertion sort: at most 8)
    for (int j = i; j > 0 && chosen[j] < chosen[j - 1]; --j) {
      const int32_t t = chosen[j];
      chosen[j] = chosen[j - 1];
      chosen[j - 1] = t;
    }
  for (int i = 0; i < n; ++i) o->scales_q8[i] = chosen[i];
  o->num_scales = n;
  return n;
}

class FaceDetector {
 public:
  static constexpr int kMaxTemplates = kMaxHeadTemplates;
  static constexpr int kMaxImageSide = tinyq::kMaxImageSide;

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
  const HeadLayout& head_layout() const { return layout_; }

  NetworkInput network_input_for(int image_w, int image_h, int32_t scale_q8) const {
    return network_input(image_w, image_h, scale_q8, layout_.stride);
  }

  // The tiles detect() runs at scale k of `o` for this image size (options valid).
  TileGrid tiles_for(int image_w, int image_h, const DetectOptions& o, int k) const {
    return detection_tiles(layout_, image_w, image_h, o, k);
  }

  // Exact arena bytes detect() needs for this image size and these options, or why there
  // is no such number (not opened, bad options, bad image size, a tile the planner rejects).
  model::Status arena_bytes(int image_w, int image_h, const DetectOptions& o, size_t* bytes) const {
    *bytes = 0;
    model::Status s = check_call(image_w, image_h, o);
    if (!s.ok()) return s;
    uint64_t per_scale_max = 0;
    model::MemoryPlan plan;  // sized here, laid out again inside the arena by detect()
    for (int k = 0; k < o.num_scales; ++k) {
      const TileGrid grid = tiles_for(image_w, image_h, o, k);
      s = model::MemoryPlan::make(graph_, grid.y.length, grid.x.length, o.schedule, &plan);
      if (!s.ok()) return s;
      const uint64_t need = tile_bytes(grid) + plan.arena_bytes;
      if (need > per_scale_max) per_scale_max = need;
    }
    const uint64_t total = fixed_bytes(o) + per_scale_max;
    if (total > uint64_t(SIZE_MAX)) return model::make_error(model::Error::bad_input_size, "arena larger than size_t");
    *bytes = static_cast<size_t>(total);
    return model::ok_status();
  }

  // Detects faces; writes at most `capacity` detections, best first, and their number to
  // *count. `report` (optional) receives the tile grid of every scale; `parallel`
  // (optional) runs the resize and the network's layers as bands of rows on the caller's
  // workers, with bit-identical results for any number of them (core/parallel.h).
  model::Status detect(const ImageView& image, const DetectOptions& o, uint8_t* arena, size_t arena_size,
                       Detection* out, int capacity, int* count, DetectReport* report = nullptr,
                       const ParallelFor* parallel = nullptr) const {
    using model::Error;
    using model::make_error;
    *count = 0;
    if (image.data == nullptr) return make_error(Error::bad_image, "image data is null");
    size_t need = 0;
    model::Status s = arena_bytes(image.width, image.height, o, &need);
    if (!s.ok()) return s;
    if (image.row_stride < 3 * image.width) return make_error(Error::bad_image, "row_stride < 3 * width");
    if (capacity < 0 || (capacity > 0 && out == nullptr))
      return make_error(Error::null_buffer, "detections buffer is null or capacity negative");
    if (arena == nullptr) return make_error(Error::null_buffer, "the arena is null");
    if ((reinterpret_cast<uintptr_t>(arena) & (model::kArenaAlignment - 1)) != 0)
      return make_error(Error::misaligned_buffer, "the arena must be 16-byte aligned");
    if (arena_size < need) return make_error(Error::arena_too_small, "arena smaller than FaceDetector::arena_bytes");

    // Arena: [candidates][MemoryPlan][tile RGB][executor arena], 16-byte aligned parts.
    // Every part is checked against arena_size before it is written.
    Candidate* candidates = reinterpret_cast<Candidate*>(arena);
    model::MemoryPlan* plan = reinterpret_cast<model::MemoryPlan*>(arena + candidates_bytes(o));
    uint8_t* rgb = arena + fixed_bytes(o);
    CandidateHeap heap(candidates, o.max_candidates);
    int head_frac = 0;  // the same model at every scale: the same head format
    if (report != nullptr) report->num_scales = o.num_scales;

    for (int k = 0; k < o.num_scales; ++k) {
      const TileGrid grid = tiles_for(image.width, image.height, o, k);
      if (report != nullptr) report->scale[k] = grid;
      const int tw = grid.x.length, th = grid.y.length;
      s = model::MemoryPlan::make(graph_, th, tw, o.schedule, plan);
      if (!s.ok()) return s;
      const uint64_t exec_offset = fixed_bytes(o) + tile_bytes(grid);
      if (exec_offset + plan->arena_bytes > arena_size)
        return make_error(Error::arena_too_small, "a tile's plan does not fit the arena (arena_bytes changed?)");
      uint8_t* exec_arena = arena + exec_offset;
      const size_t exec_size = static_cast<size_t>(arena_size - exec_offset);
      for (int iy = 0; iy < grid.y.tiles; ++iy) {
        for (int ix = 0; ix < grid.x.tiles; ++ix) {
          const DecodeFrame frame{grid.scale_q8, grid.x.origin(ix), grid.y.origin(iy), grid.input.resized_w,
                                  grid.input.resized_h, image.width, image.height};
          resize_tile(image, frame, rgb, tw, th, parallel);
          model::IntegerOutput head;
          s = model::run_integer(graph_, *plan, exec_arena, exec_size, rgb, &head, parallel);
          if (!s.ok()) return s;
          const int32_t logit_min = logit_threshold(o.threshold_q30, head.frac);
          if (head.dtype == model::DType::int16) {
            decode_head(Tensor<const int16_t>{head.as<int16_t>(), head.shape.height, head.shape.width, head.shape.channels},
                        head.frac, layout_, logit_min, frame, heap);
          } else {
            decode_head(Tensor<const int8_t>{head.as<int8_t>(), head.shape.height, head.shape.width, head.shape.channels},
                        head.frac, layout_, logit_min, frame, heap);
          }
          head_frac = head.frac;
        }
      }
    }

    if (report != nullptr) {
      report->candidates = heap.size();
      report->candidates_dropped = heap.dropped_any();
    }
    *count = finish_detections(heap, o, image.width, image.height, head_frac, out, capacity);
    return model::ok_status();
  }

  // Validates a call's arguments (the checks arena_bytes and detect share).
  model::Status check_call(int image_w, int image_h, const DetectOptions& o) const {
    using model::Error;
    using model::make_error;
    if (!ready_) return make_error(Error::not_open, "FaceDetector::open has not succeeded");
    if (!valid_options(o))
      return make_error(Error::bad_options, "invalid DetectOptions (scales, threshold, IoU, capacities, tile side)");
    if (!valid_image_size(image_w, image_h))
      return make_error(Error::bad_image, "image must be 1..8192 px per side");
    return model::ok_status();
  }

  static bool valid_options(const DetectOptions& o) {
    if (o.num_scales < 1 || o.num_scales > DetectOptions::kMaxScales) return false;
    for (int k = 0; k < o.num_scales; ++k)
      if (o.scales_q8[k] < 16 || o.scales_q8[k] > 2048) return false;  // 1/16x .. 8x
    return o.threshold_q30 >= 0 && o.threshold_q30 <= (1 << 30) && o.nms_iou_q16 >= 0 && o.nms_iou_q16 <= 65536 &&
           o.max_candidates >= 1 && o.max_candidates <= (1 << 20) &&
           (o.schedule == model::Schedule::layer_by_layer || o.schedule == model::Schedule::row_streamed) &&
           o.max_tile_side >= 64 && o.max_tile_side <= model::kMaxInputSize;
  }

 private:
  // The tile's window of the resized picture into rgb (tw x th), in bands of rows when a
  // ParallelFor is given (each band is the same window call on its rows).
  struct ResizeBands {
    const ImageView* image;
    const DecodeFrame* frame;
    uint8_t* rgb;
    int tw, th, parts;
    uint8_t pad;
    static void task(void* ctx, int i) {
      const ResizeBands& b = *static_cast<const ResizeBands*>(ctx);
      const RangePart r = range_part(b.th, b.parts, i);
      resize_bilinear_rgb_window(*b.image, b.frame->resized_w, b.frame->resized_h, b.frame->origin_x,
                                 b.frame->origin_y + r.begin, b.rgb + int64_t(r.begin) * b.tw * 3, b.tw, r.end - r.begin,
                                 b.pad);
    }
  };
  void resize_tile(const ImageView& image, const DecodeFrame& f, uint8_t* rgb, int tw, int th,
                   const ParallelFor* parallel) const {
    const uint8_t pad = static_cast<uint8_t>(graph_.info().input_offset);
    if (parallel == nullptr || !parallel->parallel()) {
      resize_bilinear_rgb_window(image, f.resized_w, f.resized_h, f.origin_x, f.origin_y, rgb, tw, th, pad);
      return;
    }
    const int parts = th < 4 * parallel->workers ? th : 4 * parallel->workers;
    const ResizeBands bands{&image, &f, rgb, tw, th, parts, pad};
    parallel->run(parallel->pool, parts, &ResizeBands::task, const_cast<ResizeBands*>(&bands));
  }

  static constexpr uint64_t align(uint64_t x) { return (x + model::kArenaAlignment - 1) / model::kArenaAlignment * model::kArenaAlignment; }
  static bool valid_image_size(int w, int h) { return w >= 1 && h >= 1 && w <= kMaxImageSide && h <= kMaxImageSide; }
  static uint64_t candidates_bytes(const DetectOptions& o) { return align(uint64_t(o.max_candidates) * sizeof(Candidate)); }
  static uint64_t fixed_bytes(const DetectOptions& o) { return candidates_bytes(o) + align(sizeof(model::MemoryPlan)); }
  static uint64_t tile_bytes(const TileGrid& g) { return align(uint64_t(g.x.length) * g.y.length * 3); }

  model::WeightsFile file_;
  model::Graph graph_;
  int32_t template_wh_q8_[2 * kMaxTemplates] = {};
  HeadLayout layout_{};
  bool ready_ = false;
};

}  // namespace tinyq
